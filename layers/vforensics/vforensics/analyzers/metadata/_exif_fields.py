"""EXIF fields as JSON: the selected tags forensics needs, every readable tag, GPS in degrees.

Parsing uses Pillow's EXIF reader (the pure-Python path, no ExifTool needed); malformed
EXIF (broken offsets, invalid rationals, non-UTF-8 strings) is reported, never fatal.
"""

from __future__ import annotations

import struct
import warnings
from datetime import datetime
from typing import Any

from PIL import ExifTags, Image

IFD_EXIF, IFD_GPS = 0x8769, 0x8825
TAG_DATETIME = 0x0132
TAG_USER_COMMENT = 0x9286
#: a UserComment larger than this (bytes) is not decoded (Automatic1111's parameters are a few kB)
MAX_USER_COMMENT_BYTES = 1_000_000
TIFF_TAGS = {
    "Make": 0x010F,
    "Model": 0x0110,
    "Software": 0x0131,
    "DateTime": 0x0132,
    "Orientation": 0x0112,
    "Artist": 0x013B,
    "Copyright": 0x8298,
}
EXIF_TAGS = {
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


def read_exif(img: Image.Image) -> tuple[dict, dict | None, dict, str | None]:
    """Selected EXIF fields, GPS in decimal degrees, all readable tags, and a parse error.

    MakerNote is reported as present, not decoded (its format is private to each maker).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = img.getexif()
            exif_ifd = raw.get_ifd(IFD_EXIF)
            gps_ifd = raw.get_ifd(IFD_GPS)
            thumbnail_ifd = raw.get_ifd(ExifTags.IFD.IFD1)
    except Exception as exc:  # malformed EXIF must never stop the analysis
        return {}, None, {}, str(exc)[:200]
    selected: dict[str, Any] = {}
    for name, tag in TIFF_TAGS.items():
        if tag in raw:
            selected[name] = jsonable(_value(raw, tag))
    for name, tag in EXIF_TAGS.items():
        if tag in exif_ifd:
            selected[name] = "present" if name == "MakerNote" else jsonable(_value(exif_ifd, tag))
    if TAG_DATETIME in thumbnail_ifd:
        selected["ThumbnailDateTime"] = jsonable(_value(thumbnail_ifd, TAG_DATETIME))
    selected = {k: v for k, v in selected.items() if v not in (None, "", [])}
    if "ExposureTime" in selected and isinstance(selected["ExposureTime"], float) and selected["ExposureTime"] > 0:
        t = selected["ExposureTime"]
        selected["ShutterSpeed"] = f"1/{round(1 / t)} s" if t < 1 else f"{t:g} s"
    all_tags = {}
    for source in (raw, exif_ifd):
        for tag in list(source.keys()):
            if tag in (IFD_EXIF, IFD_GPS, 0x927C):
                continue
            name = ExifTags.TAGS.get(tag, f"0x{tag:04X}")
            v = jsonable(_value(source, tag))
            if v is not None:
                all_tags[name] = v
    return selected, gps_position(gps_ifd), all_tags, None


def _value(ifd: Any, tag: int) -> Any:
    """A tag's value, or None where Pillow's lazy IFD lists a tag it then cannot read."""
    try:
        return ifd[tag]
    except (KeyError, ValueError, TypeError, struct.error, OSError):
        return None


def user_comment(img: Image.Image) -> str | None:
    """The EXIF UserComment as text, its 8-byte character code decoded; None when absent or too large.

    Automatic1111 stores its generation parameters there in JPEG and WebP output: the code
    ``UNICODE`` (and a zero byte), then UTF-16, big-endian as piexif writes it (the byte order
    is told by where the zero bytes of ASCII text fall).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = img.getexif().get_ifd(IFD_EXIF).get(TAG_USER_COMMENT)
    except Exception:  # malformed EXIF is reported by read_exif
        return None
    if isinstance(raw, str):
        return raw[:MAX_USER_COMMENT_BYTES] or None
    if not isinstance(raw, bytes) or len(raw) <= 8 or len(raw) > MAX_USER_COMMENT_BYTES:
        return None
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        big_endian = body[:64:2].count(0) >= body[1:64:2].count(0)
        text = body.decode("utf-16-be" if big_endian else "utf-16-le", "replace")
    else:  # ASCII, JIS or undefined (all zeros): read as UTF-8, which ASCII is
        text = body.decode("utf-8", "replace")
    return text.strip("\x00 ") or None


def gps_position(gps_ifd: dict) -> dict | None:
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


def parse_exif_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def jsonable(value: Any) -> Any:
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
        items = [jsonable(v) for v in value[:16]]
        return items if all(i is not None for i in items) else None
    if isinstance(value, bytes):
        text = value.strip(b"\x00 ")
        if text and len(text) <= 64 and all(32 <= c < 127 for c in text):
            return text.decode("ascii")
        return None
    return None
