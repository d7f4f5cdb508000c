"""From analyzer results to one overall assessment: likelihood, verdict, risk, confidence.

The analyzer scores are combined as independent pieces of evidence (a noisy-OR): each
score, read as a 0-1 value, is discounted by the analyzer's reliability, and the
likelihood is ``1 - prod(1 - reliability * score)``. One strong signal is therefore not
averaged away by quiet ones, and weak signals add up only slowly. The reliabilities are
fitted by ``python -m vforensics.evaluation.fitting.calibrate_scoring`` on the synthetic benchmark (maximum likelihood,
false alarms on untouched originals weighted so that at most 5% of them are rated MEDIUM
or HIGH in cross-validation); an analyzer that adds nothing there gets 0 and only its map
counts. The likelihood is a probability *for edits like the benchmark's*; on other kinds
of edit it is a ranking, and the report's ``overall.method`` says how it was obtained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from statistics import pstdev
from typing import Any

from vforensics.scoring.ai_likelihood import AiAssessment, assess_ai

#: How far each analyzer's score is trusted as evidence of tampering (0-1): fitted by
#: vforensics.evaluation.fitting.calibrate_scoring (class-weighted maximum likelihood of the noisy-OR on the
#: synthetic benchmark, vforensics.evaluation.calibration) and read from
#: data/scoring_calibration.json, which also records the cross-validated figures.
CALIBRATION = json.loads((Path(__file__).parent / "data" / "scoring_calibration.json").read_text())
RELIABILITY: dict[str, float] = CALIBRATION["reliability"]
#: Weight of each analyzer's map in the combined map: its measured localisation skill on the
#: benchmark's splices and inpaintings (mean pixel MCC x coverage), from the same file.
MAP_WEIGHTS: dict[str, float] = CALIBRATION["map_weights"]
#: Maps of verified detections, drawn on top of the weighted mean at full strength.
MAP_OVERLAYS = ("copy_move",)
#: JPEG quality under which the confidence is capped (heavy compression erases fine traces).
HEAVY_COMPRESSION_BELOW = 70
#: Risk bands over the tampering likelihood: LOW < 35 <= MEDIUM < 65 <= HIGH.
MEDIUM_AT, HIGH_AT = 35.0, 65.0
METHOD = (
    f"noisy-OR of analyzer scores with reliabilities fitted on {CALIBRATION['cases']} synthetic benchmark cases "
    f"({CALIBRATION['fitted']}), false alarms on untouched photos weighted {CALIBRATION['originals_weight']:.0%} "
    "of the loss: a probability-like score for edits like those of the benchmark, not a calibrated probability "
    "for other kinds of image or edit"
)

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
    ai: AiAssessment = field(default_factory=lambda: assess_ai({}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "tampering_likelihood": None if self.tampering_likelihood is None else round(self.tampering_likelihood, 1),
            **self.ai.to_dict(),
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
            assess_ai(results),
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
    quality = results.get("jpeg", {}).get("details", {}).get("quality_estimate")
    if isinstance(quality, int | float) and quality < HEAVY_COMPRESSION_BELOW:
        caps.append(f"heavy JPEG compression (quality about {quality:.0f}): the fine traces most tests read are gone")
        confidence_score = min(confidence_score, 0.4)
    if results.get("enhance", {}).get("details", {}).get("content", {}).get("flat_or_graphic"):
        caps.append(
            "flat or graphic content (screenshot, document, graphic or a nearly blank frame): "
            "the noise, CFA and JPEG-history tests describe camera photos"
        )
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
        assess_ai(results),
    )
