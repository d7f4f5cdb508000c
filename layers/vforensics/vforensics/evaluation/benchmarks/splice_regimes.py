"""Splice localisation by compression regime: where a JPEG map can see a splice and where not.

A synthetic splice (``vforensics synth``) pastes a region of one camera JPEG into another and
saves the result at quality q2. Whether the file still carries a *different compression
history* for the region depends on the host's first quality q1: double-quantization traces
(Bianchi & Piva, IEEE TIFS 7(3), 2012) survive when the last save is at least as fine as the
first (q2 >= q1), and are erased when it is coarser (q2 < q1: the coarser steps swallow the
first ones, and host and splice end up with one indistinguishable history). This script
splits the benchmark's splices by that regime and reports the pixel F1 (at each image's best
threshold, as in the main tables) of the maps that localise splices, from the outputs of
``vforensics eval`` in ``bench-out/eval-synth``.

    .venv/bin/python -m vforensics.evaluation.benchmarks.splice_regimes [--work bench-out] [--write OUT.md]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from statistics import mean

import cv2

from vforensics.evaluation.benchmarks._section import Context, section_main
from vforensics.evaluation.metrics import pixel_scores

NAME = "splice-regimes"
ISOLATED = True
MAPS = ("jpeg", "jpeg_ghost", "noise", "combined")
REGIMES = ("last save as fine or finer (q2 >= q1)", "last save coarser (q2 < q1)")


def regime(last_quality: int, host_quality: int) -> str:
    return REGIMES[0] if last_quality >= host_quality else REGIMES[1]


def case_scores(work: Path) -> list[tuple[str, dict[str, float]]]:
    """(regime, {map: f1_best}) for every splice case with stored outputs."""
    synth = work / "synth"
    with (synth / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["class"] == "splice"]
    out = []
    for row in rows:
        folder = work / "eval-synth" / "outputs" / ("images__splice__" + Path(row["file"]).stem)
        mask = cv2.imread(str(synth / row["mask"]), cv2.IMREAD_GRAYSCALE)
        if mask is None or not folder.is_dir():
            continue
        host_quality = json.loads(row["params"])["source_quality"]
        scores = {}
        for name in MAPS:
            suspicion = cv2.imread(str(folder / "maps" / f"{name}.png"), cv2.IMREAD_GRAYSCALE)
            if suspicion is None:
                scores[name] = 0.0  # no map (analyzer not applicable): nothing localised
                continue
            suspicion = cv2.resize(suspicion, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR)
            scores[name] = pixel_scores(suspicion, mask > 127).f1_best
        out.append((regime(int(row["quality"]), int(host_quality)), scores))
    return out


def table(scores: list[tuple[str, dict[str, float]]]) -> str:
    lines = [
        "### Splices by compression regime (`python -m vforensics.evaluation.benchmarks.splice_regimes`)",
        "",
        "The synthetic splices split by whether the last save (quality q2) was at least as fine as the host "
        "photo's own JPEG (q1). Only then does the file keep a different compression history for the pasted "
        "region; when the last save is coarser it erases both histories. Pixel F1 at each image's best "
        "threshold (a missing map counts 0):",
        "",
        "| regime | n | " + " | ".join(MAPS) + " |",
        "|---|---|" + "---|" * len(MAPS),
    ]
    for name in (*REGIMES, "all splices"):
        group = [s for r, s in scores if name in (r, "all splices")]
        if not group:
            continue
        cells = [f"{mean(s[m] for s in group):.2f}" for m in MAPS]
        lines.append(f"| {name} | {len(group)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run(context: Context) -> dict:
    """(regime, {map: F1}) per splice case, from the stored outputs of ``vforensics eval``."""
    scores = case_scores(context.work)
    if not scores:
        raise SystemExit(f"no splice outputs under {context.work / 'eval-synth'}: run `vforensics eval` first")
    return {"scores": scores}


def to_markdown(results: dict) -> str:
    return table(results["scores"])


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
