"""The noise score's calibration: the p99 of the window z-scores -> 0..100, anchored on originals.

The analyzer's statistic (``inconsistency_z_p99``) is mapped piecewise linearly so that the
median of it over a set of untouched camera originals gives 10 and their 95th percentile 40
(100 at two more such spreads above the 95th percentile). The analyzer ships the anchors
fitted on the camera originals of shared/bench (``_analyzer.ORIGINAL_MEDIAN``,
``ORIGINAL_P95``); :func:`fit_calibration` refits them on any set of originals, as the
held-out-by-make protocol does (:mod:`vforensics.evaluation.grouped`) so that the anchors of
a make's cases never come from that make's photos.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: The originals the anchors are fitted on: camera photos with at least this short side and at
#: most this many pixels (``vforensics synth``'s sources at ``--max-megapixels 20``) on which
#: the analyzer applies.
FIT_MIN_SHORT_SIDE = 512
FIT_MAX_PIXELS = 20_000_000


def score_from_z99(z99: float, median: float, p95: float) -> float:
    """p99 of the window z-scores -> 0..100: 10 at ``median``, 40 at ``p95`` (piecewise linear)."""
    spread = p95 - median
    return float(np.interp(z99, [0.0, median, p95, p95 + 2 * spread], [0.0, 10.0, 40.0, 100.0]))


def fit_calibration(z99s: Iterable[float]) -> tuple[float, float]:
    """The anchors (median, 95th percentile) of the originals' ``inconsistency_z_p99`` values.

    Linear interpolation between order statistics (numpy's default); the shipped constants are
    these values over shared/bench's camera originals, rounded to 0.1."""
    values = np.asarray(list(z99s), dtype=np.float64)
    if values.size == 0:
        raise ValueError("no originals to fit the noise score's calibration on")
    median, p95 = np.percentile(values, [50, 95])
    if not p95 > median:
        raise ValueError(f"degenerate calibration: median {median} and p95 {p95} of {values.size} originals")
    return float(median), float(p95)


def fits_calibration(width: int, height: int) -> bool:
    """Whether a camera original of this size is one the anchors are fitted on."""
    return min(width, height) >= FIT_MIN_SHORT_SIDE and width * height <= FIT_MAX_PIXELS
