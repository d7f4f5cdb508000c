"""Copy-move candidates without keypoints: shift vectors from a whitened autocorrelation.

A region copied by a pure translation d makes the image correlate with itself shifted by
d, over the region's area. Block-matching methods find that shift by sorting block
features and voting for the shift vectors of similar pairs (J. Fridrich, D. Soukal & J.
Lukáš, "Detection of Copy-Move Forgery in Digital Images", DFRWS 2003; V. Christlein et al.,
"An Evaluation of Popular Copy-Move Forgery Detection Approaches", IEEE TIFS 7(6), 2012).
The same vote is taken here at once for every pixel and every shift, in O(N log N), with
the autocorrelation of a high-pass, locally normalised image computed by FFT. Local
normalisation gives flat regions (sky, walls) the same weight as texture, so a copy of a
low-texture area still correlates through the sensor noise and fine detail it carries.

The power spectrum is whitened (divided by its local average over neighbouring
frequencies) before the inverse transform. This flattens the image's own spectral colour
and, importantly, the sharp spectral lines of periodic content (brick walls, windows, the
8x8 JPEG block grid), whose autocorrelation would otherwise dominate the peaks, while the
fine fringes a copy adds to the spectrum survive. The whitened spectrum is then weighted by
the frequency response of a difference of Gaussians: the finest frequencies, where JPEG
re-compression replaces a copy's detail by quantisation noise, and the coarsest, which are
few, count less. Peaks are reported in units of the
autocorrelation's standard deviation; a copy of 0.5-1% of the image typically stands at
5-15, a larger one at 20-80, while the best peak of an untouched photo stands at 4.5-8.
Every peak is only a candidate: copy_move_verify decides.

Rotated or scaled copies do not correlate under a translation and are left to keypoints.
"""

from __future__ import annotations

import cv2
import numpy as np

HIGH_PASS_SIGMA = 1.0  # residual = image - Gaussian blur of this sigma, pixels
NORM_SIGMA = 4.0  # window of the local normalisation, pixels
NORM_FLOOR = 1.0  # added to the local residual variance (grey levels squared): keeps flat areas at 0
WHITEN_SIGMA = 2.0  # smoothing of the power spectrum used to whiten it, frequency bins
PEAK_RADIUS = 2  # a peak is the maximum of its (2r+1) x (2r+1) neighbourhood
RING_RADIUS = 5  # a peak must stand above the maximum of the ring between PEAK_RADIUS and this
MIN_PEAK_Z = 3.0  # peaks below this many standard deviations are not candidates
BAND_SIGMAS = (0.7, 2.5)  # the whitened spectrum is weighted by this difference of Gaussians, pixels
MAX_PEAKS = 8  # candidates returned at most


def normalised_residual(gray: np.ndarray) -> np.ndarray:
    """High-pass residual divided by its local standard deviation (float32)."""
    g = gray.astype(np.float32)
    residual = g - cv2.GaussianBlur(g, (0, 0), HIGH_PASS_SIGMA)
    local_var = cv2.GaussianBlur(residual * residual, (0, 0), NORM_SIGMA)
    out = residual / np.sqrt(local_var + NORM_FLOOR)
    return out - float(out.mean())


def period(shape: tuple[int, int]) -> tuple[int, int]:
    """Size (h, w) of the circular autocorrelation of an image of ``shape``.

    The largest size not above the image's whose DFT is fast (a product of 2, 3 and 5): an
    awkward side makes the transform far slower (a 12 MP photo is analysed at 1153 x 1735 px,
    1153 prime: 1.9 s for the transform pair against 0.07 s at 1152 x 1728). The image
    loses at most a few rows and columns on its bottom and right edges (about 1%), which the
    verification, run on the whole image, does not. Zero-padding instead weakens the peaks
    of far-apart copies.
    """
    return _smooth_below(shape[0]), _smooth_below(shape[1])


def _smooth_below(n: int) -> int:
    m = n
    while m > 1 and cv2.getOptimalDFTSize(m) != m:
        m -= 1
    return m


def whitened_autocorrelation(feat: np.ndarray) -> np.ndarray:
    """Circular autocorrelation of ``feat`` cropped to ``period``, with a whitened power
    spectrum, zero shift at [0, 0]."""
    ph, pw = period(feat.shape)
    feat = np.ascontiguousarray(feat[:ph, :pw])
    spectrum = cv2.dft(feat, flags=cv2.DFT_COMPLEX_OUTPUT)
    power = cv2.magnitude(spectrum[..., 0], spectrum[..., 1]) ** 2
    envelope = cv2.GaussianBlur(power, (0, 0), WHITEN_SIGMA, borderType=cv2.BORDER_REFLECT)
    white = power / (envelope + 1e-3 * float(envelope.mean()) + 1e-12)
    h, w = feat.shape
    fy = np.minimum(np.arange(h), h - np.arange(h)) / h  # cycles per pixel
    fx = np.minimum(np.arange(w), w - np.arange(w)) / w
    f2 = (fy[:, None] ** 2 + fx[None, :] ** 2).astype(np.float32)
    white *= np.exp(-2 * np.pi**2 * BAND_SIGMAS[0] ** 2 * f2) - np.exp(-2 * np.pi**2 * BAND_SIGMAS[1] ** 2 * f2)
    spectrum[..., 0] = white  # a real, even spectrum: the inverse is real
    spectrum[..., 1] = 0.0
    return cv2.idft(spectrum, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)


def shift_peaks(gray: np.ndarray, min_shift: float) -> list[tuple[float, float, float]]:
    """Candidate copy shifts (dx, dy, strength in standard deviations), strongest first.

    Shifts are circular over ``period(gray.shape)`` = (ph, pw): (dx, dy) also stands for
    (dx - pw, dy), (dx, dy - ph) and (dx - pw, dy - ph) (``translations`` lists them); only
    one of each pair (d, -d) is returned.
    """
    feat = normalised_residual(gray)
    auto = whitened_autocorrelation(feat)
    h, w = auto.shape
    # distance of every circular shift from zero
    sy = np.minimum(np.arange(h), h - np.arange(h)).astype(np.float32)
    sx = np.minimum(np.arange(w), w - np.arange(w)).astype(np.float32)
    near = (sy[:, None] ** 2 + sx[None, :] ** 2) < min_shift**2
    auto[near] = 0.0
    spread = float(auto[~near].std()) if (~near).any() else 0.0
    if spread <= 0:
        return []
    auto /= spread
    size = 2 * PEAK_RADIUS + 1
    top = cv2.dilate(auto, np.ones((size, size), np.uint8))
    ring = np.ones((2 * RING_RADIUS + 1, 2 * RING_RADIUS + 1), np.uint8)
    ring[
        RING_RADIUS - PEAK_RADIUS : RING_RADIUS + PEAK_RADIUS + 1,
        RING_RADIUS - PEAK_RADIUS : RING_RADIUS + PEAK_RADIUS + 1,
    ] = 0
    around = cv2.dilate(auto, ring, borderType=cv2.BORDER_REFLECT)
    ys, xs = np.nonzero((auto >= top) & (auto - np.maximum(around, 0) >= MIN_PEAK_Z))
    strength = auto[ys, xs] - np.maximum(around[ys, xs], 0)
    order = np.argsort(-strength)
    peaks: list[tuple[float, float, float]] = []
    for i in order:
        x, y = int(xs[i]), int(ys[i])
        dx = x + _vertex(auto[y, x - 1], auto[y, x], auto[y, (x + 1) % w])
        dy = y + _vertex(auto[y - 1, x], auto[y, x], auto[(y + 1) % h, x])
        dx = dx - w if dx > w / 2 else dx
        dy = dy - h if dy > h / 2 else dy
        if any(_same(dx, dy, -px, -py, w, h) for px, py, _ in peaks):
            continue  # the mirror (-d) of a peak already listed
        peaks.append((dx, dy, float(strength[i])))
        if len(peaks) >= MAX_PEAKS:
            break
    return peaks


def _vertex(left: float, centre: float, right: float) -> float:
    """Sub-pixel offset of a peak from the parabola through three samples, in -0.5..0.5."""
    curvature = left - 2 * centre + right
    if curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _same(ax: float, ay: float, bx: float, by: float, w: int, h: int) -> bool:
    ex = (ax - bx + w / 2) % w - w / 2
    ey = (ay - by + h / 2) % h - h / 2
    return abs(ex) <= PEAK_RADIUS and abs(ey) <= PEAK_RADIUS


def translations(dx: float, dy: float, shape: tuple[int, int]) -> list[tuple[float, float]]:
    """The linear shifts a circular shift (dx, dy) of ``shift_peaks`` on an image of ``shape``
    stands for, each with a non-empty overlap."""
    h, w = shape
    ph, pw = period(shape)
    xs = {dx, dx - pw if dx > 0 else dx + pw}
    ys = {dy, dy - ph if dy > 0 else dy + ph}
    return [(x, y) for x in sorted(xs) for y in sorted(ys) if abs(x) < w - 1 and abs(y) < h - 1]


def overlap_box(dx: float, dy: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Box (x0, y0, x1, y1) of the pixels x whose shifted position x + d lies in the image."""
    h, w = shape
    return (
        max(0, int(np.ceil(-dx))),
        max(0, int(np.ceil(-dy))),
        min(w, int(np.floor(w - dx))),
        min(h, int(np.floor(h - dy))),
    )
