"""Markdown of ``vforensics eval``'s results.json, shared by the dataset sections."""

from __future__ import annotations

import json
from pathlib import Path

from vforensics.evaluation.benchmarks._section import PLOTS


def read_results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())


def dataset_markdown(title: str, results: dict, plots: bool = True) -> str:
    from vforensics.evaluation.present import auc_table, pixel_table, summary_lines, to_markdown

    out = [f"## {title}", ""]
    out += [f"- {line}" for line in summary_lines(results)]
    out.append("")
    for name, d in results["datasets"].items():
        if not d["classes"]:
            continue
        out += [f"### {name}", "", "Image-level ROC AUC against the same set's untouched images:", ""]
        out += [to_markdown(*auc_table(d)), ""]
        if any(c.get("pixel") for c in d["classes"].values()):
            for key in ("f1_best", "f1_fixed", "mcc_best"):
                out += [f"Pixel-level {key}:", "", to_markdown(*pixel_table(d, key)), ""]
        if d.get("flags"):
            out += ["Metadata flags (recall on the cases that expect the flag; rate on untouched images):", ""]
            rows = [
                [f, str(v["recall"]), str(v["n_cases"]), str(v["precision"]), str(v["on_originals"])]
                for f, v in d["flags"].items()
            ]
            out += [to_markdown(["flag", "recall", "cases", "precision", "rate on originals"], rows), ""]
        for kind in ("roc", "auc", "f1") if plots else ():
            if (PLOTS / f"{name}-{kind}.png").is_file():
                out.append(f"![{name} {kind}](bench/{name}-{kind}.png)")
        out.append("")
    return "\n".join(out)
