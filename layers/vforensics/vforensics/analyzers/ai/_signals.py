"""Hand-crafted statistics that the product specs list as signs of AI generation.

Each function returns raw numbers, measured on a native-resolution centre window of at most
``WINDOW`` px a side (resizing would erase the very traces some of them look for). None of
them is a detector on its own: docs/BENCHMARKS.md gives each one's ROC AUC on the held-out
files of the AI-detector's data list, and ``python -m vforensics.evaluation.fitting.fit_ai_likelihood``
decides which earn a
place beside the trained model. Groups, one analyzer (and Lambda) each:

- frequency: the radially averaged power spectrum of the luminance, its log-log slope and
  the fit's R^2 (natural images fall off about as 1/f^2: Field 1987; Dong & Atick 1995),
  the share of power above half the Nyquist frequency, spectral flatness (Wiener entropy),
  and anomalies: isolated spectral peaks far above the fitted fall-off, which the up-sampling
  layers of generators leave (Durall et al., CVPR 2020; Frank et al., ICML 2020);
- texture / colour / pixel: uniform LBP entropy (Ojala et al. 2002), GLCM energy (Haralick
  et al. 1973), the coefficient of variation of edge sharpness, the uniformity of gradient
  directions, the kurtosis of gradient magnitudes; chromatic aberration (the shift between
  the red and blue channels at edges, which lenses cause and generators rarely imitate:
  Johnson & Farid 2006), colour entropy, histogram roughness; checkerboard energy (the 2x2
  up-sampling pattern, Odena et al. 2016), 8x8 grid strength, empty histogram levels and
  luminance entropy;
- noise / SRM: nine statistics of the noise residual (level, its spread over the picture,
  shape, inter-channel correlation, spatial correlation) and the energy of the SRM high-pass
  residuals (Fridrich & Kodovsky 2012) relative to the image's contrast.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Side of the native-resolution analysis window, pixels.
WINDOW = 1024
WINDOW_TEXT = f"native-resolution centre crop of at most {WINDOW} px"
_EPS = 1e-9


def centre_window(array: np.ndarray, size: int = WINDOW) -> np.ndarray:
    h, w = array.shape[:2]
    y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return array[y : y + size, x : x + size]


def luminance(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


# --------------------------------------------------------------------------- frequency


def radial_spectrum(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(radius in cycles/pixel, mean power per radius, 2-D log power) of the Hann-windowed image."""
    h, w = gray.shape
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    spectrum = np.fft.fftshift(np.fft.fft2((gray - gray.mean()) * window))
    power = (np.abs(spectrum) ** 2).astype(np.float64)
    yy, xx = np.indices((h, w))
    r = np.hypot((yy - h // 2) / h, (xx - w // 2) / w)
    bins = np.minimum((r * 2 * 64).astype(int), 64)  # 64 rings up to Nyquist (0.5 cycles/px)
    sums = np.bincount(bins.ravel(), power.ravel(), minlength=65)[:64]
    counts = np.bincount(bins.ravel(), minlength=65)[:64]
    radius = (np.arange(64) + 0.5) / 128
    return radius, sums / np.maximum(counts, 1), np.log(power + _EPS)


def frequency_metrics(gray: np.ndarray) -> dict[str, float]:
    gray = centre_window(gray)
    if min(gray.shape) < 32:
        return {}
    radius, power, log_power = radial_spectrum(gray)
    use = (radius > 0.01) & (power > 0)
    if np.count_nonzero(use) < 8:  # a flat picture has no spectrum to describe
        return {}
    x, y = np.log(radius[use]), np.log(power[use])
    slope, intercept = np.polyfit(x, y, 1)
    fitted = slope * x + intercept
    r2 = 1 - np.sum((y - fitted) ** 2) / max(np.sum((y - y.mean()) ** 2), _EPS)
    high = radius >= 0.25
    total = power[1:].sum()
    flat = np.exp(np.mean(np.log(power[1:] + _EPS))) / max(power[1:].mean(), _EPS)
    # anomalies: 2-D spectrum points (outside the centre) far above their ring's median
    h, w = log_power.shape
    yy, xx = np.indices((h, w))
    ring = np.minimum((np.hypot((yy - h // 2) / h, (xx - w // 2) / w) * 128).astype(int), 63)
    ring_median = np.array([np.median(log_power[ring == i]) if np.any(ring == i) else 0 for i in range(64)])
    excess = log_power - ring_median[ring]
    outside = ring >= 4
    anomalies = int(np.sum((excess > np.log(50.0)) & outside))
    return {
        "spectral_slope": float(slope),
        "spectral_fit_r2": float(r2),
        "high_frequency_ratio": float(power[high].sum() / max(total, _EPS)),
        "spectral_flatness": float(flat),
        "spectral_anomalies_per_mpx": float(anomalies / (h * w / 1e6)),
    }


# --------------------------------------------------------------------------- texture / colour / pixel


def lbp_entropy(gray: np.ndarray) -> float:
    """Entropy (bits) of the uniform 8-neighbour LBP codes (Ojala, Pietikainen & Maenpaa 2002)."""
    g = gray[1:-1, 1:-1]
    shifts = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    bits = [(gray[1 + dy : gray.shape[0] - 1 + dy, 1 + dx : gray.shape[1] - 1 + dx] >= g) for dy, dx in shifts]
    ones = np.sum(bits, axis=0)
    transitions = np.sum([bits[i] != bits[(i + 1) % 8] for i in range(8)], axis=0)
    codes = np.where(transitions <= 2, ones, 9)  # uniform patterns by their count of ones, else 9
    p = np.bincount(codes.ravel(), minlength=10) / codes.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def glcm_energy(gray: np.ndarray, levels: int = 16) -> float:
    """Angular second moment of the horizontal grey-level co-occurrence matrix (Haralick 1973)."""
    q = np.clip((gray * levels / 256).astype(int), 0, levels - 1)
    pairs = q[:, :-1] * levels + q[:, 1:]
    p = np.bincount(pairs.ravel(), minlength=levels * levels) / pairs.size
    return float(np.sum(p * p))


def _entropy(hist: np.ndarray) -> float:
    p = hist[hist > 0] / hist.sum()
    return float(-(p * np.log2(p)).sum())


def chromatic_aberration(rgb: np.ndarray) -> float:
    """Mean distance (px) between red and blue edges, from the phase correlation of their gradients."""
    grads = []
    for c in (0, 2):
        ch = rgb[..., c].astype(np.float32)
        gx = cv2.Sobel(ch, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(ch, cv2.CV_32F, 0, 1)
        grads.append(np.hypot(gx, gy))
    h, w = grads[0].shape
    shifts = []
    for y in range(0, h - 127, 128):
        for x in range(0, w - 127, 128):
            a, b = grads[0][y : y + 128, x : x + 128], grads[1][y : y + 128, x : x + 128]
            if a.mean() < 5:
                continue
            (dx, dy), response = cv2.phaseCorrelate(a, b)
            if response > 0.1:
                shifts.append(np.hypot(dx, dy))
    return float(np.mean(shifts)) if shifts else 0.0


def texture_colour_pixel_metrics(rgb: np.ndarray) -> dict[str, float]:
    rgb = centre_window(rgb)
    if min(rgb.shape[:2]) < 32:
        return {}
    gray = luminance(rgb)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    magnitude = np.hypot(gx, gy)
    edges = cv2.Canny(gray.astype(np.uint8), 50, 150) > 0
    sharp = magnitude[edges]
    strong = magnitude > np.percentile(magnitude, 75)
    angles = np.arctan2(gy[strong], gx[strong])
    direction_hist = np.histogram(angles, bins=36, range=(-np.pi, np.pi))[0].astype(float)
    m = magnitude.ravel()
    kurtosis = float(np.mean((m - m.mean()) ** 4) / max(m.var() ** 2, _EPS))
    luma_hist = np.bincount(gray.astype(np.uint8).ravel(), minlength=256).astype(float)
    lo, hi = np.nonzero(luma_hist)[0][[0, -1]]
    smooth = np.convolve(luma_hist, np.ones(5) / 5, mode="same")
    roughness = float(np.abs(luma_hist - smooth).sum() / max(luma_hist.sum(), 1))
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    colour_codes = (rgb[..., 0] // 16).astype(int) * 256 + (rgb[..., 1] // 16) * 16 + rgb[..., 2] // 16
    # checkerboard: the residual left by a 2x nearest down-up cycle, relative to the gradient energy
    h2, w2 = (gray.shape[0] // 2) * 2, (gray.shape[1] // 2) * 2
    g2 = gray[:h2, :w2]
    coarse = np.repeat(np.repeat(g2[::2, ::2], 2, axis=0), 2, axis=1)
    diff_rows = np.abs(np.diff(gray, axis=1))
    column_energy = diff_rows.mean(axis=0)
    grid = column_energy[7::8].mean() / max(column_energy.mean(), _EPS) if column_energy.size >= 16 else 1.0
    return {
        "lbp_entropy": lbp_entropy(gray),
        "glcm_energy": glcm_energy(gray),
        "edge_sharpness_cv": float(sharp.std() / max(sharp.mean(), _EPS)) if sharp.size else 0.0,
        "edge_density": float(edges.mean()),
        "direction_uniformity": _entropy(direction_hist) / np.log2(36) if direction_hist.sum() else 0.0,
        "gradient_kurtosis": kurtosis,
        "laplacian_variance": float(cv2.Laplacian(gray, cv2.CV_32F).var()),
        "chromatic_aberration_px": chromatic_aberration(rgb),
        "colour_entropy": _entropy(np.bincount(colour_codes.ravel(), minlength=4096).astype(float)),
        "mean_saturation": float(hsv[..., 1].mean() / 255),
        "histogram_roughness": roughness,
        "checkerboard_ratio": float(np.abs(g2 - coarse).mean() / max(magnitude.mean(), _EPS)),
        "grid_8px_ratio": float(grid),
        "histogram_gaps": int(np.sum(luma_hist[lo : hi + 1] == 0)),
        "luminance_entropy": _entropy(luma_hist),
    }


# --------------------------------------------------------------------------- noise / SRM

SRM_KERNELS = (
    np.array([[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]])
    / 12.0,
    np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]]) / 4.0,
    np.array([[1, -2, 1]]) / 2.0,
)


def _safe_corrcoef(rows: np.ndarray) -> np.ndarray:
    """Pearson correlations, 0 where a row is constant (a flat residual)."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred * centred).sum(axis=1))
    return (centred @ centred.T) / np.maximum(np.outer(norms, norms), _EPS)


def noise_srm_metrics(rgb: np.ndarray) -> dict[str, float]:
    rgb = centre_window(rgb)
    if min(rgb.shape[:2]) < 32:
        return {}
    channels = rgb.astype(np.float32)
    residuals = np.stack([channels[..., c] - cv2.medianBlur(rgb[..., c], 3).astype(np.float32) for c in range(3)])
    luma = residuals.mean(axis=0)
    flat = luma.ravel()
    std = float(flat.std())
    h, w = luma.shape
    blocks: np.ndarray = luma[: h // 32 * 32, : w // 32 * 32].reshape(h // 32, 32, w // 32, 32).std(axis=(1, 3)).ravel()
    mad = float(np.median(np.abs(flat - np.median(flat))) * 1.4826)
    corr = _safe_corrcoef(residuals.reshape(3, -1))
    gray = luminance(rgb)
    srm = [cv2.filter2D(gray, cv2.CV_32F, k.astype(np.float32)) for k in SRM_KERNELS]
    contrast = max(float(gray.std()), 1.0)
    return {
        "noise_std": std,
        "noise_mad": mad,
        "noise_block_cv": float(blocks.std() / max(blocks.mean(), _EPS)),
        "noise_block_min_max_ratio": float(np.percentile(blocks, 5) / max(np.percentile(blocks, 95), _EPS)),
        "noise_kurtosis": float(np.mean((flat - flat.mean()) ** 4) / max(flat.var() ** 2, _EPS)),
        "noise_skewness": float(np.mean((flat - flat.mean()) ** 3) / max(std**3, _EPS)),
        "noise_channel_correlation": float((corr[0, 1] + corr[1, 2] + corr[0, 2]) / 3),
        "noise_lag1_correlation": float(_safe_corrcoef(np.stack([luma[:, :-1].ravel(), luma[:, 1:].ravel()]))[0, 1]),
        "noise_to_signal": std / contrast,
        "srm_energy": float(np.mean([np.mean(r * r) for r in srm]) / contrast**2),
    }
