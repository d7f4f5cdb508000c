"""The ELA and noise analyzers on real photos and on edits the tests make themselves."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers import ANALYZERS, ela, get_analyzer
from vforensics.analyzers.noise import _analyzer as noise
from vforensics.media.image import Media

from .images import encode, natural_rgb

SPLICE = (300, 500, 300)  # y, x, side of the edited square, pixels


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


def _inside_outside(suspicion: np.ndarray, shape: tuple[int, int]) -> tuple[float, float]:
    h, w = shape
    full = cv2.resize(suspicion, (w, h), interpolation=cv2.INTER_LINEAR)
    y, x, s = SPLICE
    mask = np.zeros((h, w), bool)
    mask[y + 8 : y + s - 8, x + 8 : x + s - 8] = True
    return float(full[mask].mean()), float(full[~mask].mean())


def test_registry_lists_every_analyzer():
    assert set(ANALYZERS) == {
        "metadata", "ela", "noise", "jpeg", "copy_move", "cfa", "enhance",
        "ai_model", "ai_frequency", "ai_texture", "ai_srm",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown analyzer"):
        get_analyzer("nope")


def test_ela_on_a_camera_original_is_low(root):
    media = Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes())
    result = ela.analyze(media)
    assert result.status == "ok"
    assert result.details["level"] == "Low" and result.score < ela.MEDIUM_AT
    assert result.map.dtype == np.float32 and 0 <= result.map.min() and result.map.max() <= 1
    assert result.to_dict()["details"]["resave_quality"] == 95


def test_ela_measures_distance_from_a_quality_95_resave(photo):
    """A file last saved at 95 re-saves almost unchanged; one saved at 100 does not."""
    at_95, at_100 = (ela.analyze(Media.from_bytes(encode(photo, "JPEG", quality=q))).score for q in (95, 100))
    assert at_95 < 0.5 and at_100 > 4 * at_95


@pytest.fixture(scope="module")
def resaved_and_pasted(bench, photo) -> tuple[np.ndarray, np.ndarray]:
    """The photo saved three times at quality 95, and the same with fresh content pasted at SPLICE."""
    arr = photo
    for _ in range(3):
        arr = np.asarray(Image.open(io.BytesIO(encode(arr, "JPEG", quality=95))).convert("RGB"))
    donor = np.asarray(Image.open(bench / "camera" / "mdx__Nikon_D90.jpg").convert("RGB"))
    y, x, s = SPLICE
    edited = arr.copy()
    edited[y : y + s, x : x + s] = cv2.resize(donor[1000:1700, 1500:2200], (s, s), interpolation=cv2.INTER_AREA)
    return arr, edited


def test_ela_map_localises_a_pasted_region(resaved_and_pasted):
    """Paste fresh content into a repeatedly saved JPEG: the pasted square stands out."""
    _, edited = resaved_and_pasted
    result = ela.analyze(Media.from_bytes(encode(edited, "JPEG", quality=95)))
    inside, outside = _inside_outside(result.map, edited.shape[:2])
    assert inside > 5 * outside


def test_multi_quality_ela_reports_error_spread_at_three_qualities(resaved_and_pasted):
    """A file last saved at 95 re-saves with less error at 95 than at 75; fresh content pasted
    into it spreads the error unevenly over the blocks."""
    arr, edited = resaved_and_pasted
    plain, pasted = (ela.analyze(Media.from_bytes(encode(a, "JPEG", quality=95))).details for a in (arr, edited))
    assert set(plain["multi_quality"]) == {"75", "85", "95"}
    assert plain["multi_quality"]["95"]["mean_error"] < plain["multi_quality"]["75"]["mean_error"]
    assert pasted["multi_quality"]["95"]["block_range"] > 2 * plain["multi_quality"]["95"]["block_range"]
    assert ela.block_statistics(np.zeros((4, 4), np.uint8)) == {"mean_error": 0.0, "block_cv": 0.0, "block_range": 0.0}


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP", "GIF"])
def test_ela_is_not_applicable_to_non_jpeg(fmt):
    result = ela.analyze(Media.from_bytes(encode(natural_rgb(), fmt)))
    assert result.status == "skipped" and result.score is None and result.map is None
    assert result.interpretation.startswith("Not applicable")


def test_noise_on_a_camera_original_is_low(root):
    result = noise.analyze(Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes()))
    assert result.status == "ok"
    assert result.details["level"] == "Low"
    assert result.details["residual_local_std_median"] > 0


def test_noise_map_localises_a_region_with_different_noise(photo):
    y, x, s = SPLICE
    noisy = photo.astype(np.float32)
    noisy[y : y + s, x : x + s] += np.random.default_rng(1).normal(0, 10, (s, s, 3))
    edited = np.clip(noisy, 0, 255).astype(np.uint8)
    original = noise.analyze(Media.from_bytes(encode(photo, "PNG")))
    result = noise.analyze(Media.from_bytes(encode(edited, "PNG")))
    inside, outside = _inside_outside(result.extra_maps["noise_level"], edited.shape[:2])
    assert inside > 4 * outside
    # the main map also holds the residual statistics, whose outside level is higher (measured 0.27 vs 0.15)
    inside, outside = _inside_outside(result.map, edited.shape[:2])
    assert inside > 1.5 * outside
    assert result.score > original.score


def test_noise_skips_tiny_and_blank_images():
    assert noise.analyze(Media.from_bytes(encode(natural_rgb(100, 80), "PNG"))).status == "skipped"
    blank = np.zeros((512, 512, 3), np.uint8)
    result = noise.analyze(Media.from_bytes(encode(blank, "PNG")))
    assert result.status == "skipped" and "black, white or flat" in result.interpretation


@pytest.mark.slow
def test_analyzers_do_not_modify_shared_pixels(root):
    media = Media.from_bytes((root / "samples" / "iphone4.jpg").read_bytes())
    before = media.rgb.copy()
    for analyze in ANALYZERS.values():
        analyze(media)
    np.testing.assert_array_equal(media.rgb, before)
    assert not media.rgb.flags.writeable
