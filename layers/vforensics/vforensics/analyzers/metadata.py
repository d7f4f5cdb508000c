"""File facts, EXIF/GPS/XMP metadata and the stable metadata flags of DESIGN.md.

Metadata is evidence about a file's history, not about its pixels: it can be stripped or
forged with one command, so a clean record proves nothing and a flag is a reason to ask,
not proof of manipulation. Parsing uses Pillow (pure Python path); malformed EXIF is
reported, never fatal.

Flags implemented here: ``editing_software``, ``metadata_missing``, ``gps_present``,
``date_inconsistent``, ``xmp_edit_history``, ``ai_generator_tag`` and ``c2pa_manifest``
(presence only; signature validation is not done in this version). ``thumbnail_mismatch``
is not checked yet and is listed in ``details.checks_not_run``.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from datetime import datetime
from typing import Any

from PIL import ExifTags, Image

from vforensics.analyzers.base import AnalyzerResult, level
from vforensics.media.image import Media

NAME = "metadata"

#: Points each flag adds to the metadata score (0-100). Flags that describe the file
#: rather than an edit (GPS, generator tags, C2PA) add nothing to the tampering score.
FLAG_POINTS = {
    "editing_software": 40,
    "xmp_edit_history": 25,
    "date_inconsistent": 20,
    "metadata_missing": 15,
    "gps_present": 0,
    "ai_generator_tag": 0,
    "c2pa_manifest": 0,
}
MEDIUM_AT, HIGH_AT = 20.0, 45.0
CHECKS_RUN = sorted(FLAG_POINTS)
CHECKS_NOT_RUN = ["thumbnail_mismatch"]

EDITORS = re.compile(
    r"photoshop|lightroom|gimp|affinity|pixelmator|paint\.net|paintshop|snapseed|picsart|canva|luminar|"
    r"capture one|dxo|acdsee|corel|fotor|photoscape|facetune|darktable|rawtherapee|photopea|"
    r"picasa|photodirector|inpixio|movavi|befunky|meitu|airbrush|remini|photoroom",
    re.IGNORECASE,
)
GENERATORS = re.compile(
    r"dall[-·\s]?e|midjourney|stable[\s_-]?diffusion|firefly|imagen|novelai|comfyui|automatic1111|"
    r"invokeai|leonardo\.ai|dreamstudio|bing image creator|flux\.1|gpt-4o|ideogram|nightcafe",
    re.IGNORECASE,
)
SYNTHETIC_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeSynthetic", "algorithmicMedia")
AI_PNG_KEYS = ("parameters", "prompt", "workflow", "sd-metadata", "invokeai_metadata", "dream")

_IFD_EXIF, _IFD_GPS = 0x8769, 0x8825
_TIFF_TAGS = {
    "Make": 0x010F,
    "Model": 0x0110,
    "Software": 0x0131,
    "DateTime": 0x0132,
    "Orientation": 0x0112,
    "Artist": 0x013B,
    "Copyright": 0x8298,
}
_EXIF_TAGS = {
    "ExposureTime": 0x829A,
    "FNumber": 0x829D,
    "ISOSpeedRatings": 0x8827,
    "DateTimeOriginal": 0x9003,
    "DateTimeDigitized": 0x9004,
    "FocalLength": 0x920A,
    "LensMake": 0xA433,
    "LensModel": 0xA434,
    "MakerNote": 0x927C,
}
_DATE_TOLERANCE_S = 60


def analyze(media: Media) -> AnalyzerResult:
    info = media.info
    facts: dict[str, Any] = {
        "file_name": media.filename,
        "format": info.format,
        "media_type": info.mime,
        "width": info.width,
        "height": info.height,
        "megapixels": round(info.megapixels, 2),
        "bytes": len(media.data),
        "megabytes": round(len(media.data) / 1e6, 3),
        "color_mode": info.mode,
        "frames": info.frames,
        "md5": hashlib.md5(media.data).hexdigest(),
        "sha256": hashlib.sha256(media.data).hexdigest(),
    }
    warnings_found: list[str] = []
    img = _open(media.data)
    exif, gps, exif_all, exif_error = _read_exif(img)
    if exif_error:
        warnings_found.append(f"EXIF could not be fully parsed: {exif_error}")
    xmp = _read_xmp(img, media.data)
    texts = _png_text(img)

    facts["timestamps"] = {
        label: exif[tag]
        for label, tag in (
            ("captured", "DateTimeOriginal"),
            ("digitized", "DateTimeDigitized"),
            ("modified", "DateTime"),
        )
        if exif.get(tag)
    }
    flags: dict[str, str] = {}
    software = " ".join(str(exif.get(k) or "") for k in ("Software",)) + " " + (xmp.get("creator_tool") or "")
    if m := EDITORS.search(software):
        flags["editing_software"] = f"software field names an editor: '{software.strip()}' ({m.group(0)})"
    if xmp.get("history"):
        flags["xmp_edit_history"] = f"XMP edit history present: {xmp['history'][:200]}"
    if info.format == "JPEG" and not exif:
        flags["metadata_missing"] = (
            "JPEG without EXIF metadata: cameras and phones always write EXIF; it was removed or never existed"
        )
    elif info.format == "JPEG" and not (exif.get("Make") or exif.get("Model")) and not exif.get("DateTimeOriginal"):
        flags["metadata_missing"] = (
            "EXIF present but without camera make/model or capture time, which cameras always write"
        )
    if gps:
        flags["gps_present"] = f"GPS position {gps['latitude']:.6f}, {gps['longitude']:.6f}"
    if reason := _date_inconsistency(exif, gps):
        flags["date_inconsistent"] = reason
    if reason := _ai_generator_evidence(exif, xmp, texts, media.data):
        flags["ai_generator_tag"] = reason
    if _has_c2pa(media.data):
        flags["c2pa_manifest"] = "C2PA/JUMBF manifest present (not validated in this version)"

    score = float(min(100, sum(FLAG_POINTS[f] for f in flags)))
    band = level(score, MEDIUM_AT, HIGH_AT)
    details = {
        "file": facts,
        "exif": exif,
        "exif_all": exif_all,
        "gps": gps,
        "xmp": {k: v for k, v in xmp.items() if k != "raw"},
        "png_text_keys": sorted(texts),
        "flags": sorted(flags),
        "flag_evidence": flags,
        "metadata_score": score,
        "level": band,
        "checks_run": CHECKS_RUN,
        "checks_not_run": CHECKS_NOT_RUN,
        "warnings": warnings_found + list(info.notes),
    }
    return AnalyzerResult("ok", score, _interpretation(flags, band), details)


FLAG_PHRASES = {
    "editing_software": "the file was saved by editing software",
    "xmp_edit_history": "it carries an edit history",
    "date_inconsistent": "its dates disagree",
    "metadata_missing": "camera metadata is missing (stripped by an editor, a messaging app or a website)",
    "ai_generator_tag": "it is tagged as made by an AI generator",
    "gps_present": "it contains a GPS position (privacy: remove it before publishing)",
    "c2pa_manifest": "it has C2PA Content Credentials (not yet validated here)",
}


def _interpretation(flags: dict[str, str], band: str) -> str:
    if not flags:
        return (
            "Metadata shows no sign of editing. Metadata is easily removed or forged, so this is not proof "
            "that the image is original."
        )
    text = "Metadata: " + "; ".join(phrase for flag, phrase in FLAG_PHRASES.items() if flag in flags)
    text += f" ({band} concern)."
    if "editing_software" in flags or "xmp_edit_history" in flags:
        text += " Editors also re-save harmless crops and resizes; check the pixel analyzers."
    return text


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Image.open(io.BytesIO(data))


def _read_exif(img: Image.Image) -> tuple[dict, dict | None, dict, str | None]:
    """Selected EXIF fields, GPS in decimal degrees, all readable tags, and a parse error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = img.getexif()
            exif_ifd = raw.get_ifd(_IFD_EXIF)
            gps_ifd = raw.get_ifd(_IFD_GPS)
    except Exception as exc:  # malformed EXIF must never stop the analysis
        return {}, None, {}, str(exc)[:200]
    selected: dict[str, Any] = {}
    for name, tag in _TIFF_TAGS.items():
        if tag in raw:
            selected[name] = _jsonable(raw[tag])
    for name, tag in _EXIF_TAGS.items():
        if tag in exif_ifd:
            selected[name] = "present" if name == "MakerNote" else _jsonable(exif_ifd[tag])
    selected = {k: v for k, v in selected.items() if v not in (None, "", [])}
    if "ExposureTime" in selected and isinstance(selected["ExposureTime"], float) and selected["ExposureTime"] > 0:
        t = selected["ExposureTime"]
        selected["ShutterSpeed"] = f"1/{round(1 / t)} s" if t < 1 else f"{t:g} s"
    all_tags = {}
    for source in (raw, exif_ifd):
        for tag, value in source.items():
            if tag in (_IFD_EXIF, _IFD_GPS, 0x927C):
                continue
            name = ExifTags.TAGS.get(tag, f"0x{tag:04X}")
            v = _jsonable(value)
            if v is not None:
                all_tags[name] = v
    return selected, _gps(gps_ifd), all_tags, None


def _gps(gps_ifd: dict) -> dict | None:
    try:
        lat, lon = _dms(gps_ifd[2]), _dms(gps_ifd[4])
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if str(gps_ifd.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps_ifd.get(3, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    out: dict[str, Any] = {
        "latitude": round(lat, 7),
        "longitude": round(lon, 7),
        "map_url": f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}",
    }
    if 6 in gps_ifd:
        try:
            alt = float(gps_ifd[6])
            out["altitude_m"] = round(-alt if gps_ifd.get(5) in (1, b"\x01") else alt, 1)
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    if 29 in gps_ifd:
        out["date_stamp"] = str(gps_ifd[29]).strip("\x00 ")
    return out


def _dms(value) -> float:
    d, m, s = (float(v) for v in value)
    return d + m / 60.0 + s / 3600.0


def _parse_exif_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _date_inconsistency(exif: dict, gps: dict | None) -> str | None:
    original = _parse_exif_date(exif.get("DateTimeOriginal"))
    modified = _parse_exif_date(exif.get("DateTime"))
    if original and modified:
        delta = (modified - original).total_seconds()
        if delta > _DATE_TOLERANCE_S:
            return f"modified {exif['DateTime']} after capture {exif['DateTimeOriginal']} ({delta / 3600:.1f} h later)"
        if delta < -_DATE_TOLERANCE_S:
            return f"modification date {exif['DateTime']} is before capture {exif['DateTimeOriginal']}"
    stamp = (gps or {}).get("date_stamp", "")
    if original and re.fullmatch(r"\d{4}:\d{2}:\d{2}", stamp):
        try:
            gps_day = datetime.strptime(stamp, "%Y:%m:%d")
        except ValueError:
            gps_day = None
        if gps_day and abs((original - gps_day).days) > 1:
            return (
                f"GPS date {gps['date_stamp']} differs from capture date {exif['DateTimeOriginal']} by more than a day"
            )
    return None


def _read_xmp(img: Image.Image, data: bytes) -> dict[str, Any]:
    packet = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if not packet:
        start = data.find(b"<x:xmpmeta")
        end = data.find(b"</x:xmpmeta>", start)
        packet = data[start : end + 12] if start >= 0 and end > start else b""
    if not packet:
        return {}
    text = packet.decode("utf-8", "replace")
    out: dict[str, Any] = {"present": True}
    if m := re.search(r'CreatorTool(?:="|>)([^"<]+)', text):
        out["creator_tool"] = m.group(1)
    actions = re.findall(r'stEvt:(?:action|softwareAgent)(?:="|>)([^"<]+)', text)
    if actions or "photoshop:History" in text:
        out["history"] = "; ".join(dict.fromkeys(actions)) or "photoshop:History"
    if m := re.search(r'DigitalSourceType(?:="|>)([^"<]+)', text):
        out["digital_source_type"] = m.group(1)
    if "DocumentAncestors" in text:
        out["document_ancestors"] = True
    out["raw"] = text
    return out


def _png_text(img: Image.Image) -> dict[str, str]:
    texts = getattr(img, "text", None)
    if not isinstance(texts, dict):
        return {}
    return {str(k): str(v) for k, v in texts.items()}


def _ai_generator_evidence(exif: dict, xmp: dict, texts: dict[str, str], data: bytes) -> str | None:
    source_type = xmp.get("digital_source_type", "")
    if any(t in source_type for t in SYNTHETIC_SOURCE_TYPES):
        return f"IPTC DigitalSourceType = {source_type}"
    for field in ("Software", "Artist", "Make", "Model"):
        if (value := exif.get(field)) and isinstance(value, str) and (m := GENERATORS.search(value)):
            return f"EXIF {field} names a generator: '{value}' ({m.group(0)})"
    if (tool := xmp.get("creator_tool")) and (m := GENERATORS.search(tool)):
        return f"XMP CreatorTool names a generator: '{tool}'"
    keys = [k for k in texts if k.lower() in AI_PNG_KEYS]
    if keys:
        return f"PNG text chunks written by image generators: {', '.join(keys)}"
    if any(t.encode() in data[:4_000_000] for t in SYNTHETIC_SOURCE_TYPES):
        return "IPTC digital source type for synthetic media found in the file"
    return None


def _has_c2pa(data: bytes) -> bool:
    head = data[:8_000_000]
    return b"jumb" in head and b"c2pa" in head


def _jsonable(value: Any) -> Any:
    """EXIF values as JSON: rationals to floats, bytes to short text, others dropped."""
    if isinstance(value, str):
        value = value.strip("\x00 ").strip()
        return value[:500] if value else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 6) if value == value and abs(value) != float("inf") else None
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        try:
            return round(float(value), 6) if value.denominator else None
        except (ZeroDivisionError, ValueError):
            return None
    if isinstance(value, (tuple, list)):
        items = [_jsonable(v) for v in value[:16]]
        return items if all(i is not None for i in items) else None
    if isinstance(value, bytes):
        text = value.strip(b"\x00 ")
        if text and len(text) <= 64 and all(32 <= c < 127 for c in text):
            return text.decode("ascii")
        return None
    return None
