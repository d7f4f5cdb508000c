"""Metric code on cases small enough to compute by hand."""

import math

import numpy as np
import pytest

from vforensics.evaluation.metrics import Counts, counts_all_thresholds, counts_at, pixel_scores, roc_auc, roc_curve


def test_auc_perfect_inverse_and_chance():
    assert roc_auc([3, 4], [1, 2]) == 1.0
    assert roc_auc([1, 2], [3, 4]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5


def test_auc_by_hand_with_a_tie():
    # pairs (p, n): (2,1) win, (2,2) tie, (2,3) loss, (4,1) win, (4,2) win, (4,3) win -> (4 + 0.5) / 6
    assert roc_auc([2, 4], [1, 2, 3]) == pytest.approx(4.5 / 6)


def test_auc_needs_both_classes():
    assert roc_auc([], [1.0]) is None and roc_auc([1.0], []) is None


def test_roc_curve_runs_from_origin_to_one_one():
    fpr, tpr = roc_curve([0.9, 0.8, 0.4], [0.7, 0.3])
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    # area under the step curve equals the rank AUC
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc([0.9, 0.8, 0.4], [0.7, 0.3]))


def test_f1_and_mcc_by_hand():
    c = Counts(tp=6, fp=2, fn=4, tn=88)
    assert c.f1 == pytest.approx(12 / 18)
    assert c.mcc == pytest.approx((6 * 88 - 2 * 4) / math.sqrt(8 * 10 * 90 * 92))
    assert Counts(0, 0, 0, 10).f1 == 1.0 and Counts(0, 0, 0, 10).mcc == 0.0
    assert Counts(0, 5, 5, 0).mcc == -1.0 and Counts(5, 0, 0, 5).mcc == 1.0
    assert Counts(5, 5, 0, 0).mcc == 0.0  # every pixel predicted manipulated: undefined, reported as 0


def test_counts_at_a_threshold():
    suspicion = np.array([[255, 200], [100, 0]], np.uint8)
    mask = np.array([[255, 0], [255, 0]], np.uint8)
    assert counts_at(suspicion, mask, 128) == Counts(tp=1, fp=1, fn=1, tn=1)
    assert counts_at(suspicion, mask, 1) == Counts(tp=2, fp=1, fn=0, tn=1)


def test_histogram_counts_equal_direct_counts_at_every_threshold():
    rng = np.random.default_rng(0)
    suspicion = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    mask = rng.random((40, 50)) < 0.3
    table = counts_all_thresholds(suspicion, mask)
    for t in (0, 1, 37, 128, 255, 256):
        assert table[t] == counts_at(suspicion, mask, t)


def test_pixel_scores_fixed_and_best_threshold():
    mask = np.zeros((10, 10), np.uint8)
    mask[:5] = 255
    suspicion = np.zeros((10, 10), np.uint8)
    suspicion[:5] = 100  # right region, but below the fixed threshold
    scores = pixel_scores(suspicion, mask)
    assert scores.f1_fixed == 0.0 and scores.mcc_fixed == 0.0
    assert scores.f1_best == 1.0 and scores.mcc_best == 1.0 and 1 <= scores.best_threshold <= 100
    with pytest.raises(ValueError):
        pixel_scores(suspicion, mask[:5])
