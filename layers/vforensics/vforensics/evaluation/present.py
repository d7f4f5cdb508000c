"""Tables (terminal and Markdown) and plots (PNG) of evaluation results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vforensics.evaluation.metrics import roc_curve


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def auc_table(dataset: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Rows: class; columns: overall + each method; cells: AUC (n positives / n negatives)."""
    classes = dataset["classes"]
    methods = sorted({m for c in classes.values() for m in c["auc"] if m != "overall"})
    header = ["class (n)", "overall"] + methods
    rows = []
    for label, entry in classes.items():
        cells = [f"{label} ({entry['n']})"]
        for m in ["overall"] + methods:
            a = entry["auc"].get(m)
            cells.append(_fmt(a["auc"]) if a else "-")
        rows.append(cells)
    return header, rows


def pixel_table(dataset: dict[str, Any], key: str = "f1_best") -> tuple[list[str], list[list[str]]]:
    classes = {k: v for k, v in dataset["classes"].items() if v.get("pixel")}
    names = sorted({n for c in classes.values() for n in c["pixel"]})
    header = [f"class: {key}"] + names
    rows = [[label] + [_fmt(entry["pixel"].get(n, {}).get(key)) for n in names] for label, entry in classes.items()]
    return header, rows


def to_markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def to_text(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def summary_lines(results: dict[str, Any]) -> list[str]:
    out = []
    for name, d in results["datasets"].items():
        flagged = d["originals_flagged"]
        share = "-" if flagged["share"] is None else f"{flagged['share']:.1%}"
        out.append(
            f"{name}: cases {d['cases']}; untouched rated MEDIUM/HIGH: {flagged['medium_or_high']}/{flagged['n']} "
            f"({share}); median seconds per case {_fmt(d['median_seconds'])}"
        )
        if d.get("ai"):
            a = d["ai"]
            value = "-" if a.get("auc") is None else f"{a['auc']:.2f}"
            out.append(
                f"{name}: AI-generated vs real, ROC AUC of ai_likelihood {value} "
                f"({a['n_pos']} AI / {a['n_neg']} real){'; ' + a['note'] if a.get('note') else ''}"
            )
    if results.get("failures"):
        out.append(f"cases without a report: {len(results['failures'])}")
    return out


def render_text(results: dict[str, Any]) -> str:
    parts = summary_lines(results)
    for name, d in results["datasets"].items():
        if not d["classes"]:
            continue
        parts += ["", f"== {name}: image-level ROC AUC vs untouched images"]
        parts.append(to_text(*auc_table(d)))
        if any(c.get("pixel") for c in d["classes"].values()):
            for key in ("f1_best", "f1_fixed", "mcc_best"):
                parts += ["", f"== {name}: pixel {key} (mean over cases with a mask)"]
                parts.append(to_text(*pixel_table(d, key)))
        if d.get("flags"):
            parts += ["", f"== {name}: metadata flags"]
            rows = [
                [f, _fmt(v["recall"]), str(v["n_cases"]), _fmt(v["precision"]), _fmt(v["on_originals"])]
                for f, v in d["flags"].items()
            ]
            parts.append(to_text(["flag", "recall", "n", "precision", "rate on originals"], rows))
    return "\n".join(parts)


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """ROC curves of the overall score and AUC / pixel-F1 bars per method, one set per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, d in results["datasets"].items():
        if not d["classes"]:
            continue
        fig, ax = plt.subplots(figsize=(5, 5))
        for label, entry in d["classes"].items():
            a = entry["auc"].get("overall")
            if a:
                fpr, tpr = roc_curve(a["scores_pos"], a["scores_neg"])
                ax.step(fpr, tpr, where="post", label=f"{label} (AUC {a['auc']:.2f})")
        ax.plot([0, 1], [0, 1], ":", color="gray")
        ax.set(xlabel="false-positive rate (untouched)", ylabel="true-positive rate", title=f"{name}: overall score")
        ax.legend(fontsize=7, loc="lower right")
        written.append(_save(fig, out_dir / f"{name}-roc.png"))

        header, rows = auc_table(d)
        written.append(
            _bars(plt, header[1:], rows, f"{name}: image-level AUC", out_dir / f"{name}-auc.png", chance=0.5)
        )
        if any(c.get("pixel") for c in d["classes"].values()):
            header, rows = pixel_table(d, "f1_best")
            written.append(
                _bars(plt, header[1:], rows, f"{name}: pixel F1 (best threshold)", out_dir / f"{name}-f1.png")
            )
    return written


def _bars(plt, methods: list[str], rows: list[list[str]], title: str, path: Path, chance: float | None = None) -> Path:
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(methods) + 2.5), 4))
    width = 0.8 / max(1, len(rows))
    x = np.arange(len(methods))
    for i, row in enumerate(rows):
        values = [float(v) if v != "-" else 0.0 for v in row[1:]]
        ax.bar(x + i * width, values, width, label=row[0])
    ax.set_xticks(x + width * (len(rows) - 1) / 2, methods, rotation=30, ha="right", fontsize=8)
    ax.set(ylim=(0, 1), title=title)
    if chance is not None:
        ax.axhline(chance, linestyle=":", color="gray", linewidth=1)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
