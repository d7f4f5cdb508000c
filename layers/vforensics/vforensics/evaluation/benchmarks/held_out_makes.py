"""Figures on camera makes the fit did not see (:mod:`vforensics.evaluation.grouped`).

    .venv/bin/python -m vforensics.evaluation.benchmarks.held_out_makes [--work bench-out] [--per-make 2]

Runs the analyzers that the tampering score combines straight on the synthetic edits of the
first ``--per-make`` source photos of every make (0: all) and on every camera original of
shared/bench (:mod:`vforensics.evaluation.analyzer_runs`, cached in ``WORK/analyzer-runs``;
the jpeg analyzer of each case without its make's tables), then scores every case with the
fit that did not see its make.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from vforensics.evaluation.benchmarks._section import Context, section_main

NAME = "held_out_makes"
ISOLATED = False
TITLE = "Held out by camera make: what the fits do on makes they did not see"
CLASSES = (
    "original",
    "resave",
    "crop_resave",
    "resave_same_tables",
    "resave_foreign_tables",
    "splice",
    "inpaint",
    "copy_move",
    "thumbnail_kept",
    "exif_stripped",
    "editor_software",
    "date_modified",
    "edit_png",
    "edit_camera_subsampling",
    "edit_444",
    "edit_camera_tables",
    "editor_software_in_place",
    "date_modified_in_place",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--per-make", type=int, default=2, help="source photos per make (0: all)")


def run(context: Context, per_make: int = 2) -> dict[str, Any]:
    from vforensics.evaluation import analyzer_runs, grouped
    from vforensics.scoring.tampering import MAP_WEIGHTS, RELIABILITY

    started = time.perf_counter()
    synth = context.work / "synth" / "cases.csv"
    if not synth.is_file():
        raise SystemExit(f"{synth} not found: run the synthetic section first")
    camera = context.bench / "camera"
    cases = grouped.protocol_cases(synth, camera, context.work / "camera-originals", CLASSES, per_make)
    root = context.work / "analyzer-runs"
    makes = grouped.case_makes(cases, camera)
    analyzer_runs.run(cases, root, grouped.FEATURES, context.jobs, held_out_makes=makes)
    scored = grouped.load(cases, [root], camera)
    results = grouped.figures(scored, RELIABILITY, MAP_WEIGHTS)
    results["per_make"] = per_make
    results["seconds"] = {NAME: time.perf_counter() - started}
    return results


def to_markdown(results: dict[str, Any]) -> str:
    from vforensics.evaluation.present import to_markdown as table

    folds = results["folds"]
    o = results["originals"]
    lines = [
        f"## {TITLE} (`python -m vforensics.evaluation.benchmarks.held_out_makes`)",
        "",
        "The synthetic edits (of the first "
        f"{results['per_make'] or 'all'} photos of each make) and every camera original of shared/bench are "
        f"grouped by the camera make of their photo and the makes dealt into {len(folds)} folds. For each "
        "fold the tampering score's reliabilities (and the originals' weight, by an inner grouped cross-"
        "validation), the combined map's weights and the jpeg analyzer's table database are fitted or built "
        "on the other folds; every case is scored by the fit that did not see its make. `shipped` is the "
        "packaged fit, made on all makes (the optimistic figure). The analyzers' hand-set zero points were "
        "chosen on all makes and are not refitted"
        + (
            "; the noise score's calibration, fitted on all makes too, is held out as well at the end."
            if results.get("noise_calibration")
            else "."
        ),
        "",
        "Folds: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in folds.items()),
        "",
    ]
    rows = []
    for cls, v in results["classes"].items():
        rows.append(
            [
                f"{cls} ({v['n']})",
                _f(v["auc_shipped"]),
                _f(v["auc_held_out"]),
                _f(v["auc_held_out_fold_mean"]),
                _f(v["auc_held_out_fold_min"]),
                _f(v["jpeg_auc"]),
                _f(v["jpeg_auc_fold_min"]),
            ]
        )
    header = ["class (n)", "shipped", "held out", "fold mean", "worst fold", "jpeg alone", "jpeg worst fold"]
    lines += ["ROC AUC against the untouched originals:", "", table(header, rows), ""]
    by_fold = ", ".join(f"{k}: {100 * v:.0f}%" for k, v in o["medium_or_high_held_out_by_fold"].items())
    lines += [
        f"Untouched originals ({o['n']}) rated MEDIUM or HIGH: shipped fit {100 * o['medium_or_high_shipped']:.1f}%, "
        f"held out {100 * o['medium_or_high_held_out']:.1f}% (by fold {by_fold}); jpeg analyzer MEDIUM or HIGH "
        f"{100 * o['jpeg_medium_or_high']:.1f}%; aligned double-quantisation sub-score >= 50 in "
        f"{o['aligned_double_at_least_50']}; a copy-move detection (score >= 50) in {o['copy_move_at_least_50']}; "
        "metadata flags on them: "
        + (", ".join(f"{f} {100 * r:.1f}%" for f, r in o["flag_rates"].items()) or "none")
        + ".",
        "",
    ]
    if o.get("flagged_held_out"):
        lines += [_flagged_markdown(o), ""]
    if results.get("audit"):
        lines += [*_audit_markdown(results["audit"]), ""]
    weights = results["maps"]
    names = sorted(weights["all"])
    rows = [["all folds"] + [_f(weights["all"][n]) for n in names]]
    rows += [[f"without fold {k}"] + [_f(v[n]) for n in names] for k, v in weights["without_fold"].items()]
    lines += ["Map weights (mean pixel MCC on splices and inpaintings) fitted without each fold:", ""]
    lines += [table(["fit"] + names, rows), ""]
    rows = [[f"{c} ({v['n']})", _f(v.get("shipped")), _f(v.get("held_out"))] for c, v in results["combined_f1"].items()]
    lines += [
        "Combined map, pixel F1 at each image's best threshold (the noise and jpeg maps, copy-move on top):",
        "",
        table(["class (n)", "shipped weights", "weights fitted without the fold"], rows),
        "",
    ]
    fits = results["fits"]
    feats = sorted(next(iter(fits.values()))["reliability"]) if fits else []
    rows = [[str(k), str(v["originals_weight"])] + [_f(v["reliability"][f]) for f in feats] for k, v in fits.items()]
    lines += [
        "Reliabilities fitted without each fold:",
        "",
        table(["held-out fold", "originals' weight"] + feats, rows),
    ]
    if results.get("fits_shaped"):
        lines += ["", *_shaped_markdown(results)]
    if results.get("noise_calibration"):
        lines += ["", *_noise_markdown(results)]
    return "\n".join(lines)


def _flagged_markdown(o: dict[str, Any]) -> str:
    """The untouched originals that the held-out fits rate MEDIUM or HIGH, and why."""
    flagged = "; ".join(
        f"{v['source']} ({v['make']}, fold {v['fold']}): {v['held_out']:.0f}, from "
        + ", ".join(f"{f} {n}" for f, n in v["scores"].items())
        + f", encoder {v['encoder']}"
        for v in o["flagged_held_out"]
    )
    makes = o.get("libjpeg_defaults", [])
    return (
        f"The originals rated MEDIUM or HIGH held out: {flagged}. Untouched originals whose file carries "
        f"libjpeg's defaults (IJG tables, its subsampling and header layout) under a camera's EXIF, as a "
        f"libjpeg re-save does: {len(makes)} of {o['n']} ({', '.join(makes) or 'none'}). On a make the table "
        "database does not know, the file's encoder cannot tell such a camera from a re-save."
    )


def _audit_markdown(a: dict[str, Any]) -> list[str]:
    """The held-out AUCs with and without the originals whose metadata shows a later change."""
    from vforensics.evaluation.present import to_markdown as table

    listed = "; ".join(
        f"{v['source']} ({v['make']}, fold {v['fold']}, held out {v['held_out']:.0f}): " + "; ".join(v["facts"])
        for v in a["originals"]
    )
    lines = [
        f"Label audit (`vforensics.evaluation.provenance_audit`): {len(a['originals'])} of the {a['n_originals']} "
        "camera originals show in their own file that they were changed after capture (a ModifyDate more than a "
        "day after the capture, an EXIF thumbnail showing picture beyond the frame or matching it only turned by "
        "90 degrees under an upright Orientation, a frame smaller than a camera thumbnail): "
        f"{listed or 'none'}. The rules were written after seeing which originals the held-out fits flag, "
        "so the columns without them are a reading of the benchmark's labels, not an "
        "independent result; the targets are judged on the labelled figures above.",
        "",
    ]
    if not a["originals"]:
        return lines
    m = a["medium_or_high"]
    rows = [
        [cls, _f(v["as_labelled"]), _f(v["left_out_of_measure"]), _f(v["left_out_of_fit"])]
        for cls, v in a["classes"].items()
    ]
    rows.append(
        [
            "originals MEDIUM or HIGH",
            f"{100 * m['as_labelled']:.1f}%",
            f"{100 * m['left_out_of_measure']:.1f}%",
            f"{100 * m['left_out_of_fit']:.1f}%",
        ]
    )
    header = ["class", "held out, as labelled", "audited left out of the measure", "... and of the fits"]
    lines += ["Held-out ROC AUC against the originals, read both ways:", "", table(header, rows)]
    return lines


def _shaped_markdown(results: dict[str, Any]) -> list[str]:
    """The held-out figures of the noisy-OR with each analyzer's score curve (``calibration.fit_shaped``)."""
    from vforensics.evaluation.present import to_markdown as table

    rows = [
        [f"{cls} ({v['n']})", _f(v["auc_held_out"]), _f(v.get("auc_held_out_shaped"))]
        for cls, v in results["classes"].items()
    ]
    o = results["originals"]
    rows.append(
        [
            f"untouched originals ({o['n']}) rated MEDIUM or HIGH",
            f"{100 * o['medium_or_high_held_out']:.1f}%",
            f"{100 * o.get('medium_or_high_held_out_shaped', float('nan')):.1f}%",
        ]
    )
    fits = results["fits_shaped"]
    feats = sorted(next(iter(fits.values()))["reliability"])
    curve_rows = [
        [str(k), str(v["originals_weight"])] + [f"{v['reliability'][f]:.2f} x s^{v['exponent'][f]:.2f}" for f in feats]
        for k, v in fits.items()
    ]
    return [
        "Score curves (an ablation: the shipped score keeps the linear form): the same held-out protocol with "
        "a noisy-OR in which each analyzer's score s counts as r x s^g, the exponent g fitted per fold beside r "
        "(`vforensics.evaluation.calibration.fit_shaped`; g > 1: low scores count for little). ROC AUC against "
        "the untouched originals, held out:",
        "",
        table(["class (n)", "linear (shipped form)", "score curves"], rows),
        "",
        "Fitted without each fold:",
        "",
        table(["held-out fold", "originals' weight"] + feats, curve_rows),
    ]


def _noise_markdown(results: dict[str, Any]) -> list[str]:
    """The figures again with the noise score's calibration held out (grouped.figures' ``noise_calibration``)."""
    from vforensics.evaluation.present import to_markdown as table

    n = results["noise_calibration"]
    o, o_before = n["originals"], results["originals"]
    ship, every = n["shipped"], n["all_folds"]
    lines = [
        "Noise score calibration held out too. The noise analyzer maps the 99th percentile of its window "
        "z-scores (`inconsistency_z_p99`) to 10 at the camera originals' median and 40 (its MEDIUM band) at "
        f"their 95th percentile; the shipped anchors {ship['median']:.2f} / {ship['p95']:.2f} are those of all "
        f"{every['n']} camera originals of at least 512 px and at most 20 MP on which it applies "
        f"({every['median']:.2f} / {every['p95']:.2f} before rounding). Here both anchors are refitted on the "
        "other folds' originals only, every case's noise score is recomputed from its cached z99 with the "
        "anchors of its fold (the shipped anchors reproduce the cached scores to within "
        f"{n['shipped_anchors_max_score_difference']:.2f}), and the reliabilities and the originals' weight are "
        "refitted on those scores. The noise map does not depend on these anchors.",
        "",
    ]
    rows = [
        ["shipped", str(every["n"]), _f(ship["median"]), _f(ship["p95"]), "-", "-"],
        ["fitted on all folds", str(every["n"]), _f(every["median"]), _f(every["p95"]), "-", "-"],
    ]
    for k, v in n["without_fold"].items():
        fit = n["fits"][k]
        rows.append(
            [
                f"without fold {k}",
                str(v["n"]),
                _f(v["median"]),
                _f(v["p95"]),
                _f(fit["reliability"]["noise"]),
                str(fit["originals_weight"]),
            ]
        )
    header = ["noise anchors", "originals fitted on", "median", "p95", "noise reliability", "originals' weight"]
    lines += [table(header, rows), ""]
    if all(fit["reliability"]["noise"] == 0 for fit in n["fits"].values()):
        lines += [
            "The noise reliability stays 0 in every fold, so the overall score does not read the noise score "
            "and its held-out figures cannot move with the anchors; what can move is the noise score itself "
            "(its AUC alone and its share at 40 or more, below).",
            "",
        ]
    rows = []
    for cls, v in n["classes"].items():
        rows.append(
            [
                f"{cls} ({results['classes'][cls]['n']})",
                _f(results["classes"][cls]["auc_held_out"]),
                _f(v["auc_held_out"]),
                _f(v["auc_held_out_fold_min"]),
                _f(v["noise_auc_shipped"]),
                _f(v["noise_auc_held_out"]),
                f"{100 * v['noise_medium_or_high_shipped']:.0f}%",
                f"{100 * v['noise_medium_or_high_held_out']:.0f}%",
            ]
        )
    header = [
        "class (n)",
        "held out, shipped noise anchors",
        "held out, noise anchors held out",
        "worst fold, noise anchors held out",
        "noise alone, shipped anchors",
        "noise alone, anchors held out",
        "noise >= 40, shipped anchors",
        "noise >= 40, anchors held out",
    ]
    lines += [
        "ROC AUC against the untouched originals with the shipped and the held-out noise anchors (the first "
        "column is `held out` of the first table), and the share of each class with a noise score of 40 or more:",
        "",
        table(header, rows),
        "",
    ]

    def by_fold(rates: dict[str, float]) -> str:
        return ", ".join(f"{k}: {100 * v:.0f}%" for k, v in rates.items())

    lines.append(
        f"Untouched originals ({o['n']}) rated MEDIUM or HIGH, held out: "
        f"{100 * o_before['medium_or_high_held_out']:.1f}% with the shipped noise anchors, "
        f"{100 * o['medium_or_high_held_out']:.1f}% with the held-out ones (by fold "
        f"{by_fold(o['medium_or_high_held_out_by_fold'])}). A noise score of 40 or more on them: shipped anchors "
        f"{100 * o['noise_medium_or_high_shipped']:.1f}% ({100 * o['noise_medium_or_high_fit_on_shipped']:.1f}% of "
        f"the {o['n_fit_on']} the anchors are fitted on; by fold "
        f"{by_fold(o['noise_medium_or_high_shipped_by_fold'])}), "
        f"anchors held out {100 * o['noise_medium_or_high_held_out']:.1f}% "
        f"({100 * o['noise_medium_or_high_fit_on_held_out']:.1f}%; by fold "
        f"{by_fold(o['noise_medium_or_high_held_out_by_fold'])})."
    )
    return lines


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
