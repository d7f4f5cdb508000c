"""The noisy-OR fit behind the overall score: it recovers known reliabilities from data."""

import numpy as np
import pytest

from vforensics.evaluation.calibration import (
    MAX_EXPONENT,
    MIN_EXPONENT,
    fit_reliabilities,
    fit_shaped,
    fold_of,
    noisy_or,
    out_of_fold,
)
from vforensics.evaluation.metrics import roc_auc


def _simulate(n: int = 3000, seed: int = 0):
    """Edited cases carry evidence in one analyzer each; an analyzer's score fires on
    originals too (false alarms) for the weak one; the third is pure noise."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.5).astype(float)
    scores = np.zeros((n, 3))
    strong = (labels == 1) & (rng.random(n) < 0.5)
    weak = (labels == 1) & ~strong
    scores[strong, 0] = rng.uniform(0.7, 1.0, strong.sum())
    scores[weak, 1] = rng.uniform(0.3, 1.0, weak.sum())
    false_alarm = (labels == 0) & (rng.random(n) < 0.3)
    scores[false_alarm, 1] = rng.uniform(0.3, 1.0, false_alarm.sum())
    scores[:, 2] = rng.random(n)
    return scores, labels


def test_fit_trusts_the_clean_signal_more_than_the_one_with_false_alarms_and_ignores_noise():
    scores, labels = _simulate()
    fit = fit_reliabilities(scores, labels, ["strong", "weak", "noise"])
    strong, weak, noise = fit.reliability
    assert strong > 0.95 and 0.3 < weak < strong - 0.05 and noise < 0.05
    p = noisy_or(scores, fit.reliability)
    assert roc_auc(list(p[labels == 1]), list(p[labels == 0])) > 0.85


def test_a_signal_that_points_the_wrong_way_gets_no_weight():
    scores, labels = _simulate()
    scores[:, 2] = np.where(labels == 0, 0.9, 0.1)  # higher on originals, like ELA's global score
    assert fit_reliabilities(scores, labels, ["a", "b", "inverted"]).reliability[2] < 0.05


def test_out_of_fold_predictions_never_see_their_own_source():
    scores, labels = _simulate(600)
    groups = [f"photo{i // 6}" for i in range(600)]  # six cases per source photo
    p = out_of_fold(scores, labels, groups, folds=5)
    assert p.shape == labels.shape and 0 <= p.min() and p.max() <= 1
    assert {fold_of(g, 5) for g in groups} == set(range(5))
    assert fold_of("photo1", 5) == fold_of("photo1", 5)


def test_a_fold_with_one_class_is_refused():
    scores = np.zeros((10, 2))
    with pytest.raises(ValueError, match="one class"):
        out_of_fold(scores, np.zeros(10), [str(i) for i in range(10)], folds=2)


def test_score_curves_discount_an_analyzers_low_scores_when_only_those_fire_on_originals():
    """Originals get 0.2-0.35 from the second analyzer as often as edits do; only edits get 0.8-1."""
    rng = np.random.default_rng(4)
    n = 2000
    labels = (rng.random(n) < 0.5).astype(float)
    scores = np.zeros((n, 2))
    scores[:, 0] = np.where(labels == 1, rng.uniform(0.3, 0.9, n), rng.uniform(0.0, 0.3, n))
    low = rng.random(n) < 0.4
    scores[low, 1] = rng.uniform(0.2, 0.35, low.sum())
    high = (labels == 1) & ~low & (rng.random(n) < 0.5)
    scores[high, 1] = rng.uniform(0.8, 1.0, high.sum())
    linear = fit_reliabilities(scores, labels, ["graded", "low_noise"])
    shaped = fit_shaped(scores, labels, ["graded", "low_noise"])
    assert shaped.exponent is not None and shaped.exponent[1] > 2.0
    assert all(MIN_EXPONENT <= g <= MAX_EXPONENT for g in shaped.exponent)
    assert shaped.loss < linear.loss - 0.01
    p_lin, p_shaped = noisy_or(scores, linear.reliability), noisy_or(scores, shaped.reliability, shaped.exponent)
    auc = [roc_auc(list(p[labels == 1]), list(p[labels == 0])) for p in (p_lin, p_shaped)]
    assert auc[1] > auc[0] + 0.01


def test_unit_exponents_are_the_linear_noisy_or():
    scores, _ = _simulate(50)
    r = np.array([0.9, 0.4, 0.1])
    assert np.allclose(noisy_or(scores, r, np.ones(3)), noisy_or(scores, r))
