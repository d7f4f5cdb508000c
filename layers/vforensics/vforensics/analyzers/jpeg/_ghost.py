"""JPEG ghosts, computed in the DCT domain.

H. Farid, "Exposing digital forgeries from JPEG ghosts", IEEE TIFS 4(1), 2009: re-saving
an image at a range of qualities and measuring the difference to the original shows a dip
(a "ghost") at the quality a region was previously compressed with. A region with a
different compression history -- pasted from another JPEG, or never compressed on this
grid -- has its dip elsewhere or none.

Re-saving the luma at IJG quality q and taking the squared pixel difference equals, by the
orthonormality of the DCT, requantizing the file's dequantized coefficients with the
quality-q table and summing the squared coefficient errors per block. So no encoding or
decoding is needed: ``err_b(q) = sum_k (y_k - T_q,k round(y_k / T_q,k))^2 / 64`` per 8x8
block b (mean squared error per pixel), for zero coefficients err = 0.

Following Farid, errors are averaged over a neighbourhood (here 3x3 blocks). Each block's
curve is normalised by its mean over the qualities tried (this cancels most of the texture
dependence), compared with the image's median curve, and the largest relative dip or
excess becomes the ghost map. The ghost is only visible for an earlier quality *lower*
than the last one; texture-free (flat) blocks carry no ghost and are left at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vforensics.media.jpeg_tables import IJG_LUMA, ZIGZAG, ijg_table

GHOST_COEFFS = 28  # zig-zag coefficients 0..27 (low and middle frequencies) are requantized
MIN_ENERGY = 1.0  # blocks whose mean error over qualities is below this (per pixel^2) are flat
SMOOTH = 3  # neighbourhood (blocks) over which errors are averaged
MAX_BLOCKS = 60_000  # larger images are analysed on every 2nd (3rd ...) block in each direction


@dataclass
class GhostResult:
    qualities: list[int]
    median_curve: list[float]  # image-wide median of the normalised error per quality
    dip_quality: int | None  # quality of the image-wide dip (an earlier compression), if any
    dip_depth: float  # 1 - curve[dip] / mean(neighbours), 0 when none
    map: np.ndarray  # (bh, bw) float32 0..1, deviation from the image's typical curve
    share_deviating: float  # share of textured blocks whose deviation is over 0.5

    def to_dict(self) -> dict:
        return {
            "qualities": self.qualities,
            "median_curve": [round(v, 4) for v in self.median_curve],
            "dip_quality": self.dip_quality,
            "dip_depth": round(self.dip_depth, 4),
            "share_deviating": round(self.share_deviating, 4),
        }


def ghost_qualities(last_quality: int, n: int = 8, low: int = 50) -> list[int]:
    """Qualities to try: ``n`` steps from ``low`` up to just below the last compression."""
    top = max(low + n, min(last_quality - 1, 99))
    return sorted({int(round(v)) for v in np.linspace(low, top, n)})


def requantization_errors(coef_q: np.ndarray, table: np.ndarray, qualities: list[int]) -> np.ndarray:
    """Per-block MSE (bh, bw, len(qualities)) of requantizing the dequantized coefficients.

    Only non-zero coefficients can have an error, so the work is done on those alone.
    """
    bh, bw = coef_q.shape[:2]
    idx = ZIGZAG[:GHOST_COEFFS]
    sub = coef_q.reshape(bh * bw, 64)[:, idx]
    rows, cols = np.nonzero(sub)
    vals = sub[rows, cols].astype(np.float32) * table.reshape(64)[idx].astype(np.float32)[cols]
    del sub
    out = np.zeros((len(qualities), bh * bw), np.float32)
    buf = np.empty_like(vals)
    for i, q in enumerate(qualities):
        step = ijg_table(IJG_LUMA, q)[idx].astype(np.float32)[cols]
        np.divide(vals, step, out=buf)
        np.rint(buf, out=buf)
        buf *= step
        np.subtract(vals, buf, out=buf)
        buf *= buf
        out[i] = np.bincount(rows, weights=buf, minlength=bh * bw) / 64.0
    return out.reshape(len(qualities), bh, bw).transpose(1, 2, 0)


def jpeg_ghost(coef_q: np.ndarray, table: np.ndarray, last_quality: int) -> GhostResult:
    """Ghost analysis of quantized luma coefficients (bh, bw, 64) with their luma table.

    The map has one value per analysed block: per 8x8 block, or per 16x16 (24x24 ...) px on
    images with more than :data:`MAX_BLOCKS` blocks, where every n-th block is used.
    """
    qualities = ghost_qualities(last_quality)
    stride = max(1, int(np.ceil(np.sqrt(coef_q.shape[0] * coef_q.shape[1] / MAX_BLOCKS))))
    if stride > 1:
        coef_q = coef_q[::stride, ::stride]
    err = requantization_errors(coef_q, table, qualities)
    if SMOOTH > 1:
        err = np.stack([cv2.blur(err[:, :, i], (SMOOTH, SMOOTH)) for i in range(err.shape[2])], axis=2)
    mean = err.mean(axis=2)
    textured = mean > MIN_ENERGY
    bh, bw = coef_q.shape[:2]
    if textured.sum() < 16:
        return GhostResult(qualities, [1.0] * len(qualities), None, 0.0, np.zeros((bh, bw), np.float32), 0.0)
    norm = err / np.maximum(mean, 1e-6)[:, :, None]
    curve = np.median(norm[textured], axis=0)
    dip_q, depth = None, 0.0
    for i in range(1, len(qualities) - 1):
        neighbours = 0.5 * (curve[i - 1] + curve[i + 1])
        d = 1.0 - curve[i] / max(neighbours, 1e-6)
        if d > depth:
            dip_q, depth = qualities[i], float(d)
    dev = np.log((norm + 0.05) / (curve[None, None, :] + 0.05))
    strength = np.abs(dev).max(axis=2)
    gmap = np.clip(strength / 1.0, 0.0, 1.0).astype(np.float32)  # |log ratio| of 1 (x2.7) = full scale
    gmap[~textured] = 0.0
    share = float((gmap[textured] > 0.5).mean())
    return GhostResult(qualities, [float(v) for v in curve], dip_q, depth, gmap, share)
