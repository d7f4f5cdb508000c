"""The AI-image detector: its normalisation, the real ONNX model through the analyzer, the verdicts."""

import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.ai import bands, normalise
from vforensics.analyzers.ai import model as ai_model
from vforensics.media.image import Media
from vforensics.scoring.ai_likelihood import METADATA_LIFT, assess_ai

from .images import encode, natural_rgb


def test_npr_residual_is_zero_on_nearest_upsampled_images_and_not_on_camera_detail():
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    upsampled = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)
    assert np.all(normalise.npr_residual(upsampled) == 0)
    residual = normalise.npr_residual(natural_rgb(64, 64, seed=1))
    assert residual.shape == (3, 64, 64) and residual.dtype == np.float32 and np.abs(residual).mean() > 0


def test_srm_residual_is_the_square_kernel_filter_and_zero_on_separable_shading():
    import cv2

    crop = natural_rgb(64, 48, seed=2)
    expected = cv2.filter2D(crop.astype(np.float32), -1, normalise.SRM_KERNEL, borderType=cv2.BORDER_REPLICATE)
    residual = normalise.srm_residual(crop)
    assert residual.shape == (3, *crop.shape[:2]) and residual.dtype == np.float32
    assert np.allclose(residual, expected.transpose(2, 0, 1) * normalise.RESIDUAL_SCALE, atol=1e-4)
    y, x = np.mgrid[0:40, 0:40]
    shading = np.repeat((2 * x + 3 * y)[..., None], 3, axis=2).astype(np.uint8)
    assert np.all(normalise.srm_residual(shading)[:, 1:-1, 1:-1] == 0)


def test_crops_lie_inside_the_picture_on_even_corners():
    positions = normalise.grid_positions(1000, 777)
    assert len(positions) == normalise.MAX_CROPS
    for y, x in positions:
        assert y % 2 == 0 and x % 2 == 0
        assert 0 <= y <= 1000 - normalise.CROP and 0 <= x <= 777 - normalise.CROP
    assert normalise.grid_positions(127, 4000) == []
    assert normalise.grid_positions(128, 128) == [(0, 0)]


def test_pictures_longer_than_the_short_side_are_downscaled_before_their_crops():
    big, small = natural_rgb(1200, 900, seed=9), natural_rgb(420, 300, seed=10)  # 900 x 1200 px, h x w
    scaled = normalise.downscale(big, 512)
    assert scaled.shape == (512, 683, 3) and scaled.dtype == np.uint8
    assert normalise.downscale(big, 0) is big and normalise.downscale(small, 512) is small
    assert normalise.downscale(big.transpose(1, 0, 2), 512).shape == (683, 512, 3)

    batch, corners, factor = normalise.inference_batch(big, "npr", 512)
    assert factor == pytest.approx(512 / 900)
    size = normalise.downscaled_size(900, 1200, 512)
    assert size == (683, 512) and normalise.downscaled_size(300, 420, 512) == (420, 300)
    expected = [
        normalise.npr_residual(
            normalise.reencode(normalise.downscaled_crop(big, size, y, x), normalise.INFERENCE_QUALITY)
        )
        for y, x in normalise.grid_positions(512, 683)
    ]
    assert np.array_equal(batch, np.stack(expected))
    for y, x in corners:  # in the pixels of the picture as uploaded
        assert 0 <= y <= 900 - 128 / factor + 1 and 0 <= x <= 1200 - 128 / factor + 1
    assert max(y for y, _ in corners) > 900 - 128 / factor - 2
    native, native_corners, one = normalise.inference_batch(big, "npr", 0)
    assert one == 1.0 and native_corners == normalise.grid_positions(900, 1200)
    assert not np.array_equal(native, batch)


@pytest.mark.parametrize(
    "picture, short_side, reducing_gap, share",
    [
        ("iphone4", 512, 2.0, 1e-3),  # a factor of 1.9: no box reduction
        ("iphone4", 200, 2.0, 1e-3),  # 4.8: reduced by 2, then the bicubic
        ("iphone4", 200, None, 1e-3),  # the fair bicubic over the whole factor
        # 1603 x 1199: reduced by 3 across and 2 down, with partial last blocks; one of its crops is
        # a geometry where Pillow's single-precision box moves about a fifth of the values by one level
        ("odd", 200, 2.0, 0.05),
    ],
)
def test_each_crop_made_from_its_own_pixels_is_the_whole_downscale_s_but_for_rare_single_levels(
    root, picture, short_side, reducing_gap, share
):
    if picture == "odd":
        rgb = natural_rgb(1603, 1199, seed=4)
    else:
        rgb = np.asarray(Image.open(root / "samples" / f"{picture}.jpg").convert("RGB"))
    whole = normalise.downscale(rgb, short_side, reducing_gap)
    size = (whole.shape[1], whole.shape[0])
    assert normalise.downscaled_size(*rgb.shape[:2], short_side) == size
    differing = values = 0
    for y, x in normalise.grid_positions(*whole.shape[:2]) + [(0, 0), (whole.shape[0] - 128, whole.shape[1] - 128)]:
        own = normalise.downscaled_crop(rgb, size, y, x, reducing_gap)
        d = np.abs(own.astype(int) - whole[y : y + 128, x : x + 128])
        assert own.shape == (128, 128, 3) and d.max() <= 2
        differing, values = differing + np.count_nonzero(d), values + d.size
    assert differing / values < share
    small = natural_rgb(300, 200, seed=5)
    assert np.array_equal(normalise.downscaled_crop(small, (300, 200), 10, 20), small[10:138, 20:148])


def test_the_reducing_gap_keeps_a_camera_photo_within_a_grey_level_of_the_fair_bicubic_on_average(root):
    """A 968 px short side to 200 px (a factor of 4.8: Pillow box-reduces by 2 first; to 512 px,
    1.9, it does not reduce at all and the result is the fair bicubic's, bit for bit)."""
    rgb = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))
    fair = normalise.downscale(rgb, 200, reducing_gap=None)
    assert np.array_equal(fair, np.asarray(Image.fromarray(rgb).resize(fair.shape[1::-1], Image.Resampling.BICUBIC)))
    gapped = normalise.downscale(rgb, 200)
    assert gapped.shape == fair.shape and min(gapped.shape[:2]) == 200
    difference = np.abs(gapped.astype(int) - fair)
    assert difference.mean() < 0.5 and difference.max() <= 8 and difference.any()
    assert np.array_equal(normalise.downscale(rgb, 512), normalise.downscale(rgb, 512, reducing_gap=None))


def test_false_alarm_shift_leaves_at_most_the_share_of_real_photos_at_likely_ai():
    target = np.log(bands.CALLED_AI / (100 - bands.CALLED_AI))
    rng = np.random.default_rng(5)
    real = np.r_[rng.normal(-2, 1, 90), target + rng.uniform(0.1, 2, 10)]  # 10% would be called AI
    shift = bands.false_alarm_shift(real)
    assert shift < 0 and int(np.sum(real + shift >= target)) == 5
    assert int(np.sum(real + shift + 2 * bands.MARGIN >= target)) == 6  # no lower than it must be
    assert bands.false_alarm_shift(real[:90]) == 0.0 and bands.false_alarm_shift(np.array([])) == 0.0
    just_under = np.r_[real[:90], target - bands.MARGIN / 2]  # nobody reaches the bound: nothing to shift
    assert bands.false_alarm_shift(just_under) == 0.0


def test_the_shipped_calibrations_call_at_most_five_percent_of_the_real_calibration_photos_ai():
    """The detector's calibration (on every fold's scores of the real calibration photos) and the
    overall combination (on its fit set's real photos) both keep to the false-alarm bound."""
    from vforensics.scoring.ai_likelihood import COMBINATION

    card = json.loads(ai_model.model_path().with_suffix(".json").read_text())
    a, b = card["calibration"]["a"], card["calibration"]["b"]
    real = np.array([v for fold in card["fold_logits"].values() for v in fold["real_calib_logits"]])
    likelihood = 100 / (1 + np.exp(-(a * real + b)))
    assert len(real) >= 500 and np.mean(likelihood >= bands.CALLED_AI) <= bands.FALSE_ALARM_SHARE
    assert card["calibration"]["real_calib_called_ai"]["shipped"] <= bands.FALSE_ALARM_SHARE
    assert b == pytest.approx(card["calibration"]["platt_b"] + card["calibration"]["false_alarm_shift"])
    assert COMBINATION["real_fit_called_ai"]["shipped"] <= bands.FALSE_ALARM_SHARE
    assert COMBINATION["intercept"] == pytest.approx(COMBINATION["fitted_intercept"] + COMBINATION["false_alarm_shift"])


def test_reencoding_is_deterministic_and_lossy():
    crop = natural_rgb(128, 128, seed=2)
    once = normalise.reencode(crop, 85)
    assert once.shape == crop.shape and np.array_equal(once, normalise.reencode(crop, 85))
    assert not np.array_equal(once, crop)
    assert not np.array_equal(normalise.reencode(crop, 85, webp_quality=80), once)


def test_the_shipped_model_matches_its_card():
    path = ai_model.model_path()
    assert path is not None and path.is_file(), "functions/model/ai_detector.onnx is missing: make train-model"
    card = json.loads(path.with_suffix(".json").read_text())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == card["onnx_sha256"]
    assert card["input"] in normalise.INPUTS and card["crop"] == normalise.CROP
    assert card["short_side"] == normalise.SHORT_SIDE and card["reducing_gap"] == normalise.REDUCING_GAP
    assert path.stat().st_size < 15_000_000


def test_analyzer_scores_a_camera_photo_with_the_real_model(root):
    media = Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes(), "iphone4.jpg")
    result = ai_model.analyze(media)
    assert result.status == "ok" and 0 <= result.score <= 100
    d = result.details
    assert d["ai_likelihood"] == round(result.score, 1) and d["verdict"] == ai_model.verdict(result.score)
    assert len(d["crops"]) == normalise.MAX_CROPS and d["crops_called_ai"].endswith(f"of {normalise.MAX_CROPS}")
    h, w = media.rgb.shape[:2]
    assert d["downscaled_by"] == pytest.approx(normalise.SHORT_SIDE / min(h, w), abs=1e-4)
    assert d["crop_size"] == round(normalise.CROP / d["downscaled_by"])
    assert all(0 <= c["y"] <= h - d["crop_size"] + 1 and 0 <= c["x"] <= w - d["crop_size"] + 1 for c in d["crops"])
    assert "one signal, not proof" in result.interpretation
    assert ai_model.analyze(media).score == result.score


def test_camera_photo_and_generated_image_land_on_their_sides(root):
    real = ai_model.analyze(Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes(), "iphone4.jpg"))
    generated = ai_model.analyze(Media.from_bytes((root / "samples" / "ai-diffusion.jpg").read_bytes(), "ai.jpg"))
    assert real.score < 50 < generated.score


def test_format_does_not_decide_the_verdict(root):
    """The same pixels as JPEG, PNG and WebP get nearly the same likelihood (normalised input)."""
    rgb = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))
    scores = []
    for fmt, options in (("PNG", {}), ("WEBP", {"lossless": True}), ("TIFF", {})):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, fmt, **options)
        scores.append(ai_model.analyze(Media.from_bytes(buf.getvalue(), f"x.{fmt.lower()}")).score)
    assert max(scores) - min(scores) < 1.0


def test_images_smaller_than_a_crop_are_skipped_with_the_reason():
    result = ai_model.analyze(Media.from_bytes(encode(natural_rgb(100, 300, seed=3), "PNG"), "small.png"))
    assert result.status == "skipped" and "smaller than the detector's 128 px" in result.interpretation


def test_a_missing_model_file_is_a_skip_not_a_crash(monkeypatch, tmp_path):
    monkeypatch.setenv("VF_AI_MODEL", str(tmp_path / "absent.onnx"))
    result = ai_model.analyze(Media.from_bytes(encode(natural_rgb(200, 200, seed=4), "PNG"), "x.png"))
    assert result.status == "skipped" and "not installed" in result.interpretation


@pytest.mark.parametrize(
    ("likelihood", "expected"),
    [(99, "Very Likely AI"), (85, "Very Likely AI"), (70, "Likely AI"), (60, "Possibly AI"), (45, "Uncertain"),
     (39.9, "Likely Real"), (0, "Likely Real")],
)  # fmt: skip
def test_verdict_bands(likelihood, expected):
    assert ai_model.verdict(likelihood) == expected


def _model_result(score: float, called: str = "9 of 9") -> dict:
    return {"status": "ok", "score": score, "details": {"verdict": ai_model.verdict(score), "crops_called_ai": called}}


def test_ai_likelihood_is_the_detectors_when_metadata_is_silent():
    ai = assess_ai({"ai_model": _model_result(91.0)})
    assert (ai.likelihood, ai.status, ai.verdict) == (91.0, "ok", "Very Likely AI")
    assert ai.evidence["pixels"]["ai_likelihood"] == 91.0 and ai.evidence["metadata"] is None
    assert assess_ai({"ai_model": _model_result(60.0, "5 of 9")}).confidence == "low"


def test_a_generator_tag_lifts_the_likelihood_and_is_reported_apart():
    tag = {"status": "ok", "details": {"flag_evidence": {"ai_generator_tag": "IPTC DigitalSourceType = ..."}}}
    ai = assess_ai({"ai_model": _model_result(12.0, "0 of 9"), "metadata": tag})
    assert ai.likelihood == METADATA_LIFT and ai.confidence == "high"
    assert ai.evidence["pixels"]["ai_likelihood"] == 12.0 and ai.evidence["metadata"].startswith("IPTC")
    only_tag = assess_ai({"ai_model": {"status": "skipped", "interpretation": "Not applicable"}, "metadata": tag})
    assert only_tag.status == "metadata_only" and only_tag.likelihood == METADATA_LIFT


def test_no_detector_and_no_tag_means_no_likelihood():
    ai = assess_ai({"ai_model": {"status": "skipped", "score": None, "interpretation": "Not applicable: x"}})
    assert ai.likelihood is None and ai.status == "not_run" and ai.evidence["reason"] == "Not applicable: x"


def test_the_fitted_combination_is_applied_to_the_detectors_logit_and_signals():
    from vforensics.scoring.ai_likelihood import COMBINATION, combined_likelihood

    result = _model_result(50.0)
    result["details"]["mean_logit"] = 2.0
    names = [t["name"] for t in COMBINATION["features"]]
    assert names[0] == "model_logit"
    results: dict = {"ai_model": result}
    for term in COMBINATION["features"][1:]:
        analyzer, key = term["name"].split(".", 1)
        results.setdefault(analyzer, {"status": "ok", "details": {}})["details"][key] = term["mean"]
    ai = assess_ai(results)
    expected = combined_likelihood({"model_logit": 2.0, **{t["name"]: t["mean"] for t in COMBINATION["features"][1:]}})
    assert expected is not None and ai.likelihood == pytest.approx(expected, abs=0.06)
    assert ai.evidence["pixels"]["detector"] == 50.0 and "logistic regression" in ai.evidence["pixels"]["method"]
    low = dict(result, details=dict(result["details"], mean_logit=-3.0))
    assert assess_ai({**results, "ai_model": low}).likelihood < ai.likelihood
    if len(names) > 1:  # a signal the combination needs is missing: the detector's own probability
        only = assess_ai({"ai_model": result})
        assert only.likelihood == 50.0 and only.evidence["pixels"]["method"] == "the detector's calibrated probability"


def test_activation_statistics_of_relu_outputs():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(4, 8, 6, 6)).astype(np.float32)
    relu = np.maximum(dense, 0)
    stats = ai_model.activation_statistics({"features_last": relu, "features_penultimate": dense})
    assert stats["features_last"]["channels"] == 8
    assert 0.4 < stats["features_last"]["sparsity"] < 0.6 and stats["features_penultimate"]["sparsity"] == 0.0
    assert abs(stats["features_penultimate"]["kurtosis"]) < 0.5  # Gaussian: excess kurtosis near 0
    assert stats["features_last"]["kurtosis"] > stats["features_penultimate"]["kurtosis"]
    assert ai_model.activation_statistics({"x": np.zeros((1, 2, 3, 3), np.float32)})["x"]["kurtosis"] == 0.0


def test_the_report_says_which_families_the_detector_was_validated_on():
    from vforensics.report.summary import _ai_section

    card = {"trained_on_families": ["flux.1", "gpt-4o"], "leave_one_family_out": {
        "flux.1": {"auc_vs_real_test": 0.93}, "gpt-4o": {"auc_vs_real_test": 0.61}}}  # fmt: skip
    validation = ai_model.validation_summary(card)
    assert validation["left_out_family_auc"] == {"flux.1": 0.93, "gpt-4o": 0.61}
    result = _model_result(80.0)
    result["details"]["model"] = {"validation": validation}
    section = _ai_section(assess_ai({"ai_model": result}))
    assert "validated on 2 generator families (flux.1, gpt-4o)" in section["text"]
    assert "AUC 0.61-0.93" in section["text"] and "unknown generator may fare worse" in section["text"]
    assert "validated on" not in _ai_section(assess_ai({"ai_model": _model_result(80.0)}))["text"]


def test_the_interpretation_names_the_weak_left_out_families():
    card = {"trained_on_families": ["a", "b"], "leave_one_family_out": {
        "a": {"auc_vs_real_test": 0.95}, "b": {"auc_vs_real_test": 0.55}}}  # fmt: skip
    text = ai_model._interpretation(90.0, "Very Likely AI", 9, 9, card)
    assert "2 generator families (a, b)" in text and "AUC 0.55-0.95, weakest on b" in text
    assert "Its validation is in docs/BENCHMARKS.md" in ai_model._interpretation(90.0, "Very Likely AI", 9, 9, {})
