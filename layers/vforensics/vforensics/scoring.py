"""From analyzer results to one overall assessment: likelihood, verdict, risk, confidence.

This first version combines the analyzer scores as independent pieces of evidence
(a noisy-OR): each score, read as a 0-1 value, is first discounted by the analyzer's
reliability, and the likelihood is ``1 - prod(1 - reliability * score)``. One strong signal
is therefore not averaged away by quiet ones, and weak signals add up only slowly. The
reliabilities are hand-set, not fitted: a likelihood of 40 is not a 40% probability. A
calibration fitted on labelled data replaces them in a later version; until then the
report says so in ``overall.method``.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import pstdev
from typing import Any

#: How far each analyzer's score is trusted as evidence of tampering (0-1). Metadata flags
#: are direct statements about the file's history. ELA's global score is left out: on the
#: synthetic forgeries of docs/BENCHMARKS.md it ranks forgeries *below* camera originals
#: (AUC 0.12), because it measures how far the last save was from quality 95, not editing;
#: its map is still combined (it localises splices). The noise score is near chance there.
#: A verified clone (copy_move) is direct evidence of an edit. The jpeg score says the file is
#: not a single camera compression (re-saved, or regions with another compression history):
#: it is strong evidence of *processing*, weaker evidence of *manipulation* (every re-shared
#: photo is re-saved), hence the middle weight. The cfa score only exists where demosaicing
#: traces survive (few JPEGs below quality 95); no untouched camera photo scored over 14 there.
RELIABILITY = {"metadata": 0.8, "ela": 0.0, "noise": 0.4, "copy_move": 0.95, "jpeg": 0.5, "cfa": 0.4}
#: Weight of each analyzer's map in the combined map (analyzers that localise).
MAP_WEIGHTS = {"ela": 0.5, "noise": 0.5, "jpeg": 0.5, "cfa": 0.5}
#: Maps of verified detections, drawn on top of the weighted mean at full strength.
MAP_OVERLAYS = ("copy_move",)
#: Risk bands over the tampering likelihood: LOW < 35 <= MEDIUM < 65 <= HIGH.
MEDIUM_AT, HIGH_AT = 35.0, 65.0
METHOD = "noisy-OR of reliability-weighted analyzer scores (hand-set, uncalibrated: not a probability)"

VERDICTS = {
    "LOW": "No clear signs of manipulation",
    "MEDIUM": "Possible manipulation",
    "HIGH": "Likely manipulated",
}


@dataclass(frozen=True)
class Overall:
    tampering_likelihood: float | None
    risk: str
    verdict: str
    confidence: str
    confidence_score: float
    confidence_factors: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tampering_likelihood": None if self.tampering_likelihood is None else round(self.tampering_likelihood, 1),
            "ai_likelihood": None,
            "ai_status": "not_run",
            "verdict": self.verdict,
            "risk": self.risk,
            "confidence": self.confidence,
            "confidence_score": round(self.confidence_score, 2),
            "confidence_factors": self.confidence_factors,
            "method": METHOD,
        }


def risk_band(likelihood: float) -> str:
    if likelihood >= HIGH_AT:
        return "HIGH"
    if likelihood >= MEDIUM_AT:
        return "MEDIUM"
    return "LOW"


def combine_evidence(scores: dict[str, float]) -> float:
    """Noisy-OR of the reliability-discounted scores (0-100 in, 0-100 out)."""
    disbelief = 1.0
    for name, score in scores.items():
        disbelief *= 1.0 - RELIABILITY[name] * min(max(score, 0.0), 100.0) / 100.0
    return 100.0 * (1.0 - disbelief)


def assess(results: dict[str, dict[str, Any]], source: dict[str, Any]) -> Overall:
    """Combine analyzer results (report.json form: status, score, ...) into ``Overall``."""
    scored = {
        n: float(r["score"])
        for n, r in results.items()
        if r.get("status") == "ok" and r.get("score") is not None and RELIABILITY.get(n, 0) > 0
    }
    if not scored:
        return Overall(
            None,
            "UNKNOWN",
            "Inconclusive: no analyzer produced a score",
            "low",
            0.0,
            {"coverage": 0.0, "agreement": None, "caps": ["no analyzer produced a score"]},
        )
    likelihood = combine_evidence(scored)
    risk = risk_band(likelihood)

    coverage = sum(RELIABILITY[n] for n in scored) / sum(RELIABILITY.values())
    agreement = 1.0 - min(1.0, pstdev(scored.values()) / 50.0) if len(scored) > 1 else 0.5
    confidence_score = coverage * agreement
    caps = []
    if source.get("format") != "JPEG":
        caps.append(f"{source.get('format')} input: compression-based tests do not apply")
        confidence_score = min(confidence_score, 0.6)
    if (source.get("width") or 0) * (source.get("height") or 0) < 500_000:
        caps.append("small image (under 0.5 megapixels): little evidence to work with")
        confidence_score = min(confidence_score, 0.35)
    errors = [n for n, r in results.items() if r.get("status") == "error"]
    if errors:
        caps.append(f"analyzer errors: {', '.join(sorted(errors))}")
    confidence = "high" if confidence_score >= 0.7 else "medium" if confidence_score >= 0.4 else "low"
    return Overall(
        likelihood,
        risk,
        VERDICTS[risk],
        confidence,
        confidence_score,
        {"coverage": round(coverage, 2), "agreement": round(agreement, 2), "caps": caps},
    )
