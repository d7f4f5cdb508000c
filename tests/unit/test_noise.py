"""The noise-inconsistency analyzer and its local noise-level estimators."""

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.noise import _analyzer as noise
from vforensics.analyzers.noise import _calibration as noise_calibration
from vforensics.analyzers.noise import _cooccurrence as noise_cooccurrence
from vforensics.analyzers.noise import _levels as noise_levels
from vforensics.media.image import Media

from .images import check_map, encode, natural_rgb

REGION = (400, 600, 224)  # y, x, side of the pasted square, pixels


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


def _inside_outside(suspicion: np.ndarray, shape: tuple[int, int]) -> tuple[float, float]:
    h, w = shape
    full = cv2.resize(suspicion, (w, h), interpolation=cv2.INTER_LINEAR)
    y, x, s = REGION
    inside = np.zeros((h, w), bool)
    inside[y + 48 : y + s - 48, x + 48 : x + s - 48] = True
    outside = np.ones((h, w), bool)
    outside[max(0, y - 96) : y + s + 96, max(0, x - 96) : x + s + 96] = False
    return float(full[inside].mean()), float(full[outside].mean())


# ---------------------------------------------------------------------------------------------
# Estimators


@pytest.mark.parametrize("name", ["wavelet", "median", "srm", "pca"])
def test_estimators_rank_white_noise_levels(name):
    """On pure Gaussian noise every estimator grows with sigma; the MAD-based ones are unbiased."""
    rng = np.random.default_rng(0)
    levels = []
    for sigma in (2.0, 4.0, 8.0):
        img = (128 + sigma * rng.standard_normal((384, 384))).astype(np.float32)
        levels.append(float(np.median(np.exp2(noise_levels.window_levels(img, (name,))[name]))))
    assert levels[0] < levels[1] < levels[2]
    if name in ("wavelet", "median", "srm"):
        np.testing.assert_allclose(levels, [2.0, 4.0, 8.0], rtol=0.1)


@pytest.mark.parametrize("name", ["wavelet", "median", "srm", "kurtosis", "pca"])
def test_estimators_grow_with_noise_added_to_a_photo(photo, name):
    """The kurtosis fit needs a natural image (kurtotic band-pass responses); noise is added to one."""
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)[:768, :1024].astype(np.float32)
    rng = np.random.default_rng(0)
    levels = [
        float(np.median(noise_levels.window_levels(gray + sigma * rng.standard_normal(gray.shape), (name,))[name]))
        for sigma in (0.0, 4.0, 8.0)
    ]
    assert levels[0] < levels[1] < levels[2]


def test_window_grid_has_one_window_per_cell():
    img = np.zeros((200, 330), np.float32)
    levels = noise_levels.window_levels(img, ("wavelet",))["wavelet"]
    assert levels.shape == (200 // noise_levels.CELL, 330 // noise_levels.CELL)


@pytest.mark.parametrize("shape", [(1531, 2047), (703, 960), (511, 767)])
def test_every_estimator_has_the_same_grid_when_a_side_is_one_short_of_whole_cells(shape):
    """A side of 32k-1 pixels: the sampled estimators (every 2nd pixel) once counted k cells there
    and the others k-1, and the analyzer raised IndexError on such crops (the bench's crop_resave)."""
    img = np.random.default_rng(1).normal(128, 5, shape).astype(np.float32)
    levels = noise_levels.window_levels(img, ("wavelet", "median", "srm", "pca"))
    assert {lv.shape for lv in levels.values()} == {(shape[0] // noise_levels.CELL, shape[1] // noise_levels.CELL)}


def test_a_photo_cropped_to_32k_minus_1_pixels_is_analysed(photo):
    cropped = np.ascontiguousarray(photo[: 32 * 20 - 1, : 32 * 30 - 1])
    result = noise.analyze(Media.from_bytes(encode(cropped, "JPEG", quality=90), "crop.jpg"))
    assert result.status == "ok", result.interpretation


def _textured_band_scene(contrast: float, band_rows: int, noisier_square: bool = False) -> np.ndarray:
    """Grey scene (768 x 1024): a brightness ramp, fine multi-scale texture of ``contrast`` in the top
    ``band_rows``, the same Gaussian noise (sigma 3) everywhere, and optionally a 176 x 224 px
    square of sigma 15 inside the band."""
    rng = np.random.default_rng(0)
    h, w = 768, 1024
    img = np.tile(np.linspace(60, 180, w, dtype=np.float32), (h, 1))
    texture = sum(
        cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), s) * a * contrast
        for s, a in ((0.7, 1.0), (1.5, 1.0), (4, 1.5))
    )
    img[:band_rows] += texture[:band_rows]
    sigma = np.full((h, w), 3.0, np.float32)
    if noisier_square:
        sigma[8:184, 400:624] = 15.0
    img += sigma * rng.standard_normal((h, w)).astype(np.float32)
    return np.clip(img, 0, 255)


def test_texture_alone_is_not_read_as_a_noise_inconsistency():
    """Fine texture inflates every residual estimate; the texture term of the expected level absorbs it."""
    gray = _textured_band_scene(contrast=40, band_rows=153)
    levels = noise_levels.window_levels(gray, noise.ESTIMATORS)
    brightness = noise.window_brightness(gray)
    usable = np.ones(brightness.shape, bool)
    texture = noise_levels.window_texture(gray)
    assert texture.shape == brightness.shape
    assert np.median(texture[:4]) > np.median(texture[-8:]) + 2  # the band is measured as textured

    def flagged(texture_term: np.ndarray) -> float:
        z = np.mean([noise.level_deviation(levels[n], brightness, texture_term, usable) for n in noise.ESTIMATORS], 0)
        return float((np.abs(z[:4]) >= noise.Z_REGION).mean())

    assert flagged(np.zeros_like(texture)) > 0.5  # brightness alone: the band looks noisier
    assert flagged(texture) < 0.05


def test_noisier_region_inside_texture_still_stands_out():
    gray = _textured_band_scene(contrast=20, band_rows=192, noisier_square=True)
    result = noise.analyze(Media.from_bytes(encode(np.rint(gray).astype(np.uint8), "PNG")))
    level_map = cv2.resize(result.extra_maps["noise_level"], (1024, 768), interpolation=cv2.INTER_LINEAR)
    inside = level_map[40:152, 432:592].mean()
    band_elsewhere = level_map[8:184, 700:1000].mean()
    assert inside > 0.5 and inside > 10 * band_elsewhere


def test_flat_windows_have_the_floor_texture():
    texture = noise_levels.window_texture(np.full((128, 160), 77.0, np.float32))
    assert texture.shape == (4, 5)
    np.testing.assert_allclose(texture, np.log2(noise_levels.MIN_GRADIENT))


@pytest.mark.parametrize("length", [256, 255, 2, 1])
def test_cell_median_is_numpys_median(length):
    cells = np.random.default_rng(length).normal(size=(7, 5, length)).astype(np.float32)
    cells[0, 0] = 1.0  # ties
    np.testing.assert_allclose(noise_levels._median_last(cells), np.median(cells, axis=-1), rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Score calibration


def test_shipped_score_is_the_calibration_at_the_shipped_anchors():
    for z99 in (0.0, 1.0, noise.ORIGINAL_MEDIAN, 3.3, noise.ORIGINAL_P95, 5.0, 7.5, 20.0):
        assert noise.to_score(z99) == noise_calibration.score_from_z99(z99, noise.ORIGINAL_MEDIAN, noise.ORIGINAL_P95)
    assert noise.to_score(noise.ORIGINAL_MEDIAN) == pytest.approx(10.0)
    assert noise.to_score(noise.ORIGINAL_P95) == pytest.approx(40.0)
    assert noise.to_score(100.0) == 100.0 and noise.to_score(0.0) == 0.0


def test_calibration_is_fitted_on_the_originals_it_is_given():
    z99s = np.linspace(1.0, 5.0, 101)  # median 3.0, p95 4.8
    median, p95 = noise_calibration.fit_calibration(z99s)
    assert (median, p95) == pytest.approx((3.0, 4.8))
    assert noise_calibration.score_from_z99(median, median, p95) == pytest.approx(10.0)
    assert noise_calibration.score_from_z99(p95, median, p95) == pytest.approx(40.0)
    # about 5% of the originals it was fitted on reach 40 (the analyzer's MEDIUM band)
    scores = [noise_calibration.score_from_z99(z, median, p95) for z in z99s]
    assert sum(s >= noise.MEDIUM_AT - 1e-9 for s in scores) == 6
    # a set with more noise inconsistency moves both anchors up, and the same z99 scores lower
    shifted = noise_calibration.fit_calibration(z99s + 1.0)
    assert shifted == pytest.approx((4.0, 5.8))
    assert noise_calibration.score_from_z99(4.0, *shifted) < noise_calibration.score_from_z99(4.0, median, p95)
    with pytest.raises(ValueError):
        noise_calibration.fit_calibration([])
    with pytest.raises(ValueError):
        noise_calibration.fit_calibration([2.0] * 10)


def test_calibration_originals_are_the_synth_sources_up_to_20_mp():
    assert noise_calibration.fits_calibration(640, 512)
    assert not noise_calibration.fits_calibration(640, 511)
    assert noise_calibration.fits_calibration(5000, 4000)
    assert not noise_calibration.fits_calibration(5000, 4001)


# ---------------------------------------------------------------------------------------------
# The analyzer on real photos


def test_camera_original_scores_low(root):
    result = noise.analyze(Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes()))
    assert result.status == "ok"
    assert result.score < noise.MEDIUM_AT and result.details["level"] == "Low"
    for key in ("inconsistency_score", "deviating_region_share", "typical_noise_sigma", "noise_sigma_p10_p90"):
        assert key in result.details
    assert result.details["residual_local_std_median"] > 0
    check_map(result.map, (968, 1296), aspect_tolerance=0.1)
    assert "does not mean the image is untouched" in result.interpretation


def test_bench_originals_score_low(bench):
    for name in ("mdx__Nikon_D90.jpg", "mdx__Kodak_DX6490.jpg", "mdx__Sony_DCR-PC110E_(2).jpg"):
        result = noise.analyze(Media.from_bytes((bench / "camera" / name).read_bytes(), name))
        assert result.status == "ok", name
        assert result.score < noise.MEDIUM_AT, (name, result.details)


def test_pasted_noisier_region_lights_the_map(root, bench):
    """A square from another camera's photo, with added Gaussian noise, pasted into the iPhone photo."""
    photo = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))
    donor = np.asarray(Image.open(bench / "camera" / "mdx__Nikon_D90.jpg").convert("RGB"))
    y, x, s = REGION
    patch = donor[1000 : 1000 + s, 1500 : 1500 + s].astype(np.float32)
    patch += np.random.default_rng(1).normal(0, 10, patch.shape)
    edited = photo.copy()
    edited[y : y + s, x : x + s] = np.clip(patch, 0, 255).astype(np.uint8)
    original = noise.analyze(Media.from_bytes(encode(photo, "JPEG", quality=95)))
    result = noise.analyze(Media.from_bytes(encode(edited, "JPEG", quality=95)))
    inside, outside = _inside_outside(result.map, edited.shape[:2])
    assert inside > 2 * outside  # measured: 0.24 vs 0.08
    # The raw statistic rises; the calibrated score stays Low on this textured photo (measured 0 for
    # both): locally higher noise counts half, since texture also raises the estimates.
    assert result.details["inconsistency_z_p99"] > original.details["inconsistency_z_p99"]


def test_region_from_another_camera_stands_out_in_the_residual_statistics(photo, bench):
    """A square of a Nikon D90 photo in the iPhone photo, no noise added: both maps see it, and
    the main map is their mean."""
    donor = np.asarray(Image.open(bench / "camera" / "mdx__Nikon_D90.jpg").convert("RGB"))
    y, x, s = REGION
    edited = photo.copy()
    edited[y : y + s, x : x + s] = donor[1000 : 1000 + s, 1500 : 1500 + s]
    result = noise.analyze(Media.from_bytes(encode(edited, "JPEG", quality=95)))
    inside, outside = _inside_outside(result.extra_maps["noise_cooccurrence"], edited.shape[:2])
    assert inside > 2 * outside  # measured: 0.61 vs 0.25
    level_inside, level_outside = _inside_outside(result.extra_maps["noise_level"], edited.shape[:2])
    assert level_inside > 4 * level_outside  # measured: 1.0 vs 0.05
    np.testing.assert_allclose(
        result.map, 0.5 * (result.extra_maps["noise_level"] + result.extra_maps["noise_cooccurrence"]), atol=1e-6
    )
    check_map(result.extra_maps["noise_cooccurrence"], edited.shape[:2])
    assert 0.5 < result.details["cooccurrence"]["host_share"] <= 1.0


def test_cooccurrence_features_are_normalised_histograms():
    """Each window's feature is the square root of a distribution over 2 x 81 codes."""
    gray = natural_rgb(320, 256)[..., 1]
    feats = noise_cooccurrence.window_features(gray, 16)
    assert feats.shape == ((256 - 6) // 16, (320 - 6) // 16, 162)
    np.testing.assert_allclose((feats**2).sum(axis=2), 1.0, atol=1e-4)


def test_block_histograms_count_each_block_on_its_own():
    codes = np.random.default_rng(3).integers(0, 81, (70, 90)).astype(np.uint8)
    hist = noise_cooccurrence._block_histograms(codes, 16, 4, 5)
    for row, col in [(0, 0), (2, 3), (3, 4)]:
        block = codes[row * 16 : (row + 1) * 16, col * 16 : (col + 1) * 16]
        np.testing.assert_array_equal(hist[row, col], np.bincount(block.ravel(), minlength=81))


def test_cooccurrence_needs_enough_blocks():
    assert noise_cooccurrence.cooccurrence_outliers(np.zeros((60, 60), np.uint8)) is None
    assert noise_cooccurrence.block_side(1200, 1600) == 16
    assert noise_cooccurrence.block_side(3024, 4032) == 32


def test_smoothed_region_lights_the_map(photo):
    """Retouching that removes noise (a strong blur of a square) is a region with *less* noise."""
    y, x, s = REGION
    edited = photo.copy()
    edited[y : y + s, x : x + s] = cv2.GaussianBlur(photo[y : y + s, x : x + s], (0, 0), 3)
    result = noise.analyze(Media.from_bytes(encode(edited, "PNG")))
    inside, outside = _inside_outside(result.map, edited.shape[:2])
    assert inside > 0.5 and inside > 4 * outside
    assert result.details["lower_noise_region_share"] > 0


def test_input_pixels_are_not_modified(photo):
    media = Media.from_bytes(encode(photo, "PNG"))
    before = media.rgb.copy()
    noise.analyze(media)
    np.testing.assert_array_equal(media.rgb, before)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(("width", "height"), [(1, 1), (20000, 8), (8, 20000), (100, 80)])
def test_images_too_small_or_thin_are_skipped(width, height):
    result = noise.analyze(Media.from_bytes(encode(natural_rgb(width, height), "PNG")))
    assert result.status == "skipped" and result.score is None and result.map is None
    assert result.interpretation.startswith("Not applicable")


@pytest.mark.parametrize("value", [0, 128, 255])
def test_flat_images_are_skipped(value):
    flat = np.full((512, 512, 3), value, np.uint8)
    result = noise.analyze(Media.from_bytes(encode(flat, "PNG")))
    assert result.status == "skipped" and "black, white or flat" in result.interpretation


def test_16_bit_png_is_analysed():
    rgb16 = natural_rgb(640, 480).astype(np.uint16) * 257
    data = encode(Image.fromarray(rgb16[..., 1]), "PNG")  # 16-bit greyscale
    result = noise.analyze(Media.from_bytes(data))
    assert result.status == "ok" and 0 <= result.score <= 100
    check_map(result.map, (480, 640), aspect_tolerance=0.1)


def test_cmyk_jpeg_is_analysed():
    cmyk = Image.fromarray(natural_rgb(640, 480)).convert("CMYK")
    result = noise.analyze(Media.from_bytes(encode(cmyk, "JPEG", quality=92)))
    assert result.status == "ok" and 0 <= result.score <= 100
    check_map(result.map, (480, 640), aspect_tolerance=0.1)


def test_natural_synthetic_scene_is_consistent():
    """Uniform synthetic noise on a smooth scene: nothing stands out."""
    result = noise.analyze(Media.from_bytes(encode(natural_rgb(800, 600), "PNG")))
    assert result.status == "ok" and result.score < noise.MEDIUM_AT
    assert result.details["typical_noise_sigma"] == pytest.approx(3.0 * 0.668, rel=0.2)  # luma of 3 channels


def test_large_image_is_analysed_downscaled():
    """Above MAX_PIXELS the analysis runs on an area-averaged copy (a 17 MP scene, tiled for speed)."""
    tile = natural_rgb(1000, 680)
    big = np.tile(tile, (5, 5, 1))
    assert big.shape[0] * big.shape[1] > noise.MAX_PIXELS
    result = noise.analyze(Media.from_bytes(encode(big, "JPEG", quality=95)))
    assert result.status == "ok" and result.details["analysed_scale"] == pytest.approx(
        np.sqrt(noise.MAX_PIXELS / big[..., 0].size), abs=1e-4
    )
