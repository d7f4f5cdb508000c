"""Double JPEG compression: aligned (ADQ), non-aligned (NADQ) and same-table re-saves.

**Aligned.** When a JPEG is decoded and saved again on the same 8x8 grid, each DCT
coefficient is quantized twice, first with step q1 and then with q2. The histogram of the
final quantized values then carries a periodic modulation n(x) -- the number of multiples
of q1 that fall into the bin of x -- on top of the smooth histogram of a single
compression (J. Lukas & J. Fridrich, "Estimation of primary quantization matrix in double
compressed JPEG images", DFRWS 2003; Z. Lin, J. He, X. Tang & C.-K. Tang, "Fast, automatic
and fine-grained tampered JPEG image detection via DCT coefficient analysis", Pattern
Recognition 42(11), 2009). Following T. Bianchi & A. Piva, "Image forgery localization via
block-grained analysis of JPEG artifacts", IEEE TIFS 7(3), 2012, each low-frequency
coefficient is modelled as p_DQ(x) = n(x; q1, q2) p_SQ(x) against p_SQ(x); here p_SQ is a
smooth log-polynomial fitted to the histogram itself, q1 is the candidate that maximises
the likelihood, and n(x) includes a Gaussian rounding error of the first decoding. The
bins |x| < 2 are left out: camera encoders shape them (dead zones), so they are not smooth.
A frequency counts as evidence only if the lattice also explains at least MIN_EXPLAINED
(45%) of the smooth model's lack of fit (deviance, the G-statistic): the smooth model is
only an approximation, and under a misspecified null the likelihood gain of any extra
periodic term grows in proportion to the number of coefficients (H. White, "Maximum
likelihood estimation of misspecified models", Econometrica 50(1), 1982), so a fixed gain
floor alone is crossed by large camera originals whose histograms are merely shaped by
in-camera processing (a 14 MP Nikon D3100 with all steps 1: gains of 100-270 that explain
6-35% of the misfit; true re-saves explain a median 88%, 5th percentile 53%). The share is
scale-free, so it holds across image sizes. It was chosen by leave-one-make-group-out
(studies/dq_camera_originals.py). It does not remove a genuine periodic lattice that the
camera itself leaves on a few frequencies (a Minolta DiMAGE 7 original: q1 = 3 on five
vertical frequencies with step 2); that is indistinguishable from a re-save here, and
probably is one: the frame is turned 90 degrees from its EXIF thumbnail under an upright
Orientation, behind a JFIF header (vforensics.evaluation.provenance_audit).
The per-coefficient likelihood ratios n(x), summed over frequencies in each 8x8 block,
give a map of where the image is double compressed; a pasted region that was not on the
same grid (or never JPEG) lacks the modulation.

**Non-aligned.** If the image was cropped (or pasted) off the 8x8 grid before the last
save, the earlier compression's grid is elsewhere: at that shift the DCT coefficients of
the decoded pixels lie near multiples of the earlier steps (T. Bianchi & A. Piva,
"Detection of nonaligned double JPEG compression based on integer periodicity maps", IEEE
TIFS 7(2), 2012). The periodicity |mean(exp(2 pi i y / q))| is measured at all 63 shifts
for 8 low frequencies (DC included) and periods 2-24 on a central crop. The last
compression's own grid leaks lattice structure into shifts that are aligned along one
axis (dy or dx = 0) or half a block off (4): each shift is therefore compared with the
median of the shifts of its own alignment class (0 / 4 / other per axis), and for the
one-member classes (0,4), (4,0), (4,4) periods that divide the present steps are ignored.
The evidence is a robust z-score of the best shift against the other 62. It is only
visible when the earlier steps are large compared with the last compression's error,
i.e. mostly when the last save used the higher quality.

**Same tables.** Re-saving with the file's own tables leaves no histogram trace. F. Huang,
J. Huang & Y. Q. Shi, "Detecting double JPEG compression with the same quantization
matrix", IEEE TIFS 5(4), 2010, observed that the number of coefficients that change when
an image is decompressed and recompressed with the same tables shrinks with every cycle.
Here one cycle is run on a central crop and the share of changed coefficients, per
quantization step, is compared with that of first-time decoded camera originals; blocks
with clipped pixels or saturated colours are left out, as their rounding is erratic.

All of this is weak when the second compression is much coarser than the first (q1 small
compared with q2): the modulation is then shallow or absent. That case is reported as
"not detected", never as proof of a single compression.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from vforensics.analyzers.jpeg import _dct as jpeg_dct
from vforensics.media.jpeg_tables import ZIGZAG

# ---------------------------------------------------------------------------------------------
# Aligned double quantization

ADQ_FREQS = 20  # zig-zag AC coefficients 1..20 are modelled
ROUNDING_SIGMA = 0.5  # std of the first decode's rounding error, DCT units
ALPHAS = np.array([0.7, 0.85, 1.0])  # share of double-quantized blocks tried in the fit
MIN_BIN = 2  # |x| < 2 are not modelled (encoder dead zones)
GAIN_FLOOR = 5.0  # per-frequency log-likelihood gain below this is noise
LLR_CLIP = 3.0  # per-coefficient log-likelihood ratio clip (empty bins)
#: Share of the smooth model's deviance that the double-quantization lattice must explain
#: for a frequency to count (grouped cross-validation over camera makes chose 0.45 in four
#: folds of five and 0.5 in one; untouched originals' spurious fits explain 6-40%).
MIN_EXPLAINED = 0.45


def _ncdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26, error < 1.5e-7)."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    erf = 1.0 - poly * t * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def lattice_counts(q1s: np.ndarray, q2: int, xs: np.ndarray, sigma: float = ROUNDING_SIGMA) -> np.ndarray:
    """n(x): expected number of multiples of q1 (with rounding noise) per bin of step q2.

    Returns (len(q1s), len(xs)), scaled by q1/q2 so that a smooth density gives 1 on average.
    """
    out = np.empty((len(q1s), len(xs)))
    for i, q1 in enumerate(q1s):
        kmax = int((xs[-1] + 1) * q2 / q1) + 2
        ks = np.arange(-kmax, kmax + 1)[:, None] * q1
        lo = ((xs[None, :] - 0.5) * q2 - ks) / sigma
        hi = ((xs[None, :] + 0.5) * q2 - ks) / sigma
        out[i] = (_ncdf(hi) - _ncdf(lo)).sum(axis=0) * q1 / q2
    return out


@dataclass
class FrequencyFit:
    """The best double-quantization model of one DCT frequency."""

    zigzag: int
    q2: int
    q1: int
    alpha: float
    gain: float  # log-likelihood gain of the double-quantization model over the smooth one
    first_bin: int  # |x| range modelled
    llr: np.ndarray  # per-|x| log-likelihood ratio (index = |x|), zeros outside the range
    q1_gains: np.ndarray = field(default_factory=lambda: np.zeros(0))  # best gain for q1 = 1, 2, ... (any alpha)
    n_coefficients: int = 0  # coefficients in the modelled bins
    smooth_deviance: float = 0.0  # G-statistic of the smooth model against the histogram (2 x gain at most)

    @property
    def explained(self) -> float:
        """Share of the smooth model's deviance the double-quantization model removes."""
        return 2.0 * self.gain / self.smooth_deviance if self.smooth_deviance > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "zigzag": self.zigzag,
            "q2": self.q2,
            "q1": self.q1,
            "alpha": self.alpha,
            "gain": round(self.gain, 1),
            "explained": round(self.explained, 3),
        }


def histogram_top(q2: int) -> int:
    """Largest |x| modelled for step ``q2`` (about 64 DCT units, 4-40 bins)."""
    return max(4, min(int(np.ceil(64 / q2)), 40))


def fit_frequency(abs_values: np.ndarray, q2: int, zigzag: int = 0) -> FrequencyFit | None:
    """Fit smooth vs. double-quantized models to the histogram of |x| for one frequency."""
    top = histogram_top(q2)
    return fit_counts(np.bincount(np.minimum(abs_values, top + 1), minlength=top + 2), q2, zigzag)


def fit_counts(hist: np.ndarray, q2: int, zigzag: int = 0) -> FrequencyFit | None:
    """:func:`fit_frequency` on a histogram of |x| (index = |x|; values beyond the modelled range are ignored)."""
    top = histogram_top(q2)
    counts = np.zeros(top + 1)
    counts[: min(len(hist), top + 1)] = np.asarray(hist, np.float64)[: top + 1]
    counts = counts[MIN_BIN : top + 1]
    support = np.nonzero(counts >= 3)[0]
    if len(support) < 4:
        return None
    n_bins = int(support[-1]) + 1
    h = counts[:n_bins]
    xs = np.arange(MIN_BIN, MIN_BIN + n_bins)
    t = xs / xs[-1]
    design = np.stack([np.ones_like(t), t, t * t, np.log(t)], axis=1)
    w = np.sqrt(h + 1.0)
    solve = np.linalg.pinv(design * w[:, None])
    q1s = np.arange(1, max(2 * q2, q2 + 16) + 1)
    n = lattice_counts(q1s, q2, xs)
    logn = np.log(ALPHAS[None, :, None] * n[:, None, :] + (1.0 - ALPHAS[None, :, None]) + 1e-6)
    logn = np.concatenate([np.zeros((1, n_bins)), logn.reshape(-1, n_bins)])  # row 0: smooth model
    target = np.log(h + 0.5)
    coef = (solve @ ((target[None, :] - logn) * w[None, :]).T).T
    logp = coef @ design.T + logn
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    ll = logp @ h
    gains = ll[1:] - ll[0]
    best = int(np.argmax(gains))
    q1 = int(q1s[best // len(ALPHAS)])
    alpha = float(ALPHAS[best % len(ALPHAS)])
    # Per-|x| likelihood ratio of "double quantized with q1" vs the smooth model of the same fit.
    llr = np.zeros(top + 2)
    smooth = np.exp(coef[0] @ design.T)
    smooth /= smooth.sum()
    nn = n[best // len(ALPHAS)]
    z = float((nn * smooth).sum())
    llr[MIN_BIN : MIN_BIN + n_bins] = np.clip(np.log(nn / z + 1e-3), -LLR_CLIP, LLR_CLIP)
    q1_gains = gains.reshape(len(q1s), len(ALPHAS)).max(axis=1)
    nz = h > 0
    deviance = float(2.0 * (h[nz] * (np.log(h[nz] / h.sum()) - logp[0][nz])).sum())
    return FrequencyFit(zigzag, q2, q1, alpha, float(gains[best]), MIN_BIN, llr, q1_gains, int(h.sum()), deviance)


@dataclass
class AlignedResult:
    """Aligned double-compression evidence for the whole image and per 8x8 block."""

    evidence: float  # sum over frequencies of (gain - floor)+, log-likelihood units
    fits: list[FrequencyFit]
    primary_q1: dict[int, int]  # zig-zag index -> estimated first step, where significant
    block_llr: np.ndarray | None  # (bh, bw) summed log-likelihood ratio of double quantization
    frequencies_used: int = 0

    @property
    def significant(self) -> list[FrequencyFit]:
        return [f for f in self.fits if is_significant(f)]


def is_significant(fit: FrequencyFit) -> bool:
    """A frequency with evidence: a clear gain, a first step that differs, and most of the misfit explained."""
    return fit.gain > GAIN_FLOOR and fit.q1 != fit.q2 and fit.q1 > 1 and fit.explained >= MIN_EXPLAINED


def aligned_double(coef_q: np.ndarray, table: np.ndarray, usable: np.ndarray) -> AlignedResult:
    """Aligned double-quantization analysis of quantized luma coefficients.

    ``coef_q``: int32 (bh, bw, 64) quantized coefficients (natural order); ``table``: the
    luma table (64, natural order); ``usable``: bool (bh, bw), blocks without clipping.
    """
    fits: list[FrequencyFit] = []
    abs_usable = np.abs(coef_q[usable])
    for zz in range(1, ADQ_FREQS + 1):
        k = int(ZIGZAG[zz])
        q2 = int(table[k])
        fit = fit_frequency(abs_usable[:, k], q2, zz)
        if fit is not None:
            fits.append(fit)
    sig = [f for f in fits if is_significant(f)]
    evidence = float(sum(f.gain - GAIN_FLOOR for f in sig))
    block_llr = None
    if sig:
        block_llr = np.zeros(coef_q.shape[:2], np.float32)
        for f in sig:
            k = int(ZIGZAG[f.zigzag])
            idx = np.minimum(np.abs(coef_q[:, :, k]), len(f.llr) - 1)
            block_llr += f.llr[idx].astype(np.float32)
        block_llr[~usable] = 0.0
    return AlignedResult(evidence, fits, {f.zigzag: f.q1 for f in sig}, block_llr, len(sig))


def block_probability(llr: np.ndarray, prior: float, radius: int = 2) -> np.ndarray:
    """P(double compressed) per block from summed LLRs pooled over a (2r+1)^2 neighbourhood."""
    pooled = cv2.boxFilter(llr.astype(np.float32), -1, (2 * radius + 1, 2 * radius + 1), normalize=False)
    prior = min(max(prior, 0.02), 0.98)
    logit = pooled + np.float32(np.log(prior / (1.0 - prior)))
    return (1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Non-aligned double compression

NADQ_FREQS = [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1)]
NADQ_PERIODS = np.arange(2, 25)
NADQ_CROP = 1024  # side of the central crop searched, pixels
NADQ_BINS_PER_UNIT = 2
_SINGLETON_SHIFTS = (4, 32, 36)  # (dy, dx) = (0, 4), (4, 0), (4, 4): their class has one member


def _shift_class(d: int) -> int:
    return 0 if d == 0 else (1 if d == 4 else 2)


@dataclass
class NonAlignedResult:
    """Where an earlier, non-aligned 8x8 grid lies and how clear it is."""

    shift: tuple[int, int]  # (dx, dy): the earlier grid's blocks start at x = dx + 8k, y = dy + 8m
    zscore: float  # robust z of the best shift against the other shifts
    strength: float  # summed excess periodicity at the best shift
    periods: dict[str, int] = field(default_factory=dict)  # frequency -> period at the best shift
    blocks_per_shift: int = 0

    def to_dict(self) -> dict:
        return {
            "grid_offset_xy": list(self.shift),
            "zscore": round(self.zscore, 2),
            "strength": round(self.strength, 1),
            "periods": self.periods,
            "blocks_per_shift": self.blocks_per_shift,
        }


def nonaligned_double(y: np.ndarray, table: np.ndarray | None, crop: int = NADQ_CROP) -> NonAlignedResult | None:
    """Search the 63 non-zero grid shifts for the lattice of an earlier compression."""
    h, w = y.shape
    ch, cw = min(h, crop + 8) // 8 * 8, min(w, crop + 8) // 8 * 8
    if ch < 64 or cw < 64:
        return None
    y0, x0 = (h - ch) // 2 // 8 * 8, (w - cw) // 2 // 8 * 8
    coeffs = jpeg_dct.shifted_coefficients(y[y0 : y0 + ch, x0 : x0 + cw], NADQ_FREQS)
    nby, nbx = (ch - 8) // 8, (cw - 8) // 8
    n = nby * nbx
    power = np.zeros((len(NADQ_FREQS), 64, len(NADQ_PERIODS)))
    for k in range(len(NADQ_FREQS)):
        half = 1030 if k == 0 else 300  # value range, DCT units
        nb = 2 * half * NADQ_BINS_PER_UNIT + 1
        values = np.stack([coeffs[k, dy::8, dx::8][:nby, :nbx].ravel() for dy in range(8) for dx in range(8)])
        bins = np.clip(np.rint(values * NADQ_BINS_PER_UNIT).astype(np.int64) + half * NADQ_BINS_PER_UNIT, 0, nb - 1)
        bins += np.arange(64)[:, None] * nb
        hist = np.bincount(bins.ravel(), minlength=64 * nb).reshape(64, nb).astype(np.float64)
        t = (np.arange(nb) - half * NADQ_BINS_PER_UNIT) / NADQ_BINS_PER_UNIT
        phase = 2 * np.pi * t[None, :] / NADQ_PERIODS[:, None]
        power[k] = ((hist @ np.cos(phase).T) ** 2 + (hist @ np.sin(phase).T) ** 2) / n  # n |mean e^{i..}|^2
        if table is not None:  # the present grid leaks into the half-shifted singletons at its own steps
            q2 = int(table[NADQ_FREQS[k][0] * 8 + NADQ_FREQS[k][1]])
            related = np.array([(q2 % q == 0) or ((2 * q2) % q == 0) for q in NADQ_PERIODS])
            for s in _SINGLETON_SHIFTS:
                power[k, s, related] = 0.0
    classes = np.array([_shift_class(s // 8) * 3 + _shift_class(s % 8) for s in range(64)])
    generic = [s for s in range(64) if classes[s] == 8]
    excess = np.zeros_like(power)
    for s in range(64):
        mates = [t for t in range(64) if classes[t] == classes[s] and t != s]
        if len(mates) < 3:
            mates = [t for t in generic if t != s]
        excess[:, s] = power[:, s] - np.median(power[:, mates], axis=1)
    total = np.maximum(excess, 0).max(axis=2).sum(axis=0)
    total[0] = -np.inf
    best = int(np.argmax(total))
    others = np.delete(total, [0, best])
    med = float(np.median(others))
    mad = float(np.median(np.abs(others - med))) * 1.4826 + 1e-9
    z = (float(total[best]) - med) / mad
    dy, dx = divmod(best, 8)
    periods = {
        f"{u},{v}": int(NADQ_PERIODS[int(np.argmax(excess[k, best]))])
        for k, (u, v) in enumerate(NADQ_FREQS)
        if excess[k, best].max() > 20.0
    }
    return NonAlignedResult((dx, dy), z, float(total[best]), periods, n)


# ---------------------------------------------------------------------------------------------
# Same-table double compression (recompression stability)

STABILITY_CROP = 1024  # side of the grid-aligned central crop recompressed, pixels
#: Share of luma coefficients with quantization step Q that change in one libjpeg decode +
#: encode cycle of a camera-original (first-time decoded) JPEG, in blocks without clipped
#: pixels or saturated colours: the median over the 44 camera originals of the benchmark's
#: synthetic set (interquartile range 0.048-0.069 for Q=1, 0.00043-0.00056 for Q=2). Images
#: that went through the cycle before change about half as often (Q=1) or less (Q=2).
#: Steps of 3 and more almost never change, so they carry no information.
FRESH_FLIP_RATE = {1: 0.064, 2: 0.0005}
MIN_COEFFS = 2000  # a step class needs this many coefficients in the crop to count


@dataclass
class StabilityResult:
    """How the quantized luma coefficients move when the file is re-saved with its own tables."""

    changed: float  # share of coefficients (unclipped blocks) that changed
    flip_rates: dict[int, float]  # per quantization step 1..4
    log_ratio: float | None  # weighted mean log(rate / fresh rate); < 0: more stable than a camera original

    def to_dict(self) -> dict:
        return {
            "changed": round(self.changed, 6),
            "flip_rates": {str(k): round(v, 6) for k, v in self.flip_rates.items()},
            "log_ratio_vs_fresh": None if self.log_ratio is None else round(self.log_ratio, 3),
        }


def _encode_decode_luma(rgb: np.ndarray, qtables: list[list[int]], subsampling: int) -> np.ndarray:
    """Save ``rgb`` with the given tables and decode the luma plane as the decoder writes it."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Image.fromarray(rgb).save(buf, "JPEG", qtables=qtables, subsampling=max(subsampling, 0))
        with Image.open(io.BytesIO(buf.getvalue())) as img:
            img.draft("YCbCr", img.size)
            return np.asarray(img.getchannel(0))


def recompression_stability(
    rgb: np.ndarray, y: np.ndarray, qtables: list[list[int]], subsampling: int, crop: int = STABILITY_CROP
) -> StabilityResult | None:
    """Huang et al.'s test on a central crop aligned to the 16-pixel MCU grid.

    The share of coefficients that change in one decode + encode cycle depends mostly on
    the quantization step (small steps flip under pixel rounding); it is compared per step
    with the rate of first-time decoded camera originals (:data:`FRESH_FLIP_RATE`).
    """
    h, w = y.shape
    ch, cw = min(h, crop) // 16 * 16, min(w, crop) // 16 * 16
    if ch < 32 or cw < 32 or not qtables:
        return None
    y0, x0 = (h - ch) // 2 // 16 * 16, (w - cw) // 2 // 16 * 16
    table = np.asarray(qtables[0], np.float32).reshape(8, 8)
    y_crop = y[y0 : y0 + ch, x0 : x0 + cw]
    c0 = np.rint(jpeg_dct.block_dct(y_crop) / table)
    try:
        y1 = _encode_decode_luma(np.ascontiguousarray(rgb[y0 : y0 + ch, x0 : x0 + cw]), qtables, subsampling)
    except (OSError, ValueError):
        return None
    c1 = np.rint(jpeg_dct.block_dct(y1) / table)
    rgb_crop = rgb[y0 : y0 + ch, x0 : x0 + cw]
    # RGB clipping (saturated colours) adds rounding noise far beyond the usual: leave those blocks out
    ok = ~(
        jpeg_dct.clipped_blocks(y_crop) | jpeg_dct.clipped_blocks(y1) | jpeg_dct.clipped_blocks(rgb_crop.min(axis=2))
    )
    ok &= ~jpeg_dct.clipped_blocks(rgb_crop.max(axis=2))
    if not ok.any():
        return None
    changed = (c0 != c1)[ok]
    steps = np.broadcast_to(table, changed.shape)
    rates: dict[int, float] = {}
    num = den = 0.0
    for q, fresh in FRESH_FLIP_RATE.items():
        sel = steps == q
        n = int(sel.sum())
        if n < MIN_COEFFS:
            continue
        rate = float(changed[sel].mean())
        rates[q] = rate
        weight = n * fresh
        num += weight * math.log((rate + 0.1 * fresh) / (1.1 * fresh))
        den += weight
    log_ratio = num / den if den >= 20.0 else None  # fewer than ~20 expected flips: no power
    return StabilityResult(float(changed.mean()), rates, log_ratio)
