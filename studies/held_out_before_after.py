"""Issue 19's before/after on held-out camera makes: the same cases, the fits of the grouped protocol.

Reads analyzer results that ``python -m vforensics.evaluation.analyzer_runs`` wrote for the
code before and after a change (each a list of roots: later roots win, so a root with the
analyzers both share can be given to both), scores both with
:mod:`vforensics.evaluation.grouped`, and prints the rows of issue 19's table side by side.

    python studies/held_out_before_after.py CASES.csv CAMERA_DIR --originals DIR \\
        --before R1 R2 --after R3 R2 [--peer exiftool_digest.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vforensics.evaluation import grouped
from vforensics.evaluation.benchmarks.held_out_makes import CLASSES
from vforensics.scoring.tampering import MAP_WEIGHTS, RELIABILITY


def peer_aucs(cases, peer: dict, camera: Path) -> dict[str, dict]:
    """ExifTool's rule on the same cases and folds: AUC of each re-save class against the originals."""
    import numpy as np

    from vforensics.evaluation.metrics import roc_auc

    folds, _ = grouped.case_folds(cases, camera)
    rows = []
    for case in cases:
        entry = peer["camera_cases"].get(case.source) if case.label == "original" else peer["cases"].get(case.file)
        if entry and entry.get("rule") is not None:
            rows.append((case.label, folds[case.case_id], float(entry["rule"])))
    out = {}
    for cls in ("resave", "crop_resave", "resave_same_tables", "resave_foreign_tables"):

        def auc(fold=None, cls=cls):
            pos = [v for c, f, v in rows if c == cls and fold in (None, f)]
            neg = [v for c, f, v in rows if c == "original" and fold in (None, f)]
            return roc_auc(pos, neg)

        per_fold = [a for k in sorted({f for _, f, _ in rows}) if (a := auc(k)) is not None]
        pooled = auc()
        out[cls] = {
            "auc": None if pooled is None else round(pooled, 3),
            "fold_min": round(min(per_fold), 3) if per_fold else None,
            "fold_mean": round(float(np.mean(per_fold)), 3) if per_fold else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path)
    parser.add_argument("camera", type=Path)
    parser.add_argument("--before", type=Path, nargs="+", required=True)
    parser.add_argument("--after", type=Path, nargs="+", required=True)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--peer", type=Path, help="the exiftool_digest section's results JSON (per-case rule scores)")
    parser.add_argument("--per-make", type=int, default=2, help="the first N source photos of each make (0: all)")
    parser.add_argument("--originals", type=Path, required=True, help="where the camera originals' cases.csv is")
    args = parser.parse_args(argv)
    cases = grouped.protocol_cases(args.cases, args.camera, args.originals, CLASSES, args.per_make)
    out = {}
    for name, roots in (("before", args.before), ("after", args.after)):
        scored = grouped.load(cases, roots, args.camera)
        out[name] = grouped.figures(scored, RELIABILITY, MAP_WEIGHTS)
    for cls in out["after"]["classes"]:
        b, a = out["before"]["classes"].get(cls, {}), out["after"]["classes"][cls]
        print(
            f"{cls:26s} n={a['n']:3d}  held-out AUC {b.get('auc_held_out')} -> {a['auc_held_out']}  "
            f"worst fold {b.get('auc_held_out_fold_min')} -> {a['auc_held_out_fold_min']}  "
            f"jpeg {b.get('jpeg_auc')} -> {a['jpeg_auc']}  shipped {b.get('auc_shipped')} -> {a['auc_shipped']}"
        )
    for key in ("medium_or_high_shipped", "medium_or_high_held_out", "jpeg_medium_or_high"):
        print(f"originals {key}: {out['before']['originals'][key]} -> {out['after']['originals'][key]}")
    for cls, a in out["after"]["combined_f1"].items():
        print(f"combined map F1 {cls:24s} {out['before']['combined_f1'].get(cls)} -> {a}")
    for name in ("before", "after"):
        o = out[name]["originals"]
        print(name, "flagged held out:", o["flagged_held_out"], "flags:", o["flag_rates"])
        print(name, "aligned>=50:", o["aligned_double_at_least_50"], "copy_move>=50:", o["copy_move_at_least_50"])
        print(name, "fits:", out[name]["fits"])
    if args.peer:
        out["exiftool_rule"] = peer_aucs(cases, json.loads(args.peer.read_text()), args.camera)
        for cls, v in out["exiftool_rule"].items():
            print(f"ExifTool JPEGDigest rule {cls:22s} {v}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
