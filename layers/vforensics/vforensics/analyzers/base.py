"""The contract every analyzer follows (DESIGN.md, "Analyzer").

An analyzer is a pure function ``analyze(media: Media) -> AnalyzerResult``: no I/O, no
globals changed. ``score`` is 0-100, higher = more suspicious, or None when the method does
not apply. ``map`` is an optional suspicion map, float32 in 0..1, same aspect as the image
(any resolution: it is resized when rendered). An analyzer with more than one view of the
same evidence puts the others in ``extra_maps`` (name -> map, e.g. ``"jpeg_ghost"``); each is
written as ``maps/<name>.png`` and ``heatmaps/<name>.png`` beside the main one. ``views``
are images for people (uint8 grey or RGB, any size), written as ``views/<analyzer>_<view>.png``
and never scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["ok", "skipped", "error"]


@dataclass
class AnalyzerResult:
    status: Status
    score: float | None
    interpretation: str
    details: dict[str, Any] = field(default_factory=dict)
    map: np.ndarray | None = None
    extra_maps: dict[str, np.ndarray] = field(default_factory=dict)
    views: dict[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without the map (maps travel as PNG files)."""
        return {
            "status": self.status,
            "score": None if self.score is None else round(float(self.score), 2),
            "interpretation": self.interpretation,
            "details": self.details,
        }


def skipped(reason: str, **details: Any) -> AnalyzerResult:
    """A result for a method that does not apply to this input, with the reason."""
    return AnalyzerResult("skipped", None, f"Not applicable: {reason}", dict(details))


def unscored_statistics(
    rgb: np.ndarray, measure: Callable[[np.ndarray], dict[str, Any]], min_side: int, interpretation: str, **context: Any
) -> AnalyzerResult:
    """``measure(rgb)`` reported for experts, nothing scored; skipped under ``min_side`` px."""
    if min(rgb.shape[:2]) < min_side:
        return skipped(f"image smaller than {min_side} px")
    details = {k: round(v, 6) if isinstance(v, float) else v for k, v in measure(rgb).items()}
    return AnalyzerResult("ok", None, interpretation, {**details, **context})


def level(score: float, medium: float, high: float) -> str:
    """Low / Medium / High band of a score with the given lower bounds."""
    if score > high:
        return "High"
    if score >= medium:
        return "Medium"
    return "Low"
