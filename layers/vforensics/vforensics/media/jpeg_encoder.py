"""Which encoder wrote a JPEG: its segment layout, table packing, Huffman tables and restarts.

The quantization tables alone cannot tell a camera from software: 27 of the 98 camera
originals of ../shared/bench use the IJG tables that libjpeg scales by a quality factor. The
rest of the header is written by the same encoder, though, and differs between encoders
(E. Kee, M. K. Johnson & H. Farid, "Digital image authentication from JPEG headers", IEEE
TIFS 6(3), 2011; ExifTool's JPEGDigest keys its encoder database on the tables *with* the
chroma subsampling for the same reason). libjpeg's marker writer (jcmarker.c) emits, after
the application segments, one DQT segment per table, then the frame header (SOF), then one
DHT segment per Huffman table, a DRI segment only when a restart interval was asked for, and
the scan header; with its defaults the tables are the Annex K Huffman tables (no
optimisation) and colour is subsampled 4:2:0. Camera firmware mostly packs all tables into
one DQT and one DHT segment, orders them differently, sets a restart interval, or
subsamples 4:2:2 (of the 27 IJG-table cameras of the bench, 20 write 4:2:2, and the 6 at
4:2:0 pack their tables).

:func:`read_signature` parses the header up to the first scan, bounded by the segment
lengths the file declares (no segment is read past its end); :func:`libjpeg_layout` says
whether the layout is libjpeg's. Some cameras run libjpeg in their firmware (11 of the 98
bench originals have its layout, 3 of them with IJG tables at 4:2:0, all three from one
sample collection), so this is strong evidence, not proof, that software wrote the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vforensics.media import file_structure

#: Symbols in the Huffman tables of ITU-T T.81 Annex K (K.3-K.6): 12 DC and 162 AC.
ANNEX_K_SYMBOLS = {0: 12, 1: 162}
_FRAME_MARKERS = {"SOF0", "SOF1", "SOF2", "SOF3", "SOF9", "SOF10", "SOF11"}


@dataclass(frozen=True)
class EncoderSignature:
    """The header facts that tell encoders apart (up to the first scan)."""

    order: tuple[str, ...]  # DQT, DHT, SOFn, DRI in file order (application segments left out)
    tables_per_dqt: tuple[int, ...]
    tables_per_dht: tuple[int, ...]
    huffman: str  # "annex_k" (the standard tables), "optimised" or "none"
    restart_interval: bool
    first_application_segment: str  # e.g. "APP1-Exif", "APP0-JFIF", "" when none

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": " ".join(self.order),
            "tables_per_dqt": list(self.tables_per_dqt),
            "tables_per_dht": list(self.tables_per_dht),
            "huffman": self.huffman,
            "restart_interval": self.restart_interval,
            "first_application_segment": self.first_application_segment,
            "libjpeg_layout": libjpeg_layout(self),
        }


def read_signature(data: bytes) -> EncoderSignature | None:
    """The encoder signature of a JPEG, or None when it has no readable header up to a scan."""
    if data[:2] != b"\xff\xd8":
        return None
    order: list[str] = []
    per_dqt: list[int] = []
    per_dht: list[int] = []
    symbols: list[tuple[int, int]] = []  # (table class, symbol count) of every Huffman table
    restart = False
    first_app = ""
    reached_scan = False
    for segment in file_structure.jpeg_structure(data)["segments"][1:]:
        if "omitted" in segment:  # past the structure dump's cap: no scan reached within it
            break
        marker = segment["marker"]
        if marker == "EOI":
            break
        if marker == "SOS":
            reached_scan = True
            break
        start, size = int(segment["offset"]), int(segment["size"])
        payload = data[start + 4 : start + size]
        if marker.startswith("APP"):
            if not first_app:
                ident = segment.get("identifier")
                first_app = f"{marker}-{ident}" if ident else marker
            continue
        if marker == "DQT":
            per_dqt.append(_count_dqt(payload))
        elif marker == "DHT":
            tables = _dht_tables(payload)
            per_dht.append(len(tables))
            symbols += tables
        elif marker == "DRI":
            restart = len(payload) >= 2 and int.from_bytes(payload[:2], "big") > 0
        elif marker not in _FRAME_MARKERS:
            continue
        order.append(marker)
    if not reached_scan:
        return None
    if not symbols:
        huffman = "none"
    elif all(ANNEX_K_SYMBOLS.get(cls) == n for cls, n in symbols):
        huffman = "annex_k"
    else:
        huffman = "optimised"
    return EncoderSignature(tuple(order), tuple(per_dqt), tuple(per_dht), huffman, restart, first_app)


def libjpeg_layout(sig: EncoderSignature) -> bool:
    """True when the header is laid out as libjpeg's marker writer lays it out.

    One table per DQT segment, all DQT segments right before the frame header, then one
    table per DHT segment (none for arithmetic coding), then at most one DRI.
    """
    order = list(sig.order)
    frames = [i for i, m in enumerate(order) if m in _FRAME_MARKERS]
    if len(frames) != 1 or not sig.tables_per_dqt or any(n != 1 for n in sig.tables_per_dqt):
        return False
    if any(n != 1 for n in sig.tables_per_dht):
        return False
    at = frames[0]
    before, after = order[:at], order[at + 1 :]
    if before != ["DQT"] * len(before) or not before:
        return False
    while after and after[0] == "DHT":
        after.pop(0)
    return after in ([], ["DRI"])


def libjpeg_defaults(sig: EncoderSignature, ijg_tables: bool, subsampling: str) -> bool:
    """libjpeg's layout, IJG tables, 4:2:0 and no restart interval: what libjpeg writes unless told otherwise.

    The Huffman tables are left out: Pillow, OpenCV and GIMP all offer to optimise them.
    """
    return ijg_tables and subsampling == "4:2:0" and libjpeg_layout(sig) and not sig.restart_interval


def _count_dqt(payload: bytes) -> int:
    """Tables in a DQT payload: each is a precision/id byte and 64 values of 1 or 2 bytes."""
    count, pos = 0, 0
    while pos < len(payload):
        precision = payload[pos] >> 4
        pos += 1 + 64 * (2 if precision else 1)
        if pos > len(payload):
            break
        count += 1
    return count


def _dht_tables(payload: bytes) -> list[tuple[int, int]]:
    """(class, number of symbols) of each table in a DHT payload (class 0 = DC, 1 = AC)."""
    out, pos = [], 0
    while pos + 17 <= len(payload):
        cls = payload[pos] >> 4
        n = sum(payload[pos + 1 : pos + 17])
        pos += 17 + n
        if pos > len(payload):
            break
        out.append((cls, n))
    return out
