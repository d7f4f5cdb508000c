"""Every registered analyzer keeps the contract of analyzers/base.py on real photos and awkward inputs.

Status ok or skipped (a crash is the state machine's business, not a result), a score in 0-100
or None, an interpretation, JSON-ready details, maps as finite float arrays in 0..1 with the
image's aspect, and a map only from an analyzer the registry says localises.
"""

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.registry import ANALYZER_SPECS, AnalyzerSpec
from vforensics.media.image import Media

from .images import encode, natural_rgb


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    return encode(Image.fromarray(array, mode) if mode else array, "PNG")


def _sixteen_bit_grey() -> bytes:
    grey = (natural_rgb(320, 240)[..., 1].astype(np.uint16) * 257).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, format="PNG")  # mode I;16
    return buf.getvalue()


def _inputs(root) -> dict[str, bytes]:
    rgb = natural_rgb(400, 300)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    return {
        "camera_jpeg": (root / "samples" / "iphone4.jpg").read_bytes(),
        "ai_jpeg": (root / "samples" / "ai-diffusion.jpg").read_bytes(),
        "png": _png(rgb),
        "tiny_8px": encode(natural_rgb(8, 8), "JPEG", quality=90),
        "strip_1px_high": _png(natural_rgb(300, 1)),
        "strip_1px_wide": encode(natural_rgb(1, 300), "JPEG", quality=90),
        "alpha_png": _png(rgba, "RGBA"),
        "grey_jpeg": encode(Image.fromarray(rgb[..., 0]), "JPEG", quality=85),
        "sixteen_bit_png": _sixteen_bit_grey(),
    }


INPUT_NAMES = (
    "camera_jpeg",
    "ai_jpeg",
    "png",
    "tiny_8px",
    "strip_1px_high",
    "strip_1px_wide",
    "alpha_png",
    "grey_jpeg",
    "sixteen_bit_png",
)


@pytest.fixture(scope="module")
def inputs(root) -> dict[str, bytes]:
    return _inputs(root)


def _check_map(name: str, suspicion: np.ndarray, media: Media) -> None:
    assert isinstance(suspicion, np.ndarray) and suspicion.ndim == 2, name
    assert np.issubdtype(suspicion.dtype, np.floating), (name, suspicion.dtype)
    assert np.isfinite(suspicion).all(), name
    assert suspicion.min() >= 0.0 and suspicion.max() <= 1.0, (name, suspicion.min(), suspicion.max())
    h, w = suspicion.shape
    height, width = media.info.height, media.info.width
    # any resolution, the image's aspect: square cells of one size cover the image, give or take
    # one partial cell on each axis (a transposed map fails this)
    cell = max(width / w, height / h)
    assert abs(w - width / cell) <= 1 + 1e-6 and abs(h - height / cell) <= 1 + 1e-6, (name, (h, w), (height, width))


@pytest.mark.parametrize("spec", ANALYZER_SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("input_name", INPUT_NAMES)
def test_every_analyzer_keeps_the_contract(spec: AnalyzerSpec, input_name: str, inputs: dict[str, bytes]):
    media = Media.from_bytes(inputs[input_name], f"{input_name}.bin")
    result = spec.load()(media)
    assert result.status in ("ok", "skipped"), (result.status, result.interpretation)
    assert isinstance(result.interpretation, str) and result.interpretation.strip()
    if result.score is not None:
        assert isinstance(result.score, int | float) and math.isfinite(result.score)
        assert 0.0 <= result.score <= 100.0
    if not spec.scores:
        assert result.score is None, f"{spec.name} gives a score but the registry says it does not score"
    if result.status == "skipped":
        assert result.score is None and result.map is None
    json.dumps(result.to_dict(), allow_nan=False)  # JSON-ready, no NaN or numpy scalars
    maps = {spec.name: result.map} if result.map is not None else {}
    maps |= result.extra_maps
    if maps:
        assert spec.localises, f"{spec.name} writes a map but the registry says it does not localise"
    for name, suspicion in maps.items():
        _check_map(name, suspicion, media)
    for view, image in result.views.items():
        assert image.dtype == np.uint8 and image.ndim in (2, 3), view
