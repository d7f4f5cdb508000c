"""Metadata blocks other than EXIF: XMP, IPTC-IIM, the ICC profile and PNG text chunks.

- XMP (ISO 16684-1): ``xmp:CreatorTool``, the edit history ``xmpMM:History`` (one
  ``stEvt`` event per save: action, software, time), ``photoshop:DocumentAncestors`` (the
  documents pasted or placed into this one), ``Iptc4xmpExt:DigitalSourceType`` (IPTC's
  vocabulary: ``trainedAlgorithmicMedia`` for AI output, ``compositeSynthetic`` ...), and
  IPTC 2025.1's ``Iptc4xmpExt:AISystemUsed`` / ``AISystemVersionUsed``.
  XMP is read with regular expressions, not an XML parser: it is often malformed, and a
  huge packet must not cost more than a linear scan (``MAX_XMP_BYTES`` are read).
- IPTC-IIM (Photoshop APP13): caption, byline, credit, source, keywords, via Pillow.
- ICC profile: its description (e.g. "sRGB IEC61966-2.1", "Display P3", "Adobe RGB").
- PNG text (tEXt/zTXt/iTXt): where Stable Diffusion front-ends store their "parameters"
  and ComfyUI its "prompt"/"workflow" JSON.
"""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin

MAX_XMP_BYTES = 2_000_000
MAX_TEXT_CHARS = 2_000
_IPTC_FIELDS = {
    (2, 5): "object_name",
    (2, 25): "keywords",
    (2, 80): "byline",
    (2, 105): "headline",
    (2, 110): "credit",
    (2, 115): "source",
    (2, 116): "copyright",
    (2, 120): "caption",
    (2, 55): "date_created",
}
_EVENT = re.compile(r"<rdf:li[^>]*?(?:/>|>.*?</rdf:li>)", re.DOTALL)
_FIELD = r'{name}(?:="([^"]*)"|>([^<]*)<|\s+rdf:resource="([^"]*)")'


def read_xmp(img: Image.Image, data: bytes) -> dict[str, Any]:
    """XMP facts that matter for forensics; ``{}`` when the file has no XMP packet."""
    packet = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if not packet:
        start = data.find(b"<x:xmpmeta")
        end = data.find(b"</x:xmpmeta>", start)
        packet = data[start : end + 12] if start >= 0 and end > start else b""
    if not packet:
        return {}
    text = packet[:MAX_XMP_BYTES].decode("utf-8", "replace")
    out: dict[str, Any] = {"present": True, "bytes": len(packet)}
    if len(packet) > MAX_XMP_BYTES:
        out["truncated_at"] = MAX_XMP_BYTES
    for key, name in (
        ("creator_tool", "CreatorTool"),
        ("digital_source_type", "DigitalSourceType"),
        ("ai_system", "AISystemUsed"),
        ("ai_system_version", "AISystemVersionUsed"),
        ("create_date", "xmp:CreateDate"),
        ("modify_date", "xmp:ModifyDate"),
        ("metadata_date", "xmp:MetadataDate"),
        ("original_document_id", "xmpMM:OriginalDocumentID"),
    ):
        if value := _field(text, name):
            out[key] = value
    events = _history(text)
    if events:
        out["history_events"] = events[:50]
    actions = [e.get("software") or e.get("action") for e in events]
    if events or "photoshop:History" in text:
        out["history"] = "; ".join(dict.fromkeys(a for a in actions if a)) or "photoshop:History"
    ancestors = text.find("DocumentAncestors")
    if ancestors >= 0:
        block = text[ancestors : text.find("DocumentAncestors", ancestors + 20) + 1]
        out["document_ancestors"] = max(1, block.count("<rdf:li"))
    return out


def _field(text: str, name: str) -> str | None:
    m = re.search(_FIELD.format(name=re.escape(name)), text)
    if m is None:
        return None
    return (m.group(1) or m.group(2) or m.group(3) or "").strip()[:300] or None


def _history(text: str) -> list[dict[str, str]]:
    """The ``xmpMM:History`` events, oldest first, as written by Adobe and most editors."""
    start = text.find("xmpMM:History")
    if start < 0:
        return []
    stop = text.find("xmpMM:History", start + 13)
    block = text[start : stop if stop > 0 else len(text)]
    events = []
    for m in _EVENT.finditer(block):
        item = m.group(0)
        event = {
            key: value
            for key, name in (("action", "stEvt:action"), ("software", "stEvt:softwareAgent"), ("when", "stEvt:when"))
            if (value := _field(item, name))
        }
        if event:
            events.append(event)
    return events


def read_iptc(img: ImageFile.ImageFile) -> dict[str, Any]:
    """IPTC-IIM fields of a JPEG's Photoshop APP13 block (``{}`` when absent or unreadable)."""
    try:
        raw = IptcImagePlugin.getiptcinfo(img) or {}
    except Exception:  # a malformed APP13 block is not worth failing the analysis for
        return {}
    out: dict[str, Any] = {}
    for key, name in _IPTC_FIELDS.items():
        if key in raw:
            values = raw[key] if isinstance(raw[key], list) else [raw[key]]
            texts = [v.decode("utf-8", "replace").strip()[:300] for v in values if isinstance(v, bytes)]
            out[name] = texts if name == "keywords" else "; ".join(texts)
    return out


def icc_description(img: Image.Image) -> str | None:
    """The ICC profile's description tag, e.g. "sRGB IEC61966-2.1"."""
    icc = img.info.get("icc_profile")
    if not icc:
        return None
    try:
        from PIL import ImageCms

        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or None
    except Exception:  # a broken profile is reported by its absence, not an error
        return "unreadable ICC profile"


def png_text(img: Image.Image, max_chars: int | None = MAX_TEXT_CHARS) -> dict[str, str]:
    """PNG text chunks (keyword -> text, each cut to ``max_chars``; whole with ``None``)."""
    texts = getattr(img, "text", None)
    if not isinstance(texts, dict):
        return {}
    return {str(k)[:80]: str(v)[:max_chars] for k, v in texts.items()}
