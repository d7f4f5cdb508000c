"""Enhancement views: images that help a person see what the other analyzers measure.

Forensic viewers (Forensically, Sherloq, FotoForensics) offer filtered versions of the
photo because the eye finds retouching in them that it misses in the original. This module
makes the common ones; they go into the report and the zip as ``views/enhance_<view>.png``
and never into the tampering score (``score`` is None):

- ``equalized``: the luminance histogram equalised (colour kept), which lifts detail out of
  shadows and highlights where clone-stamp and brush work hide;
- ``edges``: Canny edges (J. Canny, IEEE TPAMI 8(6), 1986) of the luminance, thresholds at
  0.66 and 1.33 times its median: pasted objects often have edges that are too sharp or too
  soft against their surroundings;
- ``gradient``: the luminance gradient as colour (x in red, y in green, magnitude in blue),
  Forensically's "luminance gradient": lighting that is inconsistent across an object shows
  as a change of colour;
- ``pca``: the pixels projected on the principal components of their RGB values, each
  stretched to full range and shown as R, G, B (Forensically's "PCA"; J. Wagner,
  "Forensically", 2015): the minor components carry noise and colour subtleties that
  pasted or painted regions change;
- ``dct``: the log-magnitude 2-D DCT spectrum of a native-resolution crop (at most
  ``DCT_CROP`` px square): the 8x8 JPEG grid, resampling and other periodic traces show as
  bright points away from the corner.

``details.histogram`` describes the luminance histogram: its peaks, the empty levels
inside its range (a comb, left by levels/curves adjustments that stretch the tones), and
clipping at black and white, with the range those numbers take on untouched camera photos.
``details.content`` says whether the image is flat or graphic rather than a photo (most
8x8 blocks perfectly flat, or few distinct colours: a screenshot, a rendered document or
graphic, a nearly blank frame): the scoring caps its confidence there, since the noise,
CFA and JPEG-history methods model camera photos.
"""

from __future__ import annotations

import cv2
import numpy as np

from vforensics.analyzers.base import AnalyzerResult, skipped
from vforensics.media.image import Media

NAME = "enhance"
MAX_SIDE = 2048  # views are rendered at most this large (area averaging), pixels
DCT_CROP = 1024  # side of the native-resolution centre crop of the DCT view, pixels
MIN_SIDE = 8  # smaller images get no views, pixels
CANNY_LOW, CANNY_HIGH = 0.66, 1.33  # Canny thresholds as multiples of the median luminance
HIST_SMOOTH = 5  # width of the moving average applied before peaks are counted, grey levels
PEAK_PROMINENCE = 0.2  # a peak stands this share of the highest bin above the valleys around it
# Range of the histogram numbers on untouched camera photos (the 5th and 95th percentiles
# over the 95 JPEGs of shared/bench/camera: studies/measure_histogram_range.py).
NORMAL_PEAKS = (1, 3)
NORMAL_GAPS = (0, 0)
PERCENTILE_SAMPLE = 200_000  # values used to estimate a view's contrast stretch
CLIP_SHARE = 0.02
FLAT_BLOCK_STD = 0.5  # an 8x8 block whose luminance deviates less than this (grey levels) is flat
COLOUR_SAMPLE = 100_000  # pixels (evenly spaced) in which distinct colours are counted
# Flat-or-graphic thresholds: of 95 camera JPEGs of shared/bench only two nearly blank frames
# exceed them (all black; 95% flat with 748 colours); the next photos reach 0.51 flat blocks
# and 3,164 colours (studies/measure_histogram_range.py).
SYNTHETIC_FLAT_SHARE = 0.6
SYNTHETIC_MAX_COLOURS = 2000  # a histogram end holding more than this share of the pixels is clipped


def _display_size(h: int, w: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _stretch(x: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.0) -> np.ndarray:
    """``x`` linearly mapped so that its percentiles ``low_pct``..``high_pct`` span 0..255
    (percentiles estimated on at most ``PERCENTILE_SAMPLE`` evenly spaced values)."""
    flat = x.reshape(-1)
    low, high = np.percentile(flat[:: max(1, flat.size // PERCENTILE_SAMPLE)], [low_pct, high_pct])
    gain = np.float32(255.0 / max(float(high - low), 1e-6))
    return np.clip((x.astype(np.float32) - np.float32(low)) * gain, 0, 255).astype(np.uint8)


def equalized(rgb: np.ndarray) -> np.ndarray:
    """RGB with the luminance (Y of YCrCb) histogram-equalised."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    ycc[..., 0] = cv2.equalizeHist(ycc[..., 0])
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def edges(gray: np.ndarray) -> np.ndarray:
    """Canny edges (255 on an edge) with thresholds from the median luminance."""
    median = float(np.median(gray))
    low, high = max(1.0, CANNY_LOW * median), max(2.0, CANNY_HIGH * median)
    return cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), low, high)


def gradient(gray: np.ndarray) -> np.ndarray:
    """The luminance gradient as RGB: x (red) and y (green) around 128, magnitude (blue)."""
    g = gray.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy)
    scale = max(float(np.percentile(magnitude, 99)), 1e-6)
    red = np.clip(128 + 127 * gx / scale, 0, 255)
    green = np.clip(128 + 127 * gy / scale, 0, 255)
    blue = np.clip(255 * magnitude / scale, 0, 255)
    return np.stack([red, green, blue], axis=2).astype(np.uint8)


def pca(rgb: np.ndarray) -> np.ndarray:
    """The pixels' coordinates on their RGB principal components (major first) as R, G, B."""
    pixels = rgb.reshape(-1, 3)
    sample = pixels[:: max(1, len(pixels) // PERCENTILE_SAMPLE)].astype(np.float64)
    mean = sample.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(sample - mean, rowvar=False))
    axes = vectors[:, ::-1].T  # eigh sorts ascending: major component first
    affine = np.hstack([axes, -(axes @ mean)[:, None]]).astype(np.float32)
    projected = cv2.transform(rgb.astype(np.float32), affine)  # (N,3)@(3,3) in numpy is 30x slower
    return np.stack([_stretch(projected[..., i]) for i in range(3)], axis=2)


def dct_spectrum(gray: np.ndarray) -> np.ndarray:
    """Log-magnitude DCT of a native-resolution centre crop, stretched to 0..255 (uint8)."""
    h, w = gray.shape
    side_h, side_w = min(h, DCT_CROP) // 2 * 2, min(w, DCT_CROP) // 2 * 2
    y0, x0 = (h - side_h) // 2, (w - side_w) // 2
    crop = gray[y0 : y0 + side_h, x0 : x0 + side_w].astype(np.float32)
    spectrum = np.log1p(np.abs(cv2.dct(crop - float(crop.mean()))))
    return _stretch(spectrum, 2.0, 99.5)


def histogram_summary(gray: np.ndarray) -> dict:
    """Peaks, empty levels inside the range, and clipping of the luminance histogram."""
    counts = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel().astype(np.float64)
    share = counts / max(counts.sum(), 1.0)
    cumulative = np.cumsum(share)
    low, high = int(np.searchsorted(cumulative, 0.01)), int(np.searchsorted(cumulative, 0.99))
    gaps = int((counts[low : high + 1] == 0).sum())
    smooth = np.convolve(counts, np.ones(HIST_SMOOTH) / HIST_SMOOTH, mode="same")
    peaks = _prominent_peaks(smooth, PEAK_PROMINENCE * float(smooth.max()))
    clipped_dark, clipped_bright = float(share[:2].sum()), float(share[-2:].sum())
    notes = []
    if not NORMAL_PEAKS[0] <= len(peaks) <= NORMAL_PEAKS[1]:
        notes.append(f"{len(peaks)} peaks (camera photos: {NORMAL_PEAKS[0]}-{NORMAL_PEAKS[1]})")
    if gaps > NORMAL_GAPS[1]:
        notes.append(f"{gaps} empty levels inside the tonal range (a comb: tones were stretched)")
    if clipped_dark > CLIP_SHARE or clipped_bright > CLIP_SHARE:
        notes.append("clipped shadows or highlights")
    return {
        "peaks": [int(p) for p in peaks],
        "peak_count": len(peaks),
        "empty_levels_in_range": gaps,
        "range_1_99": [low, high],
        "clipped_dark_share": round(clipped_dark, 4),
        "clipped_bright_share": round(clipped_bright, 4),
        "normal_peak_count": list(NORMAL_PEAKS),
        "normal_empty_levels": list(NORMAL_GAPS),
        "outside_normal": notes,
    }


def content_summary(rgb: np.ndarray, gray: np.ndarray) -> dict:
    """Flat 8x8 blocks and distinct colours: is the image flat or graphic rather than a photo?"""
    h8, w8 = gray.shape[0] // 8 * 8, gray.shape[1] // 8 * 8
    if h8 == 0 or w8 == 0:
        flat_share = 0.0
    else:
        g = gray[:h8, :w8].astype(np.float32)
        size = (w8 // 8, h8 // 8)
        mean = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
        mean_sq = cv2.resize(g * g, size, interpolation=cv2.INTER_AREA)
        flat_share = float((mean_sq - mean * mean < FLAT_BLOCK_STD**2).mean())
    pixels = rgb.reshape(-1, 3)
    sample = pixels[:: max(1, len(pixels) // COLOUR_SAMPLE)].astype(np.uint32)
    colours = int(np.unique((sample[:, 0] << 16) | (sample[:, 1] << 8) | sample[:, 2]).size)
    return {
        "flat_block_share": round(flat_share, 4),
        "distinct_colours_in_sample": colours,
        "sample_pixels": int(len(sample)),
        "flat_or_graphic": flat_share > SYNTHETIC_FLAT_SHARE or colours < min(SYNTHETIC_MAX_COLOURS, len(sample) // 4),
    }


def _prominent_peaks(values: np.ndarray, prominence: float) -> list[int]:
    """Indices of local maxima that rise ``prominence`` above the lowest point on each side
    before a higher value (the topographic prominence, on a 1-D array)."""
    peaks = []
    n = len(values)
    for i in range(n):
        v = values[i]
        if (i > 0 and values[i - 1] >= v) or (i < n - 1 and values[i + 1] > v):
            continue
        left = i
        left_min = v
        while left > 0 and values[left - 1] <= v:
            left -= 1
            left_min = min(left_min, values[left])
        right = i
        right_min = v
        while right < n - 1 and values[right + 1] <= v:
            right += 1
            right_min = min(right_min, values[right])
        if v - max(left_min, right_min) >= prominence:
            peaks.append(i)
    return peaks


def analyze(media: Media) -> AnalyzerResult:
    rgb = np.asarray(media.rgb)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return skipped(f"the image is too small for enhancement views ({w}x{h} px)", width=w, height=h)
    gray_full = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    size = _display_size(h, w)
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size != (w, h) else rgb
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    views = {
        "equalized": equalized(small),
        "edges": edges(gray),
        "gradient": gradient(gray),
        "pca": pca(small),
        "dct": dct_spectrum(gray_full),
    }
    hist = histogram_summary(gray_full)
    details = {
        "views": sorted(views),
        "view_size": list(size),
        "dct_crop": [min(w, DCT_CROP) // 2 * 2, min(h, DCT_CROP) // 2 * 2],
        "histogram": hist,
        "content": content_summary(rgb, gray_full),
    }
    findings = "; ".join(hist["outside_normal"]) or "within the range of untouched camera photos"
    interpretation = (
        "Enhancement views for visual inspection (equalised luminance, edges, luminance gradient, PCA "
        f"projection, DCT spectrum); they do not count towards the score. Luminance histogram: {findings}. "
        "An unusual histogram also comes from exposure, scene content or ordinary photo editing; it is "
        "a reason to look, not evidence of manipulation."
    )
    return AnalyzerResult("ok", None, interpretation, details, views=views)
