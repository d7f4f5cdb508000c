"""Demosaicing (colour filter array) trace consistency.

Almost every camera sensor sits behind a Bayer colour filter array: each photosite records
one colour, and the camera *interpolates* (demosaics) the two missing ones. Green is
acquired on a quincunx lattice, (row + column) even or odd, and interpolated on the other
one, so the green channel of an unprocessed photo carries a periodic trace: a linear
prediction from the four neighbours fits the interpolated sites much better than the
acquired ones. A region pasted from another image, resized, or painted lacks the trace
or carries it on the other lattice.

Method, after P. Ferrara, T. Bianchi, A. De Rosa & A. Piva, "Image forgery localization
via fine-grained analysis of CFA artifacts", IEEE TIFS 7(5), 2012, in the spirit of
A. E. Dirik & N. Memon, "Image tamper detection based on demosaicing artifacts", ICIP 2009:

1. prediction error of green, e = G - (mean of the 4 neighbours), at native resolution;
2. local variance of e from same-lattice neighbours in a 7x7 Gaussian-weighted window;
3. per 8x8 block the feature L = log(GM_A / GM_I), the log ratio of the geometric means of
   that variance on the acquired and on the interpolated lattice; the image's lattice is
   the one with the positive median L (the Bayer phase; red vs blue is read from the red
   channel and reported as ``bayer_pattern``);
4. L is averaged over cells of 16, 32 or 64 px, the finest whose median L is at least 4
   times the estimator noise. The noise is measured, not fitted: the same contrast between
   even and odd *rows* (both groups half acquired, half interpolated) has no CFA signal,
   and its local RMS tracks L's spread in trace-free regions (0.14 vs 0.16 in a test);
5. Ferrara's two-component mixture, "no trace" N(0, noise^2) against "trace" N(mu, s^2)
   fitted by EM, is fitted separately in 5 quantile bins of local texture (prediction
   energy): adaptive demosaicing makes the trace fade at strong edges even in untouched
   photos, so a cell is judged against cells of similar texture, and a bin whose trace is
   under 3 noise sigmas carries no evidence. Per-cell log-likelihood ratios are pooled over
   3x3 cells (sum / 3) with a prior of 0.2 for "no trace"; a cell whose L is far *below* 0
   carries the trace on the other lattice (a region shifted by one pixel) and is suspect.
   The map is that posterior, blanked where blocks are flat or clipped (no evidence).

Applicability (measured on shared/bench during development). The global evidence
is the median block L ("cfa_presence") and the share of blocks with L > 0. On the 98
camera originals of shared/bench, 2x downscaled copies (INTER_AREA) and 0.7x bilinear
resizes -- which destroy the trace -- never exceeded presence 0.06 (share 0.58), and JPEG
q75 re-saves of the originals kept at most 0.12. The originals themselves are bimodal: 20
of 98 have 0.16-0.77, the other 78 at most 0.12, most under 0.05 (old, small or strongly
processed cameras). The threshold, presence >= 0.15 and share >= 0.65, lies above every
resized copy and every q75 re-save: weaker traces (0.10-0.12: a q75 trail camera, a phone
with strong processing, a q84 re-save) gave false alarms in the maps. Below it the result
is "not applicable".

Score: the share of the image with evidence lying in coherent suspect regions (posterior
over 0.5 after a ~48 px opening), scaled so that 10 % of the image gives 100. On the 20
applicable camera originals the largest share was 1.3 % (score 13); in JPEG q95-98 and PNG
test images, pasted trace-free regions of 9 % of the image gave medians of 74-82.

Limitations, stated in the interpretation: the trace survives only near-lossless storage
(JPEG below about quality 90, resizing and much in-camera processing erase it); a region
pasted from another camera photo at the same scale and Bayer phase keeps a trace and is not
found; flat, clipped and very dark areas carry no evidence either way.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vforensics.analyzers.base import AnalyzerResult, level, skipped
from vforensics.media.image import Media

NAME = "cfa"
BLOCK = 8  # side of the feature blocks, pixels (even, so every block has the same lattice layout)
POOL = 2  # blocks per side of the cells that decide usability (16x16 px)
WINDOW_SIGMA = 1.0  # Gaussian weight of the local variance window, pixels
WINDOW = 7  # local variance window side, pixels
VAR_FLOOR = 0.05  # added to variances before the log: below 8-bit rounding noise (about 0.1)
STRIP_ROWS = 1024  # rows processed at a time (bounds memory at 100 MP), multiple of BLOCK
FLAT_ENERGY = 0.5  # mean e^2 of a block below this: flat, no evidence (8-bit units squared)
CLIPPED_LOW, CLIPPED_HIGH = 3.0, 252.0  # green levels at or beyond these: clipped, no evidence
MAX_CLIPPED_SHARE = 0.05  # blocks with more clipped pixels than this carry no evidence
MIN_SIDE = 64  # smaller images are skipped, pixels
MIN_USABLE_CELLS = 16  # fewer usable 16x16 cells: skipped
MIN_PRESENCE = 0.15  # median block L below this: no usable trace (set on data, see module docstring)
MIN_POSITIVE_SHARE = 0.65  # ... or fewer blocks than this with L > 0
CELL_BLOCKS = (2, 4, 8)  # map cell sides tried, in blocks (16, 32, 64 px), finest first
NOISE_CELLS = 5  # window of the local null-feature RMS, cells
NOISE_MARGIN = 1.2  # the null feature's RMS understates L's noise a little (measured: 0.14 vs 0.16)
MIN_CELL_SNR = 4.0  # median cell L over the null feature's spread needed to localise
OTHER_PHASE_Z = 3.0  # cell L below -Z noise sigmas: the trace is there, on the other lattice
ENERGY_BINS = 5  # texture (prediction energy) quantile bins, each with its own mixture
MIN_BIN_SNR = 3.0  # trace mean over noise sigma needed for a bin to carry evidence
LLR_CLIP = 5.0  # bound on one cell's log-likelihood ratio, so no single cell decides
POOL_CELLS = 3  # cells per side whose evidence is pooled for each cell's posterior
POOL_DIVISOR = 3.0  # pooled log-likelihood ratio divisor (neighbours are not independent)
EM_ITERATIONS = 30
PRIOR_NO_TRACE = 0.2  # prior probability that a cell lacks the trace
COHERENT_PX = 48  # side of the opening that keeps only coherent suspect regions, pixels
SUSPECT_POSTERIOR = 0.5  # posterior of "no trace" above which a cell is suspect
FULL_SCORE_SHARE = 0.10  # suspect share of the usable image that gives score 100
MEDIUM_AT, HIGH_AT = 20.0, 40.0  # score bands

_NEIGHBOURS = np.array([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]], np.float32)


def _same_lattice_window() -> np.ndarray:
    """Gaussian weights over the window's positions on the centre's own lattice, summing to 1."""
    r = WINDOW // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    w = np.exp(-(x * x + y * y) / (2 * WINDOW_SIGMA**2)) * ((x + y) % 2 == 0)
    return (w / w.sum()).astype(np.float32)


_WINDOW_KERNEL = _same_lattice_window()


def block_features(green: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per 8x8 block: L for lattice 0 acquired, a null feature, mean prediction energy, mean green.

        ``green`` is uint8 or float32 HxW. L = mean log variance on lattice (r + c) even minus
        that on lattice odd; for lattice 1 acquired the feature is -L. The null feature is the
        same contrast between even and odd *rows* (each group half acquired, half interpolated,
        so no CFA signal): its spread is the estimator's noise. The mean green is -1 for blocks
    with more than ``MAX_CLIPPED_SHARE`` clipped pixels. Processed in row strips with a
        margin, so memory stays bounded at any image size.
    """
    h, w = green.shape
    bh, bw = h // BLOCK, w // BLOCK
    feature = np.empty((bh, bw), np.float32)
    null = np.empty((bh, bw), np.float32)
    energy = np.empty((bh, bw), np.float32)
    brightness = np.empty((bh, bw), np.float32)
    margin = BLOCK  # >= 1 (prediction) + WINDOW // 2 (variance window)
    half = BLOCK * BLOCK / 2
    for top in range(0, bh * BLOCK, STRIP_ROWS):
        bottom = min(top + STRIP_ROWS, bh * BLOCK)
        lo, hi = max(0, top - margin), min(h, bottom + margin)
        g = green[lo:hi, : bw * BLOCK].astype(np.float32)
        e = g - cv2.filter2D(g, cv2.CV_32F, _NEIGHBOURS, borderType=cv2.BORDER_REFLECT)
        e *= e
        var: np.ndarray = cv2.filter2D(e, cv2.CV_32F, _WINDOW_KERNEL, borderType=cv2.BORDER_REFLECT)
        var += VAR_FLOOR
        cv2.log(var, var)
        rows = slice(top - lo, bottom - lo)
        nb = (bottom - top) // BLOCK
        lv = var[rows].reshape(nb, BLOCK // 2, 2, bw, BLOCK // 2, 2).sum(axis=(1, 4))  # (nb, 2, bw, 2) parities
        b0 = top // BLOCK
        feature[b0 : b0 + nb] = (lv[:, 0, :, 0] + lv[:, 1, :, 1] - lv[:, 0, :, 1] - lv[:, 1, :, 0]) / half
        null[b0 : b0 + nb] = (lv[:, 0, :, 0] + lv[:, 0, :, 1] - lv[:, 1, :, 0] - lv[:, 1, :, 1]) / half
        energy[b0 : b0 + nb] = e[rows].reshape(nb, BLOCK, bw, BLOCK).mean(axis=(1, 3))
        gb = g[rows].reshape(nb, BLOCK, bw, BLOCK)
        clipped = ((gb <= CLIPPED_LOW) | (gb >= CLIPPED_HIGH)).mean(axis=(1, 3))
        # A block with clipped pixels reads as "no trace" (zero error there): mark it dark/bright.
        brightness[b0 : b0 + nb] = np.where(clipped > MAX_CLIPPED_SHARE, -1.0, gb.mean(axis=(1, 3)))
    return feature, null, energy, brightness


def pool(a: np.ndarray, k: int = POOL) -> np.ndarray:
    """Mean over k x k groups of cells (trailing partial groups dropped)."""
    h, w = a.shape[0] // k, a.shape[1] // k
    return a[: h * k, : w * k].reshape(h, k, w, k).mean(axis=(1, 3))


def fit_mixture(values: np.ndarray, s0: np.ndarray) -> tuple[float, float, float]:
    """EM for a 2-Gaussian mixture: "no trace" N(0, s0^2) and "trace" N(mu, s1^2).

    As in Ferrara et al. (section IV), but ``s0`` (per value) is measured, the local spread
    of the null feature, and the weight of "no trace" is a fixed prior ``PRIOR_NO_TRACE``:
    fitted freely, it collapses towards 0 whenever the broad "trace" component can absorb a
    pasted region (seen on JPEG q98 re-saves). Only mu and s1 are fitted. Returns (w0, mu, s1).
    """
    v = values.astype(np.float64)
    mu = float(np.median(v))
    s1 = max(1.4826 * float(np.median(np.abs(v - mu))), 1e-3)
    w0 = PRIOR_NO_TRACE
    for _ in range(EM_ITERATIONS):
        r0 = posterior_no_trace(v, s0, (w0, mu, s1))
        n1 = max(v.size - float(r0.sum()), 1e-9)
        mu = float(((1 - r0) * v).sum()) / n1
        s1 = max(math.sqrt(float(((1 - r0) * (v - mu) ** 2).sum()) / n1), 1e-3)
    return w0, mu, s1


def posterior_no_trace(values: np.ndarray, s0: np.ndarray, mixture: tuple[float, float, float]) -> np.ndarray:
    w0, mu, s1 = mixture
    odds = log_likelihood_ratio(values, s0, mu, s1) + math.log(w0 / (1 - w0))
    return 1.0 / (1.0 + np.exp(-np.clip(odds, -30.0, 30.0)))


def log_likelihood_ratio(values: np.ndarray, s0: np.ndarray, mu: float, s1: float) -> np.ndarray:
    """log N(v; 0, s0^2) - log N(v; mu, s1^2), in the log domain (no underflow)."""
    return -0.5 * (values / s0) ** 2 - np.log(s0) + 0.5 * ((values - mu) / s1) ** 2 + math.log(s1)


def binned_posterior(
    cells: np.ndarray, sigma: np.ndarray, energy: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Posterior of "no trace" per cell, judged against cells of similar texture.

    Cameras interpolate edges adaptively, so even in an untouched photo the trace fades in
    strong texture (and in smooth, denoised areas). Cells are therefore split into
    ``ENERGY_BINS`` quantile bins of prediction energy and the mixture is fitted per bin; a
    bin whose trace mean is under ``MIN_BIN_SNR`` noise sigmas carries no evidence either
    way. Returns (posterior, cells with evidence, per-bin facts).
    """
    llr_map = np.zeros(cells.shape, np.float32)
    evidence = np.zeros(cells.shape, bool)
    log_energy = np.log(energy + 1e-3)
    edges = np.quantile(log_energy[usable], np.linspace(0, 1, ENERGY_BINS + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        member = usable & (log_energy >= lo) & (log_energy < hi)
        if member.sum() < MIN_USABLE_CELLS:
            continue
        mixture = fit_mixture(cells[member], sigma[member])
        snr = mixture[1] / float(np.median(sigma[member]))
        bins.append({"trace_mean": round(mixture[1], 4), "trace_sigma": round(mixture[2], 4), "snr": round(snr, 2)})
        if snr < MIN_BIN_SNR:
            continue
        evidence |= member
        llr = log_likelihood_ratio(cells[member], sigma[member], mixture[1], mixture[2])
        llr = np.clip(llr, -LLR_CLIP, LLR_CLIP)
        llr_map[member] = np.where(cells[member] < mixture[1], llr, np.minimum(llr, 0.0))
    # Neighbouring cells pool their evidence (a pasted region is a region, not a cell); the
    # sum over the window is divided by ``POOL_DIVISOR`` since texture makes neighbours alike.
    pooled = cv2.boxFilter(llr_map, -1, (POOL_CELLS, POOL_CELLS), normalize=False, borderType=cv2.BORDER_CONSTANT)
    odds = pooled / POOL_DIVISOR + math.log(PRIOR_NO_TRACE / (1 - PRIOR_NO_TRACE))
    post = np.where(evidence, 1.0 / (1.0 + np.exp(-np.clip(odds, -30, 30))), 0.0).astype(np.float32)
    return post, evidence, bins


def red_on_even_rows(rgb: np.ndarray, green_phase: int) -> bool | None:
    """Which non-green site of the 2x2 Bayer cell holds red: None when unclear.

    Red is acquired at one of the two non-green sites and interpolated elsewhere, so the
    prediction error of red from its 8 neighbours is larger at the acquired one.
    """
    h, w = (min(rgb.shape[0], 1024) // 2) * 2, (min(rgb.shape[1], 1024) // 2) * 2
    y0, x0 = ((rgb.shape[0] - h) // 4) * 2, ((rgb.shape[1] - w) // 4) * 2
    red = rgb[y0 : y0 + h, x0 : x0 + w, 0].astype(np.float32)
    kernel = np.full((3, 3), 0.125, np.float32)
    kernel[1, 1] = 0
    e = red - cv2.filter2D(red, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
    e *= e
    # Non-green sites: (r + c) % 2 != green_phase; on even rows that is column parity 1 - green_phase.
    even_row_site = float(np.log(e[0::2, (1 - green_phase) :: 2].mean() + VAR_FLOOR))
    odd_row_site = float(np.log(e[1::2, green_phase::2].mean() + VAR_FLOOR))
    if abs(even_row_site - odd_row_site) < 0.1:
        return None
    return even_row_site > odd_row_site


def bayer_name(green_phase: int, red_even: bool | None) -> str | None:
    if red_even is None:
        return None
    if green_phase == 0:  # green at (0,0) and (1,1)
        return "GRBG" if red_even else "GBRG"
    return "RGGB" if red_even else "BGGR"


def _applicability(feature: np.ndarray, usable: np.ndarray) -> tuple[int, float, float]:
    """Lattice phase (0/1), median oriented L and share of usable blocks with L > 0."""
    values = feature[usable]
    med = float(np.median(values))
    phase = 0 if med >= 0 else 1
    oriented = values if phase == 0 else -values
    return phase, abs(med), float((oriented > 0).mean())


def cell_grid(
    oriented: np.ndarray, null: np.ndarray, energy: np.ndarray, usable: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The finest cell size whose trace stands out of the estimator noise.

    Tries cells of 2, 4 and 8 blocks a side. The noise of each cell's L is the local RMS of
    the null feature over ``NOISE_CELLS`` x ``NOISE_CELLS`` cells (it grows with texture).
    Returns (cell side in blocks, cell L, usable cells, cell noise sigma, cell prediction
    energy, signal-to-noise) for the first size whose median L over median noise is at
    least ``MIN_CELL_SNR``, or None.
    """
    for k in CELL_BLOCKS:
        weight = pool(usable.astype(np.float32), k)
        ok = weight >= 0.75
        if ok.sum() < MIN_USABLE_CELLS:
            return None
        norm = np.maximum(weight, 1e-6)
        cells = pool(np.where(usable, oriented, 0.0), k) / norm
        nulls = pool(np.where(usable, null, 0.0), k) / norm
        okf = ok.astype(np.float32)
        size = (NOISE_CELLS, NOISE_CELLS)
        power = cv2.boxFilter(nulls * nulls * okf, -1, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
        count = cv2.boxFilter(okf, -1, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
        # the running sums of boxFilter can leave -1e-18 where the window holds only zeros
        sigma = np.sqrt(np.maximum(power, 0.0) / np.maximum(count, 1.0)) * NOISE_MARGIN + 1e-3
        snr = float(np.median(cells[ok])) / float(np.median(sigma[ok]))
        if snr >= MIN_CELL_SNR:
            cell_energy = pool(np.where(usable, energy, 0.0), k) / norm
            return k, cells.astype(np.float32), ok, sigma.astype(np.float32), cell_energy, snr
    return None


def analyze(media: Media) -> AnalyzerResult:
    rgb = media.rgb
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return skipped(
            "the image is too small to measure demosaicing traces", min_side_px=min(h, w), needed_px=MIN_SIDE
        )
    if np.array_equal(rgb[::7, ::7, 0], rgb[::7, ::7, 1]) and np.array_equal(rgb[:, :, 0], rgb[:, :, 1]):
        return skipped("the image is greyscale; demosaicing traces live in the colour channels", greyscale=True)
    feature, null, energy, brightness = block_features(rgb[:, :, 1])
    usable = (energy >= FLAT_ENERGY) & (brightness > CLIPPED_LOW) & (brightness < CLIPPED_HIGH)
    if (pool(usable.astype(np.float32)) >= 0.75).sum() < MIN_USABLE_CELLS:
        return skipped("almost the whole image is flat, black or white", usable_blocks=int(usable.sum()))
    phase, presence, positive_share = _applicability(feature, usable)
    facts = {
        "cfa_presence": round(presence, 4),
        "positive_block_share": round(positive_share, 4),
        "min_presence": MIN_PRESENCE,
        "min_positive_share": MIN_POSITIVE_SHARE,
        "usable_blocks": int(usable.sum()),
        "blocks": int(usable.size),
        "block_px": BLOCK,
    }
    if presence < MIN_PRESENCE or positive_share < MIN_POSITIVE_SHARE:
        return skipped(
            "no demosaicing (CFA) trace is left to test. Resizing, JPEG compression below about quality 90 "
            "and in-camera processing erase it; this says nothing about whether the image was edited",
            **facts,
        )
    oriented = feature if phase == 0 else -feature
    grid = cell_grid(oriented, null, energy, usable)
    if grid is None:
        return skipped(
            "a faint demosaicing (CFA) trace is present but too weak to compare regions of this image. "
            "This says nothing about whether the image was edited",
            **facts,
        )
    k, cells, cell_usable, sigma, cell_energy, snr = grid
    post, evidence, bins = binned_posterior(cells, sigma, cell_energy, cell_usable)
    reversed_phase = cell_usable & (cells < -OTHER_PHASE_Z * sigma)  # the trace on the other lattice
    post = np.where(reversed_phase, 1.0, post).astype(np.float32)
    evidence |= reversed_phase
    if evidence.sum() < MIN_USABLE_CELLS:
        return skipped(
            "a demosaicing (CFA) trace is present, but too unevenly across textures to compare regions. "
            "This says nothing about whether the image was edited",
            **facts,
            energy_bins=bins,
        )
    suspect = (post > SUSPECT_POSTERIOR).astype(np.uint8)
    side = max(1, round(COHERENT_PX / (k * BLOCK)))
    coherent = cv2.morphologyEx(suspect, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    n_usable = max(int(evidence.sum()), 1)
    share = float(coherent.sum() / n_usable)
    score = min(100.0, 100.0 * share / FULL_SCORE_SHARE)
    band = level(score, MEDIUM_AT, HIGH_AT)
    other_phase = float((reversed_phase & (coherent > 0)).sum() / n_usable)
    suspicion = np.where(coherent > 0, 0.5 + 0.5 * post, 0.5 * post).astype(np.float32)
    red_even = red_on_even_rows(rgb, phase)
    details = {
        **facts,
        "inconsistency_score": round(score, 2),
        "level": band,
        "green_lattice": "(row+col) even" if phase == 0 else "(row+col) odd",
        "bayer_pattern": bayer_name(phase, red_even),
        "cell_px": k * BLOCK,
        "cell_snr": round(snr, 2),
        "suspect_region_share": round(share, 4),
        "other_phase_share": round(other_phase, 4),
        "no_trace_prior": PRIOR_NO_TRACE,
        "no_trace_sigma_median": round(float(np.median(sigma[cell_usable])), 4),
        "energy_bins": bins,
        "usable_cells": int(cell_usable.sum()),
        "cells_with_evidence": int(evidence.sum()),
    }
    interpretation = (
        f"Demosaicing-trace inconsistency {score:.1f} ({band}): the image carries a camera colour-filter (Bayer) "
        f"trace (strength {presence:.2f}); {share:.0%} of the usable image lies in coherent regions where it is "
        "missing or on the other lattice. "
        + {
            "Low": "The trace is consistent across the image.",
            "Medium": "Some regions lack the trace; dark, flat, blurred or strongly compressed areas do this in "
            "untouched photos too.",
            "High": "Large regions lack the trace; check the heatmap for areas that were pasted from another image, "
            "resized or painted.",
        }[band]
        + " The trace is fragile: JPEG compression below about quality 90, resizing and in-camera processing erase "
        "it, and a region pasted from another camera photo at the same scale and Bayer phase keeps it, so a low "
        "score is no proof of authenticity."
    )
    return AnalyzerResult("ok", score, interpretation, details, suspicion)
