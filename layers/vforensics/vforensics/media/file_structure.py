"""The container structure of an image file: JPEG segments, PNG chunks, RIFF (WebP) chunks.

What ExifTool's ``-v`` and Sherloq's structure view show: each marker or chunk with its
offset and size, the identifier of APPn segments (``Exif``, ``http://ns.adobe.com/xap/1.0/``,
``ICC_PROFILE``, ``Photoshop 3.0``, ``MPF``, JUMBF), embedded JPEG streams (EXIF thumbnails,
MPF secondary images) and data after the end of the image. Editors rebuild this structure
when they re-save, so it is a cheap fingerprint of the last writer; data appended after the
end marker is where files hide a second image or a payload.

Pure byte parsing: nothing is decoded, a 12 MP JPEG takes a few milliseconds.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

#: At most this many segments or chunks are listed; longer files are summarised.
MAX_ENTRIES = 200
_MARKER_NAMES = {
    0xC0: "SOF0",
    0xC1: "SOF1",
    0xC2: "SOF2",
    0xC3: "SOF3",
    0xC4: "DHT",
    0xCC: "DAC",
    0xD8: "SOI",
    0xD9: "EOI",
    0xDA: "SOS",
    0xDB: "DQT",
    0xDD: "DRI",
    0xFE: "COM",
}
# the next marker inside entropy-coded data: 0xFF not followed by a stuffed 0x00 or a restart marker
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOI = b"\xff\xd8\xff"


def marker_name(code: int) -> str:
    if 0xE0 <= code <= 0xEF:
        return f"APP{code - 0xE0}"
    if 0xC0 <= code <= 0xCF and code not in _MARKER_NAMES:
        return f"SOF{code - 0xC0}"
    return _MARKER_NAMES.get(code, f"0xFF{code:02X}")


def describe(data: bytes, fmt: str) -> dict[str, Any]:
    """The structure of ``data`` for its Pillow format name, or a note that it is not dumped."""
    if fmt == "JPEG" and data[:2] == b"\xff\xd8":
        return jpeg_structure(data)
    if fmt == "PNG" and data[:8] == b"\x89PNG\r\n\x1a\n":
        return png_structure(data)
    if fmt == "WEBP" and data[:4] == b"RIFF":
        return riff_structure(data)
    return {"container": fmt, "note": f"structure dump not implemented for {fmt}"}


def jpeg_structure(data: bytes) -> dict[str, Any]:
    """Segments of a JPEG stream up to its EOI, what follows it, and the embedded JPEGs."""
    segments: list[dict[str, Any]] = [{"marker": "SOI", "offset": 0, "size": 2}]
    problems: list[str] = []
    pos, end, n = 2, None, len(data)
    while pos < n - 1:
        if data[pos] != 0xFF:  # as libjpeg does: skip extraneous bytes up to the next marker
            found = data.find(b"\xff", pos)
            if found < 0:
                problems.append(f"no marker after offset {pos} (corrupt or truncated)")
                break
            problems.append(f"{found - pos} extraneous bytes before the marker at offset {found}")
            pos = found
            continue
        while pos < n - 1 and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n - 1:
            problems.append(f"the file ends in fill bytes at offset {pos}, with no marker after them")
            break
        code = data[pos + 1]
        if code == 0xD9:
            segments.append({"marker": "EOI", "offset": pos, "size": 2})
            end = pos + 2
            break
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            problems.append(f"segment header cut at offset {pos}")
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        entry: dict[str, Any] = {"marker": marker_name(code), "offset": pos, "size": length + 2}
        payload = data[pos + 4 : pos + 2 + length]
        if 0xE0 <= code <= 0xEF:
            entry["identifier"] = _app_identifier(payload)
            if _SOI in payload:
                entry["embedded_jpeg"] = True
        elif code == 0xFE:
            entry["text"] = _printable(payload[:200])
        segments.append(entry)
        pos += 2 + length
        if pos > n:
            problems.append(f"{entry['marker']} at offset {entry['offset']} runs past the end of the file")
            break
        if code == 0xDA:
            match = _NEXT_MARKER.search(data, pos)
            entry["scan_bytes"] = (match.start() if match else n) - pos
            pos = match.start() if match else n
    if end is None and not problems:
        problems.append("no EOI marker: the file is truncated, or lost only its 2-byte end marker")
    trailing = n - end if end is not None else 0
    out: dict[str, Any] = {
        "container": "JPEG",
        "segments": _capped(segments),
        "segment_counts": _counts(segments),
        "progressive": any(s["marker"] == "SOF2" for s in segments),
        "end_of_image_offset": end,
        "trailing_bytes": trailing,
        "embedded_jpegs": _embedded_jpegs(data, segments, end),
        "problems": problems,
    }
    if trailing and end is not None:  # trailing is non-zero only when end is set
        tail = data[end : end + 64]
        out["trailing_kind"] = (
            "another JPEG (MPF secondary image or appended picture)"
            if _SOI in data[end : end + 4096]
            else "zero padding"
            if not tail.strip(b"\x00")
            else "unknown data"
        )
    return out


def _embedded_jpegs(data: bytes, segments: list[dict], end: int | None) -> list[dict[str, Any]]:
    """JPEG streams other than the main one: inside APPn segments (thumbnails) or after EOI."""
    found = []
    for s in segments:
        if s.get("embedded_jpeg"):
            start = data.find(_SOI, s["offset"] + 4, s["offset"] + s["size"])
            found.append({"where": f"{s['marker']} {s.get('identifier', '')}".strip(), "offset": start})
    if end is not None:
        start = data.find(_SOI, end)
        while start >= 0 and len(found) < 16:
            found.append({"where": "after EOI", "offset": start})
            start = data.find(_SOI, start + 3)
    return found


def png_structure(data: bytes) -> dict[str, Any]:
    """Chunks of a PNG with offsets, sizes and CRC checks; text chunk keywords; data after IEND."""
    chunks: list[dict[str, Any]] = []
    problems: list[str] = []
    pos, n, end = 8, len(data), None
    while pos + 8 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8].decode("latin-1")
        if pos + 12 + length > n:
            problems.append(f"{kind!r} chunk at offset {pos} runs past the end of the file")
            break
        body = data[pos + 8 : pos + 8 + length]
        entry: dict[str, Any] = {"chunk": kind, "offset": pos, "size": length + 12}
        if kind in ("tEXt", "zTXt", "iTXt"):
            entry["keyword"] = _printable(body.split(b"\x00", 1)[0][:80])
        if kind != "IDAT":  # image data CRCs are checked by the decoder; metadata chunks here
            crc = int.from_bytes(data[pos + 8 + length : pos + 12 + length], "big")
            if zlib.crc32(data[pos + 4 : pos + 8 + length]) != crc:
                entry["crc_ok"] = False
                problems.append(f"bad CRC in {kind} at offset {pos}")
        chunks.append(entry)
        pos += 12 + length
        if kind == "IEND":
            end = pos
            break
    if end is None and not problems:
        problems.append("no IEND chunk: the file is truncated")
    return {
        "container": "PNG",
        "chunks": _capped(_merge_runs(chunks, "chunk", "IDAT")),
        "chunk_counts": _counts(chunks, "chunk"),
        "text_keywords": [c["keyword"] for c in chunks if "keyword" in c],
        "end_of_image_offset": end,
        "trailing_bytes": n - end if end is not None else 0,
        "problems": problems,
    }


def riff_structure(data: bytes) -> dict[str, Any]:
    """Top-level chunks of a RIFF/WebP file (VP8, VP8L, VP8X, EXIF, XMP, ICCP, ANIM ...)."""
    chunks, problems = [], []
    declared = int.from_bytes(data[4:8], "little") + 8
    pos, n = 12, min(len(data), declared)
    while pos + 8 <= n:
        kind = data[pos : pos + 4].decode("latin-1")
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunks.append({"chunk": kind, "offset": pos, "size": length + 8})
        pos += 8 + length + (length & 1)
    if pos > n or declared > len(data):
        problems.append("a chunk runs past the end of the file (truncated)")
    return {
        "container": "RIFF",
        "chunks": _capped(_merge_runs(chunks, "chunk", "ANMF")),
        "chunk_counts": _counts(chunks, "chunk"),
        "trailing_bytes": max(0, len(data) - declared),
        "problems": problems,
    }


def printable_strings(data: bytes, spans: list[tuple[int, int]], min_len: int = 8, limit: int = 60) -> list[str]:
    """Distinct printable ASCII runs of ``min_len`` or more inside ``spans`` (metadata regions)."""
    found: dict[str, None] = {}
    pattern = re.compile(rb"[\x20-\x7e]{%d,}" % min_len)
    for start, stop in spans:
        for m in pattern.finditer(data, start, stop):
            found.setdefault(m.group(0)[:160].decode("ascii").strip(), None)
            if len(found) >= limit:
                return list(found)
    return list(found)


def metadata_spans(structure: dict[str, Any], size: int) -> list[tuple[int, int]]:
    """Byte ranges that hold metadata rather than pixels: APPn/COM segments, text chunks, the tail."""
    entries = structure.get("segments") or structure.get("chunks") or []
    thumbnails = {j["offset"] for j in structure.get("embedded_jpegs", ())}
    spans = []
    for e in entries:
        if str(e.get("marker", "")).startswith(("APP", "COM")) or e.get("chunk") in _META_CHUNKS:
            stop = e["offset"] + e["size"]
            inside = [t for t in thumbnails if e["offset"] < t < stop]  # leave the thumbnail's tables out
            spans.append((e["offset"], min(inside, default=stop)))
    if structure.get("trailing_bytes"):
        spans.append((size - structure["trailing_bytes"], size))
    return spans


_META_CHUNKS = {"tEXt", "zTXt", "iTXt", "eXIf", "iCCP", "EXIF", "XMP ", "ICCP", "caBX"}


def _app_identifier(payload: bytes) -> str:
    head = payload[:40]
    if head[4:8] == b"jumb" or head[:2] == b"JP":
        return "JUMBF (C2PA)" if b"c2pa" in payload[:200] else "JUMBF"
    return _printable(head.split(b"\x00", 1)[0][:32])


def _printable(raw: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 else "." for c in raw)


def _counts(entries: list[dict], key: str = "marker") -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e[key]] = counts.get(e[key], 0) + 1
    return counts


def _merge_runs(entries: list[dict], key: str, kind: str) -> list[dict]:
    """Consecutive entries of ``kind`` as one line with a count (a PNG has hundreds of IDATs)."""
    merged: list[dict] = []
    for e in entries:
        last = merged[-1] if merged else None
        if last and e[key] == kind and last[key] == kind:
            last["size"] += e["size"]
            last["count"] = last.get("count", 1) + 1
        else:
            merged.append(dict(e))
    return merged


def _capped(entries: list[dict]) -> list[dict]:
    if len(entries) <= MAX_ENTRIES:
        return entries
    return entries[: MAX_ENTRIES - 1] + [{"omitted": len(entries) - MAX_ENTRIES + 1}]
