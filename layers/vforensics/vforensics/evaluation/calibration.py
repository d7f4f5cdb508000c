"""Fitting the overall score: the reliabilities of the noisy-OR, by maximum likelihood.

The overall tampering likelihood is a noisy-OR (J. Pearl, "Probabilistic Reasoning in
Intelligent Systems", 1988, ch. 4.3.2): each analyzer i with score s_i in 0..1 is an
independent cause that reveals a manipulation with probability r_i s_i, and

    P(manipulated | s) = 1 - prod_i (1 - r_i s_i).

One strong signal is thus not averaged away by quiet ones, and every reliability r_i in 0..1
says how far that analyzer's score is evidence. Here the r_i are fitted to labelled cases
(untouched originals = 0, edited = 1) by minimising a class-weighted log-loss with
projected gradient descent (r kept in [0, ``MAX_RELIABILITY``]). The classes are weighted
``negative_weight`` (originals) to ``1 - negative_weight`` (edits) in total, whatever their
counts, so the fit does not depend on how many edited cases the benchmark holds; at 0.5
P is the probability at even prior odds, above 0.5 a false alarm on an untouched photo
costs more than a missed edit. An analyzer whose score does not separate the classes (or
separates them the wrong way round) gets r = 0.

Cross-validation is grouped by source photo, so that no photo's original and edits fall on
both sides of a split; the out-of-fold probabilities are what the benchmark reports.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MAX_RELIABILITY = 0.98  # a single analyzer never makes P exactly 1
STEPS = 4000  # gradient steps
LEARNING_RATE = 0.05
EPS = 1e-6


#: Range of the curve exponents of :func:`fit_shaped`: s**4 keeps 0.3 at 0.008, s**0.25 lifts it to 0.74.
MIN_EXPONENT, MAX_EXPONENT = 0.25, 4.0


@dataclass
class Fit:
    names: list[str]
    reliability: np.ndarray  # (k,)
    loss: float
    exponent: np.ndarray | None = None  # (k,): the score curve of :func:`fit_shaped`; None = linear


def noisy_or(scores: np.ndarray, reliability: np.ndarray, exponent: np.ndarray | None = None) -> np.ndarray:
    """P(manipulated) for scores (n, k) in 0..1, reliabilities (k,) and, where given, each
    analyzer's score curve ``s ** exponent`` (k,) in place of the score itself."""
    if exponent is not None:
        scores = np.clip(scores, 0.0, 1.0) ** exponent[None, :]
    return 1.0 - np.prod(1.0 - scores * reliability[None, :], axis=1)


def _class_weights(labels: np.ndarray, negative_weight: float = 0.5) -> np.ndarray:
    positives = max(int(labels.sum()), 1)
    negatives = max(int((1 - labels).sum()), 1)
    return np.where(labels == 1, (1 - negative_weight) / positives, negative_weight / negatives)


def fit_reliabilities(
    scores: np.ndarray, labels: np.ndarray, names: Sequence[str], negative_weight: float = 0.5
) -> Fit:
    """Reliabilities (k,) minimising the class-weighted log-loss of :func:`noisy_or`."""
    scores = np.clip(np.asarray(scores, np.float64), 0.0, 1.0)
    labels = np.asarray(labels, np.float64)
    weights = _class_weights(labels, negative_weight)
    r = np.full(scores.shape[1], 0.5)
    m = np.zeros_like(r)
    v = np.zeros_like(r)
    for step in range(1, STEPS + 1):
        factors = 1.0 - scores * r[None, :]
        p = np.clip(1.0 - np.prod(factors, axis=1), EPS, 1 - EPS)
        # d(-log-lik)/dP, and dP/dr_i = s_i (1 - P) / (1 - r_i s_i)
        dloss_dp = weights * ((1 - labels) / (1 - p) - labels / p)
        dp_dr = scores * ((1.0 - p)[:, None] / np.maximum(factors, EPS))
        grad = dloss_dp @ dp_dr
        m = 0.9 * m + 0.1 * grad  # Adam (Kingma & Ba, ICLR 2015)
        v = 0.999 * v + 0.001 * grad * grad
        r -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-9)
        r = np.clip(r, 0.0, MAX_RELIABILITY)
    return Fit(list(names), r, log_loss(noisy_or(scores, r), labels, negative_weight))


def fit_shaped(scores: np.ndarray, labels: np.ndarray, names: Sequence[str], negative_weight: float = 0.5) -> Fit:
    """Reliabilities and score curves (k,) minimising the class-weighted log-loss of
    ``1 - prod_i (1 - r_i s_i ** g_i)``.

    The linear noisy-OR trusts an analyzer's low scores as much, per point, as its high ones.
    An analyzer whose scores of 20-35 are as common on untouched photos as on edits (the
    metadata analyzer on camera files that were touched after all) but whose scores near 100
    are not gets g > 1 here: its low scores count for little and its high ones in full; g < 1
    is the other way round. Each g_i is fitted in [``MIN_EXPONENT``, ``MAX_EXPONENT``] (as
    log g, with Adam beside the reliabilities); with every g_i = 1 this is :func:`fit_reliabilities`.
    """
    scores = np.clip(np.asarray(scores, np.float64), 0.0, 1.0)
    labels = np.asarray(labels, np.float64)
    weights = _class_weights(labels, negative_weight)
    log_s = np.log(np.maximum(scores, EPS))
    theta = np.concatenate([np.full(scores.shape[1], 0.5), np.zeros(scores.shape[1])])  # r, log g
    low = np.concatenate([np.zeros(scores.shape[1]), np.full(scores.shape[1], np.log(MIN_EXPONENT))])
    high = np.concatenate([np.full(scores.shape[1], MAX_RELIABILITY), np.full(scores.shape[1], np.log(MAX_EXPONENT))])
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    k = scores.shape[1]
    for step in range(1, STEPS + 1):
        r, g = theta[:k], np.exp(theta[k:])
        curve = np.where(scores > 0, np.exp(g[None, :] * log_s), 0.0)
        factors = 1.0 - curve * r[None, :]
        p = np.clip(1.0 - np.prod(factors, axis=1), EPS, 1 - EPS)
        dloss_dp = weights * ((1 - labels) / (1 - p) - labels / p)
        common = (1.0 - p)[:, None] / np.maximum(factors, EPS)  # dP/d(r_i c_i)
        grad_r = dloss_dp @ (curve * common)
        grad_log_g = dloss_dp @ (r[None, :] * curve * g[None, :] * np.where(scores > 0, log_s, 0.0) * common)
        grad = np.concatenate([grad_r, grad_log_g])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        theta -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-9)
        theta = np.clip(theta, low, high)
    r, g = theta[:k], np.exp(theta[k:])
    return Fit(list(names), r, log_loss(noisy_or(scores, r, g), labels, negative_weight), g)


def log_loss(p: np.ndarray, labels: np.ndarray, negative_weight: float = 0.5) -> float:
    """Class-weighted log-loss."""
    p = np.clip(p, EPS, 1 - EPS)
    w = _class_weights(labels, negative_weight)
    return float(-(w * (labels * np.log(p) + (1 - labels) * np.log(1 - p))).sum())


def fold_of(group: str, folds: int) -> int:
    """A stable fold number for a group name (CRC-32, so runs are reproducible)."""
    return zlib.crc32(group.encode("utf-8")) % folds


def out_of_fold(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[str],
    folds: int = 5,
    negative_weight: float = 0.5,
    fold_of_group: Mapping[str, int] | None = None,
) -> np.ndarray:
    """P(manipulated) of every case from a fit on the folds that do not hold its group.

    Groups go to folds by :func:`fold_of`, or by ``fold_of_group`` where given (e.g. camera
    makes dealt into balanced folds by :func:`vforensics.evaluation.makes.make_folds`)."""
    fold = np.array([fold_of_group[g] if fold_of_group else fold_of(g, folds) for g in groups])
    p = np.zeros(len(labels))
    for k in range(folds):
        test = fold == k
        if not test.any():
            continue
        train = ~test
        if labels[train].min() == labels[train].max():
            raise ValueError("a training fold holds only one class")
        names = [str(i) for i in range(scores.shape[1])]
        fit = fit_reliabilities(scores[train], labels[train], names, negative_weight)
        p[test] = noisy_or(scores[test], fit.reliability)
    return p
