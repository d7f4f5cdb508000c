"""Detection and localisation metrics, in numpy only.

- Image level: ROC AUC as the Mann-Whitney U statistic (ties count one half), i.e. the
  probability that a manipulated image scores above an untouched one (Hanley & McNeil,
  Radiology 143(1), 1982); ROC curve points for plots.
- Pixel level: F1 and Matthews correlation coefficient of a suspicion map against a
  ground-truth mask, at a fixed threshold and at the best threshold for the image (the
  "oracle" protocol most forgery-localisation papers report, e.g. Zampoglou, Papadopoulos &
  Kompatsiaris, "Large-scale evaluation of splicing localization algorithms for web
  images", Multimedia Tools and Applications 76, 2017). Maps are 8-bit (255 = most
  suspicious); a pixel is predicted manipulated when its value is >= the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(score of a positive > score of a negative) + 0.5 P(equal); None if a side is empty."""
    pos, neg = np.asarray(positive, float), np.asarray(negative, float)
    if pos.size == 0 or neg.size == 0:
        return None
    ranks = _average_ranks(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def roc_curve(positive: Sequence[float], negative: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1)."""
    pos, neg = np.asarray(positive, float), np.asarray(negative, float)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tpr = [0.0] + [float((pos >= t).mean()) if pos.size else 0.0 for t in thresholds]
    fpr = [0.0] + [float((neg >= t).mean()) if neg.size else 0.0 for t in thresholds]
    return np.array(fpr), np.array(tpr)


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def f1(self) -> float:
        """2TP / (2TP + FP + FN); 1.0 when there is nothing to find and nothing predicted."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 1.0 if denominator == 0 else 2 * self.tp / denominator

    @property
    def mcc(self) -> float:
        """Matthews correlation coefficient; 0.0 when it is undefined (a constant side)."""
        tp, fp, fn, tn = (float(v) for v in (self.tp, self.fp, self.fn, self.tn))
        denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return 0.0 if denominator == 0 else (tp * tn - fp * fn) / denominator


def counts_at(suspicion_u8: np.ndarray, mask: np.ndarray, threshold: int) -> Counts:
    """Confusion counts of ``suspicion >= threshold`` against ``mask`` (bool or 0/255)."""
    predicted = suspicion_u8 >= threshold
    truth = mask.astype(bool)
    tp = int(np.count_nonzero(predicted & truth))
    fp = int(np.count_nonzero(predicted & ~truth))
    fn = int(np.count_nonzero(~predicted & truth))
    return Counts(tp, fp, fn, truth.size - tp - fp - fn)


def counts_all_thresholds(suspicion_u8: np.ndarray, mask: np.ndarray) -> list[Counts]:
    """Counts for every threshold 0..256 at once, from two histograms (index = threshold)."""
    truth = mask.astype(bool).ravel()
    values = suspicion_u8.ravel()
    pos_hist = np.bincount(values[truth], minlength=256)
    neg_hist = np.bincount(values[~truth], minlength=256)
    tp = np.concatenate([np.cumsum(pos_hist[::-1])[::-1], [0]])  # pixels >= t that are manipulated
    fp = np.concatenate([np.cumsum(neg_hist[::-1])[::-1], [0]])
    n_pos, n_neg = int(pos_hist.sum()), int(neg_hist.sum())
    return [Counts(int(tp[t]), int(fp[t]), n_pos - int(tp[t]), n_neg - int(fp[t])) for t in range(257)]


@dataclass(frozen=True)
class PixelScores:
    f1_fixed: float
    mcc_fixed: float
    f1_best: float
    mcc_best: float
    best_threshold: int


def pixel_scores(suspicion_u8: np.ndarray, mask: np.ndarray, fixed_threshold: int = 128) -> PixelScores:
    """F1 and MCC at ``fixed_threshold`` and at the threshold that maximises F1 for this image."""
    if suspicion_u8.shape != mask.shape:
        raise ValueError(f"map {suspicion_u8.shape} and mask {mask.shape} differ in size")
    table = counts_all_thresholds(suspicion_u8, mask)
    best = max(range(1, 257), key=lambda t: (table[t].f1, -t))
    fixed = table[fixed_threshold]
    return PixelScores(fixed.f1, fixed.mcc, table[best].f1, table[best].mcc, best)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(values.size, float)
    sorted_values = values[order]
    start = 0
    for end in range(1, values.size + 1):
        if end == values.size or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2.0
            start = end
    return ranks
