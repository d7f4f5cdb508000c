"""A protocol that predicts generalisation: fit on some camera makes, measure on the others.

The synthetic benchmark makes every class from the same camera photos, and the figures the
project tuned on it did not all carry over to cameras it had never seen (issue 19: false
alarms on untouched photos 2% here, 12.5% there). Everything that is *fitted* to the
benchmark is therefore refitted here without the make it is measured on:

- the cases are grouped by the camera make of their source photo (EXIF Make, normalised by
  :func:`~vforensics.media.jpeg_tables.normalize_make`; a photo without a make is a group of
  its own) and the makes are dealt into ``FOLDS`` folds of about equal size
  (:func:`make_folds`: largest make first, into the fold with the fewest photos);
- for each fold, the noisy-OR reliabilities of the tampering score (with the originals'
  weight chosen by an inner grouped cross-validation on the training makes only), the
  combined map's weights and the quantization-table database of the jpeg analyzer (through
  :mod:`vforensics.evaluation.analyzer_runs`) are fitted or built on the other folds;
- every case is scored by the fit that did not see its make, and the figures are computed
  on those held-out scores: pooled over the folds, and per fold (mean and worst).

The noise analyzer's score calibration (the p99 of its window z-scores mapped to 10 at the
camera originals' median and 40 at their 95th percentile,
:mod:`vforensics.analyzers.noise._calibration`) was fitted on every make too. Beside the
figures above, :func:`figures` reports them once more with it held out
(:func:`noise_calibration_by_fold`: for each fold the two anchors are refitted on the other
folds' camera originals, every case's noise score is recomputed from its cached z99 with the
anchors of its fold, and the reliabilities are refitted on those scores).

Other hand-set constants (the zero points of each analyzer's sub-scores, the noise map's z
thresholds) were chosen on all the benchmark's makes and are not refitted, so these held-out
figures are still an upper bound for them; the pooled ("as shipped") figures beside them are
the optimistic ones.

This is the grouped cross-validation of e.g. Roberts et al., "Cross-validation strategies
for data with temporal, spatial, hierarchical, or phylogenetic structure", Ecography 40(8),
2017: when cases share a source, random folds measure memory, not generalisation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from vforensics.analyzers.noise import _analyzer as noise_analyzer
from vforensics.analyzers.noise import _calibration as noise_calibration
from vforensics.evaluation.analyzer_runs import load_results
from vforensics.evaluation.calibration import Fit, fit_reliabilities, fit_shaped, noisy_or
from vforensics.evaluation.cases import ORIGINAL, Case, read_cases
from vforensics.evaluation.makes import (
    FOLDS,
    at_most_per_make,
    camera_originals_csv,
    case_folds,
    case_makes,
    make_folds,
)
from vforensics.evaluation.metrics import pixel_scores, roc_auc
from vforensics.evaluation.provenance_audit import changed_after_capture

__all__ = [
    "FOLDS",
    "at_most_per_make",
    "camera_originals_csv",
    "case_folds",
    "case_makes",
    "figures",
    "held_out",
    "load",
    "make_folds",
    "noise_calibration_by_fold",
    "noise_fit_originals",
    "noise_scores",
    "protocol_cases",
]
#: The analyzers whose scores the held-out fit combines. ela and cfa get reliability 0 in the
#: shipped fit (scoring_calibration.json) and are left out to halve the run.
FEATURES = ("metadata", "noise", "jpeg", "copy_move")
MAP_CANDIDATES = ("noise", "jpeg")
MAP_CLASSES = ("splice", "inpaint")
#: Classes whose combined map is scored against the mask (the maps' weights come from MAP_CLASSES only).
LOCALISED_CLASSES = (
    "splice",
    "inpaint",
    "copy_move",
    "edit_png",
    "edit_camera_subsampling",
    "edit_444",
    "edit_camera_tables",
)
NOT_TAMPERING = ("generator_tag",)  # a generator tag is not an edit (see calibrate_scoring)
NEGATIVE_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
MAX_FLAGGED = 0.05  # the shipped fit's target: at most 5% of untouched originals MEDIUM or HIGH
MEDIUM_AT = 35.0  # = vforensics.scoring.tampering.MEDIUM_AT
JPEG_MEDIUM_AT = 25.0  # = the jpeg analyzer's MEDIUM band
NOISE_MEDIUM_AT = noise_analyzer.MEDIUM_AT  # the noise analyzer's MEDIUM band (40)


# ---------------------------------------------------------------------------------------------
# Held-out scoring


def protocol_cases(
    synth_csv: Path, camera_dir: Path, originals_dir: Path, classes: Sequence[str], per_make: int = 0
) -> list[Case]:
    """The synthetic edits of the first ``per_make`` photos of each make (0: all), and every
    camera photo of ``camera_dir`` as an untouched original (listed in ``originals_dir``)."""
    cases = [c for c in read_cases(synth_csv) if c.label in classes]
    if per_make:
        cases = at_most_per_make(cases, case_makes(cases, camera_dir), per_make)
    edits = [c for c in cases if c.label != ORIGINAL]
    return edits + read_cases(camera_originals_csv(camera_dir, originals_dir))


@dataclass
class Scored:
    case: Case
    fold: int
    make: str
    results: dict[str, dict[str, Any]]  # analyzer -> result (report.json form)
    roots: dict[str, Path]  # analyzer -> the folder its map files are in

    def score(self, name: str) -> float:
        r = self.results.get(name, {})
        return float(r["score"]) / 100.0 if r.get("status") == "ok" and r.get("score") is not None else 0.0


def load(cases: Sequence[Case], roots: Sequence[Path], camera_dir: Path, folds: int = FOLDS) -> list[Scored]:
    """The cases that every root has results for (later roots win), with their make and fold."""
    fold_of, makes = case_folds(cases, camera_dir, folds)
    out = []
    for case in cases:
        if case.label in NOT_TAMPERING:
            continue
        merged: dict[str, dict[str, Any]] = {}
        where: dict[str, Path] = {}
        for root in roots:
            names = sorted(p.name for p in root.iterdir() if p.is_dir())
            for name in names:
                found = load_results(root, [name], case)
                if found:
                    merged |= found
                    where[name] = root / name
        if all(n in merged for n in FEATURES):
            out.append(Scored(case, fold_of[case.case_id], makes[case.case_id], merged, where))
    return out


def _choose_and_fit(x: np.ndarray, y: np.ndarray, inner: np.ndarray, shaped: bool = False) -> tuple[Fit, float]:
    """The fit on (x, y), the originals' weight chosen by grouped CV over ``inner`` folds;
    ``shaped``: with each analyzer's score curve (:func:`fit_shaped`), else linear."""
    fitter = fit_shaped if shaped else fit_reliabilities
    chosen = NEGATIVE_WEIGHTS[-1]
    for weight in NEGATIVE_WEIGHTS:
        p = np.zeros(len(y))
        for k in np.unique(inner):
            test = inner == k
            fit = fitter(x[~test], y[~test], FEATURES, weight)
            p[test] = noisy_or(x[test], fit.reliability, fit.exponent)
        if (p[y == 0] * 100 >= MEDIUM_AT).mean() <= MAX_FLAGGED:
            chosen = weight
            break
    return fitter(x, y, FEATURES, chosen), chosen


def held_out(
    scored: Sequence[Scored],
    shipped: Mapping[str, float],
    noise_anchors: Mapping[int, tuple[float, float]] | None = None,
    shaped: bool = False,
) -> dict[str, Any]:
    """Per-case likelihoods as shipped and from the fit without the case's fold, with the fits
    (``shaped``: each fold's fit with the analyzers' score curves, :func:`fit_shaped`).

    With ``noise_anchors`` (fold -> (median, p95), :func:`noise_calibration_by_fold`) the fit
    without fold k, and the scoring of fold k, see every case's noise score recomputed from its
    z99 with fold k's anchors instead of the cached (shipped) one. ``noise`` holds the noise
    score (0..100) each case was scored with."""
    x = np.array([[s.score(f) for f in FEATURES] for s in scored])
    y = np.array([0.0 if s.case.label == ORIGINAL else 1.0 for s in scored])
    fold = np.array([s.fold for s in scored])
    column = FEATURES.index("noise")
    p_held = np.zeros(len(y))
    noise_used = x[:, column].copy()
    fits = {}
    for k in sorted(set(fold.tolist())):
        test = fold == k
        xk = x
        if noise_anchors is not None:
            xk = x.copy()
            xk[:, column] = noise_scores(scored, *noise_anchors[int(k)]) / 100.0
            noise_used[test] = xk[test, column]
        fit, weight = _choose_and_fit(xk[~test], y[~test], fold[~test], shaped)
        p_held[test] = noisy_or(xk[test], fit.reliability, fit.exponent)
        fits[int(k)] = {
            "originals_weight": weight,
            "reliability": {f: round(float(r), 3) for f, r in zip(FEATURES, fit.reliability, strict=True)},
        }
        if fit.exponent is not None:
            fits[int(k)]["exponent"] = {f: round(float(g), 2) for f, g in zip(FEATURES, fit.exponent, strict=True)}
    p_shipped = noisy_or(x, np.array([shipped.get(f, 0.0) for f in FEATURES]))
    return {"held_out": 100 * p_held, "shipped": 100 * p_shipped, "fits": fits, "noise": 100 * noise_used}


# ---------------------------------------------------------------------------------------------
# The noise score's calibration, held out


def noise_z99(s: Scored) -> float | None:
    """The noise analyzer's statistic (p99 of its window z-scores) for the case, None where it did not apply."""
    r = s.results.get("noise", {})
    z99 = r.get("details", {}).get("inconsistency_z_p99") if r.get("status") == "ok" else None
    return None if z99 is None else float(z99)


def _photo_fits_calibration(path: Path) -> bool:
    try:
        with Image.open(path) as img:
            return noise_calibration.fits_calibration(*img.size)
    except (OSError, ValueError):
        return False


def noise_fit_originals(scored: Sequence[Scored]) -> np.ndarray:
    """Which cases the noise calibration is fitted on: as the shipped anchors, the camera
    originals on which the analyzer applied, of a short side >= 512 px and at most 20 MP."""
    return np.array(
        [
            s.case.label == ORIGINAL and noise_z99(s) is not None and _photo_fits_calibration(s.case.path)
            for s in scored
        ],
        dtype=bool,
    )


def noise_calibration_by_fold(
    scored: Sequence[Scored], fit_on: Sequence[bool] | np.ndarray, folds_present: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Fold k -> the noise anchors (median, p95 of z99) fitted on the ``fit_on`` cases of the other folds."""
    fold = np.array([s.fold for s in scored])
    z99 = [noise_z99(s) for s in scored]
    out = {}
    for k in folds_present:
        values = [z for z, use, f in zip(z99, fit_on, fold, strict=True) if use and f != k and z is not None]
        median, p95 = noise_calibration.fit_calibration(values)
        out[int(k)] = {"median": median, "p95": p95, "n": len(values)}
    return out


def noise_scores(scored: Sequence[Scored], median: float, p95: float) -> np.ndarray:
    """Every case's noise score (0..100, rounded as the analyzer reports it) from its z99 with these anchors."""
    return np.array(
        [
            0.0 if (z := noise_z99(s)) is None else round(noise_calibration.score_from_z99(z, median, p95), 2)
            for s in scored
        ]
    )


def _auc(scored: Sequence[Scored], values: np.ndarray, label: str, where: np.ndarray | None = None) -> float | None:
    keep = np.ones(len(scored), bool) if where is None else where
    pos = [float(v) for s, v, k in zip(scored, values, keep, strict=True) if k and s.case.label == label]
    neg = [float(v) for s, v, k in zip(scored, values, keep, strict=True) if k and s.case.label == ORIGINAL]
    auc = roc_auc(pos, neg)
    return None if auc is None else round(auc, 3)


def figures(
    scored: Sequence[Scored],
    shipped: Mapping[str, float],
    shipped_map_weights: Mapping[str, float] | None = None,
    noise_fit_on: Sequence[bool] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Everything the benchmark section prints: AUCs, false alarms and flags, pooled and per fold.

    ``noise_calibration`` holds the same figures with the noise score's calibration held out
    too, fitted on the ``noise_fit_on`` cases (default :func:`noise_fit_originals`); None when
    no case has a noise statistic to fit it on."""
    fit = held_out(scored, shipped)
    shaped = held_out(scored, shipped, shaped=True)
    fold = np.array([s.fold for s in scored])
    jpeg = np.array([100 * s.score("jpeg") for s in scored])
    folds_present = sorted(set(fold.tolist()))
    classes = sorted({s.case.label for s in scored} - {ORIGINAL})
    originals = np.array([s.case.label == ORIGINAL for s in scored])
    out: dict[str, Any] = {
        "folds": {int(k): sorted({s.make for s in scored if s.fold == k}) for k in folds_present},
        "photos_per_fold": {int(k): len({s.case.source for s in scored if s.fold == k}) for k in folds_present},
        "fits": fit["fits"],
        "fits_shaped": shaped["fits"],
        "classes": {},
    }
    for cls in classes:
        per_fold = [_auc(scored, fit["held_out"], cls, fold == k) for k in folds_present]
        per_fold_ok = [v for v in per_fold if v is not None]
        jpeg_fold = [v for v in (_auc(scored, jpeg, cls, fold == k) for k in folds_present) if v is not None]
        out["classes"][cls] = {
            "n": sum(1 for s in scored if s.case.label == cls),
            "auc_shipped": _auc(scored, fit["shipped"], cls),
            "auc_held_out": _auc(scored, fit["held_out"], cls),
            "auc_held_out_fold_mean": round(float(np.mean(per_fold_ok)), 3) if per_fold_ok else None,
            "auc_held_out_fold_min": min(per_fold_ok) if per_fold_ok else None,
            "auc_held_out_shaped": _auc(scored, shaped["held_out"], cls),
            "jpeg_auc": _auc(scored, jpeg, cls),
            "jpeg_auc_fold_min": min(jpeg_fold) if jpeg_fold else None,
        }
    out["originals"] = _originals(scored, fit, originals, fold, folds_present)
    out["audit"] = audit(scored, shipped, fit, classes)
    out["originals"]["medium_or_high_held_out_shaped"] = round(
        float((shaped["held_out"][originals] >= MEDIUM_AT).mean()), 4
    )
    fit_on = noise_fit_originals(scored) if noise_fit_on is None else np.asarray(noise_fit_on, dtype=bool)
    out["noise_calibration"] = (
        _noise_held_out(scored, shipped, fit, fit_on, classes, folds_present) if fit_on.any() else None
    )
    out["maps"] = map_weights_by_fold(scored, folds_present)
    out["combined_f1"] = combined_f1(scored, out["maps"], shipped_map_weights)
    return out


def _originals(
    scored: Sequence[Scored], fit: dict[str, Any], originals: np.ndarray, fold: np.ndarray, folds_present: list[int]
) -> dict[str, Any]:
    """False alarms on the untouched originals: overall rating, jpeg, aligned DQ, copy-move, flags."""
    rows = [s for s, o in zip(scored, originals, strict=True) if o]
    held = fit["held_out"][originals]
    shipped = fit["shipped"][originals]
    of = fold[originals]

    def share(mask: np.ndarray) -> float:
        return round(float(mask.mean()), 4) if len(mask) else 0.0

    flags: dict[str, int] = Counter()
    for s in rows:
        for flag in s.results.get("metadata", {}).get("details", {}).get("flags", []):
            flags[flag] += 1
    aligned = np.array(
        [s.results["jpeg"].get("details", {}).get("subscores", {}).get("aligned_double", 0.0) >= 50 for s in rows]
    )
    flagged = [
        {
            "source": s.case.source,
            "make": s.make,
            "fold": s.fold,
            "held_out": round(float(v), 1),
            "scores": {f: round(100 * s.score(f)) for f in FEATURES if s.score(f) > 0},
            "encoder": _encoder_family(s),
        }
        for s, v in sorted(zip(rows, held, strict=True), key=lambda pair: -pair[1])
        if v >= MEDIUM_AT
    ]
    return {
        "n": len(rows),
        "medium_or_high_shipped": share(shipped >= MEDIUM_AT),
        "medium_or_high_held_out": share(held >= MEDIUM_AT),
        "medium_or_high_held_out_by_fold": {int(k): share(held[of == k] >= MEDIUM_AT) for k in folds_present},
        "flagged_held_out": flagged,
        "libjpeg_defaults": sorted(s.make for s in rows if _encoder_family(s) == "libjpeg_defaults"),
        "jpeg_medium_or_high": share(np.array([100 * s.score("jpeg") >= JPEG_MEDIUM_AT for s in rows])),
        "aligned_double_at_least_50": int(aligned.sum()),
        "copy_move_at_least_50": int(sum(100 * s.score("copy_move") >= 50 for s in rows)),
        "flag_rates": {f: round(n / len(rows), 4) for f, n in sorted(flags.items())} if rows else {},
    }


def audit(
    scored: Sequence[Scored], shipped: Mapping[str, float], fit: dict[str, Any], classes: Sequence[str]
) -> dict[str, Any]:
    """The held-out figures read both ways (:mod:`vforensics.evaluation.provenance_audit`): with every
    camera original as labelled (``fit``, from :func:`held_out`), and without the originals whose
    own metadata shows a change after capture, left out of the measurement only (same fits) and
    out of the fits too (refitted)."""
    facts = [
        changed_after_capture(s.results.get("metadata", {}).get("details", {})) if s.case.label == ORIGINAL else []
        for s in scored
    ]
    audited = np.array([bool(f) for f in facts])
    kept = [s for s, a in zip(scored, audited, strict=True) if not a]
    refit = held_out(kept, shipped) if audited.any() else fit
    originals = np.array([s.case.label == ORIGINAL for s in scored])
    kept_originals = np.array([s.case.label == ORIGINAL for s in kept])

    def flagged(values: np.ndarray) -> float:
        return round(float((values >= MEDIUM_AT).mean()), 4) if len(values) else 0.0

    return {
        "originals": [
            {
                "source": s.case.source,
                "make": s.make,
                "fold": s.fold,
                "held_out": round(float(v), 1),
                "facts": f,
            }
            for s, v, f in zip(scored, fit["held_out"], facts, strict=True)
            if f
        ],
        "n_originals": int(originals.sum()),
        "classes": {
            cls: {
                "as_labelled": _auc(scored, fit["held_out"], cls),
                "left_out_of_measure": _auc(scored, fit["held_out"], cls, ~audited),
                "left_out_of_fit": _auc(kept, refit["held_out"], cls),
            }
            for cls in classes
        },
        "medium_or_high": {
            "as_labelled": flagged(fit["held_out"][originals]),
            "left_out_of_measure": flagged(fit["held_out"][originals & ~audited]),
            "left_out_of_fit": flagged(refit["held_out"][kept_originals]),
        },
        "fits": refit["fits"],
    }


def _encoder_family(s: Scored) -> str:
    """The jpeg analyzer's reading of the file's encoder (``media.jpeg_encoder``): e.g.
    ``libjpeg_defaults`` for libjpeg's tables, subsampling and header layout under a camera's EXIF."""
    return str(s.results.get("jpeg", {}).get("details", {}).get("encoder", {}).get("family", "unknown"))


def _noise_held_out(
    scored: Sequence[Scored],
    shipped: Mapping[str, float],
    fit: dict[str, Any],
    fit_on: np.ndarray,
    classes: list[str],
    folds_present: list[int],
) -> dict[str, Any]:
    """The held-out figures again with the noise anchors fitted without each fold, beside the shipped anchors."""
    fold = np.array([s.fold for s in scored])
    originals = np.array([s.case.label == ORIGINAL for s in scored])
    anchors = noise_calibration_by_fold(scored, fit_on, folds_present)
    again = held_out(scored, shipped, {k: (v["median"], v["p95"]) for k, v in anchors.items()})
    noise_shipped, noise_held = fit["noise"], again["noise"]
    z99 = [z for z, use in zip((noise_z99(s) for s in scored), fit_on, strict=True) if use and z is not None]
    median, p95 = noise_calibration.fit_calibration(z99)
    reproduced = noise_scores(scored, noise_analyzer.ORIGINAL_MEDIAN, noise_analyzer.ORIGINAL_P95)

    def share(values: np.ndarray, at: float, where: np.ndarray) -> float:
        return round(float((values[where] >= at).mean()), 4) if where.any() else 0.0

    out: dict[str, Any] = {
        "shipped": {"median": noise_analyzer.ORIGINAL_MEDIAN, "p95": noise_analyzer.ORIGINAL_P95},
        "all_folds": {"median": median, "p95": p95, "n": len(z99)},
        "without_fold": anchors,
        # the shipped anchors applied to the cached z99 (rounded to 0.001) against the cached scores
        "shipped_anchors_max_score_difference": round(float(np.max(np.abs(reproduced - noise_shipped))), 3),
        "fits": again["fits"],
        "classes": {},
    }
    for cls in classes:
        is_cls = np.array([s.case.label == cls for s in scored])
        per_fold = [
            v for v in (_auc(scored, again["held_out"], cls, fold == k) for k in folds_present) if v is not None
        ]
        out["classes"][cls] = {
            "auc_held_out": _auc(scored, again["held_out"], cls),
            "auc_held_out_fold_min": min(per_fold) if per_fold else None,
            "noise_auc_shipped": _auc(scored, noise_shipped, cls),
            "noise_auc_held_out": _auc(scored, noise_held, cls),
            "noise_medium_or_high_shipped": share(noise_shipped, NOISE_MEDIUM_AT, is_cls),
            "noise_medium_or_high_held_out": share(noise_held, NOISE_MEDIUM_AT, is_cls),
        }
    held = again["held_out"]
    out["originals"] = {
        "n": int(originals.sum()),
        "n_fit_on": int(fit_on.sum()),
        "medium_or_high_held_out": share(held, MEDIUM_AT, originals),
        "medium_or_high_held_out_by_fold": {
            int(k): share(held, MEDIUM_AT, originals & (fold == k)) for k in folds_present
        },
        "flagged_held_out": sorted(
            s.case.source for s, o, v in zip(scored, originals, held, strict=True) if o and v >= MEDIUM_AT
        ),
        "noise_medium_or_high_shipped": share(noise_shipped, NOISE_MEDIUM_AT, originals),
        "noise_medium_or_high_held_out": share(noise_held, NOISE_MEDIUM_AT, originals),
        "noise_medium_or_high_fit_on_shipped": share(noise_shipped, NOISE_MEDIUM_AT, fit_on),
        "noise_medium_or_high_fit_on_held_out": share(noise_held, NOISE_MEDIUM_AT, fit_on),
        "noise_medium_or_high_shipped_by_fold": {
            int(k): share(noise_shipped, NOISE_MEDIUM_AT, originals & (fold == k)) for k in folds_present
        },
        "noise_medium_or_high_held_out_by_fold": {
            int(k): share(noise_held, NOISE_MEDIUM_AT, originals & (fold == k)) for k in folds_present
        },
    }
    return out


def _mcc_best(s: Scored, name: str) -> float:
    """Pixel MCC at the best threshold of analyzer ``name``'s map on the case (0 without a map)."""
    entry = s.results.get(name, {})
    if not entry.get("map") or not s.case.mask_path:
        return 0.0
    suspicion = cv2.imread(str(s.roots[name] / entry["map"]), cv2.IMREAD_GRAYSCALE)
    mask = cv2.imread(str(s.case.mask_path), cv2.IMREAD_GRAYSCALE)
    if suspicion is None or mask is None:
        return 0.0
    if suspicion.shape != mask.shape:
        suspicion = cv2.resize(suspicion, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_LINEAR)
    return max(0.0, pixel_scores(suspicion, mask > 127).mcc_best)


def map_weights_by_fold(scored: Sequence[Scored], folds_present: list[int]) -> dict[str, Any]:
    """The combined map's weights (mean max(0, pixel MCC) over splices and inpaintings) fitted without each fold."""
    rows = [s for s in scored if s.case.label in MAP_CLASSES]
    if not rows:
        return {"all": {}, "without_fold": {}}
    mcc = {name: np.array([_mcc_best(s, name) for s in rows]) for name in MAP_CANDIDATES}
    fold = np.array([s.fold for s in rows])
    out: dict[str, Any] = {"all": {n: round(float(v.mean()), 3) for n, v in mcc.items()} if rows else {}}
    out["without_fold"] = {
        int(k): {n: round(float(v[fold != k].mean()), 3) for n, v in mcc.items()} for k in folds_present
    }
    return out


def _load_map(s: Scored, name: str) -> np.ndarray | None:
    entry = s.results.get(name, {})
    if not entry.get("map") or name not in s.roots:
        return None
    arr = cv2.imread(str(s.roots[name] / entry["map"]), cv2.IMREAD_GRAYSCALE)
    return None if arr is None else arr.astype(np.float32) / 255.0


def combined_f1(
    scored: Sequence[Scored], weights: Mapping[str, Any], shipped: Mapping[str, float] | None
) -> dict[str, Any]:
    """Pixel F1 (best threshold) of the combined map per localised class: with the shipped map
    weights and with the weights fitted without the case's fold (report.maps.combine)."""
    from vforensics.report.maps import COMBINED_SMOOTHING_PX, combine
    from vforensics.scoring.tampering import MAP_OVERLAYS

    rows: dict[str, dict[str, list[float]]] = {}
    for s in scored:
        if s.case.label not in LOCALISED_CLASSES or not s.case.mask_path:
            continue
        mask = cv2.imread(str(s.case.mask_path), cv2.IMREAD_GRAYSCALE)
        loaded = {n: m for n in (*MAP_CANDIDATES, *MAP_OVERLAYS) if (m := _load_map(s, n)) is not None}
        if mask is None:
            continue
        entry = rows.setdefault(s.case.label, {"shipped": [], "held_out": []})
        for key, w in (("shipped", shipped or {}), ("held_out", weights["without_fold"].get(s.fold, {}))):
            size = next(iter(loaded.values())).shape[::-1] if loaded else (mask.shape[1], mask.shape[0])
            smoothing = COMBINED_SMOOTHING_PX * size[0] / mask.shape[1]
            combined = combine(loaded, dict(w), (int(size[0]), int(size[1])), MAP_OVERLAYS, smoothing)
            if combined is None:
                entry[key].append(0.0)
                continue
            small = cv2.resize(mask, (int(size[0]), int(size[1])), interpolation=cv2.INTER_NEAREST)
            u8 = np.clip(combined * 255.0 + 0.5, 0, 255).astype(np.uint8)
            entry[key].append(pixel_scores(u8, small > 127).f1_best)
    return {
        cls: {"n": len(v["held_out"])} | {k: round(float(np.mean(x)), 3) for k, x in v.items() if x}
        for cls, v in sorted(rows.items())
    }
