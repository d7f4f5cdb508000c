"""Luma DCT coefficients of a JPEG, recovered from its pixels, and the 8x8 blocking grid.

A baseline decoder computes each 8x8 block as IDCT(c * Q) + 128, rounded and clipped to
0..255. Decoding the luma plane without colour conversion (Pillow's ``draft("YCbCr")``)
and taking the orthonormal 8x8 DCT of (Y - 128) therefore gives c * Q up to the rounding
of the pixels (about 0.3 in DCT units, the DCT being orthonormal), so dividing by the luma
table recovers the quantized coefficients c as near-integers, without a coefficient-level
reader. Blocks with clipped pixels (0 or 255) are the exception and are flagged.

DCT values at other grid positions (for non-aligned double compression) come from a
separable filter with the DCT basis rows (one ``cv2.sepFilter2D`` per coefficient), which
gives the coefficient of the 8x8 window starting at every pixel at once.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from vforensics.media.image import lacks_end_marker, with_end_marker

BLOCK = 8
STEP_CAP = 24  # grey levels: larger neighbour steps are edges, not blocking


def dct_matrix(n: int = BLOCK) -> np.ndarray:
    """Orthonormal DCT-II matrix D (float32): coefficients = D @ block @ D.T."""
    k = np.arange(n)
    d = np.sqrt(2.0 / n) * np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / (2 * n))
    d[0] /= np.sqrt(2.0)
    return d.astype(np.float32)


DCT8 = dct_matrix()


@dataclass
class LumaPlane:
    """The decoded luma plane and how it was obtained."""

    y: np.ndarray  # uint8 (H, W), or float32 when derived from RGB
    exact: bool  # True: decoder output before colour conversion (coefficients recoverable)
    source: str  # "ycbcr", "grayscale", "rgb"
    truncated: bool = False  # the entropy-coded data ended early; missing blocks are flat grey


def _open_luma(data: bytes) -> LumaPlane | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        img = Image.open(io.BytesIO(data))
        if img.format != "JPEG":
            return None
        if img.mode == "L":
            img.load()
            return LumaPlane(np.asarray(img, dtype=np.uint8), True, "grayscale")
        if img.mode != "RGB":
            return None  # CMYK / YCCK: no plain YCbCr luma
        img.draft("YCbCr", img.size)
        if img.mode != "YCbCr":  # pragma: no cover - draft refused
            return None
        img.load()
        return LumaPlane(np.asarray(img.getchannel(0), dtype=np.uint8), True, "ycbcr")


def decode_luma(data: bytes) -> LumaPlane | None:
    """Luma plane of a JPEG as its decoder wrote it (no colour conversion), or None.

    Colour (YCbCr) and grayscale JPEGs give the exact decoder output; CMYK/YCCK and files
    Pillow cannot decode give None (callers then fall back to luma from RGB). A file cut
    short is decoded as far as it goes (an end-of-image marker is appended, so libjpeg fills
    the missing blocks with flat grey) and flagged ``truncated``.
    """
    try:
        return _open_luma(data)
    except Exception:  # noqa: BLE001 - truncated or corrupt: OSError, SyntaxError, ValueError ...
        pass
    if not lacks_end_marker(data):
        return None
    try:
        plane = _open_luma(with_end_marker(data))
    except Exception:  # noqa: BLE001 - corrupt beyond repair
        return None
    if plane is not None:
        plane.truncated = True
    return plane


def luma_from_rgb(rgb: np.ndarray) -> LumaPlane:
    """JFIF luma (float32, not rounded) from RGB, when the decoder's luma is not available."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    return LumaPlane(0.299 * r + 0.587 * g + 0.114 * b, False, "rgb")


def block_dct(y: np.ndarray) -> np.ndarray:
    """Orthonormal 8x8 DCT of (y - 128) on the grid starting at (0, 0).

    Returns a C-contiguous float32 array (bh, bw, 8, 8): ``out[i, j]`` is the block at rows
    8i.., columns 8j... Partial blocks at the right and bottom edges are dropped.
    """
    h8, w8 = y.shape[0] // BLOCK * BLOCK, y.shape[1] // BLOCK * BLOCK
    x = y[:h8, :w8].astype(np.float32)
    x -= 128.0
    rows = np.matmul(DCT8, x.reshape(h8 // BLOCK, BLOCK, w8))  # vertical transform per block row
    del x
    both = np.matmul(rows.reshape(h8, w8 // BLOCK, BLOCK), DCT8.T)  # horizontal transform
    del rows
    return np.ascontiguousarray(both.reshape(h8 // BLOCK, BLOCK, w8 // BLOCK, BLOCK).transpose(0, 2, 1, 3))


def clipped_blocks(y: np.ndarray) -> np.ndarray:
    """Blocks (bh, bw) containing a pixel at 0 or 255: their coefficients are not recoverable."""
    h8, w8 = y.shape[0] // BLOCK * BLOCK, y.shape[1] // BLOCK * BLOCK
    v = y[:h8, :w8]
    if v.dtype != np.uint8:
        v = np.clip(np.rint(v), 0, 255).astype(np.uint8)
    extreme = ((v == 0) | (v == 255)).view(np.uint8)
    # area average per 8x8 block (exact for integer factors) > 0 <=> some extreme pixel
    share = cv2.resize(extreme, (w8 // BLOCK, h8 // BLOCK), interpolation=cv2.INTER_AREA)
    if share.dtype == np.uint8:  # uint8 averaging rounds 1/64 down to 0: use a float copy then
        share = cv2.resize(extreme.astype(np.float32), (w8 // BLOCK, h8 // BLOCK), interpolation=cv2.INTER_AREA)
    return share > 0


def shifted_coefficients(y: np.ndarray, freqs: list[tuple[int, int]]) -> np.ndarray:
    """DCT coefficients (u, v) of the 8x8 window starting at every pixel.

    Returns float32 (len(freqs), H - 7, W - 7); ``out[k, r, c]`` is coefficient ``freqs[k]``
    of the window with top-left corner (r, c). Slicing ``[:, dy::8, dx::8]`` gives the block
    DCT on the grid shifted by (dx, dy).
    """
    x = y.astype(np.float32) - 128.0
    h, w = x.shape
    out = np.empty((len(freqs), h - BLOCK + 1, w - BLOCK + 1), np.float32)
    for k, (u, v) in enumerate(freqs):
        # sepFilter2D correlates: kernelX acts along columns (horizontal frequency v).
        full = cv2.sepFilter2D(x, cv2.CV_32F, DCT8[v], DCT8[u], anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        out[k] = full[: h - BLOCK + 1, : w - BLOCK + 1]
    return out


@dataclass
class BlockingGrid:
    """Where the strongest 8x8 blocking grid lies in the pixels, and how strong it is."""

    offset: tuple[int, int]  # (x, y) of the first block's top-left corner, 0..7
    strength: float  # 0..100: boundary-to-interior difference ratio, mapped
    ratio_x: float  # boundary / median of the 8 column phases of |horizontal 2nd difference|
    ratio_y: float
    profile_x: list[float]  # mean |2nd difference| per column phase (0..7), normalised
    profile_y: list[float]

    def to_dict(self) -> dict:
        return {
            "offset_xy": list(self.offset),
            "strength": round(self.strength, 2),
            "ratio_x": round(self.ratio_x, 4),
            "ratio_y": round(self.ratio_y, 4),
            "profile_x": [round(v, 4) for v in self.profile_x],
            "profile_y": [round(v, 4) for v in self.profile_y],
        }


def _phase_profile(y: np.ndarray, axis: int, step: int) -> np.ndarray:
    """Mean |difference of neighbours| across ``axis`` per position modulo 8.

    A block boundary between positions 8k-1 and 8k shows up as a larger step than the
    steps inside blocks; ``prof[j]`` averages the steps between p and p + 1 for p = 8m + j.
    Steps are capped at :data:`STEP_CAP` grey levels so that strong edges do not dominate.
    """
    v = y[::step] if axis == 1 else y[:, ::step].T
    v = v.astype(np.int16)
    d = np.abs(np.diff(v, axis=1))
    n = d.shape[1] // BLOCK * BLOCK
    if n < BLOCK:
        return np.zeros(BLOCK, np.float32)
    d = np.minimum(d[:, :n], STEP_CAP)
    return d.reshape(d.shape[0], n // BLOCK, BLOCK).mean(axis=(0, 1), dtype=np.float64).astype(np.float32)


def blocking_grid(y: np.ndarray, max_rows: int = 512) -> BlockingGrid:
    """Detect the 8x8 blocking grid on the luma plane (any image, JPEG or not).

    For each phase modulo 8 the mean absolute difference between neighbouring pixels is
    measured; block boundaries of a JPEG compression are larger steps than the inside of
    blocks (Z. Fan & R. de Queiroz, "Identification of bitmap compression history: JPEG
    detection and quantizer estimation", IEEE TIP 12(2), 2003). The phase of the peak gives
    the grid offset; the peak over the median phase gives the strength.
    """
    h, w = y.shape
    if h < 2 * BLOCK or w < 2 * BLOCK:
        zero = [0.0] * BLOCK
        return BlockingGrid((0, 0), 0.0, 1.0, 1.0, zero, zero)
    step_rows = max(1, h // max_rows)
    step_cols = max(1, w // max_rows)
    px = _phase_profile(y, axis=1, step=step_rows)
    py = _phase_profile(y, axis=0, step=step_cols)
    jx, jy = int(np.argmax(px)), int(np.argmax(py))
    med_x, med_y = float(np.median(px)), float(np.median(py))
    rx = float(px[jx] / max(med_x, 1e-6))
    ry = float(py[jy] / max(med_y, 1e-6))
    # ratio 1 = no grid; 1.5 and more = clear JPEG blocking.
    strength = float(np.clip((min(rx, ry) - 1.0) / 0.5, 0.0, 1.0) * 100.0)
    norm_x = (px / max(med_x, 1e-6)).tolist()
    norm_y = (py / max(med_y, 1e-6)).tolist()
    return BlockingGrid(((jx + 1) % BLOCK, (jy + 1) % BLOCK), strength, rx, ry, norm_x, norm_y)
