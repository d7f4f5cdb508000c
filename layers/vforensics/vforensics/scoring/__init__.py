"""From analyzer results to the overall assessment, with the data fitted for it.

:mod:`.tampering` combines the analyzers' scores into the tampering likelihood, verdict, risk
and confidence (``data/scoring_calibration.json``); :mod:`.ai_likelihood` gives the AI
likelihood from the detector, the signals and the metadata (``data/ai_likelihood.json``).
"""

from vforensics.scoring.ai_likelihood import AiAssessment, assess_ai
from vforensics.scoring.tampering import (
    MAP_OVERLAYS,
    MAP_WEIGHTS,
    RELIABILITY,
    Overall,
    assess,
    combine_evidence,
    risk_band,
)

__all__ = [
    "MAP_OVERLAYS",
    "MAP_WEIGHTS",
    "RELIABILITY",
    "AiAssessment",
    "Overall",
    "assess",
    "assess_ai",
    "combine_evidence",
    "risk_band",
]
