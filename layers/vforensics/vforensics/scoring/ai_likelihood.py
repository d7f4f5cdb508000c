"""``overall.ai_likelihood``: the pixel evidence of the AI-image detector and the metadata's word.

The two kinds of evidence are reported apart (``ai_evidence.pixels`` and
``ai_evidence.metadata``) because they fail differently: the detector reads generator traces
in the pixels and can be fooled or can miss a new generator; metadata declares the origin
(C2PA digital source type, IPTC ``trainedAlgorithmicMedia``, a generator's name or its PNG
parameters) and is decisive when present but is stripped by most re-uploads. The pixel
likelihood is the combination fitted by ``python -m vforensics.evaluation.fitting.fit_ai_likelihood`` on
held-out-family evidence (``data/ai_likelihood.json``: the detector's logit as a network
trained without the image's family saw it, plus whichever signals improved the held-out fit),
or the detector's own calibrated probability (also fitted on left-out families) where a
feature is missing; it is lifted to at least ``METADATA_LIFT`` when the metadata names a generator.
Absent both, there is no likelihood (``ai_status`` says why).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vforensics.analyzers.ai.bands import verdict
from vforensics.analyzers.ai.model import NAME as MODEL

#: Floor of the AI likelihood when the metadata says the image was generated.
METADATA_LIFT = 95.0
#: Analyzers whose numbers can enter the combination (``python -m vforensics.evaluation.fitting.fit_ai_likelihood``).
SIGNAL_ANALYZERS = ("ai_frequency", "ai_texture", "ai_srm")
#: The fitted combination: which features, their standardisation and weights.
COMBINATION_FILE = Path(__file__).resolve().parent / "data" / "ai_likelihood.json"
COMBINATION: dict[str, Any] = json.loads(COMBINATION_FILE.read_text()) if COMBINATION_FILE.is_file() else {}


def features(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Numbers the combination may use: the detector's mean logit and every signal, by name."""
    out: dict[str, float] = {}
    model = results.get(MODEL, {})
    if model.get("status") == "ok" and "mean_logit" in model.get("details", {}):
        out["model_logit"] = float(model["details"]["mean_logit"])
    for name in SIGNAL_ANALYZERS:
        r = results.get(name, {})
        if r.get("status") != "ok":
            continue
        details = r.get("details", {})
        for key, value in details.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[f"{name}.{key}"] = float(value)
        if name == "ai_frequency" and "spec_rules" in details:
            out["spec_rules_score"] = float(details["spec_rules"]["ai_generation_score"])
    return out


def combined_likelihood(values: dict[str, float], combination: dict[str, Any] = COMBINATION) -> float | None:
    """The fitted logistic combination (0-100), or None when a feature it needs is missing."""
    terms = combination.get("features", [])
    if not terms or any(t["name"] not in values for t in terms):
        return None
    z = combination["intercept"] + sum(t["weight"] * (values[t["name"]] - t["mean"]) / t["scale"] for t in terms)
    return 100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class AiAssessment:
    likelihood: float | None
    status: str  # "ok" | "not_run" | "metadata_only"
    verdict: str | None
    confidence: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ai_likelihood": None if self.likelihood is None else round(self.likelihood, 1),
            "ai_status": self.status,
            "ai_verdict": self.verdict,
            "ai_confidence": self.confidence,
            "ai_evidence": self.evidence,
        }


def assess_ai(results: dict[str, dict[str, Any]]) -> AiAssessment:
    """Combine the detector's result and the metadata's generator tag (report-form results)."""
    model = results.get(MODEL, {})
    pixels = None
    if model.get("status") == "ok" and model.get("score") is not None:
        combined = combined_likelihood(features(results))
        value = float(model["score"]) if combined is None else combined
        pixels = {
            "ai_likelihood": round(value, 1),
            "detector": round(float(model["score"]), 1),
            "verdict": verdict(value),
            "crops_called_ai": model.get("details", {}).get("crops_called_ai"),
            "method": COMBINATION["method"] if combined is not None else "the detector's calibrated probability",
        }
        if validation := model.get("details", {}).get("model", {}).get("validation"):
            pixels["validation"] = validation
    tag = results.get("metadata", {}).get("details", {}).get("flag_evidence", {}).get("ai_generator_tag")
    evidence = {"pixels": pixels, "metadata": tag}
    if pixels is None and tag is None:
        reason = model.get("interpretation") or "the AI-image detector did not run"
        return AiAssessment(None, "not_run", None, "low", {**evidence, "reason": reason})
    likelihood = max(pixels["ai_likelihood"] if pixels else 0.0, METADATA_LIFT if tag else 0.0)
    if tag:
        confidence = "high"
    else:
        assert pixels is not None  # no tag (the analyzer sets only non-empty ones): the detector result is there
        crops = str(pixels["crops_called_ai"] or "0 of 0").split(" of ")
        called, total = int(crops[0]), max(1, int(crops[1]))
        unanimous = called in (0, total)
        confidence = "medium" if unanimous and abs(likelihood - 50) >= 30 else "low"
    return AiAssessment(likelihood, "ok" if pixels else "metadata_only", verdict(likelihood), confidence, evidence)
