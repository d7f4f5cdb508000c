"""Local noise-level estimators for the ``noise`` analyzer, on a grid of analysis windows.

Every estimator returns, per window, an estimate of the standard deviation (in 8-bit grey
levels) of the additive noise in that window:

- ``wavelet``: median absolute value of the finest diagonal Haar subband / 0.6745 (Donoho &
  Johnstone, Biometrika 81(3), 1994), the local noise level of Mahdian & Saic, "Using noise
  inconsistencies for blind image forensics", Image and Vision Computing 27(10), 2009
  (pyIFD NOI1);
- ``median``: the residue of a 3x3 median filter (image minus its median), as in the
  median-filter noise residue of pyIFD NOI4;
- ``srm``: the three SRM high-pass kernels of the rich model (Fridrich & Kodovsky, "Rich models
  for steganalysis of digital images", IEEE TIFS 7(3), 2012) used as the noise stream of Zhou,
  Han, Morariu & Davis, "Learning rich features for image manipulation detection", CVPR 2018;
- ``kurtosis``: the blind estimator of Lyu, Pan & Zhang, "Exposing region splicing forgeries
  with blind local noise estimation", IJCV 110(2), 2014: natural images have band-pass
  responses of nearly constant kurtosis, additive Gaussian noise lowers it, so across the 15
  AC channels of a 4x4 DCT ``sqrt(kurt_k) = sqrt(kurt) * (1 - s_n^2 / var_k)`` is solved for
  the noise variance ``s_n^2`` by least squares in every window;
- ``pca``: the smallest eigenvalue of the covariance of the 4x4 patches of a window (Liu,
  Tanaka & Okutomi, "Single-image noise level estimation for blind denoising", IEEE TIP
  22(12), 2013; per block as in Zeng, Zhan, Kang & Lin, "Image splicing localization using
  PCA-based noise level estimation", Multimedia Tools and Applications 76, 2017): image
  structure lives in a few principal directions, noise spreads over all of them.

The robust statistics (medians, smallest eigenvalue, kurtosis fit) are what makes the
estimates less sensitive to texture than a plain local standard deviation; none of them is
immune to it.
"""

from __future__ import annotations

import cv2
import numpy as np

CELL = 32  # side of a grid cell, pixels; statistics are summed over WINDOW x WINDOW cells
WINDOW = 3  # an analysis window is 3x3 cells (96x96 pixels), one per cell (stride CELL)
MAD_TO_SIGMA = 1.0 / 0.6745  # median |x| of a Gaussian -> its standard deviation
SAMPLE_STEP = 2  # residual medians use every 2nd row and column (256 samples per cell)
MIN_SIGMA = 0.05  # estimates are floored here, grey levels (log of 0 otherwise)

# Zhou et al. 2018's three SRM kernels (5x5 "KV", second order 3x3, first-order-difference).
SRM_KERNELS = (
    np.array(
        [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]],
        np.float32,
    )
    / 12.0,
    np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], np.float32) / 4.0,
    np.array([[1, -2, 1]], np.float32) / 2.0,
)
MEDIAN_RESIDUE_GAIN = 0.84  # std of (x - median3x3(x)) for white Gaussian x of unit std (measured)
TEXTURE_SCALE = 4  # texture is measured on the image shrunk this many times, where sensor noise has averaged out
MIN_GRADIENT = 0.25  # floor of the mean gradient magnitude (grey levels per shrunk pixel): flat below this


def _dct4() -> np.ndarray:
    """The 16x16 orthonormal basis of the 2-D 4x4 DCT-II (patch row-major -> coefficients)."""
    k = np.arange(4)
    c = np.sqrt(2.0 / 4) * np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / 8)
    c[0] /= np.sqrt(2.0)
    return np.kron(c, c).T.astype(np.float32)


DCT4 = _dct4()


def window_sum(cells: np.ndarray) -> np.ndarray:
    """Sum over the WINDOW x WINDOW neighbourhood of every cell (edges replicated), any trailing dims."""
    pad = WINDOW // 2
    p = np.pad(cells, [(pad, pad), (pad, pad)] + [(0, 0)] * (cells.ndim - 2), mode="edge")
    h, w = cells.shape[:2]
    out = np.zeros_like(cells)
    for dy in range(WINDOW):
        for dx in range(WINDOW):
            out += p[dy : dy + h, dx : dx + w]
    return out


def _cells(a: np.ndarray, side: int) -> np.ndarray:
    """(H, W) -> (rows, cols, side*side) view of non-overlapping side x side cells."""
    bh, bw = a.shape[0] // side, a.shape[1] // side
    return a[: bh * side, : bw * side].reshape(bh, side, bw, side).transpose(0, 2, 1, 3).reshape(bh, bw, -1)


def _mad_sigma(residual: np.ndarray, side: int, step: int = 1) -> np.ndarray:
    """Per-cell median(|residual|) / 0.6745 over cells of ``side`` pixels, on every ``step``-th row and column.

    Sampling a quarter of the pixels (step 2) still leaves 256 per 32x32 cell and halves the
    cost of the medians, the analyzer's most expensive step. The residual is cut to whole cells
    before sampling, so that a side of 32k-1 pixels gives k-1 cells, as every other grid has.
    """
    bh, bw = residual.shape[0] // side * side, residual.shape[1] // side * side
    return _median_last(_cells(np.abs(residual[:bh:step, :bw:step]), side // step)) * MAD_TO_SIGMA


def _median_last(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=-1)``, about twice as fast on these cells: one partition at the
    upper middle; for an even length the lower middle is the largest value below it."""
    k = a.shape[-1] // 2
    if a.shape[-1] % 2:
        return np.partition(a, k, axis=-1)[..., k]
    part = np.partition(a, k, axis=-1)
    return 0.5 * (part[..., :k].max(axis=-1) + part[..., k])


def wavelet_sigma(gray: np.ndarray) -> np.ndarray:
    """Haar HH MAD estimate per cell (Mahdian & Saic 2009)."""
    h2, w2 = gray.shape[0] // 2 * 2, gray.shape[1] // 2 * 2
    g = gray[:h2, :w2]
    hh = (g[0::2, 0::2] - g[0::2, 1::2] - g[1::2, 0::2] + g[1::2, 1::2]) * 0.5
    return _mad_sigma(hh, CELL // 2)


def median_sigma(gray: np.ndarray) -> np.ndarray:
    """Median-filter residue MAD estimate per cell (pyIFD NOI4's residue)."""
    residue = gray - cv2.medianBlur(gray, 3)
    return _mad_sigma(residue, CELL, step=SAMPLE_STEP) / MEDIAN_RESIDUE_GAIN


def srm_sigma(gray: np.ndarray) -> np.ndarray:
    """Mean over the three SRM kernels of their MAD estimates, each divided by the kernel's gain."""
    out: np.ndarray | None = None
    for k in SRM_KERNELS:
        r = cv2.filter2D(gray, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
        s = _mad_sigma(r, CELL, step=SAMPLE_STEP) / float(np.sqrt((k * k).sum()))
        out = s if out is None else out + s
    assert out is not None  # SRM_KERNELS is a non-empty constant
    return out / len(SRM_KERNELS)


def patch_stats(gray: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cell sums over the 4x4 patches: ``n``, ``s1`` (16), ``s2`` (16x16), ``m2``/``m4`` of the 15 AC DCTs."""
    bh, bw = gray.shape[0] // CELL, gray.shape[1] // CELL
    per = CELL // 4
    g = gray[: bh * CELL, : bw * CELL].reshape(bh, per, 4, bw, per, 4)
    patches = g.transpose(0, 3, 1, 4, 2, 5).reshape(bh * bw, per * per, 16)  # cell, patch, pixel
    s1 = patches.sum(axis=1)
    s2 = np.matmul(patches.transpose(0, 2, 1), patches)
    coef = patches @ DCT4[:, 1:]  # 15 AC coefficients
    c2 = coef * coef
    m2 = c2.sum(axis=1)
    m4 = (c2 * c2).sum(axis=1)
    shape = (bh, bw)
    return {
        "n": np.full(shape, per * per, np.float32),
        "s1": s1.reshape(*shape, 16),
        "s2": s2.reshape(*shape, 16, 16),
        "m2": m2.reshape(*shape, 15),
        "m4": m4.reshape(*shape, 15),
    }


def kurtosis_sigma(stats: dict[str, np.ndarray]) -> np.ndarray:
    """Lyu, Pan & Zhang 2014: fit sqrt(kurt_k) = a - b / var_k over the 15 AC channels per window."""
    n = window_sum(stats["n"])[..., None]
    var = np.maximum(window_sum(stats["m2"]) / n, 1e-3)
    kurt = window_sum(stats["m4"]) / n / (var * var)
    y = np.sqrt(np.maximum(kurt - 3.0, 0.0) + 1e-6)  # excess kurtosis of the noisy channel
    x = 1.0 / var
    xm, ym = x.mean(axis=-1, keepdims=True), y.mean(axis=-1, keepdims=True)
    cov = ((x - xm) * (y - ym)).mean(axis=-1)
    vx = ((x - xm) ** 2).mean(axis=-1)
    b = -cov / np.maximum(vx, 1e-12)
    a = ym[..., 0] + b * xm[..., 0]
    s2 = np.where(a > 1e-6, b / np.maximum(a, 1e-6), 0.0)
    s2 = np.clip(s2, 0.0, var.min(axis=-1))  # the noise cannot exceed the quietest channel
    return np.sqrt(s2)


def pca_sigma(stats: dict[str, np.ndarray]) -> np.ndarray:
    """Liu, Tanaka & Okutomi 2013: sqrt of the smallest eigenvalue of the window's patch covariance."""
    n = window_sum(stats["n"])[..., None]
    mean = window_sum(stats["s1"]) / n
    cov = window_sum(stats["s2"]) / n[..., None] - mean[..., :, None] * mean[..., None, :]
    eig = np.linalg.eigvalsh(cov.astype(np.float64))
    return np.sqrt(np.maximum(eig[..., 0], 0.0))


def window_texture(gray: np.ndarray) -> np.ndarray:
    """log2 mean Sobel gradient magnitude per analysis window, measured at 1/``TEXTURE_SCALE`` size.

    Shrinking by area averaging first removes most of the sensor noise, so what is left is the
    scene's structure: the texture that biases every residual-based estimate upwards.
    """
    gray = np.asarray(gray, np.float32)
    bh, bw = gray.shape[0] // CELL, gray.shape[1] // CELL
    side = CELL // TEXTURE_SCALE
    small = cv2.resize(gray[: bh * CELL, : bw * CELL], (bw * side, bh * side), interpolation=cv2.INTER_AREA)
    magnitude = cv2.magnitude(cv2.Sobel(small, cv2.CV_32F, 1, 0), cv2.Sobel(small, cv2.CV_32F, 0, 1))
    mean = window_sum(_cells(magnitude, side).mean(axis=2)) / WINDOW**2
    return np.log2(np.maximum(mean, MIN_GRADIENT)).astype(np.float32)


def window_levels(gray: np.ndarray, which: tuple[str, ...]) -> dict[str, np.ndarray]:
    """log2 noise sigma per analysis window (one per CELL x CELL cell), for each named estimator."""
    gray = np.asarray(gray, np.float32)
    out: dict[str, np.ndarray] = {}
    stats = patch_stats(gray) if {"kurtosis", "pca"} & set(which) else None
    for name in which:
        if name == "wavelet":
            s = np.exp2(window_sum(np.log2(np.maximum(wavelet_sigma(gray), MIN_SIGMA))) / WINDOW**2)
        elif name == "median":
            s = np.exp2(window_sum(np.log2(np.maximum(median_sigma(gray), MIN_SIGMA))) / WINDOW**2)
        elif name == "srm":
            s = np.exp2(window_sum(np.log2(np.maximum(srm_sigma(gray), MIN_SIGMA))) / WINDOW**2)
        elif name == "kurtosis":
            assert stats is not None  # computed above whenever "kurtosis" is in which
            s = kurtosis_sigma(stats)
        elif name == "pca":
            assert stats is not None  # computed above whenever "pca" is in which
            s = pca_sigma(stats)
        else:
            raise ValueError(f"unknown estimator {name!r}")
        out[name] = np.log2(np.maximum(s, MIN_SIGMA)).astype(np.float32)
    return out
