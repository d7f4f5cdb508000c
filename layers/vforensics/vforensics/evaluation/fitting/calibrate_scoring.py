"""Fit the overall score's reliabilities on the synthetic benchmark and write them.

Reads the analyzer scores of every case that `make bench` analysed (bench-out/eval-synth),
labels untouched originals 0 and every edit 1 (generator-tagged files, which are not
edits, are left out), and fits the noisy-OR reliabilities
(vforensics.evaluation.calibration). The originals' share of the loss is the smallest of
NEGATIVE_WEIGHTS whose 5-fold cross-validation, grouped by the camera make of the source
photo (vforensics.evaluation.makes: a make is never in the training and the test folds at
once), rates at most MAX_FLAGGED of the originals MEDIUM or HIGH: a false alarm on an untouched photo is the
costlier error for the people who act on the verdict. It prints how that score separates
each class from the originals, beside the hand-set reliabilities it replaces.

The combined map's weights come from the same benchmark: each localising analyzer's mean
pixel MCC (at each image's best threshold, negative counted as 0, times the share of cases
that got a map) over the spliced and inpainted cases, read from eval-synth/results.json.
With --write, the fit on all cases goes to vforensics/scoring/data/scoring_calibration.json, which
vforensics.scoring loads.

    .venv/bin/python -m vforensics.evaluation.fitting.calibrate_scoring [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from vforensics.evaluation.calibration import fit_reliabilities, noisy_or, out_of_fold
from vforensics.evaluation.cases import read_cases
from vforensics.evaluation.evaluate import collect
from vforensics.evaluation.makes import case_makes, make_folds
from vforensics.evaluation.metrics import roc_auc

ROOT = Path(__file__).resolve().parents[5]  # the repository checkout
FEATURES = ("metadata", "ela", "noise", "jpeg", "copy_move", "cfa")
HAND_SET = {"metadata": 0.8, "ela": 0.0, "noise": 0.4, "copy_move": 0.95, "jpeg": 0.5, "cfa": 0.4}
MAP_CANDIDATES = ("ela", "noise", "jpeg", "cfa")
MAP_CLASSES = ("splice", "inpaint")  # edits that only the maps can localise
# a generator tag says "made by AI", not "edited": it belongs to ai_likelihood, not to this fit
NOT_TAMPERING = ("generator_tag",)
NEGATIVE_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
MEDIUM_AT = 35.0  # = vforensics.scoring.MEDIUM_AT, not imported: scoring loads the file written here
MAX_FLAGGED = 0.05  # target share of untouched originals rated MEDIUM or HIGH
CAMERA = ROOT.parent / "shared" / "bench" / "camera"
OUT = ROOT / "layers" / "vforensics" / "vforensics" / "scoring" / "data" / "scoring_calibration.json"


def load(
    cases_csv: Path, outputs: Path, camera_dir: Path = CAMERA
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Scores (n, k) in 0..1 (0 where an analyzer did not score), labels, makes (the groups), classes."""
    results = [
        r
        for r in collect(read_cases(cases_csv), outputs)
        if r.status == "COMPLETED" and r.case.label not in NOT_TAMPERING
    ]
    scores = np.array([[(r.scores.get(f) or 0.0) / 100.0 for f in FEATURES] for r in results])
    labels = np.array([0.0 if r.case.label == "original" else 1.0 for r in results])
    makes = case_makes([r.case for r in results], camera_dir)
    groups = [makes[r.case.case_id] for r in results]
    return scores, labels, groups, [r.case.label for r in results]


def map_weights(results_json: Path) -> dict[str, float]:
    """Each candidate map's localisation skill: mean over MAP_CLASSES of max(0, MCC) x coverage."""
    classes = json.loads(results_json.read_text())["datasets"]["synth"]["classes"]
    weights = {}
    for name in MAP_CANDIDATES:
        skill = []
        for cls in MAP_CLASSES:
            pixel = classes[cls]["pixel"].get(name, {})
            skill.append(max(0.0, pixel.get("mcc_best", 0.0)) * pixel.get("coverage", 0.0))
        weights[name] = round(float(np.mean(skill)), 3)
    return weights


def summarise(p: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict:
    originals = p[labels == 0]
    out: dict[str, Any] = {
        "originals": int(len(originals)),
        "originals_medium_or_high": round(float((originals * 100 >= MEDIUM_AT).mean()), 4),
        "auc_all_edits": _auc(list(p[labels == 1]), list(originals)),
        "auc_by_class": {},
    }
    for cls in sorted(set(classes) - {"original"}):
        pos = [float(v) for v, c in zip(p, classes, strict=True) if c == cls]
        out["auc_by_class"][cls] = _auc(pos, list(originals))
    return out


def _auc(positives: list[float], negatives: list[float]) -> float:
    auc = roc_auc(positives, negatives)
    assert auc is not None, "both classes are present"
    return round(auc, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "bench-out" / "synth" / "cases.csv")
    parser.add_argument("--outputs", type=Path, default=ROOT / "bench-out" / "eval-synth" / "outputs")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if not args.cases.is_file():
        print(f"{args.cases} not found: run `make bench` first", file=sys.stderr)
        return 1
    scores, labels, groups, classes = load(args.cases, args.outputs)
    print(f"{len(labels)} cases ({int((labels == 0).sum())} originals) from {args.cases}")
    print("originals' weight  originals MEDIUM/HIGH (out-of-fold)  AUC all edits")
    folds = make_folds(Counter(groups), args.folds)  # balanced by cases (each photo has one per class)
    for negative_weight in NEGATIVE_WEIGHTS:
        oof = out_of_fold(scores, labels, groups, args.folds, negative_weight, folds)
        fitted_cv = summarise(oof, labels, classes)
        print(
            f"{negative_weight:17.2f}  {fitted_cv['originals_medium_or_high']:>35.1%}  {fitted_cv['auc_all_edits']:.3f}"
        )
        if fitted_cv["originals_medium_or_high"] <= MAX_FLAGGED:
            break
    fit = fit_reliabilities(scores, labels, FEATURES, negative_weight)
    hand = noisy_or(scores, np.array([HAND_SET[f] for f in FEATURES]))
    fitted_cv, hand_set = summarise(oof, labels, classes), summarise(hand, labels, classes)
    maps = map_weights(args.outputs.parent / "results.json")
    print(f"chosen: originals' weight {negative_weight}")
    print("map weights  " + "  ".join(f"{k}={v:.3f}" for k, v in maps.items()))
    print("reliability  " + "  ".join(f"{f}={r:.2f}" for f, r in zip(FEATURES, fit.reliability, strict=True)))
    print(f"{'':28s} {'fitted (out-of-fold)':>22s} {'hand-set':>10s}")
    print(
        f"{'originals MEDIUM/HIGH':28s} {fitted_cv['originals_medium_or_high']:>22.1%} "
        f"{hand_set['originals_medium_or_high']:>10.1%}"
    )
    print(f"{'AUC, all edits':28s} {fitted_cv['auc_all_edits']:>22.3f} {hand_set['auc_all_edits']:>10.3f}")
    for cls, auc in fitted_cv["auc_by_class"].items():
        print(f"{'AUC ' + cls:28s} {auc:>22.3f} {hand_set['auc_by_class'][cls]:>10.3f}")
    if args.write:
        doc = {
            "method": "noisy-OR reliabilities, class-weighted maximum likelihood (vforensics.evaluation.calibration)",
            "fitted": date.today().isoformat(),
            "command": "python -m vforensics.evaluation.fitting.calibrate_scoring --write",
            "cases": len(labels),
            "originals": int((labels == 0).sum()),
            "reliability": {f: round(float(r), 4) for f, r in zip(FEATURES, fit.reliability, strict=True)},
            "map_weights": maps,
            "map_weights_from": f"mean pixel MCC x coverage on {', '.join(MAP_CLASSES)} (eval-synth/results.json)",
            "originals_weight": negative_weight,
            "max_originals_flagged": MAX_FLAGGED,
            "cross_validation": {"folds": args.folds, "grouped_by": "camera make of the source photo", **fitted_cv},
            "hand_set_before": {"reliability": HAND_SET, **hand_set},
        }
        OUT.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
