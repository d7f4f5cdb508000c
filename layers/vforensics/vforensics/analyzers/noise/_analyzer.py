"""Noise-level inconsistency.

A photo straight from one camera carries sensor noise of a similar strength everywhere
(given brightness); a region pasted from another image, or smoothed/retouched/inpainted,
often does not. The analyzer estimates the local noise level on a grid of 96x96-pixel windows
(stride 32) at full resolution with three residuals (:mod:`~vforensics.analyzers.noise._levels`):

- the finest diagonal Haar wavelet subband, sigma = median(|HH|) / 0.6745 (Donoho &
  Johnstone, Biometrika 81(3), 1994), the local estimate of B. Mahdian & S. Saic, "Using noise
  inconsistencies for blind image forensics", Image and Vision Computing 27(10), 2009 (NOI1);
- the residue of a 3x3 median filter (pyIFD NOI4's residue);
- the three SRM high-pass kernels (Fridrich & Kodovsky, IEEE TIFS 7(3), 2012) that Zhou et
  al. ("Learning rich features for image manipulation detection", CVPR 2018) use as noise
  stream.

Each is a median-based (robust) estimate, which limits the pull of edges and texture without
removing it. Noise depends on brightness (shot noise, tone curve), so each log2 level is
compared with the level expected at that brightness *and texture* in the same image: a
noise-level function (Liu, Szeliski, Kang, Zitnick & Freeman, "Automatic estimation and
removal of noise from a single image", IEEE TPAMI 30(2), 2008), here a quadratic in brightness
plus a linear term in the window's log gradient energy measured at quarter size, where the
sensor noise has averaged out (``noise_levels.window_texture``), fitted robustly per image.
The texture term absorbs the upward bias that scene detail gives every residual-based
estimate (the reason Liu, Tanaka & Okutomi 2013 keep only weak-texture patches). The
deviation is divided by its robust spread over the image (1.4826 MAD, at least
``MIN_SPREAD`` log2 units so that a very uniform image does not turn tiny differences into
alarms) and the three z-scores are averaged, then smoothed over 3x3 windows. A region with
more *or* less noise than expected counts (``HIGHER_WEIGHT``).

Choices made on evidence (bench-out/synth: 44 splices, 44 inpaintings, 44 camera originals):
two estimators that are meant to be robust to texture were implemented and measured too
(``noise_levels.kurtosis_sigma``, Lyu, Pan & Zhang, IJCV 110(2), 2014; ``noise_levels.pca_sigma``,
Liu, Tanaka & Okutomi, IEEE TIP 22(12), 2013); on these 96x96 windows the kurtosis fit was too
noisy to localise anything (splice pixel F1 0.19 at the best threshold vs 0.33-0.36) and adding
the PCA estimate did not improve splices or inpaintings, so neither is used. Counting locally
higher noise at half weight (texture raises the estimates in untouched photos) gave somewhat
better image-level separation there (splice AUC 0.65 vs 0.62, inpainting 0.83 vs 0.77, within
the noise of 44 cases) but hid a region with strong added noise in a textured photo, so both
directions count fully.

The texture term was chosen on two development draws of ``vforensics synth`` that share no
case with the benchmark (seed 1 on the benchmark's 44 sources, and seed 1 on 37 other camera
photos of 4-20 MP): splice pixel F1 at the best threshold of the level map 0.28 / 0.38 ->
0.35 / 0.42, of the combined map 0.50 / 0.54 -> 0.51 / 0.56. On a draw used for nothing else
(seed 2, all 81 sources up to 20 MP) the level map went 0.30 -> 0.33 and the combined map
0.488 -> 0.500 (paired difference +0.013 +- 0.009), inpaintings 0.796 -> 0.807. Chroma noise
levels and other co-occurrence window sizes were tried on the development draws and left
out (no gain beyond +0.01).

A second, complementary measure looks at the *texture* of the residual rather than its
strength: co-occurrences of the quantised residual, modelled per image as a host Gaussian
plus outliers (:mod:`~vforensics.analyzers.noise._cooccurrence`, after Splicebuster, Cozzolino
et al., WIFS 2015). A region from another camera can have the same noise level but a
different fine structure (demosaicing, sharpening, JPEG settings); inpainting and smoothing
change both. The main map is the mean of the two maps, which are also written as
``noise_level`` and ``noise_cooccurrence``. The score is the noise-level statistic alone.

Level map: per window, 0.05 at ``Z_FLOOR`` robust spreads (the usual variation), 0.5 at
``Z_REGION`` = 3, 1 from ``Z_FULL`` = 5, piecewise linear. Score: the 99th percentile of z over
the usable windows, mapped piecewise linearly so that the median camera original (see
``ORIGINAL_MEDIAN``) gives 10 and the originals' 95th percentile gives 40
(:mod:`~vforensics.analyzers.noise._calibration`, which also refits the two anchors on other
originals for the held-out-by-make protocol).

Limitations, stated in the interpretation: texture, focus blur, flat or saturated areas and
brightness changes also move the estimate; JPEG compression (quality under about 90), resizing
and denoising remove most sensor noise, and a pasted region from a camera with similar noise
is invisible. Measured on the synthetic benchmark, the score separates inpaintings from
originals fairly well and splices only weakly, so it is a pointer to regions worth a look,
never proof.
"""

from __future__ import annotations

import cv2
import numpy as np

from vforensics.analyzers.base import AnalyzerResult, level
from vforensics.analyzers.noise import _calibration as noise_calibration
from vforensics.analyzers.noise import _cooccurrence as noise_cooccurrence
from vforensics.analyzers.noise import _levels as noise_levels
from vforensics.media.image import Media

NAME = "noise"
ESTIMATORS = ("wavelet", "median", "srm")  # residuals whose log2 levels are averaged
CELL = noise_levels.CELL  # grid step of the analysis windows, pixels
MIN_WINDOWS = 16  # fewer usable windows: not applicable
MAX_PIXELS = 16_000_000  # larger images are analysed downscaled (area averaging), pixels
CLIPPED_LOW, CLIPPED_HIGH = 10.0, 245.0  # window mean brightness outside this: noise clipped
FLAT_SIGMA = 0.1  # typical wavelet level below this (grey levels): a flat or synthetic image
NLF_TRIM = 2.0  # windows this many robust spreads off the noise-level function are left out of its refit
MIN_SPREAD = 0.4  # floor of the robust spread of log2 levels (0.4 = 32% in sigma)
HIGHER_WEIGHT = 1.0  # weight of locally higher noise relative to locally lower noise
Z_FLOOR, Z_FULL = 1.0, 5.0  # map: 0.05 at Z_FLOOR (usual variation), 0.5 at Z_REGION, 1 from Z_FULL
Z_REGION = 3.0  # z of a window counted as deviating (map >= 0.5)
# Score calibration (_calibration.score_from_z99): p99 of z over usable windows -> 10 at ORIGINAL_MEDIAN,
# 40 at ORIGINAL_P95: the median and 95th percentile (_calibration.fit_calibration: 2.367, 4.067) over the
# 79 camera originals of shared/bench/camera with a short side of at least 512 px and at most 20 MP on
# which the analyzer applies (vforensics synth's sources), rounded to 0.1.
ORIGINAL_MEDIAN, ORIGINAL_P95 = 2.4, 4.1
MEDIUM_AT, HIGH_AT = 40.0, 70.0  # score bands
SPEC_MAX_SIDE = 2048  # the spec's residual statistics are computed at this size
SPEC_WINDOW = 15  # local window of the spec's residual statistics, pixels
SPEC_BLUR_SIGMA = 1.5  # Gaussian blur of the spec's residual, pixels


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma as float32, without a float copy of all three channels."""
    r, g, b = cv2.split(rgb)
    y = cv2.addWeighted(r, 0.299, g, 0.587, 0.0, dtype=cv2.CV_32F)
    return cv2.scaleAdd(b.astype(np.float32), 0.114, y)


def window_brightness(gray: np.ndarray) -> np.ndarray:
    """Mean brightness of every analysis window (same grid as the noise levels)."""
    return noise_levels.window_sum(noise_levels._cells(gray, CELL).mean(axis=2)) / noise_levels.WINDOW**2


def level_deviation(
    log_sigma: np.ndarray, brightness: np.ndarray, texture: np.ndarray, usable: np.ndarray
) -> np.ndarray:
    """log2 level minus the image's expected level at that brightness and texture, in robust spreads.

    The expectation is a least-squares fit of a quadratic in brightness (the noise-level
    function) plus a linear term in the window's log texture (``noise_levels.window_texture``),
    refitted without the windows more than NLF_TRIM robust spreads off: a smooth surface, so
    that a large pasted region of one brightness cannot become its own reference (free
    per-brightness-bin medians let it).
    """
    b = brightness / 255.0
    t = texture - np.median(texture[usable])
    design = np.stack([np.ones_like(b), b, b * b, t], axis=-1)
    fit = usable
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(design[fit], log_sigma[fit], rcond=None)
        deviation = log_sigma - design @ coef
        spread = max(1.4826 * float(np.median(np.abs(deviation[usable]))), MIN_SPREAD)
        inliers = usable & (np.abs(deviation) < NLF_TRIM * spread)
        if inliers.sum() < MIN_WINDOWS:
            break
        fit = inliers
    return (deviation / spread).astype(np.float32)


def residual_local_std(gray: np.ndarray) -> np.ndarray:
    """The spec's view: (image - Gaussian blur), standard deviation in 15x15 windows."""
    residual = gray - cv2.GaussianBlur(gray, (0, 0), SPEC_BLUR_SIGMA)
    mean = cv2.boxFilter(residual, cv2.CV_32F, (SPEC_WINDOW, SPEC_WINDOW))
    mean_sq = cv2.boxFilter(residual * residual, cv2.CV_32F, (SPEC_WINDOW, SPEC_WINDOW))
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def spec_statistics(gray: np.ndarray) -> tuple[float, float]:
    """Median and 90th percentile of the spec's residual deviation, at most SPEC_MAX_SIDE pixels wide."""
    scale = min(1.0, SPEC_MAX_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    std = residual_local_std(small)
    p50, p90 = np.percentile(std, [50, 90])
    return float(p50), float(p90)


def to_score(z99: float) -> float:
    """p99 of the window z-scores -> 0..100: 10 at a typical original, 40 at the originals' p95 (piecewise linear)."""
    return noise_calibration.score_from_z99(z99, ORIGINAL_MEDIAN, ORIGINAL_P95)


def full_grid(cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Extend a cell grid to cover the whole image (the last partial row/column repeats)."""
    rows, cols = -(-shape[0] // CELL), -(-shape[1] // CELL)
    return np.pad(cells, ((0, rows - cells.shape[0]), (0, cols - cells.shape[1])), mode="edge")


def cooccurrence_on_grid(result: noise_cooccurrence.CooccurrenceResult, shape: tuple[int, int]) -> np.ndarray:
    """The co-occurrence map (per block) resampled onto the full grid of ``CELL`` cells of an image of ``shape``."""
    bh, bw = result.suspicion.shape
    cells = (max(1, round(bw * result.block / CELL)), max(1, round(bh * result.block / CELL)))
    resized = cv2.resize(result.suspicion, cells, interpolation=cv2.INTER_LINEAR)
    rows, cols = -(-shape[0] // CELL), -(-shape[1] // CELL)
    return full_grid(resized[:rows, :cols], shape)


def _not_applicable(reason: str, **details) -> AnalyzerResult:
    return AnalyzerResult("skipped", None, f"Not applicable: {reason}", dict(details))


def analyze(media: Media) -> AnalyzerResult:
    rgb = media.rgb
    scale = min(1.0, float(np.sqrt(MAX_PIXELS / (rgb.shape[0] * rgb.shape[1]))))
    if scale < 1.0:  # downscale the 8-bit image first: a float copy at 100 MP would need 1.2 GB
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if min(rgb.shape[:2]) < 4 * CELL:
        return _not_applicable(
            "the image is too small to compare noise between regions",
            min_side_px=int(min(rgb.shape[:2])),
            needed_px=4 * CELL,
        )
    gray = luma(rgb)
    levels = noise_levels.window_levels(gray, ESTIMATORS)
    brightness = window_brightness(gray)
    usable = (brightness > CLIPPED_LOW) & (brightness < CLIPPED_HIGH)
    if usable.sum() < MIN_WINDOWS or np.median(levels["wavelet"][usable]) < np.log2(FLAT_SIGMA):
        return _not_applicable("almost the whole image is black, white or flat", usable_blocks=int(usable.sum()))

    texture = noise_levels.window_texture(gray)
    z = np.mean([level_deviation(levels[n], brightness, texture, usable) for n in ESTIMATORS], axis=0)
    suspicious: np.ndarray = np.maximum(-z, 0.0) + HIGHER_WEIGHT * np.maximum(z, 0.0)
    suspicious = cv2.blur(np.where(usable, suspicious, 0.0).astype(np.float32), (3, 3))
    z99 = float(np.percentile(suspicious[usable], 99))
    score = to_score(z99)
    band = level(score, MEDIUM_AT, HIGH_AT)
    deviating = cv2.morphologyEx(
        ((suspicious >= Z_REGION) & usable).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    )
    share = float(deviating.sum() / usable.sum())
    lower_share = float((deviating.astype(bool) & (z < 0)).sum() / usable.sum())

    sigma = np.exp2(levels["wavelet"][usable])
    typical = float(np.median(sigma))
    spec_p50, spec_p90 = spec_statistics(gray)
    details = {
        "inconsistency_score": round(score, 2),
        "level": band,
        "deviating_region_share": round(share, 4),
        "lower_noise_region_share": round(lower_share, 4),
        "inconsistency_z_p99": round(z99, 3),
        "typical_noise_sigma": round(typical, 3),
        "noise_sigma_p10_p90": [round(float(v), 3) for v in np.percentile(sigma, [10, 90])],
        "estimators": list(ESTIMATORS),
        "usable_blocks": int(usable.sum()),
        "blocks": int(usable.size),
        "block_px": CELL,
        "window_px": CELL * noise_levels.WINDOW,
        "analysed_scale": round(scale, 4),
        "residual_local_std_median": round(spec_p50, 3),
        "residual_local_std_p90": round(spec_p90, 3),
    }
    interpretation = (
        f"Noise inconsistency {score:.1f} ({band}): {share:.1%} of the usable image lies in regions whose noise "
        f"level differs from that of similarly bright areas by more than {Z_REGION:.0f} times its usual spread "
        f"({lower_share:.1%} with less noise than expected). "
        + {
            "Low": "Noise is broadly consistent across the image.",
            "Medium": "Some regions differ; texture, focus blur, flat or saturated areas cause this in untouched "
            "photos too.",
            "High": "Regions differ clearly in noise level; check the heatmap for areas that do not follow the "
            "scene's texture or focus, which may have been pasted, smoothed or inpainted.",
        }[band]
        + " Limits: texture, blur and flat areas also change the estimate; JPEG compression, resizing or "
        "denoising remove most sensor noise, and content pasted from a camera with similar noise leaves no trace "
        "here. A low score does not mean the image is untouched, and a high one is not proof on its own."
    )
    grid = full_grid(np.where(usable, suspicious, 0.0), gray.shape)
    level_map = np.interp(grid, [0.0, Z_FLOOR, Z_REGION, Z_FULL], [0.0, 0.05, 0.5, 1.0]).astype(np.float32)
    cooccurrence = noise_cooccurrence.cooccurrence_outliers(np.rint(gray).astype(np.uint8))
    if cooccurrence is None:
        return AnalyzerResult("ok", score, interpretation, details, level_map)
    details["cooccurrence"] = cooccurrence.to_dict()
    cooccurrence_map = cooccurrence_on_grid(cooccurrence, gray.shape)
    interpretation += (
        f" Residual statistics (Splicebuster): {cooccurrence.to_dict()['share_over_half']:.1%} of the image looks "
        "unlike the rest in the fine texture of its noise residual, which pasted regions from another camera, "
        "inpainting and also text, foliage or smooth sky can cause; the map shows the mean of both measures."
    )
    extra = {"noise_level": level_map, "noise_cooccurrence": cooccurrence_map}
    return AnalyzerResult("ok", score, interpretation, details, 0.5 * (level_map + cooccurrence_map), extra)
