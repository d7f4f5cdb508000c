"""The plain-language summary of a report: status, issues, positive findings, advice."""

from __future__ import annotations

from typing import Any

from vforensics.scoring.ai_likelihood import AiAssessment
from vforensics.scoring.tampering import Overall

RECOMMENDATIONS = {
    "LOW": "No action needed on forensic grounds. If the image matters (news, evidence), still verify its source "
    "and context: these tests cannot rule out every kind of edit.",
    "MEDIUM": "Review before relying on the image: look at the heatmaps for regions that stand out, ask the "
    "source for the original file, and compare with other images of the same event.",
    "HIGH": "Do not rely on this image without independent verification: obtain the original from the source, "
    "and have the flagged regions reviewed by a person.",
    "UNKNOWN": "The analysis could not score this image; verify it by other means.",
}
#: analyzers whose details carry a Low/Medium/High ``level``, with the name people read
_BANDED = {"ela": "Error level analysis", "noise": "Noise analysis", "cfa": "Demosaicing (CFA) analysis"}
#: jpeg scores from here up are reported as an issue (re-saved or mixed compression history).
JPEG_ISSUE_AT = 50.0


def summarize(results: dict[str, dict[str, Any]], overall: Overall, source: dict[str, Any]) -> dict[str, Any]:
    issues: list[str] = []
    positives: list[str] = []
    errors: list[str] = []
    for name, r in sorted(results.items()):
        status = r.get("status")
        if status == "error":
            errors.append(
                f"{name}: the analyzer failed ({r.get('error', {}).get('message', 'unknown error')}); "
                "the report was produced without it"
            )
            continue
        if status == "skipped":
            continue
        details = r.get("details", {})
        if name in _BANDED:
            band = details.get("level")
            label = _BANDED[name]
            if band in ("Medium", "High"):
                issues.append(
                    f"{label}: {band.lower()} score ({r['score']:.1f}). {_first_sentence(r['interpretation'])}"
                )
            elif band == "Low":
                positives.append(f"{label}: low score ({r['score']:.1f}), nothing stands out")
        elif name == "copy_move":
            if details.get("detected"):
                issues.append(f"Copy-move: {_first_sentence(r['interpretation'])}")
            else:
                positives.append("Copy-move: no cloned regions found")
        elif name == "jpeg":
            finding = _jpeg_finding(r["interpretation"])
            if (r.get("score") or 0.0) >= JPEG_ISSUE_AT:
                issues.append(f"JPEG history ({r['score']:.0f}/100): {finding}")
            else:
                positives.append(f"JPEG history ({r['score']:.0f}/100): {finding}")
        elif name == "metadata":
            evidence = details.get("flag_evidence", {})
            for flag in (
                "editing_software",
                "xmp_edit_history",
                "thumbnail_mismatch",
                "date_inconsistent",
                "rotated_after_capture",
                "metadata_missing",
            ):
                if flag in evidence:
                    issues.append(f"Metadata ({flag}): {evidence[flag]}")
            exif = details.get("exif", {})
            camera = " ".join(str(exif[k]) for k in ("Make", "Model") if exif.get(k))
            if camera and "editing_software" not in evidence and "metadata_missing" not in evidence:
                positives.append(f"Camera metadata present ({camera}) with no editing software named")
            if "gps_present" in evidence:
                issues.append(f"Privacy: {evidence['gps_present']} is embedded in the file")
        elif name == "enhance":
            unusual = details.get("histogram", {}).get("outside_normal", [])
            if unusual:
                issues.append(
                    f"Histogram (a reason to look, not evidence): {'; '.join(unusual)}; see views/enhance_*.png"
                )
    return {
        "status": "complete" if not errors else "complete with analyzer errors",
        "headline": f"{overall.verdict} (risk {overall.risk}, confidence {overall.confidence})",
        "issues_found": issues,
        "positive_findings": positives,
        "errors": errors,
        "notes": list(source.get("notes", [])),
        "recommendation": RECOMMENDATIONS[overall.risk],
        "ai": _ai_section(overall.ai),
    }


def _ai_section(ai: AiAssessment) -> dict[str, Any]:
    """The AI section: verdict, then the pixel and the metadata evidence, each in its own words."""
    pixels, tag = ai.evidence.get("pixels"), ai.evidence.get("metadata")
    indicators = []
    if pixels:
        indicators.append(
            f"pixel evidence: {pixels['ai_likelihood']:.0f}% likely generated (the trained detector alone: "
            f"{pixels['detector']:.0f}%, {pixels['crops_called_ai']} crops look generated)"
        )
    if tag:
        indicators.append(f"metadata evidence: {tag}")
    if ai.likelihood is None:
        text = f"No AI-generation assessment: {ai.evidence.get('reason', 'the detector did not run')}."
    else:
        text = f"{ai.verdict} (AI likelihood {ai.likelihood:.0f}/100, confidence {ai.confidence})."
        if pixels and not tag:
            text += " No generator is named in the metadata; the pixel detector is one signal, not proof."
        if pixels and (held := pixels.get("validation", {}).get("left_out_family_auc")):
            families = pixels["validation"].get("trained_on_families", [])
            text += (
                f" The detector was validated on {len(families)} generator families ({', '.join(families)}): "
                f"trained without each in turn, it separated that family from real photos with AUC "
                f"{min(held.values()):.2f}-{max(held.values()):.2f}; an unknown generator may fare worse."
            )
    return {
        "status": ai.status,
        "verdict": ai.verdict,
        "metadata_generator_tag": bool(tag),
        "indicators": indicators,
        "text": text,
    }


def _first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


def _jpeg_finding(text: str) -> str:
    """The jpeg interpretation's conclusion: its re-save or region sentence, else what saved it last."""
    sentences = [part.strip() + "." for part in text.rstrip(".").split(". ") if part.strip()]
    for sentence in sentences:
        if sentence.startswith(("Re-saved", "Regions", "The tables contradict")):
            return sentence
    return sentences[1] if len(sentences) > 1 else text
