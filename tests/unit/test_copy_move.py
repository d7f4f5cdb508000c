"""The copy_move analyzer on clones made here from a real photo, on untouched photos and on odd input."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.copy_move import _analyzer as copy_move
from vforensics.analyzers.copy_move._dense import period, shift_peaks, translations
from vforensics.analyzers.copy_move._keypoints import ransac_clusters
from vforensics.media.image import Media

from .images import encode, natural_rgb

PATCH = (200, 130)  # width, height of the cloned ellipse, pixels: 1.6% of the 1296 x 968 photo


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


def clone(rgb: np.ndarray, src: tuple[int, int], dst: tuple[int, int], angle: float = 0.0):
    """Copy an elliptic patch at ``src`` (top-left) to ``dst``, rotated by ``angle`` degrees
    about its centre (bicubic). Returns the forgery and the masks of the source and the copy."""
    (sx, sy), (dx, dy), (w, h) = src, dst, PATCH
    matrix = cv2.getRotationMatrix2D((sx + w / 2, sy + h / 2), angle, 1.0)
    matrix[:, 2] += (dx - sx, dy - sy)
    size = (rgb.shape[1], rgb.shape[0])
    source = np.zeros(rgb.shape[:2], np.uint8)
    cv2.ellipse(source, (sx + w // 2, sy + h // 2), (w // 2 - 2, h // 2 - 2), 0, 0, 360, 1, -1)
    copy = cv2.warpAffine(source, matrix, size, flags=cv2.INTER_NEAREST) > 0
    warped = cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_CUBIC)
    forged = rgb.copy()
    forged[copy] = warped[copy]
    return forged, source > 0, copy


def jpeg(rgb: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def flagged(result, shape: tuple[int, int]) -> np.ndarray:
    """The result's map at image size, thresholded at 0.5 as the pixel F1 is."""
    return cv2.resize(result.map, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR) > 0.5


def assert_localised(result, source: np.ndarray, copy: np.ndarray) -> None:
    found = flagged(result, source.shape)
    assert found[source].mean() > 0.7 and found[copy].mean() > 0.7  # both the original and the copy
    near = cv2.dilate((source | copy).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    assert found[~near].mean() < 0.005  # and little else


def test_plain_clone_is_found_with_both_regions_and_its_shift(photo):
    forged, source, copy = clone(photo, (680, 330), (120, 760))  # text of the receipt onto the dark table
    result = copy_move.analyze(Media.from_bytes(jpeg(forged, 85), "clone.jpg"))
    assert result.status == "ok" and result.score >= 70
    d = result.details
    assert d["detected"] and d["matches_found"] > 0 and len(d["regions"]) == 1
    region = d["regions"][0]
    assert abs(region["rotation_deg"]) < 1 and abs(region["scale"] - 1) < 0.02
    shift = np.array(region["translation_px"])
    assert min(np.abs(shift - (-560, 430)).max(), np.abs(shift + (-560, 430)).max()) < 3  # either direction
    assert 1.0 < region["area_pct"] < 2.0  # the ellipse covers 1.6%
    assert d["clone_score"] == pytest.approx(100 * (source | copy).mean(), rel=0.3)
    assert d["level"] == "Medium"  # 2-5% of the image
    assert "appears again at" in result.interpretation
    assert_localised(result, source, copy)
    json.dumps(result.to_dict())  # details are JSON-ready
    assert result.map.dtype == np.float32 and 0 <= result.map.min() and result.map.max() <= 1
    h, w = result.map.shape
    assert w / h == pytest.approx(forged.shape[1] / forged.shape[0], rel=0.01)


@pytest.mark.parametrize("angle", [-25.0])
def test_rotated_clone_is_found_and_its_rotation_recovered(photo, angle):
    forged, source, copy = clone(photo, (680, 330), (120, 760), angle)
    result = copy_move.analyze(Media.from_bytes(jpeg(forged, 90), "rotated.jpg"))
    assert result.details["detected"] and result.score >= 70
    region = result.details["regions"][0]
    assert region["method"] == "keypoints" and region["inliers"] >= 10
    assert abs(abs(region["rotation_deg"]) - abs(angle)) < 2 and abs(region["scale"] - 1) < 0.03
    assert_localised(result, source, copy)


def test_low_texture_clone_is_found_without_plain_keypoints(photo):
    """A patch of the dark, almost flat table carries too few plain SIFT points; the shift search
    finds its translation, and the contrast-equalised keypoint pass (tried first) finds it too."""
    forged, source, copy = clone(photo, (1000, 100), (80, 700))
    media = Media.from_bytes(jpeg(forged, 85), "flat.jpg")
    result = copy_move.analyze(media)
    assert result.details["detected"]
    assert result.details["regions"][0]["method"] in ("dense", "keypoints (contrast-equalised)")
    assert_localised(result, source, copy)
    gray, scale = copy_move.analysis_gray(media.rgb)
    expected = np.array([-920.0, 600.0]) * scale
    shifts = [np.array(t) for dx, dy, _ in shift_peaks(gray, 12.0) for t in translations(dx, dy, gray.shape)]
    assert any(np.abs(t - expected).max() < 3 or np.abs(t + expected).max() < 3 for t in shifts)


@pytest.mark.parametrize("angle", [20.0, -15.0])
def test_rotated_low_texture_clone_is_found_by_the_contrast_equalised_pass(photo, angle):
    """The dark table rotated: no shift to find, too few plain SIFT points; CLAHE lifts its texture."""
    forged, source, copy = clone(photo, (1000, 100), (80, 700), angle)
    result = copy_move.analyze(Media.from_bytes(jpeg(forged, 90), "flat-rotated.jpg"))
    assert result.details["detected"] and result.score >= 70
    region = result.details["regions"][0]
    assert region["method"] == "keypoints (contrast-equalised)"
    assert abs(region["rotation_deg"] - angle) < 2
    assert_localised(result, source, copy)


def test_lossless_png_clone_and_a_reproducible_verdict(photo):
    forged, source, copy = clone(photo[:600, 300:1100], (380, 20), (60, 400))
    media = Media.from_bytes(encode(forged, "PNG"), "clone.png")
    result = copy_move.analyze(media)
    assert result.details["detected"] and result.details["regions"][0]["correlation"] > 0.95
    assert_localised(result, source, copy)
    cv2.randu(np.zeros(1000), 0, 1)  # whatever used OpenCV's random generator before
    again = copy_move.analyze(media)
    assert again.to_dict() == result.to_dict() and np.array_equal(again.map, result.map)


def test_untouched_photos_are_not_flagged(root, bench):
    """The receipt repeats glyphs ("0080", "!!!"); the resort photo repeats roof tiles and windows."""
    for path in (root / "samples" / "iphone4.jpg", bench / "camera" / "mdx__Sony_DCR-PC110E_(2).jpg"):
        result = copy_move.analyze(Media.from_bytes(path.read_bytes(), path.name))
        assert result.status == "ok", path
        assert result.score == 0 and not result.details["detected"] and result.details["regions"] == []
        assert result.details["level"] == "Low" and result.details["clone_score"] == 0
        assert result.interpretation.startswith("No cloned regions found")
        assert not result.map.any()


@pytest.mark.parametrize(
    ("width", "height"),
    [(1, 1), (20000, 40), (40, 3000)],
)
def test_images_too_small_to_search_are_skipped(width, height):
    data = encode(natural_rgb(width, height), "PNG")
    result = copy_move.analyze(Media.from_bytes(data, "small.png"))
    assert result.status == "skipped" and result.score is None and result.map is None
    assert result.interpretation.startswith("Not applicable")


def test_grayscale_and_flat_images_analyse_without_a_finding(photo):
    grey = Image.fromarray(photo).convert("L")
    result = copy_move.analyze(Media.from_bytes(encode(grey, "JPEG", quality=90), "grey.jpg"))
    assert result.status == "ok" and result.score == 0
    flat = np.full((64, 64, 3), 128, np.uint8)
    result = copy_move.analyze(Media.from_bytes(encode(flat, "PNG"), "flat.png"))
    assert result.status == "ok" and result.score == 0 and result.details["matches_found"] == 0


def test_similarity_ransac_recovers_a_transform_among_outliers():
    rng = np.random.default_rng(1)
    angle, scale, shift = np.radians(20), 1.1, np.array([300.0, -40.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = rng.uniform(100, 200, (12, 2))
    dst = src @ rot.T + shift + rng.normal(0, 0.5, src.shape)
    outliers_a, outliers_b = rng.uniform(0, 1000, (150, 2)), rng.uniform(0, 1000, (150, 2))
    found = ransac_clusters(np.vstack([src, outliers_a]), np.vstack([dst, outliers_b]))
    assert found and len(found[0].src) >= 11
    matrix = found[0].matrix
    if np.linalg.det(matrix[:, :2]) < 1:  # found in the reverse direction, copy -> source
        matrix = cv2.invertAffineTransform(matrix)
    np.testing.assert_allclose(matrix[:, :2], rot, atol=0.02)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=3)


def test_shift_search_finds_a_translation():
    rng = np.random.default_rng(2)
    gray = np.clip(cv2.GaussianBlur(rng.normal(128, 30, (300, 400)), (0, 0), 1.0), 0, 255).astype(np.uint8)
    gray[200:260, 250:330] = gray[40:100, 30:110]  # a copy shifted by (+220, +160)
    dx, dy, strength = shift_peaks(gray, min_shift=12)[0]
    assert strength > 5
    shifts = np.array(translations(dx, dy, gray.shape))  # the peak is circular: its linear readings
    assert np.abs(np.abs(shifts) - (220, 160)).max(axis=1).min() < 1


def test_shift_search_on_prime_sides_finds_a_far_copy():
    """Sides of 389 and 509 px (primes: a slow DFT) run on the largest fast size below them;
    a copy 300 px away, whose circular reading differs on that period, is still found."""
    assert period((389, 509)) == (384, 500)
    rng = np.random.default_rng(3)
    gray = np.clip(cv2.GaussianBlur(rng.normal(128, 30, (389, 509)), (0, 0), 1.0), 0, 255).astype(np.uint8)
    gray[250:310, 340:420] = gray[40:100, 40:120]  # shifted by (+300, +210)
    dx, dy, strength = shift_peaks(gray, min_shift=12)[0]
    assert strength > 5
    shifts = np.array(translations(dx, dy, gray.shape))
    assert np.abs(np.abs(shifts) - (300, 210)).max(axis=1).min() < 1
