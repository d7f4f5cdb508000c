"""The cfa (demosaicing-trace) analyzer on images the tests build, a real photo and bad input."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers import cfa
from vforensics.evaluation.benchmarks import cfa_study as study
from vforensics.media.image import Media

from .images import check_map, encode, natural_rgb


def _run(data: bytes):
    result = cfa.analyze(Media.from_bytes(data))
    assert result.status in ("ok", "skipped")
    if result.status == "skipped":
        assert result.score is None and result.interpretation.startswith("Not applicable")
    else:
        assert 0.0 <= result.score <= 100.0
    return result


def _demosaiced(rgb: np.ndarray) -> np.ndarray:
    """Sample a Bayer (BG) mosaic from an RGB image and demosaic it: perfect CFA traces."""
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    rgb = rgb[:h, :w]
    raw = np.empty((h, w), np.uint8)
    raw[0::2, 0::2] = rgb[0::2, 0::2, 2]
    raw[0::2, 1::2] = rgb[0::2, 1::2, 1]
    raw[1::2, 0::2] = rgb[1::2, 0::2, 1]
    raw[1::2, 1::2] = rgb[1::2, 1::2, 0]
    return cv2.cvtColor(raw, cv2.COLOR_BayerBG2RGB)


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))


@pytest.fixture(scope="module")
def no_trace(photo) -> np.ndarray:
    """The photo downscaled 2x by area averaging: any demosaicing trace is gone."""
    return cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def forged(no_trace) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A demosaiced host with a 160x200 region of the same scene *before* mosaicing pasted in.

    Content, texture and colour are the same on both sides of the seam; only the trace differs.
    """
    host = _demosaiced(no_trace)
    donor = no_trace[: host.shape[0], : host.shape[1]]
    y, x, h, w = 120, 200, 160, 200
    out = host.copy()
    out[y : y + h, x : x + w] = donor[y : y + h, x : x + w]
    return out, (y, x, h, w)


def test_demosaiced_image_has_consistent_traces(no_trace):
    result = _run(encode(_demosaiced(no_trace), "PNG"))
    assert result.status == "ok"
    assert result.details["cfa_presence"] >= 0.5
    assert result.details["bayer_pattern"] in ("RGGB", "BGGR", "GRBG", "GBRG")
    assert result.score < 20
    check_map(result.map, no_trace.shape[:2])


def test_bayer_pattern_and_lattice_follow_a_one_pixel_shift(no_trace):
    mosaiced = _demosaiced(no_trace)  # OpenCV's "BayerBG" is RGGB in the usual (top-left first) naming
    patterns = {}
    for dy, dx in ((0, 0), (0, 1), (1, 1)):
        details = _run(encode(np.ascontiguousarray(mosaiced[dy:, dx:]), "PNG")).details
        patterns[dy, dx] = (details["bayer_pattern"], details["green_lattice"])
    assert patterns[0, 0] == ("RGGB", "(row+col) odd")
    assert patterns[0, 1] == ("GRBG", "(row+col) even")
    assert patterns[1, 1] == ("BGGR", "(row+col) odd")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG98"])
def test_pasted_region_without_traces_is_localised(forged, fmt):
    img, (y, x, h, w) = forged
    data = encode(img, "PNG") if fmt == "PNG" else encode(img, "JPEG", quality=98)
    result = _run(data)
    assert result.status == "ok"
    assert result.score >= 20
    full = cv2.resize(result.map, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    inside = full[y + 16 : y + h - 16, x + 16 : x + w - 16].mean()
    outside_mask = np.ones(full.shape, bool)
    outside_mask[y - 16 : y + h + 16, x - 16 : x + w + 16] = False
    outside = full[outside_mask].mean()
    assert inside > 0.6 and outside < 0.2 and inside > outside + 0.4


def test_region_on_the_other_lattice_is_localised(no_trace):
    host = _demosaiced(no_trace)
    shifted = host[:, 1:]  # the same demosaiced image moved by one pixel: its lattice is the other one
    y, x, h, w = 120, 200, 160, 200
    out = host.copy()
    out[y : y + h, x : x + w] = shifted[y : y + h, x : x + w]
    result = _run(encode(out, "PNG"))
    assert result.status == "ok" and result.details["other_phase_share"] > 0.03
    full = cv2.resize(result.map, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert full[y + 16 : y + h - 16, x + 16 : x + w - 16].mean() > 0.6


def test_image_without_traces_is_not_applicable(no_trace):
    for data in (encode(no_trace, "PNG"), encode(natural_rgb(640, 480), "PNG")):
        result = _run(data)
        assert result.status == "skipped"
        assert "no demosaicing (CFA) trace" in result.interpretation
        assert "cfa_presence" in result.details and result.details["cfa_presence"] < cfa.MIN_PRESENCE + 0.05


def test_jpeg_q75_erases_the_trace(no_trace):
    result = _run(encode(_demosaiced(no_trace), "JPEG", quality=75))
    assert result.status == "skipped"


def test_real_photo_runs(root, photo):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    result = _run(data)
    assert "cfa_presence" in result.details
    if result.status == "ok":
        check_map(result.map, photo.shape[:2])
        assert result.score < 40


def test_camera_original_from_bench_is_not_flagged(bench):
    data = (bench / "camera" / "mdx__Minolta_DiMAGE_EX.jpg").read_bytes()
    result = _run(data)
    assert result.status == "ok" and result.details["cfa_presence"] > 0.3
    assert result.score < 40


def test_interpretation_states_limits(forged):
    result = _run(encode(forged[0], "PNG"))
    assert "quality 90" in result.interpretation and "no proof" in result.interpretation


@pytest.mark.parametrize("name", ["one_pixel", "strip", "flat", "png16", "grayscale", "cmyk", "odd_size"])
def test_bad_and_unusual_input_does_not_crash(photo, name):
    small = photo[:300, :400]
    if name == "one_pixel":
        data = encode(np.zeros((1, 1, 3), np.uint8), "PNG")
    elif name == "strip":
        data = encode(np.tile(small[:8, :200], (1, 100, 1)), "PNG")  # 20000 x 8
    elif name == "flat":
        data = encode(np.full((300, 400, 3), 128, np.uint8), "PNG")
    elif name == "png16":
        data = encode(Image.fromarray(small[:, :, 0].astype(np.uint16) * 257), "PNG")
    elif name == "grayscale":
        data = encode(Image.fromarray(small).convert("L"), "JPEG", quality=95)
    elif name == "cmyk":
        data = encode(Image.fromarray(small).convert("CMYK"), "JPEG", quality=95)
    else:
        data = encode(np.ascontiguousarray(_demosaiced(photo)[:301, :403]), "PNG")
    result = _run(data)
    if name in ("one_pixel", "strip", "flat", "png16", "grayscale"):
        assert result.status == "skipped"
    if result.status == "ok":
        check_map(result.map, Image.open(io.BytesIO(data)).size[::-1])


def test_the_benchmark_positive_control_is_found_by_the_map(root):
    """The cfa_study benchmark section's control (re-mosaiced photo, 9% pasted from before mosaicing)."""
    photo = np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))
    image, mask = study.control(photo, seed=0)
    assert 0.08 < mask.mean() < 0.10
    result = _run(encode(image, "PNG"))
    assert result.status == "ok"
    suspicion = cv2.resize(result.map, (mask.shape[1], mask.shape[0]))
    assert suspicion[mask].mean() > 2 * suspicion[~mask].mean()
    assert "| PNG | 1 of 1 | 0.50 | 0.75 |" in study.to_markdown({"camera": [], "controls": [("PNG", "ok", 0.5, 0.75)]})
