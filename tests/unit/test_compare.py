"""Image comparison (``vforensics compare`` / the API's /compare) and ``vforensics metadata``."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from vforensics.media.image import Media
from vforensics.report.comparison import average_hash, compare, difference_hash, hamming, perceptual_hash, ssim

from .images import encode


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


def _media(rgb: np.ndarray, quality: int = 90, name: str = "x.jpg") -> Media:
    return Media.from_bytes(encode(rgb, "JPEG", quality=quality), name)


def test_ssim_is_one_for_equal_images_and_falls_with_noise(photo):
    gray = photo[..., 1].astype(np.float32)
    score, ssim_map = ssim(gray, gray)
    assert score == pytest.approx(1.0) and ssim_map.shape == gray.shape
    noisy = gray + np.random.default_rng(0).normal(0, 20, gray.shape).astype(np.float32)
    assert ssim(gray, noisy)[0] < 0.7


def test_recompressed_copy_is_very_similar_with_near_hashes(photo):
    result = compare(_media(photo, 95), _media(photo, 70))
    r = result.report
    assert not r["identical_files"] and r["alignment"] == "same size" and r["differences"] == ["bytes"]
    assert r["ssim"] > 0.95 and r["interpretation"].startswith("Very Similar")
    assert all(h["distance"] <= 4 for h in r["hashes"].values())


def test_identical_files_say_so(photo):
    a = _media(photo)
    r = compare(a, Media.from_bytes(a.data, "copy.jpg")).report
    assert r["identical_files"] and r["sha256"]["match"] and r["interpretation"].startswith("Identical")


def test_pasted_patch_shows_in_the_difference_map(photo):
    edited = photo.copy()
    edited[300:500, 400:650] = photo[600:800, 900:1150]
    result = compare(_media(photo), _media(edited))
    diff = result.difference
    scale = diff.shape[1] / photo.shape[1]
    inside = diff[int(320 * scale) : int(480 * scale), int(420 * scale) : int(630 * scale)].mean()
    assert inside > 5 * diff[int(700 * scale) :, : int(300 * scale)].mean()
    assert result.report["ssim"] < 0.99


def test_resized_copy_is_aligned_and_similar(photo):
    small = np.asarray(Image.fromarray(photo).resize((648, 484), Image.Resampling.LANCZOS))
    r = compare(_media(photo), _media(small)).report
    assert r["alignment"] == "resized" and {"width", "height"} <= set(r["differences"])
    assert r["ssim"] > 0.85 and r["hashes"]["phash"]["distance"] <= 6


def test_crop_is_registered_and_compared_where_it_overlaps(photo):
    crop = np.ascontiguousarray(photo[100:800, 150:1100])
    r = compare(_media(photo), _media(crop)).report
    assert r["alignment"].startswith("registered")
    assert 0.45 < r["overlap"] < 0.65 and r["ssim"] > 0.85


def test_different_pictures_are_different(photo, bench):
    other = next(p for p in sorted((bench / "camera").glob("*.jpg")) if p.stat().st_size < 400_000)
    r = compare(_media(photo), Media.from_bytes(other.read_bytes(), other.name)).report
    assert r["hashes"]["phash"]["distance"] > 16
    assert r["interpretation"].split(" (")[0] in ("Somewhat Similar", "Different")


def test_hashes_are_64_bits_and_stable(photo):
    gray = photo[..., 1]
    for fn in (average_hash, difference_hash, perceptual_hash):
        h = fn(gray)
        assert 0 <= h < 2**64 and h == fn(gray.copy())
    assert hamming(0b1011, 0b0001) == 2


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "vforensics.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_compare_command_prints_json_and_writes_the_heatmap(root, tmp_path, photo):
    b = tmp_path / "b.jpg"
    b.write_bytes(encode(photo, "JPEG", quality=70))
    done = _cli("compare", root / "samples" / "iphone4.jpg", b, "--out", tmp_path / "cmp", cwd=root)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["interpretation"].startswith("Very Similar")
    assert Image.open(tmp_path / "cmp" / "ssim_heatmap.png").size[0] > 0
    assert Image.open(tmp_path / "cmp" / "ssim_difference.png").mode == "L"


@pytest.mark.parametrize(
    "size_a,size_b", [((1, 64), (96, 64)), ((64, 1), (64, 64)), ((96, 64), (1, 64)), ((1, 1), (2, 2))]
)
def test_one_pixel_wide_or_high_images_are_compared_not_crashed(tmp_path, size_a, size_b):
    rng = np.random.default_rng(1)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path, (w, h) in ((a, size_a), (b, size_b)):
        path.write_bytes(encode(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "PNG"))
    result = compare(Media.from_bytes(a.read_bytes()), Media.from_bytes(b.read_bytes()))
    assert result.report["alignment"] in (
        "same size",
        "resized",
        "none (resized; the pictures could not be registered)",
    )
    assert result.difference.shape == (size_a[1], size_a[0]) and 0.0 <= result.report["overlap"] <= 1.0


def test_compare_command_refuses_a_non_image(root, tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_text("not an image")
    done = _cli("compare", root / "samples" / "iphone4.jpg", junk, cwd=root)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "UNSUPPORTED_FORMAT"


def test_metadata_command_prints_the_metadata_report(root, tmp_path):
    done = _cli("metadata", root / "samples" / "iphone4.jpg", cwd=root)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["file"]["format"] == "JPEG" and report["exif"]["Model"] == "iPhone 4"
    assert report["hashes"]["sha256"] == report["file"]["sha256"] and report["level"] == "Low"
    assert report["structure"]["container"] == "JPEG" and "interpretation" in report
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    done = _cli("metadata", empty, cwd=root)
    assert done.returncode == 1 and json.loads(done.stdout)["error"]["code"] == "EMPTY_FILE"
