"""File facts, EXIF/GPS/XMP/IPTC/ICC metadata, C2PA, file structure and the metadata flags.

Metadata is evidence about a file's history, not about its pixels: it can be stripped or
forged with one command, so a clean record proves nothing and a flag is a reason to ask,
not proof of manipulation. Everything here runs on the pure-Python path (Pillow, byte
parsing, c2pa-python); where ExifTool is installed its full dump is added beside it
(``details.readers`` says which ran). Malformed metadata is reported, never fatal.

The flags are the stable names of DESIGN.md, each with its evidence in
``details.flag_evidence``: ``editing_software``, ``metadata_missing``,
``thumbnail_mismatch``, ``date_inconsistent``, ``xmp_edit_history``, ``gps_present``,
``ai_generator_tag``, ``c2pa_manifest``; and ``rotated_after_capture``, added to them.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from datetime import datetime
from typing import Any

import numpy as np
from PIL import Image, ImageFile

from vforensics.analyzers.base import AnalyzerResult, level
from vforensics.analyzers.metadata import _content_credentials as content_credentials
from vforensics.analyzers.metadata import _embedded as embedded_metadata
from vforensics.analyzers.metadata import _exif_fields as exif_fields
from vforensics.analyzers.metadata import _exif_thumbnail as exif_thumbnail
from vforensics.analyzers.metadata import _exiftool as exiftool
from vforensics.analyzers.metadata import _generator_provenance as generator_provenance
from vforensics.analyzers.metadata import _xmp as xmp_metadata
from vforensics.media import file_structure, jpeg_tables
from vforensics.media.image import Media

NAME = "metadata"

#: Points each flag adds to the metadata score (0-100). Flags that describe the file
#: rather than an edit (GPS, generator tags, a valid C2PA manifest) add nothing to the
#: tampering score; an invalid C2PA manifest adds ``C2PA_INVALID_POINTS``. A rotation after
#: capture adds nothing either: turning a photo changes no content, and a rotation that
#: re-encoded the pixels is a re-save, which the jpeg analyzer reads from the pixels.
FLAG_POINTS = {
    "editing_software": 40,
    "thumbnail_mismatch": 35,
    "xmp_edit_history": 25,
    "date_inconsistent": 20,
    "metadata_missing": 15,
    "rotated_after_capture": 0,
    "gps_present": 0,
    "ai_generator_tag": 0,
    "c2pa_manifest": 0,
}
C2PA_INVALID_POINTS = 40
MEDIUM_AT, HIGH_AT = 20.0, 45.0
CHECKS_RUN = sorted(FLAG_POINTS)

EDITORS = re.compile(
    r"photoshop|lightroom|gimp|affinity|pixelmator|paint\.net|paintshop|snapseed|picsart|canva|luminar|"
    r"capture one|dxo|acdsee|corel|fotor|photoscape|facetune|darktable|rawtherapee|photopea|"
    r"picasa|photodirector|inpixio|movavi|befunky|meitu|airbrush|remini|photoroom",
    re.IGNORECASE,
)
_DATE_TOLERANCE_S = 60


def analyze(media: Media) -> AnalyzerResult:
    info, data = media.info, media.data
    facts = _file_facts(media)
    warnings_found: list[str] = list(info.notes)
    img = _open(data)
    exif, gps, exif_all, exif_error = exif_fields.read_exif(img)
    if exif_error:
        warnings_found.append(f"EXIF could not be fully parsed: {exif_error}")
    facts["timestamps"] = {
        label: exif[tag]
        for label, tag in (
            ("captured", "DateTimeOriginal"),
            ("digitized", "DateTimeDigitized"),
            ("modified", "DateTime"),
        )
        if exif.get(tag)
    }
    xmp = xmp_metadata.read_xmp(img, data)
    texts = embedded_metadata.png_text(img)
    structure = file_structure.describe(data, info.format)
    warnings_found += structure.get("problems", [])
    credentials = content_credentials.read(data, info.mime)
    thumbnail, thumbnail_map = _thumbnail(data, structure, (info.width, info.height))
    tables = _tables_vs_camera(img, exif) if info.format == "JPEG" else None
    generator, unparsed = generator_provenance.find(
        exif, xmp, embedded_metadata.png_text(img, max_chars=None), credentials, data, exif_fields.user_comment(img)
    )
    warnings_found += unparsed

    flags = _flags(info.format, exif, gps, xmp, thumbnail, credentials, generator)
    score: float = sum(FLAG_POINTS[f] for f in flags)
    if credentials.get("state") == "Invalid":
        score += C2PA_INVALID_POINTS
    score = float(min(100, score))
    band = level(score, MEDIUM_AT, HIGH_AT)
    details: dict[str, Any] = {
        "file": facts,
        "readers": ["pillow", "byte parser"] + (["c2pa-python"] if credentials.get("validated") else []),
        "exif": exif,
        "exif_all": exif_all,
        "gps": gps,
        "xmp": xmp,
        "iptc": embedded_metadata.read_iptc(img) if info.format == "JPEG" else {},
        "icc_profile": embedded_metadata.icc_description(img),
        "png_text": texts,
        "c2pa": credentials,
        "ai_generator": generator.to_dict() if generator else None,
        "thumbnail": thumbnail,
        "quantization_vs_camera": tables,
        "structure": structure,
        "strings": file_structure.printable_strings(data, file_structure.metadata_spans(structure, len(data))),
        "flags": sorted(flags),
        "flag_evidence": flags,
        "metadata_score": score,
        "level": band,
        "checks_run": CHECKS_RUN,
        "warnings": warnings_found,
    }
    if (dump := exiftool.read(data)) is not None:
        details["exiftool"] = dump
        details["readers"].append(f"exiftool {dump.get('version') or ''}".strip())
    extra = {"thumbnail_difference": thumbnail_map} if thumbnail_map is not None else {}
    interpretation = _interpretation(flags, band, credentials, generator)
    return AnalyzerResult("ok", score, interpretation, details, extra_maps=extra)


def _flags(
    fmt: str,
    exif: dict,
    gps: dict | None,
    xmp: dict,
    thumbnail: dict,
    credentials: dict,
    generator: generator_provenance.GeneratorEvidence | None,
) -> dict[str, str]:
    """Each raised flag with its evidence, in a sentence."""
    flags: dict[str, str] = {}
    software = " ".join(str(exif.get("Software") or "").split() + [xmp.get("creator_tool") or ""]).strip()
    history_tools = " ".join(e.get("software", "") for e in xmp.get("history_events", []))
    if m := EDITORS.search(software) or EDITORS.search(history_tools):
        flags["editing_software"] = (
            f"software fields name an editor: '{(software or history_tools)[:200]}' ({m.group(0)})"
        )
    if xmp.get("history"):
        flags["xmp_edit_history"] = f"XMP edit history present: {xmp['history'][:200]}"
    if reason := _metadata_missing(fmt, exif):
        flags["metadata_missing"] = reason
    if thumbnail.get("mismatch"):
        flags["thumbnail_mismatch"] = _thumbnail_evidence(thumbnail)
    if reason := rotated_after_capture(thumbnail, exif):
        flags["rotated_after_capture"] = reason
    if gps:
        flags["gps_present"] = f"GPS position {gps['latitude']:.6f}, {gps['longitude']:.6f}"
    if reason := _date_inconsistency(exif, gps, xmp):
        flags["date_inconsistent"] = reason
    if generator is not None:
        flags["ai_generator_tag"] = generator.sentence
    if credentials.get("present"):
        flags["c2pa_manifest"] = _c2pa_evidence(credentials)
    return flags


def _file_facts(media: Media) -> dict[str, Any]:
    info = media.info
    return {
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


def _metadata_missing(fmt: str, exif: dict) -> str | None:
    if fmt != "JPEG":
        return None  # PNG, WebP and GIF files rarely carry camera EXIF, even untouched
    if not exif:
        return "JPEG without EXIF metadata: cameras and phones always write EXIF; it was removed or never existed"
    if not (exif.get("Make") or exif.get("Model")) and not exif.get("DateTimeOriginal"):
        return "EXIF present but without camera make/model or capture time, which cameras always write"
    return None


def _thumbnail(data: bytes, structure: dict, size: tuple[int, int]) -> tuple[dict[str, Any], np.ndarray | None]:
    found = exif_thumbnail.extract(data, structure)
    if found is None:
        return {"present": False}, None
    embedded, source = found
    comparison = exif_thumbnail.compare(data, embedded, size)
    if comparison is None:
        return {"present": True, "source": source, "compared": False, "reason": "blank or undecodable thumbnail"}, None
    return {"present": True, "source": source, "compared": True, **comparison.to_dict()}, comparison.difference


def rotated_after_capture(thumbnail: dict[str, Any], exif: dict) -> str | None:
    """The thumbnail matches the picture only turned by 90 or 270 degrees, under an Orientation
    that says the pixels are upright (1, or none): the camera made the thumbnail from the
    picture as it was, and the pixels were turned later. A camera that means a portrait photo
    writes Orientation 6 or 8 and leaves both the same way round (EXIF 2.32, 4.6.4 A)."""
    turned = str(thumbnail.get("alignment") or "").partition("rotated ")[2]
    if not (thumbnail.get("compared") and turned) or exif.get("Orientation") not in (None, 1):
        return None
    return (
        f"the EXIF thumbnail matches the picture only turned by {turned} degrees, while the EXIF Orientation says "
        "the pixels are upright: the picture was rotated after the camera wrote the thumbnail (by software; a "
        "rotation that re-encoded the pixels is also a re-save)"
    )


def _thumbnail_evidence(t: dict[str, Any]) -> str:
    framing = f" ({t['framing']})" if t.get("framing_differs") else ""
    if t["mismatch_reason"] == "different picture":
        return (
            f"the EXIF thumbnail shows a different picture: no scale or offset of the image correlates with it "
            f"better than {t['correlation']:.2f}; cropped, rotated or replaced after the camera wrote it"
        )
    if t["mismatch_reason"] == "cropped":
        return (
            f"the EXIF thumbnail shows {100 * t['missing_share']:.0f}% of its picture beyond the image's edges"
            f"{framing}, more than cameras' previews differ in framing: the image was cropped after the camera "
            "wrote the thumbnail"
        )
    where = f" at x,y,w,h = {t['largest_differing_region_box']}" if t.get("largest_differing_region_box") else ""
    return (
        f"a region covering {100 * t['largest_differing_region_share']:.1f}% of the EXIF thumbnail differs from "
        f"the image{where}, inside the area both show{framing}: the picture was changed after the camera wrote "
        "the thumbnail"
    )


def _tables_vs_camera(img: Image.Image, exif: dict) -> dict[str, Any] | None:
    """The quantization-table fingerprint against the EXIF camera (see jpeg_tables.fingerprint)."""
    quantization = getattr(img, "quantization", None)
    if not quantization:
        return None
    fp = jpeg_tables.fingerprint(quantization, str(exif.get("Make") or ""), str(exif.get("Model") or ""))
    return fp.to_dict()


def _date_inconsistency(exif: dict, gps: dict | None, xmp: dict) -> str | None:
    """Software writes the save time into ModifyDate; cameras write the capture time there too.

    A ModifyDate (EXIF or XMP) later than the capture, or a GPS date a day or more away
    from it, is flagged. A ModifyDate *before* the capture is a camera-clock quirk (2 of
    the 97 bench originals), not a trace of editing, and is not. The evidence names what
    corroborates a rewrite (see _rewrite_corroboration); camcorders that save a still from
    tape later also write a later ModifyDate, with nothing to corroborate it.
    """
    original = exif_fields.parse_exif_date(exif.get("DateTimeOriginal"))
    modified = exif_fields.parse_exif_date(exif.get("DateTime"))
    if original and modified:
        delta = (modified - original).total_seconds()
        if delta > _DATE_TOLERANCE_S:
            reason = (
                f"modified {exif['DateTime']} after capture {exif['DateTimeOriginal']} ({delta / 3600:.1f} h later)"
            )
            corroboration = _rewrite_corroboration(exif, delta)
            return f"{reason}; {'; '.join(corroboration)}" if corroboration else reason
    xmp_modified = exif_fields.parse_exif_date(str(xmp.get("modify_date", "")).replace("-", ":").replace("T", " "))
    if original and xmp_modified and (xmp_modified - original).total_seconds() > _DATE_TOLERANCE_S + 86400:
        return f"XMP ModifyDate {xmp['modify_date']} is more than a day after capture {exif['DateTimeOriginal']}"
    stamp = (gps or {}).get("date_stamp", "")
    if original and re.fullmatch(r"\d{4}:\d{2}:\d{2}", stamp):
        try:
            gps_day = datetime.strptime(stamp, "%Y:%m:%d")
        except ValueError:
            gps_day = None
        if gps_day and abs((original - gps_day).days) > 1:
            return f"GPS date {stamp} differs from capture date {exif['DateTimeOriginal']} by more than a day"
    return None


def _rewrite_corroboration(exif: dict, delta_s: float) -> list[str]:
    """Traces that a later ModifyDate was written by software rather than by the camera."""
    found = []
    if exif.get("ThumbnailDateTime") and exif["ThumbnailDateTime"] == exif.get("DateTimeOriginal"):
        found.append(f"the thumbnail IFD keeps the capture time {exif['ThumbnailDateTime']}: IFD0 was rewritten")
    if delta_s >= 86400 and delta_s % 86400 == 0:
        days = int(delta_s // 86400)
        found.append(f"the dates differ by exactly {days} days to the second, as a date-shift tool leaves them")
    return found


def _c2pa_evidence(c: dict[str, Any]) -> str:
    if not c.get("validated"):
        return f"C2PA manifest present, not validated ({c.get('reason', 'no validator')})"
    who = f", signed by {c['signer']}" if c.get("signer") else ""
    tool = f", made with {c['claim_generator']}" if c.get("claim_generator") else ""
    failed = [f["code"] for f in c.get("failures", []) if f["code"] != "signingCredential.untrusted"]
    problems = f"; failed checks: {', '.join(failed)}" if failed else ""
    return f"C2PA manifest {c.get('state', 'unknown')}{who}{tool}{problems}"


FLAG_PHRASES = {
    "editing_software": "the file was saved by editing software",
    "thumbnail_mismatch": "its EXIF thumbnail no longer matches the picture",
    "xmp_edit_history": "it carries an edit history",
    "date_inconsistent": "its dates disagree",
    "metadata_missing": "camera metadata is missing (stripped by an editor, a messaging app or a website)",
    "ai_generator_tag": "it is tagged as made by an AI generator",
    "rotated_after_capture": "it was rotated after capture",
    "gps_present": "it contains a GPS position (privacy: remove it before publishing)",
    "c2pa_manifest": "it has C2PA Content Credentials",
}


def _interpretation(
    flags: dict[str, str],
    band: str,
    credentials: dict[str, Any],
    generator: generator_provenance.GeneratorEvidence | None = None,
) -> str:
    if not flags:
        return (
            "Metadata shows no sign of editing. Metadata is easily removed or forged, so this is not proof "
            "that the image is original."
        )
    phrases = {flag: phrase for flag, phrase in FLAG_PHRASES.items() if flag in flags}
    if "ai_generator_tag" in phrases and generator and (name := generator.family or generator.generator):
        phrases["ai_generator_tag"] += f", {name}"
    text = "Metadata: " + "; ".join(phrases.values())
    text += f" ({band} concern)."
    if credentials.get("state") == "Invalid":
        text += " The C2PA manifest does NOT validate: the file or its manifest changed after signing."
    elif credentials.get("state") in ("Valid", "Trusted"):
        text += (
            f" The C2PA manifest validates ({credentials['state']}): it proves who signed the claims, not that "
            "they are true; its signer is not on a trust list checked here."
        )
    if "editing_software" in flags or "xmp_edit_history" in flags:
        text += " Editors also re-save harmless crops and resizes; check the pixel analyzers."
    return text


def _open(data: bytes) -> ImageFile.ImageFile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Image.open(io.BytesIO(data))
