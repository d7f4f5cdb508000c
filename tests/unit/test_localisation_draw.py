"""The localisation_draw benchmark section: a second synthetic draw, scored with the real analyzers."""

from __future__ import annotations

import shutil

import pytest

from vforensics.evaluation.benchmarks import localisation_draw as draw


@pytest.mark.slow
def test_a_draw_is_synthesised_analysed_and_tabulated(tmp_path, root):
    camera = tmp_path / "camera"
    camera.mkdir()
    for name in ("a.jpg", "b.jpg"):  # two eligible sources: each is the other's splice donor
        shutil.copy(root / "samples" / "iphone4.jpg", camera / name)
    csv_path = draw.ensure_cases(camera, tmp_path / "draw")
    scores = draw.draw_scores(csv_path, jobs=1)

    assert sorted(cls for cls, _ in scores) == ["inpaint", "inpaint", "splice", "splice"]
    for _, f1 in scores:
        assert set(f1) == set(draw.COLUMNS)
        assert all(0.0 <= v <= 1.0 for v in f1.values())
    # Telea / Navier-Stokes fills are smooth: the noise maps find them on a real photo.
    assert max(f1["noise"] for cls, f1 in scores if cls == "inpaint") > 0.3
    table = draw.to_markdown({"scores": scores, "sources": 2})
    assert "| splice | 2 |" in table and "| inpaint | 2 |" in table and " ± " in table
