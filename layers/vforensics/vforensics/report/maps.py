"""Suspicion maps as files: 8-bit grayscale for tools, colour overlays for people.

A map is a float array in 0..1 with the image's aspect ratio at any resolution.
``maps/<name>.png`` stores it at the image's size (capped at ``MAX_SIDE``) with
255 = most suspicious; ``heatmaps/<name>.png`` blends a colour map over a downscaled copy
of the image so a reader sees *where*.
"""

from __future__ import annotations

import cv2
import numpy as np

from vforensics.scoring.tampering import MAP_OVERLAYS, MAP_WEIGHTS

MAX_SIDE = 2048  # longest side of written maps (for tools), pixels
HEATMAP_MAX_SIDE = 1280  # longest side of colour heatmaps (for people): a 2048 px one is 4-6 MB of PNG
OVERLAY_ALPHA = 0.65  # weight of the colour map over the photo, at full suspicion
OVERLAY_FROM, OVERLAY_FULL = 0.15, 0.6  # suspicion where the overlay starts / reaches full weight
# Std of the Gaussian over the combined map's soft evidence, in pixels of the image: one cell of
# the noise map's grid. Chosen on two development draws (docs/ANALYZERS.md, "overall").
COMBINED_SMOOTHING_PX = 32.0


def fit_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_map(suspicion: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a map to ``size`` = (width, height), clipped to 0..1."""
    resized = cv2.resize(suspicion.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    return np.clip(resized, 0.0, 1.0)


def gray_png(suspicion: np.ndarray, width: int, height: int) -> bytes:
    """PNG bytes of the map at the image's size (capped), 255 = most suspicious."""
    m = resize_map(suspicion, fit_size(width, height))
    return _png(cv2.convertScaleAbs(m, alpha=255.0), compression=3)


def heatmap_png(suspicion: np.ndarray, rgb: np.ndarray) -> bytes:
    """PNG bytes of a JET colour map blended over the image.

    Areas below ``OVERLAY_FROM`` suspicion show the photo untouched, so a reader's eye goes
    to what stands out rather than to a tint over everything.
    """
    h, w = rgb.shape[:2]
    size = fit_size(w, h, HEATMAP_MAX_SIDE)
    photo = cv2.resize(cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA)
    m = resize_map(suspicion, size)
    colour = cv2.applyColorMap((m * 255).astype(np.uint8), cv2.COLORMAP_JET)
    ramp = np.clip((m - OVERLAY_FROM) / (OVERLAY_FULL - OVERLAY_FROM), 0.0, 1.0)
    weight = cv2.merge([OVERLAY_ALPHA * ramp * ramp * (3.0 - 2.0 * ramp)] * 3)  # smoothstep
    blended = cv2.add(
        cv2.multiply(photo, 1.0 - weight, dtype=cv2.CV_32F), cv2.multiply(colour, weight, dtype=cv2.CV_32F)
    )
    return _png(cv2.convertScaleAbs(blended), compression=1)


def view_png(image: np.ndarray) -> bytes:
    """PNG bytes of an analyzer's view for people (uint8 grey, or RGB), as it is."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
    return _png(bgr, compression=3)


def decode_png_map(data: bytes) -> np.ndarray:
    """Inverse of ``gray_png``: float map in 0..1."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise ValueError("not a PNG map")
    return arr.astype(np.float32) / 255.0


def combine(
    maps: dict[str, np.ndarray],
    weights: dict[str, float],
    size: tuple[int, int],
    overlays: tuple[str, ...] = (),
    smoothing: float = 0.0,
) -> np.ndarray | None:
    """Weighted mean of the maps resized to ``size``, smoothed by a Gaussian of std
    ``smoothing`` pixels (of ``size``), then the ``overlays`` on top (maximum).

    The soft maps come from windowed estimates, each cell a noisy reading; an edited region
    is contiguous, so pooling neighbouring cells ranks its pixels better (pixel AUC and
    best-threshold F1 rise on splices and inpaintings) at the price of lower peaks.
    Overlays are masks of verified detections (e.g. a cloned region): averaging or blurring
    them would soften a certain finding, so they enter at full strength. None when there is
    no map to combine.
    """
    present = [(name, m) for name, m in maps.items() if weights.get(name, 0) > 0]
    on_top = [m for name, m in maps.items() if name in overlays]
    if not present and not on_top:
        return None
    acc: np.ndarray = np.zeros((size[1], size[0]), np.float32)
    total = sum(weights[name] for name, _ in present)
    for name, m in present:
        acc += resize_map(m, size) * (weights[name] / total)
    if present and smoothing > 0:
        acc = cv2.GaussianBlur(acc, (0, 0), smoothing, borderType=cv2.BORDER_REFLECT)
    for m in on_top:
        np.maximum(acc, resize_map(m, size), out=acc)
    return acc


def combine_weighted(loaded: dict[str, np.ndarray], width: int, height: int) -> np.ndarray | None:
    """The combined map of an image (``width`` x ``height``) from its analyzers' maps, with the
    fitted weights and overlays of :mod:`vforensics.scoring`, at the maps' size."""
    size = fit_size(width, height)
    return combine(loaded, MAP_WEIGHTS, size, MAP_OVERLAYS, COMBINED_SMOOTHING_PX * size[0] / width)


def _png(arr: np.ndarray, compression: int) -> bytes:
    ok, buf = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:  # pragma: no cover
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()
