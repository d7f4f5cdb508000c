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
        results["jpeg"]["details"] = {"subscores": {"aligned_double": 60.0 if i == 3 else 0.0}}
        scored.append(grouped.Scored(_case(tmp_path, label, f"m{i % 5}_{i}.jpg"), i % 5, f"m{i % 5}", results, {}))
    figures = grouped.figures(scored, {f: 0.5 for f in grouped.FEATURES}, {"noise": 0.5, "jpeg": 0.3})
    assert set(figures["classes"]) == {"resave"} and figures["classes"]["resave"]["n"] == 25
    o = figures["originals"]
    assert o["n"] == 25 and o["aligned_double_at_least_50"] == 1 and o["flag_rates"]["thumbnail_mismatch"] == 0.04
    text = held_out_makes.to_markdown(figures | {"per_make": 2})
    assert "| resave (25) |" in text and "held out" in text and "Reliabilities fitted without each fold" in text


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
