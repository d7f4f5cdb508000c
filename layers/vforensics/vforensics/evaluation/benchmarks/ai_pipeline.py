"""AI-generated vs real through the whole pipeline (``vforensics eval --ai ... --real ...``).

    .venv/bin/python -m vforensics.evaluation.benchmarks.ai_pipeline [--work bench-out] [--jobs 2]

On the test split's ml72 files (three small families the detector trained on, these files
never) against the test split's real-web photos (the same subjects). The 11 cases are always
analysed again (``--rerun``): stored outputs would keep an earlier model's scores.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

from vforensics.evaluation.ai_data import DATA_LIST
from vforensics.evaluation.benchmarks._datasets import read_results
from vforensics.evaluation.benchmarks._section import Context, run_command, section_main

NAME = "ai-pipeline"
ISOLATED = False  # runs vforensics eval as a process of its own


def heldout_folders(folder: Path, bench: Path) -> tuple[Path, Path]:
    """Folders of links to the AI-detector's test files of ml72 (AI) and real-web (real)."""
    with DATA_LIST.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test" and r["family"].startswith(("ml72", "real-web"))]
    dirs = {"1": folder / "ai", "0": folder / "real"}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    for r in rows:
        (dirs[r["label"]] / Path(r["file"]).name).symlink_to(bench / r["file"])
    return dirs["1"], dirs["0"]


def run(context: Context) -> dict:
    ai_dir, real_dir = heldout_folders(context.work / "ai-heldout", context.bench)
    out = context.work / "eval-ai"
    seconds = run_command(
        [context.vforensics, "eval", "--ai", ai_dir, "--real", real_dir]
        + ["--out", out, "--jobs", context.jobs, "--rerun"]
    )
    return {"seconds": {"eval-ai": seconds}, "eval": read_results(out)}


def to_markdown(results: dict) -> str:
    from vforensics.evaluation.present import summary_lines

    lines = [
        "Through the whole pipeline (`vforensics eval --ai ... --real ...`, `overall.ai_likelihood`), on the "
        "test split's ml72 images (three small families the detector trained on, these files never) against the "
        "test split's real-web photos of the same subjects:",
        "",
    ]
    lines += [f"- {line}" for line in summary_lines(results["eval"])] + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
