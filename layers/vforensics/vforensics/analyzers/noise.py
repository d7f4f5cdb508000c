"""Noise-level inconsistency.

A photo straight from one camera carries sensor noise of a similar strength everywhere
(given brightness); a region pasted from another image, or smoothed/retouched, often does
not. Per 32x32 block we estimate the noise standard deviation robustly from the finest
diagonal wavelet (Haar HH) subband, sigma = median(|HH|) / 0.6745 (D. Donoho & I.
Johnstone, Biometrika 81(3), 1994), as B. Mahdian & S. Saic do in "Using noise
inconsistencies for blind image forensics", Image and Vision Computing 27(10), 2009. A
block is *deviating* when its level is over 2**1.5 (about 2.8) times above or below the
image's median level; only coherent groups of deviating blocks (a 3x3-block opening) count,
because a pasted object is a region, not scattered texture.

The product spec's residual (image minus Gaussian blur, local deviation in 15x15 windows)
is also reported in ``details``. On 50 camera originals of shared/bench it flagged more
untouched photos than the wavelet estimate (95th percentile of the deviating share 0.24 vs
0.14), so the score uses the wavelet estimate.

Limitations, stated in the interpretation: texture, focus blur and flat areas also change
the estimate, and heavy JPEG compression removes most sensor noise. On the CASIA v1 splice
samples this first version does not separate tampered from authentic images (AUC about
0.5), so the score is a pointer to regions worth a look, never proof.
"""

from __future__ import annotations

import cv2
import numpy as np

from vforensics.analyzers.base import AnalyzerResult, level
from vforensics.media.image import Media

NAME = "noise"
BLOCK = 32  # block size of the noise-level grid, pixels
DEVIATION = 1.5  # log2 factor from the median level that makes a block deviating
MEDIUM_AT, HIGH_AT = 15.0, 30.0  # inconsistency-score bands
CLIPPED_LOW, CLIPPED_HIGH = 10.0, 245.0  # mean brightness outside this range: noise clipped
MAX_SIDE = 2048  # larger images are analysed downscaled by area averaging
SPEC_WINDOW = 15  # local window of the spec's residual statistics, pixels
SPEC_BLUR_SIGMA = 1.5  # Gaussian blur of the spec's residual, pixels


def wavelet_noise_levels(gray: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Per-block noise sigma from the Haar HH subband, and a mask of usable blocks.

    Blocks whose mean brightness is near black or white are unusable (noise is clipped).
    """
    h2, w2 = gray.shape[0] // 2 * 2, gray.shape[1] // 2 * 2
    g = gray[:h2, :w2]
    hh = np.abs(g[0::2, 0::2] - g[0::2, 1::2] - g[1::2, 0::2] + g[1::2, 1::2]) * 0.5
    half = block // 2
    bh, bw = hh.shape[0] // half, hh.shape[1] // half
    tiles = hh[: bh * half, : bw * half].reshape(bh, half, bw, half).transpose(0, 2, 1, 3).reshape(bh, bw, -1)
    sigma = np.median(tiles, axis=2) / 0.6745
    brightness = gray[: bh * block, : bw * block].reshape(bh, block, bw, block).mean(axis=(1, 3))
    usable = (brightness > CLIPPED_LOW) & (brightness < CLIPPED_HIGH) & (sigma > 0.05)
    return sigma.astype(np.float32), usable


def residual_local_std(gray: np.ndarray) -> np.ndarray:
    """The spec's view: (image - Gaussian blur), standard deviation in 15x15 windows."""
    residual = gray - cv2.GaussianBlur(gray, (0, 0), SPEC_BLUR_SIGMA)
    mean = cv2.boxFilter(residual, cv2.CV_32F, (SPEC_WINDOW, SPEC_WINDOW))
    mean_sq = cv2.boxFilter(residual * residual, cv2.CV_32F, (SPEC_WINDOW, SPEC_WINDOW))
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def analyze(media: Media) -> AnalyzerResult:
    rgb = media.rgb
    scale = min(1.0, MAX_SIDE / max(rgb.shape[:2]))
    if scale < 1.0:  # downscale the 8-bit image first: a float copy at 100 MP would need 1.2 GB
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2GRAY)
    if min(gray.shape) < 4 * BLOCK:
        return AnalyzerResult(
            "skipped",
            None,
            "Not applicable: the image is too small to compare noise between regions",
            {"min_side_px": int(min(gray.shape)), "needed_px": 4 * BLOCK},
        )
    sigma, usable = wavelet_noise_levels(gray)
    if usable.sum() < 16:
        return AnalyzerResult(
            "skipped",
            None,
            "Not applicable: almost the whole image is black, white or flat",
            {"usable_blocks": int(usable.sum())},
        )
    log_sigma = np.log2(np.maximum(sigma, 0.05))
    typical = float(np.median(log_sigma[usable]))
    deviation = np.where(usable, np.abs(log_sigma - typical), 0.0)
    deviating = (deviation > DEVIATION).astype(np.uint8)
    coherent = cv2.morphologyEx(deviating, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    share = float(coherent.sum() / usable.sum())
    score = min(100.0, 100.0 * share)
    band = level(score, MEDIUM_AT, HIGH_AT)
    strength = np.clip(deviation / (2 * DEVIATION), 0, 1)
    suspicion = np.where(coherent > 0, 0.5 + 0.5 * strength, 0.5 * strength * (deviating > 0))
    spec_std = residual_local_std(gray)
    details = {
        "inconsistency_score": round(score, 2),
        "level": band,
        "deviating_region_share": round(share, 4),
        "typical_noise_sigma": round(float(2**typical), 3),
        "noise_sigma_p10_p90": [round(float(v), 3) for v in np.percentile(sigma[usable], [10, 90])],
        "usable_blocks": int(usable.sum()),
        "blocks": int(usable.size),
        "block_px": BLOCK,
        "analysed_scale": round(scale, 4),
        "residual_local_std_median": round(float(np.median(spec_std)), 3),
        "residual_local_std_p90": round(float(np.percentile(spec_std, 90)), 3),
    }
    interpretation = (
        f"Noise inconsistency {score:.1f} ({band}): {share:.0%} of the usable image lies in regions whose noise "
        f"level is more than {2**DEVIATION:.1f}x above or below the typical level. "
        + {
            "Low": "Noise is broadly consistent across the image.",
            "Medium": "Some regions differ; texture, focus blur and flat areas cause this in untouched photos too.",
            "High": "Large regions differ in noise level; check the heatmap for areas that do not follow the scene's "
            "texture or focus, which may have been pasted or retouched.",
        }[band]
        + " This test is weak on its own: heavy compression or resizing hides noise."
    )
    return AnalyzerResult("ok", score, interpretation, details, suspicion.astype(np.float32))
