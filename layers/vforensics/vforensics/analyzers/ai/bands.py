"""The verdict bands of an AI likelihood, and the false-alarm bound that calibration keeps to.

Shared by the detector (``model``), the overall score (``vforensics.scoring.ai_likelihood``)
and their fits (``training/ai_model/train.py``, ``fit_ai_likelihood``); it needs only numpy, so
that the training environment (torch, no OpenCV) imports it too.

A calibrated probability answers "how likely, at even odds"; the people who read a verdict
also need to know how often an untouched photo is called AI. So each fit, after its
probability is calibrated, checks the real photos of its **calibration** split: if more than
``FALSE_ALARM_SHARE`` of them would reach "Likely AI", the log-odds are shifted down (a lower
prior of AI) until that share is met (the Neyman-Pearson criterion: the false-alarm rate fixed,
the detection rate then as good as the score allows). The test split never takes part.
"""

from __future__ import annotations

import math

import numpy as np

#: Verdict bands over the AI likelihood (0-100), lower bounds.
BANDS = ((85.0, "Very Likely AI"), (70.0, "Likely AI"), (55.0, "Possibly AI"), (40.0, "Uncertain"))
BELOW_BANDS = "Likely Real"
#: The likelihood from which an image is called AI ("Likely AI" and above).
CALLED_AI = 70.0
#: Most real calibration photos a fit may call AI (the issue's false-alarm target).
FALSE_ALARM_SHARE = 0.05
#: Margin, in log-odds, kept below the bound by a shifted fit (the fold logits are stored rounded).
MARGIN = 1e-3


def verdict(likelihood: float) -> str:
    return next((name for bound, name in BANDS if likelihood >= bound), BELOW_BANDS)


def false_alarm_shift(real_log_odds: np.ndarray, share: float = FALSE_ALARM_SHARE, bound: float = CALLED_AI) -> float:
    """The shift (<= 0) to add to a fit's log-odds so that at most ``share`` of these real
    calibration photos reach ``bound``; 0 when they already do (or there are none)."""
    z = np.sort(np.asarray(real_log_odds, float))[::-1]
    if not len(z):
        return 0.0
    allowed = int(math.floor(share * len(z)))
    if allowed >= len(z):
        return 0.0
    target = math.log(bound / (100.0 - bound))
    first_too_many = float(z[allowed])
    return target - first_too_many - MARGIN if first_too_many >= target else 0.0
