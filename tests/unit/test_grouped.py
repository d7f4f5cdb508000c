"""The grouped-by-make protocol: folds, sampling, held-out fits and the cached analyzer runs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vforensics.evaluation import analyzer_runs, grouped
from vforensics.evaluation.cases import Case, read_cases
from vforensics.evaluation.synth import synthesize


def test_makes_are_dealt_into_balanced_folds_and_never_split():
    counts = {"sony": 7, "fujifilm": 5, "nikon": 5, "casio": 4, "kodak": 4, "htc": 2, "apple": 1, "hp": 1}
    folds = grouped.make_folds(counts, 3)
    assert folds == grouped.make_folds(dict(reversed(list(counts.items()))), 3)  # order-independent
    load = [sum(n for m, n in counts.items() if folds[m] == k) for k in range(3)]
    assert max(load) - min(load) <= 2 and sum(load) == sum(counts.values())


def _case(root: Path, cls: str, source: str) -> Case:
    return Case(root, f"images/{cls}/{source}", cls, None, "synth", source=source)


def test_at_most_per_make_keeps_every_make(tmp_path):
    cases = [_case(tmp_path, cls, f"{m}{i}.jpg") for m in "abc" for i in range(3) for cls in ("original", "resave")]
    makes = {c.case_id: c.source[0] for c in cases}
    kept = grouped.at_most_per_make(cases, makes, 2)
    assert {c.source for c in kept} == {"a0.jpg", "a1.jpg", "b0.jpg", "b1.jpg", "c0.jpg", "c1.jpg"}
    assert len(kept) == 12


@pytest.mark.slow
def test_held_out_fit_never_sees_the_fold_it_scores(tmp_path):
    rng = np.random.default_rng(0)
    scored = []
    for i in range(60):
        label = "original" if i % 3 == 0 else "resave"
        base = 0.1 if label == "original" else 0.7
        results = {
            f: {"status": "ok", "score": 100 * float(np.clip(base + rng.normal(0, 0.2), 0, 1))}
            for f in grouped.FEATURES
        }
        scored.append(grouped.Scored(_case(tmp_path, label, f"m{i % 5}_{i}.jpg"), i % 5, f"m{i % 5}", results, {}))
    fit = grouped.held_out(scored, {f: 0.5 for f in grouped.FEATURES})
    assert sorted(fit["fits"]) == [0, 1, 2, 3, 4]
    # changing the scores of fold 0 changes no held-out likelihood of fold 0 through the fit
    shifted = [
        grouped.Scored(
            s.case,
            s.fold,
            s.make,
            s.results if s.fold != 0 else {f: {"status": "ok", "score": 0.0} for f in grouped.FEATURES},
            {},
        )
        for s in scored
    ]
    again = grouped.held_out(shifted, {f: 0.5 for f in grouped.FEATURES})
    assert again["fits"][0] == fit["fits"][0]
    assert again["fits"][1] != fit["fits"][1]


@pytest.mark.slow
def test_figures_and_their_markdown_report_held_out_and_shipped_side_by_side(tmp_path):
    from vforensics.evaluation.benchmarks import held_out_makes

    rng = np.random.default_rng(1)
    scored = []
    for i in range(50):
        label = "original" if i % 2 else "resave"
        base = 0.05 if label == "original" else 0.6
        results = {
            f: {"status": "ok", "score": 100 * float(np.clip(base + rng.normal(0, 0.2), 0, 1))}
            for f in grouped.FEATURES
        }
        results["metadata"]["details"] = {"flags": ["thumbnail_mismatch"] if i == 1 else []}
        results["jpeg"]["details"] = {
            "subscores": {"aligned_double": 60.0 if i == 3 else 0.0},
            "encoder": {"family": "libjpeg_defaults" if i in (5, 7) else "own_tables"},
        }
        if i == 7:  # an original that every analyzer calls tampered: flagged whatever the fit
            results = {f: r | {"score": 100.0} for f, r in results.items()}
            # ... and whose ModifyDate says software saved it a year after the capture
            results["metadata"]["details"]["exif"] = {
                "DateTime": "2008:07:31 17:20:21",
                "DateTimeOriginal": "2007:07:31 17:20:21",
            }
        scored.append(grouped.Scored(_case(tmp_path, label, f"m{i % 5}_{i}.jpg"), i % 5, f"m{i % 5}", results, {}))
    figures = grouped.figures(scored, {f: 0.5 for f in grouped.FEATURES}, {"noise": 0.5, "jpeg": 0.3})
    assert set(figures["classes"]) == {"resave"} and figures["classes"]["resave"]["n"] == 25
    o = figures["originals"]
    assert o["n"] == 25 and o["aligned_double_at_least_50"] == 1 and o["flag_rates"]["thumbnail_mismatch"] == 0.04
    assert figures["noise_calibration"] is None  # no noise statistic to fit it on
    assert o["libjpeg_defaults"] == ["m0", "m2"]
    flagged = o["flagged_held_out"]
    assert flagged[0]["source"] == "m2_7.jpg" and flagged[0]["encoder"] == "libjpeg_defaults"
    assert all(v["held_out"] >= grouped.MEDIUM_AT for v in flagged)
    assert [v["held_out"] for v in flagged] == sorted((v["held_out"] for v in flagged), reverse=True)
    text = held_out_makes.to_markdown(figures | {"per_make": 2})
    assert "| resave (25) |" in text and "held out" in text and "Reliabilities fitted without each fold" in text
    assert f"m2_7.jpg (m2, fold 2): {flagged[0]['held_out']:.0f}, from metadata 100, noise 100, jpeg 100" in text
    assert "under a camera's EXIF, as a libjpeg re-save does: 2 of 25 (m0, m2)" in text
    audit = figures["audit"]
    assert [v["source"] for v in audit["originals"]] == ["m2_7.jpg"] and audit["n_originals"] == 25
    assert audit["originals"][0]["facts"] == ["modified_after_capture: ModifyDate 366 days after the capture"]
    assert audit["classes"]["resave"]["as_labelled"] == figures["classes"]["resave"]["auc_held_out"]
    # the one original that outscores every resave is left out: its pairs no longer count
    assert audit["classes"]["resave"]["left_out_of_measure"] > audit["classes"]["resave"]["as_labelled"]
    assert audit["medium_or_high"]["left_out_of_measure"] < audit["medium_or_high"]["as_labelled"]
    assert "Label audit" in text and "m2_7.jpg (m2, fold 2, held out" in text
    assert "| resave |" in text and "| originals MEDIUM or HIGH |" in text


# ---------------------------------------------------------------------------------------------
# The noise score's calibration, held out


def _noise_scored(tmp_path: Path, seed: int = 2, n: int = 60) -> list[grouped.Scored]:
    """Cases of 5 makes (make i = fold i): originals' z99 about 2-4, edits' higher; the cached
    noise score is the shipped calibration's, the other features noise-free of information."""
    from vforensics.analyzers.noise import _analyzer as noise

    rng = np.random.default_rng(seed)
    scored = []
    for i in range(n):
        label = "original" if i % 2 else "splice"
        z99 = float(rng.uniform(1.5, 4.5) if label == "original" else rng.uniform(2.5, 8.0))
        results = {f: {"status": "ok", "score": float(rng.uniform(0, 30))} for f in grouped.FEATURES}
        results["noise"] = {"status": "ok", "score": noise.to_score(z99), "details": {"inconsistency_z_p99": z99}}
        scored.append(grouped.Scored(_case(tmp_path, label, f"m{i % 5}_{i}.jpg"), i % 5, f"m{i % 5}", results, {}))
    return scored


def _with_z99(s: grouped.Scored, z99: float) -> grouped.Scored:
    results = s.results | {"noise": s.results["noise"] | {"details": {"inconsistency_z_p99": z99}}}
    return grouped.Scored(s.case, s.fold, s.make, results, {})


def test_noise_calibration_of_a_fold_never_uses_the_held_out_makes_originals(tmp_path):
    from vforensics.analyzers.noise import _calibration as noise_calibration

    scored = _noise_scored(tmp_path)
    fit_on = [s.case.label == "original" for s in scored]
    anchors = grouped.noise_calibration_by_fold(scored, fit_on, [0, 1, 2, 3, 4])
    for k, v in anchors.items():
        train = [grouped.noise_z99(s) for s, use in zip(scored, fit_on, strict=True) if use and s.fold != k]
        assert (v["median"], v["p95"]) == noise_calibration.fit_calibration(train) and v["n"] == len(train) == 24
    # fold 0's originals turned into wild outliers: fold 0's anchors do not move, every other fold's do
    wild = [_with_z99(s, 50.0) if s.fold == 0 and s.case.label == "original" else s for s in scored]
    again = grouped.noise_calibration_by_fold(wild, fit_on, [0, 1, 2, 3, 4])
    assert again[0] == anchors[0]
    assert all(again[k]["p95"] > anchors[k]["p95"] for k in (1, 2, 3, 4))
    # edits, and originals left out of the fit (fit_on False), never enter it
    edits_wild = [_with_z99(s, 50.0) if s.case.label != "original" else s for s in scored]
    assert grouped.noise_calibration_by_fold(edits_wild, fit_on, [0, 1, 2, 3, 4]) == anchors
    some_out = [use and i not in (1, 3) for i, use in enumerate(fit_on)]
    outside_wild = [_with_z99(s, 50.0) if i in (1, 3) else s for i, s in enumerate(scored)]
    assert grouped.noise_calibration_by_fold(outside_wild, some_out, [0, 1, 2, 3, 4]) == (
        grouped.noise_calibration_by_fold(scored, some_out, [0, 1, 2, 3, 4])
    )


def test_noise_scores_follow_the_anchors_and_skip_cases_without_a_statistic(tmp_path):
    scored = _noise_scored(tmp_path, n=10)
    shipped = grouped.noise_scores(scored, 2.4, 4.1)
    np.testing.assert_allclose(shipped, [s.results["noise"]["score"] for s in scored], atol=0.005)
    assert (grouped.noise_scores(scored, 3.0, 5.0) <= shipped).all()  # higher anchors, lower scores
    skipped = grouped.Scored(scored[0].case, 0, "m0", scored[0].results | {"noise": {"status": "skipped"}}, {})
    assert grouped.noise_z99(skipped) is None and grouped.noise_scores([skipped], 2.4, 4.1).tolist() == [0.0]


def test_noise_calibration_is_fitted_on_originals_of_the_shipped_sizes(tmp_path):
    from PIL import Image

    sizes = {"big": (640, 512), "small": (640, 480), "edit": (640, 512)}
    scored = []
    for name, size in sizes.items():
        Image.new("RGB", size, (128, 128, 128)).save(tmp_path / f"{name}.jpg")
        case = Case(tmp_path, f"{name}.jpg", "splice" if name == "edit" else "original", None, "camera", source=name)
        results = {"noise": {"status": "ok", "score": 10.0, "details": {"inconsistency_z_p99": 2.4}}}
        scored.append(grouped.Scored(case, 0, "m", results, {}))
    skipped = Case(tmp_path, "big.jpg", "original", None, "camera", source="big")
    scored.append(grouped.Scored(skipped, 0, "m", {"noise": {"status": "skipped", "score": None}}, {}))
    missing = Case(tmp_path, "gone.jpg", "original", None, "camera", source="gone")
    scored.append(grouped.Scored(missing, 0, "m", scored[0].results, {}))
    assert grouped.noise_fit_originals(scored).tolist() == [True, False, False, False, False]


@pytest.mark.slow
def test_held_out_noise_anchors_score_each_fold_and_are_reported_beside_the_shipped(tmp_path, monkeypatch):
    from vforensics.evaluation import calibration
    from vforensics.evaluation.benchmarks import held_out_makes

    monkeypatch.setattr(calibration, "STEPS", 400)  # three held-out fits: converged enough, 10x faster
    scored = _noise_scored(tmp_path, n=80)
    fit_on = [s.case.label == "original" for s in scored]
    anchors = grouped.noise_calibration_by_fold(scored, fit_on, [0, 1, 2, 3, 4])
    shipped = {f: 0.5 for f in grouped.FEATURES}
    fit = grouped.held_out(scored, shipped, {k: (v["median"], v["p95"]) for k, v in anchors.items()})
    fold = np.array([s.fold for s in scored])
    for k, v in anchors.items():
        np.testing.assert_allclose(
            fit["noise"][fold == k], grouped.noise_scores(scored, v["median"], v["p95"])[fold == k], atol=1e-9
        )
    assert fit["fits"][0]["reliability"]["noise"] > 0  # the noise score separates these cases
    figures = grouped.figures(scored, shipped, {"noise": 0.5, "jpeg": 0.3}, noise_fit_on=fit_on)
    n = figures["noise_calibration"]
    assert n["without_fold"] == anchors and n["fits"] == fit["fits"]
    assert n["shipped"] == {"median": 2.4, "p95": 4.1} and n["all_folds"]["n"] == 40
    assert n["shipped_anchors_max_score_difference"] <= 0.01
    assert n["originals"]["n"] == n["originals"]["n_fit_on"] == 40
    assert set(n["classes"]) == {"splice"} and n["classes"]["splice"]["noise_auc_held_out"] > 0.7
    # the figures beside it are those with the cached (shipped-anchor) noise scores
    assert figures["fits"] != n["fits"] and figures["fits"][0]["reliability"]["noise"] > 0
    text = held_out_makes.to_markdown(figures | {"per_make": 2})
    assert "Noise score calibration held out too" in text and "| without fold 0 | 32 |" in text
    assert "The noise reliability stays 0 in every fold" not in text
    assert "noise alone, anchors held out" in text and "A noise score of 40 or more on them" in text
    assert "Noise score calibration" not in held_out_makes.to_markdown(
        figures | {"noise_calibration": None, "per_make": 2}
    )


@pytest.mark.slow
def test_analyzer_runs_cache_results_and_hold_out_the_make_tables(bench, tmp_path):
    pool = tmp_path / "pool"
    pool.mkdir()
    for name in ("mdx__Apple_iPhone_4.jpg", "mdx__Nikon_E990.jpg"):
        shutil.copyfile(bench / "camera" / name, pool / name)
    cases = read_cases(synthesize(pool, tmp_path / "synth", seed=0, classes=["original", "resave"]))
    makes = grouped.case_makes(cases, pool)
    assert set(makes.values()) == {"apple", "nikon"}
    root = tmp_path / "runs"
    analyzer_runs.run(cases, root, ["jpeg"], jobs=1, held_out_makes=makes)
    apple = next(c for c in cases if c.label == "original" and c.source.startswith("mdx__Apple"))
    entry = json.loads((root / "jpeg" / f"{apple.case_id}.json").read_text())
    # the packaged database knows the iPhone 4's tables; held out, no Apple camera is named (an HTC
    # of another fold happens to share them)
    assert entry["status"] == "ok" and "Apple" not in entry["details"]["tables_match"]
    packaged = json.loads((root / "jpeg" / f"{apple.case_id}.json").read_text())
    assert packaged["details"]["fingerprint"]["camera_matches"] and all(
        not m.startswith("Apple") for m in packaged["details"]["fingerprint"]["camera_matches"]
    )
    assert (root / "jpeg" / entry["map"]).is_file() or entry["map"] is None
    stamp = (root / "jpeg" / f"{apple.case_id}.json").stat().st_mtime_ns
    analyzer_runs.run(cases, root, ["jpeg"], jobs=1, held_out_makes=makes)  # cached: nothing reruns
    assert (root / "jpeg" / f"{apple.case_id}.json").stat().st_mtime_ns == stamp
    assert analyzer_runs.load_results(root, ["jpeg"], apple) is not None
    assert analyzer_runs.load_results(root, ["jpeg", "noise"], apple) is None
