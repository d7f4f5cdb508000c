"""Overall assessment, summary wording, report.json contract, zip and map files."""

import io
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from vforensics import REPORT_SCHEMA
from vforensics.evaluation.fitting import calibrate_scoring
from vforensics.report import maps
from vforensics.report.document import build_report, build_zip, to_json
from vforensics.report.summary import summarize
from vforensics.scoring import tampering as scoring
from vforensics.scoring.tampering import MAP_WEIGHTS, RELIABILITY, assess, combine_evidence, risk_band

JPEG_SOURCE = {"format": "JPEG", "width": 4000, "height": 3000, "file_name": "a.jpg"}


def ok(score, level="Low", **details):
    return {"status": "ok", "score": score, "interpretation": "x. y", "details": {"level": level, **details}}


def test_risk_bands():
    assert [risk_band(v) for v in (0, 34.9, 35, 64.9, 65, 100)] == ["LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH"]


def test_likelihood_is_a_noisy_or_of_reliability_weighted_scores():
    results = {"ela": ok(10), "noise": ok(50), "metadata": ok(40)}
    disbelief = 1.0
    for name, r in results.items():
        disbelief *= 1 - RELIABILITY[name] * r["score"] / 100
    overall = assess(results, JPEG_SOURCE)
    assert overall.tampering_likelihood == pytest.approx(100 * (1 - disbelief))
    assert overall.risk == risk_band(overall.tampering_likelihood)


def test_one_strong_signal_is_not_averaged_away():
    strong = combine_evidence({"metadata": 60.0, "jpeg": 20.0, "copy_move": 0.0})
    assert strong > combine_evidence({"metadata": 60.0})
    assert risk_band(strong) == "MEDIUM"
    camera_original = {"metadata": 0.0, "jpeg": 20.0, "copy_move": 0.0}
    assert risk_band(combine_evidence(camera_original)) == "LOW"


def test_reliabilities_come_from_the_fitted_calibration():
    fitted = json.loads((Path(scoring.__file__).parent / "data" / "scoring_calibration.json").read_text())
    assert RELIABILITY == fitted["reliability"] and set(RELIABILITY) >= {"metadata", "jpeg", "copy_move", "noise"}
    assert all(0.0 <= r <= 1.0 for r in RELIABILITY.values())
    assert fitted["cross_validation"]["originals_medium_or_high"] <= fitted["max_originals_flagged"]
    assert "fitted on" in scoring.METHOD
    assert set(MAP_WEIGHTS) >= {"noise", "jpeg"} and all(w >= 0 for w in MAP_WEIGHTS.values())
    assert calibrate_scoring.MEDIUM_AT == scoring.MEDIUM_AT
    unweighted = [n for n, r in RELIABILITY.items() if r == 0.0]
    if unweighted:  # an analyzer the fit gave no weight cannot move the likelihood
        base = {"metadata": 30.0}
        assert combine_evidence(base | {unweighted[0]: 100.0}) == combine_evidence(base)


def test_skipped_and_failed_analyzers_are_left_out_and_lower_confidence():
    full = assess({"jpeg": ok(20), "copy_move": ok(20), "metadata": ok(20)}, JPEG_SOURCE)
    partial = assess(
        {
            "jpeg": {"status": "skipped", "score": None},
            "copy_move": ok(20),
            "metadata": {"status": "error", "score": None},
        },
        JPEG_SOURCE,
    )
    assert partial.tampering_likelihood == pytest.approx(combine_evidence({"copy_move": 20}))
    assert partial.confidence_score < full.confidence_score
    assert any("errors" in c for c in partial.confidence_factors["caps"])


def test_disagreeing_analyzers_lower_confidence():
    agree = assess({"jpeg": ok(50), "copy_move": ok(50), "metadata": ok(50)}, JPEG_SOURCE)
    disagree = assess({"jpeg": ok(0), "copy_move": ok(100), "metadata": ok(50)}, JPEG_SOURCE)
    assert disagree.confidence_score < agree.confidence_score


def test_context_caps_confidence_for_small_and_lossless_images():
    results = {"ela": ok(5), "noise": ok(5), "metadata": ok(5)}
    assert assess(results, {**JPEG_SOURCE, "width": 300, "height": 200}).confidence == "low"
    png = assess({"noise": ok(5), "metadata": ok(5)}, {**JPEG_SOURCE, "format": "PNG"})
    assert png.confidence_score <= 0.6


def test_context_caps_confidence_for_heavy_compression_and_graphics():
    results = {"jpeg": ok(5, quality_estimate=92), "copy_move": ok(5), "metadata": ok(5)}
    plain = assess(results, JPEG_SOURCE)
    heavy = assess(results | {"jpeg": ok(5, quality_estimate=55)}, JPEG_SOURCE)
    assert heavy.confidence_score <= 0.4 < plain.confidence_score
    assert any("heavy JPEG compression (quality about 55)" in c for c in heavy.confidence_factors["caps"])
    graphic = {"status": "ok", "score": None, "details": {"content": {"flat_or_graphic": True}}}
    screen = assess(results | {"enhance": graphic}, JPEG_SOURCE)
    assert screen.confidence == "low" and any("graphic" in c for c in screen.confidence_factors["caps"])
    assert screen.tampering_likelihood == plain.tampering_likelihood  # context lowers confidence, not the score


def test_nothing_scored_is_inconclusive_not_low():
    overall = assess({"ela": {"status": "error", "score": None}}, JPEG_SOURCE)
    assert overall.tampering_likelihood is None and overall.risk == "UNKNOWN"
    assert overall.verdict.startswith("Inconclusive")


def test_report_contract_and_summary_texts():
    results = {
        "ela": ok(20.0, "High"),
        "noise": ok(3.0, "Low"),
        "metadata": ok(
            40.0,
            "Medium",
            flags=["editing_software", "gps_present"],
            flag_evidence={
                "editing_software": "software field names an editor: 'GIMP 2.10'",
                "gps_present": "GPS position 1.000000, 2.000000",
            },
            exif={"Make": "Canon", "Model": "EOS 5D"},
        ),
    }
    report = build_report("abc", JPEG_SOURCE, results, {"map": "maps/combined.png"})
    assert report["schema"] == REPORT_SCHEMA and report["id"] == "abc"
    assert set(report) >= {"source", "analyzers", "overall", "summary", "created_at"}
    assert set(report["overall"]) >= {"tampering_likelihood", "ai_likelihood", "verdict", "risk", "confidence"}
    summary = report["summary"]
    assert set(summary) >= {"status", "issues_found", "positive_findings", "recommendation", "ai"}
    issues = " | ".join(summary["issues_found"])
    assert "Error level analysis: high score" in issues and "GIMP" in issues and "Privacy" in issues
    assert any("Noise analysis: low" in p for p in summary["positive_findings"])
    assert not any("Camera metadata present" in p for p in summary["positive_findings"])  # an editor was named
    assert json.loads(to_json(report)) == report


def test_report_refuses_nan():
    with pytest.raises(ValueError):
        to_json({"x": float("nan")})


def test_zip_holds_the_files_with_stable_bytes():
    files = {"report.json": b"{}", "maps/ela.png": b"png"}
    first, second = build_zip(files), build_zip(files)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert sorted(zf.namelist()) == ["maps/ela.png", "report.json"]


def test_gray_map_is_8_bit_at_image_size_and_round_trips():
    suspicion = np.linspace(0, 1, 40 * 30, dtype=np.float32).reshape(30, 40)
    png = maps.gray_png(suspicion, 400, 300)
    arr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert arr.dtype == np.uint8 and arr.shape == (300, 400)
    assert arr.min() == 0 and arr.max() == 255
    back = maps.decode_png_map(png)
    assert back.shape == (300, 400) and abs(float(back.mean()) - 0.5) < 0.02


def test_large_maps_are_capped_and_heatmaps_keep_clean_areas_clean():
    rgb = np.full((3000, 4000, 3), 128, np.uint8)
    suspicion = np.zeros((30, 40), np.float32)
    suspicion[10:20, 10:20] = 1.0
    arr = cv2.imdecode(np.frombuffer(maps.gray_png(suspicion, 4000, 3000), np.uint8), cv2.IMREAD_UNCHANGED)
    assert arr.shape == (1536, 2048)
    heat = cv2.imdecode(np.frombuffer(maps.heatmap_png(suspicion, rgb), np.uint8), cv2.IMREAD_COLOR)
    assert heat.shape == (960, 1280, 3)  # heatmaps are for people: capped smaller than maps
    assert tuple(heat[30, 30]) == (128, 128, 128)  # no suspicion: the photo shows through
    assert tuple(heat[480, 480]) != (128, 128, 128)


def test_combined_map_weights_only_localising_analyzers():
    a, b = np.ones((10, 10), np.float32), np.zeros((10, 10), np.float32)
    combined = maps.combine({"ela": a, "noise": b, "metadata": a}, {"ela": 0.5, "noise": 0.5}, (20, 20))
    assert combined.shape == (20, 20) and np.allclose(combined, 0.5)
    assert maps.combine({}, {"ela": 1.0}, (5, 5)) is None


def test_summary_reports_a_clone_and_the_jpeg_history_conclusion():
    results = {
        "copy_move": {
            "status": "ok",
            "score": 85.0,
            "interpretation": "Cloned region found (Medium, 4.4% of the image): an area at (x=1) appears again. More.",
            "details": {"detected": True},
        },
        "jpeg": {
            "status": "ok",
            "score": 90.0,
            "interpretation": "JPEG compression history 90/100 (High). Last saved with IJG tables. "
            "Re-saved after an earlier compression, probably by IJG/libjpeg-based software at quality 90.",
            "details": {},
        },
    }
    overall = assess(results, JPEG_SOURCE)
    summary = summarize(results, overall, JPEG_SOURCE)
    assert any(i.startswith("Copy-move: Cloned region found") for i in summary["issues_found"])
    expected = (
        "JPEG history (90/100): Re-saved after an earlier compression, probably by IJG/libjpeg-based software "
        "at quality 90."
    )
    assert expected in summary["issues_found"]
    assert overall.risk == "HIGH"


def test_summary_reads_the_cfa_band_and_an_unusual_histogram():
    comb = "212 empty levels inside the tonal range (a comb: tones were stretched)"
    results = {
        "cfa": ok(55.0, "Medium"),
        "enhance": {
            "status": "ok",
            "score": None,
            "interpretation": "Views.",
            "details": {"histogram": {"outside_normal": [comb]}},
        },
    }
    summary = summarize(results, assess(results, JPEG_SOURCE), JPEG_SOURCE)
    assert "Demosaicing (CFA) analysis: medium score (55.0). x." in summary["issues_found"]
    assert any(comb in i and i.startswith("Histogram") for i in summary["issues_found"])
    calm = {"cfa": ok(2.0, "Low"), "enhance": {"status": "ok", "score": None, "interpretation": "", "details": {}}}
    summary = summarize(calm, assess(calm, JPEG_SOURCE), JPEG_SOURCE)
    assert (
        summary["issues_found"] == []
        and "Demosaicing (CFA) analysis: low score (2.0), nothing stands out" in (summary["positive_findings"])
    )


def test_a_verified_clone_mask_enters_the_combined_map_at_full_strength():
    soft = np.full((10, 10), 0.2, np.float32)
    clone = np.zeros((10, 10), np.float32)
    clone[2:4, 2:4] = 1.0
    combined = maps.combine({"ela": soft, "copy_move": clone}, {"ela": 0.5}, (10, 10), ("copy_move",))
    assert combined[3, 3] == pytest.approx(1.0) and combined[8, 8] == pytest.approx(0.2)


def test_smoothing_ranks_a_contiguous_region_above_scattered_false_cells():
    """Cell readings inside an edited square vary and scattered background cells read as high
    as the square: pooling neighbours separates the two, and a clone overlay stays sharp."""
    from vforensics.evaluation.metrics import pixel_scores

    rng = np.random.default_rng(0)
    truth = np.zeros((64, 64), bool)
    truth[16:40, 20:44] = True
    cells = np.where(truth, rng.uniform(0.3, 0.9, truth.shape), rng.uniform(0.0, 0.3, truth.shape))
    spikes = (rng.random(truth.shape) < 0.15) & ~truth
    cells[spikes] = rng.uniform(0.5, 0.9, truth.shape)[spikes]
    noise = cv2.resize(cells.astype(np.float32), (512, 512), interpolation=cv2.INTER_NEAREST)
    clone = np.zeros((512, 512), np.float32)
    clone[400:440, 40:80] = 1.0
    big = cv2.resize(truth.astype(np.uint8), (512, 512), interpolation=cv2.INTER_NEAREST) > 0

    def f1(smoothing: float) -> float:
        combined = maps.combine({"noise": noise}, {"noise": 1.0}, (512, 512), (), smoothing)
        return pixel_scores(cv2.convertScaleAbs(combined, alpha=255.0), big).f1_best

    assert f1(0.0) < 0.75 and f1(16.0) > 0.9
    with_clone = maps.combine({"noise": noise, "copy_move": clone}, {"noise": 1.0}, (512, 512), ("copy_move",), 16.0)
    assert with_clone[400:440, 40:80].min() == pytest.approx(1.0) and with_clone[395, 60] < 0.5


def test_combined_smoothing_is_set_in_image_pixels():
    """The same image at two sizes gets the same smoothing relative to its content."""
    square = np.zeros((96, 128), np.float32)
    square[40:56, 56:72] = 1.0
    small = maps.combine_weighted({"noise": square}, 1024, 768)
    large = maps.combine_weighted({"noise": square}, 4096, 3072)
    assert small.shape == (768, 1024) and large.shape == (1536, 2048)
    profile_small = small[384, ::4]
    profile_large = cv2.resize(large, (1024, 768), interpolation=cv2.INTER_AREA)[384, ::4]
    assert np.abs(profile_small - profile_large).max() > 0.05  # 4x larger image: relatively 4x less blur
    unsmoothed = cv2.resize(square, (1024, 768), interpolation=cv2.INTER_LINEAR)
    blurred_px = (small[384] > 0.05).sum() - (unsmoothed[384] > 0.05).sum()
    assert 2 * maps.COMBINED_SMOOTHING_PX < blurred_px < 6 * maps.COMBINED_SMOOTHING_PX
