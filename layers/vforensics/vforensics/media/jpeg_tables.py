"""JPEG quantization tables: reading, IJG quality estimate and table fingerprinting.

Every JPEG stores the quantization tables its encoder used (DQT segments). Encoders built
on the Independent JPEG Group's library (libjpeg, libjpeg-turbo: Pillow, OpenCV, GIMP,
ImageMagick and most web software) scale the two example tables of the standard (ITU-T
T.81, Annex K) by a quality factor 1-100 (``jpeg_quality_scaling`` in libjpeg's jcparam.c),
while most cameras use tables of their own. Comparing a file's tables with the IJG family
and with a small database of tables seen in camera originals tells which kind of encoder
wrote the file last (H. Farid, "Digital image ballistics from JPEG quantization", Dartmouth
TR2006-583, 2006; E. Kee, M. K. Johnson & H. Farid, "Digital image authentication from
JPEG headers", IEEE TIFS 6(3), 2011).

The database (``data/jpeg_tables.json``) is built by ``tools/build_jpeg_table_db.py``
from the camera originals of the benchmark and the IJG tables; it is small and incomplete:
"unknown" tables are common and mean nothing by themselves.

Tables are handled in natural (row-major) order, which is how Pillow reports
``Image.quantization`` and accepts ``qtables=`` (checked on Pillow 13 by writing known
tables and reading the DQT bytes back; the file itself stores zig-zag order).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from vforensics.media import file_structure

# ITU-T T.81 Annex K tables K.1 (luminance) and K.2 (chrominance), natural order.
IJG_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.int32,
)  # fmt: skip
IJG_CHROMA = np.full(64, 99, dtype=np.int32)
IJG_CHROMA[[0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 24, 25]] = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 47, 66]

#: Zig-zag scan order: ZIGZAG[i] is the natural (row-major) index of the i-th coefficient.
ZIGZAG = np.array(
    [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
     12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
     35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
     58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63],
    dtype=np.int64,
)  # fmt: skip

DB_RESOURCE = "jpeg_tables.json"
SUBSAMPLING_NAMES = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}


def ijg_table(base: np.ndarray, quality: int, baseline: bool = True) -> np.ndarray:
    """libjpeg's ``jpeg_quality_scaling`` + ``jpeg_add_quant_table`` of a base table (int32)."""
    quality = min(max(int(quality), 1), 100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((base.astype(np.int64) * scale + 50) // 100, 1, 255 if baseline else 32767).astype(np.int32)


@lru_cache(maxsize=1)
def _ijg_stack() -> tuple[np.ndarray, np.ndarray]:
    """IJG luma and chroma tables for qualities 1..100, shape (100, 64) each."""
    return (
        np.stack([ijg_table(IJG_LUMA, q) for q in range(1, 101)]),
        np.stack([ijg_table(IJG_CHROMA, q) for q in range(1, 101)]),
    )


@dataclass(frozen=True)
class QualityEstimate:
    """The IJG quality whose scaled table is closest to a table, and whether it is equal."""

    quality: int
    exact: bool
    mean_abs_error: float

    def to_dict(self) -> dict[str, Any]:
        return {"quality": self.quality, "exact": self.exact, "mean_abs_error": round(self.mean_abs_error, 3)}


def estimate_quality(table: Sequence[int] | np.ndarray, chroma: bool = False) -> QualityEstimate:
    """IJG quality (1-100) whose scaled Annex K table is nearest (mean absolute difference).

    For a table an IJG encoder wrote, the match is exact. For a camera's own table the
    result is only the nearest IJG equivalent. Ties go to the higher quality.
    """
    t = np.asarray(table, dtype=np.int32).reshape(-1)[:64]
    stack = _ijg_stack()[1 if chroma else 0]
    err = np.abs(stack - t[None, :]).mean(axis=1)
    best = int(len(err) - 1 - np.argmin(err[::-1]))  # last minimum = highest quality among ties
    return QualityEstimate(best + 1, bool(err[best] == 0), float(err[best]))


def tables_hash(quantization: Mapping[int, Sequence[int]]) -> str:
    """Stable fingerprint of a file's tables: SHA-1 (first 16 hex) of the tables in id order.

    Each table is 64 big-endian uint16 values in natural order; the number of tables is
    part of the hash, so a grayscale file (one table) never equals a colour one.
    """
    h = hashlib.sha1(f"{len(quantization)}:".encode())
    for key in sorted(quantization):
        h.update(np.asarray(quantization[key], dtype=">u2").reshape(-1)[:64].tobytes())
    return h.hexdigest()[:16]


def ijg_tables_for(quality: int, n_tables: int) -> dict[int, list[int]]:
    """The tables an IJG encoder writes at ``quality``: luma, then chroma (if colour)."""
    tables = {0: ijg_table(IJG_LUMA, quality).tolist()}
    if n_tables >= 2:
        tables[1] = ijg_table(IJG_CHROMA, quality).tolist()
    return tables


def ijg_quality_of(quantization: Mapping[int, Sequence[int]]) -> int | None:
    """The IJG quality that writes exactly these tables, or None.

    A third table (e.g. separate Cr) must repeat the chroma table. Tables written by libjpeg
    with ``force_baseline`` off (values over 255) are also recognised.
    """
    keys = sorted(quantization)
    if not keys or len(keys) > 4:
        return None
    luma = np.asarray(quantization[keys[0]], dtype=np.int32).reshape(-1)[:64]
    q = estimate_quality(luma)
    if not q.exact:
        return None
    for key in keys[1:]:
        other = np.asarray(quantization[key], dtype=np.int32).reshape(-1)[:64]
        if not np.array_equal(other, ijg_table(IJG_CHROMA, q.quality)):
            return None
    return q.quality


# ---------------------------------------------------------------------------------------------
# Makes


_MAKE_ALIASES = {
    "eastman": "kodak",
    "jk": "kodak",  # JK Imaging Ltd. makes Kodak PIXPRO cameras
    "hewlett": "hp",
    "hewlettpackard": "hp",
    "konica": "konica minolta",
    "minolta": "konica minolta",
    "olympus": "olympus",
    "om": "olympus",
    "fuji": "fujifilm",
    "fujifilm": "fujifilm",
    "ricoh": "ricoh",
    "pentax": "ricoh",
    "asahi": "ricoh",
    "research": "blackberry",  # Research In Motion
    "rim": "blackberry",
    "lg": "lg",
    "lge": "lg",
    "samsung": "samsung",
    "sony": "sony",
    "nikon": "nikon",
    "canon": "canon",
    "apple": "apple",
    "google": "google",
    "huawei": "huawei",
    "xiaomi": "xiaomi",
}
_STOP_WORDS = {"the", "co", "corp", "corporation", "company", "ltd", "inc", "gmbh", "digital", "camera", "imaging"}


def normalize_make(make: str | None) -> str:
    """Brand of an EXIF Make string: 'NIKON CORPORATION' -> 'nikon', 'Eastman Kodak Company' -> 'kodak'.

    Returns "" when nothing useful is left. The mapping is deliberately coarse (first word
    plus a few aliases): two brands that share an owner compare as equal, which can only
    hide a mismatch, never invent one.
    """
    if not make:
        return ""
    words = [w for w in re.split(r"[^a-z0-9]+", str(make).lower().replace("-", "")) if w]
    words = [w for w in words if w not in _STOP_WORDS]
    if not words:
        return ""
    if words[0] == "sony" and len(words) > 1 and words[1] == "ericsson":
        return "sony ericsson"
    return _MAKE_ALIASES.get(words[0], words[0])


# ---------------------------------------------------------------------------------------------
# Database


@lru_cache(maxsize=1)
def load_db() -> dict[str, Any]:
    """The packaged table database (read once)."""
    try:
        text = resources.files("vforensics.media").joinpath("data", DB_RESOURCE).read_text("utf-8")
        db = json.loads(text)
    except (FileNotFoundError, OSError, ValueError):  # pragma: no cover - a broken install
        return {"version": 0, "entries": []}
    return db


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[dict]], dict[tuple[str, str], set[str]]]:
    """hash -> entries, and (brand, model) -> set of hashes of camera entries."""
    by_hash: dict[str, list[dict]] = {}
    by_model: dict[tuple[str, str], set[str]] = {}
    for entry in load_db().get("entries", []):
        by_hash.setdefault(entry["hash"], []).append(entry)
        if entry.get("kind") == "camera":
            key = (normalize_make(entry.get("make")), _norm_model(entry.get("model")))
            by_model.setdefault(key, set()).add(entry["hash"])
    return by_hash, by_model


def _norm_model(model: str | None) -> str:
    return re.sub(r"\s+", " ", str(model or "")).strip().lower()


@dataclass(frozen=True)
class Fingerprint:
    """What the tables say about the encoder, and whether that contradicts EXIF."""

    tables_hash: str
    tables_match: str  # "ijg_standard", "known_camera: <make model>", "unknown"
    ijg_quality: int | None
    camera_matches: tuple[str, ...]  # "make model" of DB camera entries with these tables
    mismatch: bool
    mismatch_reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables_hash": self.tables_hash,
            "tables_match": self.tables_match,
            "ijg_quality": self.ijg_quality,
            "camera_matches": list(self.camera_matches),
            "fingerprint_mismatch": self.mismatch,
            "mismatch_reason": self.mismatch_reason,
        }


def fingerprint(
    quantization: Mapping[int, Sequence[int]], exif_make: str = "", exif_model: str = "", use_db: bool = True
) -> Fingerprint:
    """Classify the tables (IJG / a known camera / unknown) and compare with EXIF Make/Model.

    A mismatch is reported when (a) the tables are not IJG, belong to known cameras, none
    of those is of the EXIF make, and the database knows the EXIF camera model with other
    tables (cameras of different makes share tables, so tables alone never prove the make
    of an unknown camera); or (b) the tables are IJG while every table the
    database knows for the EXIF make and model is not (the camera does not write IJG
    tables, so software re-saved the file). With ``use_db=False`` only the IJG test runs.
    """
    digest = tables_hash(quantization)
    ijg_q = ijg_quality_of(quantization)
    by_hash, by_model = _index() if use_db else ({}, {})
    cams = [e for e in by_hash.get(digest, []) if e.get("kind") == "camera"]
    cam_names = tuple(sorted({f"{e.get('make', '')} {e.get('model', '')}".strip() for e in cams}))
    brand = normalize_make(exif_make)
    mismatch, reason = False, ""
    if ijg_q is not None:
        match = "ijg_standard"
        known = by_model.get((brand, _norm_model(exif_model)), set()) if brand else set()
        if known and all(ijg_quality_of_hash(h) is None for h in known):
            mismatch = True
            reason = (
                f"IJG quality-{ijg_q} tables, but the {exif_make.strip()} {exif_model.strip()} originals known "
                "to the database use the camera's own tables"
            )
    elif cams:
        match = f"known_camera: {cam_names[0]}" + (f" (+{len(cam_names) - 1} more)" if len(cam_names) > 1 else "")
        brands = {normalize_make(e.get("make")) for e in cams}
        known = by_model.get((brand, _norm_model(exif_model)), set()) if brand else set()
        # Cameras of different makes share tables (the iPhone 4 and the HTC Desire do): only a
        # camera model the database knows, whose originals use other tables, is contradicted.
        if brand and brand not in brands and known and digest not in known:
            mismatch = True
            reason = (
                f"the tables are those of {', '.join(cam_names[:3])}, but the {exif_make.strip()} "
                f"{exif_model.strip()} originals known to the database use other tables"
            )
    else:
        match = "unknown"
    return Fingerprint(digest, match, ijg_q, cam_names, mismatch, reason)


def ijg_quality_of_hash(digest: str) -> int | None:
    """IJG quality of a DB hash (from its entry), or None when it is not an IJG table set."""
    for entry in _index()[0].get(digest, []):
        if entry.get("ijg_quality") is not None:
            return int(entry["ijg_quality"])
    return None


# ---------------------------------------------------------------------------------------------
# File layout


_LAYOUT_IDENTIFIERS = ("JFIF", "Exif", "Adobe")


def segment_layout(data: bytes, limit: int = 64) -> list[str]:
    """Names of the marker segments up to the first scan: APP0-JFIF, APP1-Exif, DQT, SOF0 ...

    Encoders differ in which segments they write and in what order (E. Kee, M. K. Johnson &
    H. Farid, "Digital image authentication from JPEG headers", IEEE TIFS 6(3), 2011).
    Stops at the first scan, at a malformed segment or after ``limit`` segments.
    """
    if data[:2] != b"\xff\xd8":
        return []
    out: list[str] = []
    for segment in file_structure.jpeg_structure(data)["segments"][1:]:
        if "omitted" in segment or segment["marker"] == "EOI" or len(out) >= limit:
            break
        ident = segment.get("identifier")
        out.append(f"{segment['marker']}-{ident}" if ident in _LAYOUT_IDENTIFIERS else segment["marker"])
        if segment["marker"] == "SOS":
            break
    return out


def jfif_before_exif(layout: list[str]) -> bool:
    """True when a JFIF APP0 segment precedes the Exif APP1 segment.

    The Exif/DCF standard has cameras write APP1-Exif right after SOI; libjpeg-based
    software that keeps a photo's EXIF (Pillow, GIMP, ImageMagick ...) writes its JFIF
    APP0 first. Some cameras write JFIF too (12 of the 97 benchmark originals), so this is
    a hint, not proof.
    """
    if "APP1-Exif" not in layout or "APP0-JFIF" not in layout:
        return False
    return layout.index("APP0-JFIF") < layout.index("APP1-Exif")
