"""Generate the project's malformed-input corpus (issue 21): awkward and broken files, made here.

    python tools/malformed_corpus.py OUT_DIR          # writes the files and OUT_DIR/manifest.json
    python tools/malformed_corpus.py --table          # the kinds as a Markdown table
    python tools/malformed_corpus.py --no-fifo OUT    # without the FIFO (fifo.jpg blocks whatever reads it)

Nothing binary is committed: every file is built from code, deterministically (each kind
draws from its own ``random.Random(f"{SEED}:{name}")`` and Pillow's encoders are
deterministic), so the same command gives the same bytes on every machine. Each kind says
how it is made and what the pipeline must do with it: ``analysed`` (a report.json) or
refused with one of the codes of ``vforensics.errors`` (an error.json); ``unreadable`` is
the CLI's "ERROR cannot read" for a path that is not a regular file.

``known_issue`` names the bug a new kind fails on until it is fixed (none does today); the
pipeline test (tests/pipeline/test_malformed_corpus.py) marks those xfail(strict), so the fix
turns them red until the mark is removed. ``isolate`` is for a kind that hangs or ends the
whole CLI run: it runs in its own CLI process under its own time bound.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

SEED = 21  # issue 21
ANALYSED = "analysed"
UNREADABLE = "unreadable"
#: The refusal codes the pipeline documents (README, vforensics.media.image.inspect_image).
REFUSAL_CODES = (
    "EMPTY_FILE",
    "FILE_TOO_LARGE",
    "UNSUPPORTED_FORMAT",
    "UNSUPPORTED_MEDIA",
    "DECOMPRESSION_BOMB",
    "CORRUPT_FILE",
)


@dataclass(frozen=True)
class Kind:
    name: str
    filename: str
    how: str
    expect: tuple[str, ...]  # acceptable outcomes: "analysed", "unreadable" or refusal codes
    make: Callable[[random.Random], bytes] | None  # None: a special file (FIFO) made by write()
    known_issue: str | None = None  # the issue-21 bullet it fails on today
    isolate: bool = False  # hangs or ends the whole run today: run alone under its own time bound
    affects: tuple[str, ...] = ("analyze", "metadata")  # the CLI commands the known issue shows in
    tags: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------------
# Building blocks


def natural(width: int, height: int, rng: random.Random) -> np.ndarray:
    """A smooth scene with mild noise (uint8 RGB), like tests/unit/images.natural_rgb."""
    gen = np.random.default_rng(rng.randrange(2**32))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 90.0), 120 + 60 * np.cos(y / 70.0), 90 + 0.1 * x], axis=2)
    return np.clip(base + gen.normal(0, 3.0, base.shape), 0, 255).astype(np.uint8)


def encode(img: Image.Image | np.ndarray, fmt: str, **kwargs) -> bytes:
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def jpeg(rng: random.Random, width: int = 256, height: int = 192, **kwargs) -> bytes:
    return encode(natural(width, height, rng), "JPEG", quality=kwargs.pop("quality", 90), **kwargs)


def segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) <= 65533, len(payload)
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def after_soi(data: bytes, *segments: bytes) -> bytes:
    """``data`` (a JPEG) with ``segments`` inserted right after its SOI."""
    assert data[:2] == b"\xff\xd8"
    return data[:2] + b"".join(segments) + data[2:]


def chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc & 0xFFFFFFFF)


PNG_SIG = b"\x89PNG\r\n\x1a\n"


def ihdr(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))


def set_sof_dims(data: bytes, width: int, height: int) -> bytes:
    at = data.find(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


def scan_start(data: bytes) -> int:
    at = data.find(b"\xff\xda")
    return at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")


# EXIF (TIFF) blocks, little endian


def ifd(entries: list[tuple[int, int, int, bytes | int]], next_ifd: int) -> bytes:
    """An IFD: entries (tag, type, count, 4-byte value or offset) and the next-IFD offset."""
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        raw = struct.pack("<I", value) if isinstance(value, int) else value.ljust(4, b"\x00")[:4]
        out += struct.pack("<HHI", tag, typ, count) + raw
    return out + struct.pack("<I", next_ifd)


def exif_app1(tiff: bytes) -> bytes:
    return segment(0xE1, b"Exif\x00\x00" + tiff)


def exif_with_strings(fields: dict[int, bytes]) -> bytes:
    """A TIFF block whose IFD0 holds ASCII ``fields`` (tag -> bytes, NUL added)."""
    n = len(fields)
    data_at = 8 + 2 + 12 * n + 4
    entries, blob = [], b""
    for tag, value in sorted(fields.items()):
        value += b"\x00"
        if len(value) <= 4:
            entries.append((tag, 2, len(value), value))
        else:
            entries.append((tag, 2, len(value), data_at + len(blob)))
            blob += value + (b"\x00" if len(value) & 1 else b"")
    return b"II*\x00" + struct.pack("<I", 8) + ifd(entries, 0) + blob


# ---------------------------------------------------------------------------------------------
# The kinds


def _reference(rng):
    return jpeg(rng, 640, 480)


def _truncated(fraction_of_scan: float | None, header_bytes: int | None = None):
    def make(rng):
        data = jpeg(rng)
        if header_bytes is not None:
            return data[:header_bytes]
        start = scan_start(data)
        return data[: start + int((len(data) - 2 - start) * fraction_of_scan)]

    return make


def _xmp_extended(body: str, rng) -> bytes:
    """A JPEG carrying a multi-megabyte XMP packet as Extended XMP APP1 segments
    (http://ns.adobe.com/xmp/extension/), so only a scan of the raw bytes finds it."""
    packet = body.encode()
    guid = b"%032X" % rng.getrandbits(128)
    header = b"http://ns.adobe.com/xmp/extension/\x00" + guid
    step = 65000
    segs = [
        segment(0xE1, header + struct.pack(">II", len(packet), off) + packet[off : off + step])
        for off in range(0, len(packet), step)
    ]
    return after_soi(jpeg(rng), *segs)


_LETTERS = bytes(b"abcdefgh "[i % 9] for i in range(256))


def _xmp_unclosed_li(rng):
    filler = rng.randbytes(2_000_000).translate(_LETTERS).decode()
    body = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description><xmpMM:History><rdf:Seq>'
        '<rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop 25.0">' + filler + "</x:xmpmeta>"
    )
    return _xmp_extended(body, rng)


def _xmp_many_unclosed(rng):
    body = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><xmpMM:History><rdf:Seq>' + "<rdf:li>x " * 100_000 + "</x:xmpmeta>"
    return _xmp_extended(body, rng)


def _png_huge_dims(side: int):
    def make(rng):
        row = b"\x00" + b"\x00" * ((side + 7) // 8)
        return (
            PNG_SIG
            + ihdr(side, side, 1, 0)
            + chunk(b"IDAT", zlib.compress(row * 16, 9))
            + chunk(b"tEXt", b"Comment\x00" + b"x" * 500)  # pads the file to ~700 bytes
            + chunk(b"IEND", b"")
        )

    return make


def _jpeg_huge_dims(side: int):
    return lambda rng: set_sof_dims(jpeg(rng, 16, 16, quality=80), side, side)


def _png_bomb(rng):
    """12000 x 12000 RGB of zeros, every row present: 432 MB of pixels in ~420 KB of zlib."""
    width = height = 12000
    comp = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return PNG_SIG + ihdr(width, height) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png(rng, width=128, height=96):
    return encode(natural(width, height, rng), "PNG")


def _text(rng):
    return b"Meeting notes, 2 December.\nNot an image, whatever the name says.\n"


def _thin(width, height):
    return lambda rng: encode(natural(width, height, rng), "JPEG", quality=90)


def _png_zero_chunks(rng):
    img = natural(64, 48, rng)
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(48))
    return (
        PNG_SIG
        + ihdr(64, 48)
        + chunk(b"tEXt", b"")
        + chunk(b"zzZz", b"")
        + chunk(b"IDAT", b"")
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IDAT", b"")
        + chunk(b"IEND", b"")
    )


def _png_bad_crc(rng):
    data = _png(rng, 64, 48)
    text = chunk(b"tEXt", b"Comment\x00crc is wrong", crc=0xDEADBEEF)
    return data[:33] + text + data[33:]


def _png_undecodable_with_text(rng):
    garbage = rng.randbytes(2000)
    return (
        PNG_SIG
        + ihdr(64, 48)
        + chunk(b"tEXt", b"parameters\x00a photo of a cat, Steps: 20, Sampler: Euler a, Seed: 1")
        + chunk(b"iTXt", b"prompt\x00\x00\x00\x00\x00" + b'{"3": {"class_type": "KSampler"}}')
        + chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"compressed comment"))
        + chunk(b"IDAT", garbage)
        + chunk(b"IEND", b"")
    )


def _png_garbage_after_idat_text(rng):
    """A PNG whose pixels decode, followed by a text chunk whose zlib body is garbage."""
    data = _png(rng, 64, 48)
    bad = chunk(b"zTXt", b"Comment\x00\x00" + rng.randbytes(300))
    return data[:-12] + bad + data[-12:]


def _exif_loop(rng):
    # IFD0 at 8: its ExifIFD pointer and its next-IFD both point back at IFD0
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd([(0x010F, 2, 4, b"Cam\x00"), (0x8769, 4, 1, 8)], 8)
    return after_soi(jpeg(rng), exif_app1(tiff))


def _exif_outside(rng):
    entries = [
        (0x010F, 2, 100, 0xFFFFFF00),  # Make, 100 bytes far past the block
        (0x0110, 2, 0xFFFFFFFF, 40),  # Model with an absurd count
        (0x8769, 4, 1, 0x7FFFFFFF),  # ExifIFD outside
        (0x8825, 4, 1, 0xFFFFFFF0),  # GPS IFD outside
    ]
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd(entries, 0x10000000)
    return after_soi(jpeg(rng), exif_app1(tiff))


#: Found by tools/fuzz/fuzz_exif.py (crash-7dbec867...): IFD0 lists PhotometricInterpretation
#: (0x0106) as SRATIONAL x 6 at offset 0; Pillow's lazy IFD lists the tag, then raises KeyError
#: reading it, while read_exif iterates the IFD outside its try.
EXIF_KEYERROR_TIFF = bytes.fromhex(
    "49492a000800000002002f2f49492a00080000000a00"
    "06010a00060000000000000000ffff0400000043616d"
    "0069260400090000000100000000006d0069262e0000"
)


def _exif_keyerror(rng):
    return after_soi(jpeg(rng), exif_app1(EXIF_KEYERROR_TIFF))


def _exif_huge_count(rng):
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 65535) + b"\x0f\x01\x02\x00" * 50
    return after_soi(jpeg(rng), exif_app1(tiff))


def _many_app_segments(rng):
    segs = [segment(0xE0 + (i % 16), b"x%05d" % i) for i in range(20_000)]
    data = jpeg(rng)
    return data[:2] + b"".join(segs) + data[2:]


def _icc_profile(size: int, rng, desc: str = "Corpus huge profile") -> bytes:
    text = desc.encode() + b"\x00"
    tag = b"desc" + b"\x00" * 4 + struct.pack(">I", len(text)) + text
    header = struct.pack(">I", size) + b"lcms" + b"\x02\x10\x00\x00" + b"mntrRGB XYZ "
    header = header.ljust(128, b"\x00")
    table = struct.pack(">I", 1) + b"desc" + struct.pack(">II", 132 + 12, len(tag))
    body = header[:36] + b"acsp" + header[40:] + table + tag
    return body + rng.randbytes(64) * ((size - len(body)) // 64 + 1)


def _icc_segments(profile: bytes, count_override: int | None = None, order=None) -> list[bytes]:
    step = 65519 - 14
    pieces = [profile[i : i + step] for i in range(0, len(profile), step)]
    count = len(pieces) if count_override is None else count_override
    seqs = order or list(range(1, len(pieces) + 1))
    return [
        segment(0xE2, b"ICC_PROFILE\x00" + bytes([s % 256, count % 256]) + p)
        for s, p in zip(seqs, pieces, strict=False)
    ]


def _icc_huge(rng):
    profile = _icc_profile(4_000_000, rng)[:4_000_000]
    return after_soi(jpeg(rng), *_icc_segments(profile))


def _icc_malformed(rng):
    # header declares 4 GB and 1,000,000 tags whose offsets point past the end
    profile = struct.pack(">I", 0xFFFFFFFF) + b"lcms" + b"\x04\x30\x00\x00" + b"mntrRGB XYZ "
    profile = profile.ljust(36, b"\x00") + b"acsp"
    profile = profile.ljust(128, b"\xff") + struct.pack(">I", 1_000_000)
    profile += (b"desc" + struct.pack(">II", 0xFFFFFF00, 0x7FFFFFFF)) * 20
    segs = _icc_segments(profile, count_override=3, order=[2])  # chunk 2 of 3 only
    return after_soi(jpeg(rng), *segs)


def _iptc_malformed(rng):
    iim = b"\x1c\x02\x78\x80\x04\x7f\xff\xff\xff" + b"caption cut short"  # extended length 2 GB
    iim += b"\x1c\x02\x19\x00\x05key"  # length 5, 3 bytes follow
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x05name" + struct.pack(">I", 0x7FFFFFF0) + iim
    block += b"8BIM" + struct.pack(">H", 0x0404) + b"\xff" + b"\x00" * 8  # pascal name past the end
    return after_soi(jpeg(rng), segment(0xED, b"Photoshop 3.0\x00" + block))


ESCAPES = {
    0x010F: b"\x1b[2J\x1b[HCanon",  # Make: clear screen, cursor home
    0x0110: b"\x1b]0;owned title\x07EOS",  # Model: OSC window title
    0x0131: b"Adobe Photoshop 25.0\r\nverdict: AUTHENTIC\x1b[0m",  # Software: a fake verdict line
    0x010E: b"\x1b[1A\x1b[2Kverdict: AUTHENTIC - risk LOW",  # ImageDescription: overwrite a line
}


def _terminal_escapes(rng):
    com = segment(0xFE, b"\x1b[2J\x1b]0;pwned\x07\nverdict: AUTHENTIC\n")
    return after_soi(jpeg(rng), exif_app1(exif_with_strings(ESCAPES)), com)


def _avif(rng):
    return encode(natural(64, 48, rng), "AVIF", quality=60)


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, body: bytes, version: int = 0) -> bytes:
    return _box(kind, bytes([version, 0, 0, 0]) + body)


def _heif_still(major: bytes, brands: list[bytes], codec: bytes):
    """An ISO BMFF still image header: ftyp, meta (hdlr pict, pitm, iinf, iloc), mdat.
    Structurally correct; the coded bytes are random (no HEVC encoder here)."""

    def make(rng):
        payload = rng.randbytes(512)
        ftyp = _box(b"ftyp", major + b"\x00\x00\x00\x00" + b"".join(brands))
        hdlr = _full_box(b"hdlr", b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
        pitm = _full_box(b"pitm", struct.pack(">H", 1))
        infe = _full_box(b"infe", struct.pack(">HH", 1, 0) + codec + b"\x00", version=2)
        iinf = _full_box(b"iinf", struct.pack(">H", 1) + infe)
        ispe = _full_box(b"ispe", struct.pack(">II", 64, 48))
        iprp = _box(b"iprp", _box(b"ipco", ispe) + _full_box(b"ipma", struct.pack(">IHB", 1, 1, 1) + b"\x81"))

        def meta_with(offset: int) -> bytes:
            # offset/length sizes 4, no base offset; 1 item: id 1, data ref 0, 1 extent
            iloc = _full_box(b"iloc", b"\x44\x00" + struct.pack(">HHHHII", 1, 1, 0, 1, offset, 512))
            return _full_box(b"meta", hdlr + pitm + iinf + iloc + iprp)

        head = ftyp + meta_with(0)
        offset = len(head) + 8
        return ftyp + meta_with(offset) + _box(b"mdat", payload)

    return make


def _mp4(rng):
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
    mvhd = _full_box(b"mvhd", b"\x00" * 96)
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", rng.randbytes(256))


def _avi(rng):
    body = b"AVI " + b"LIST" + struct.pack("<I", 4) + b"hdrl"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _animated_gif(rng):
    frames = [Image.fromarray(natural(64, 48, rng)).convert("P") for _ in range(3)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _multipage_tiff(rng):
    pages = [Image.fromarray(natural(64, 48, rng)) for _ in range(3)]
    return encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def _tiff_ifd_loop(rng):
    data = bytearray(encode(natural(32, 24, rng), "TIFF"))
    first = struct.unpack("<I", data[4:8])[0]
    n = struct.unpack("<H", data[first : first + 2])[0]
    data[first + 2 + 12 * n : first + 6 + 12 * n] = struct.pack("<I", first)  # next IFD = itself
    return bytes(data)


def _png16(rng):
    arr = (natural(64, 48, rng)[:, :, 0].astype(np.uint16) * 257).astype(np.uint16)
    return encode(Image.fromarray(arr), "PNG")  # uint16 -> mode I;16


def _cmyk(rng):
    return encode(Image.fromarray(natural(128, 96, rng)).convert("CMYK"), "JPEG", quality=90)


def _gray_alpha(rng):
    rgb = natural(64, 48, rng)
    return encode(Image.fromarray(rgb).convert("LA"), "PNG")


def _palette_transparency(rng):
    img = Image.fromarray(natural(64, 48, rng)).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    return encode(img, "PNG", transparency=0)


def _progressive(rng):
    return jpeg(rng, progressive=True)


def _arithmetic(rng):
    """A baseline JPEG relabelled SOF9 (arithmetic coding): the decoder reads the Huffman
    scan as arithmetic-coded data (no arithmetic encoder here). Decodes to noise, or fails,
    depending on the libjpeg build."""
    data = jpeg(rng)
    at = data.find(b"\xff\xc0")
    return data[: at + 1] + b"\xc9" + data[at + 2 :]


def _polyglot_zip(rng):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("payload/readme.txt", (2020, 1, 1, 0, 0, 0)), "hidden inside a JPEG\n" * 20)
    return jpeg(rng) + buf.getvalue()


def _bmp_bogus(rng):
    pixels = rng.randbytes(64 * 3 * 8)
    file_header = b"BM" + struct.pack("<IHHI", 0x7FFFFFFF, 0, 0, 0x00FFFFFF)  # size and pixel offset lie
    dib = struct.pack("<IiiHHIIiiII", 40, 64, 48, 1, 24, 0, 0x7FFFFFFF, 2835, 2835, 0xFFFF, 0)
    return file_header + dib + pixels


def _bmp_huge_dims(rng):
    file_header = b"BM" + struct.pack("<IHHI", 70, 0, 0, 54)
    dib = struct.pack("<IiiHHIIiiII", 40, 60000, -60000, 1, 1, 0, 0, 2835, 2835, 0, 0)
    return file_header + dib + b"\x00" * 16


def _webp_truncated(rng):
    data = encode(natural(128, 96, rng), "WEBP", quality=80)
    return data[: len(data) * 6 // 10]


def _gif_no_frames(rng):
    return b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0, 0, 0) + b"\x3b"


def _gif_frame_beyond_screen(rng):
    screen = b"GIF89a" + struct.pack("<HHBBB", 64, 6, 0, 0, 0)
    graphic_control = b"\x21\xf9\x04\x08\x00\x00\x00\x00"  # disposal 2: Pillow sizes a canvas to restore
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 65_535, 65_535, 0)
    return screen + graphic_control + descriptor + b"\x02\x02\x4c\x01\x00\x3b"


def _c2pa_junk(rng):
    jumbf = (
        b"JP"
        + struct.pack(">HI", 0x0001, 1)
        + _box(b"jumb", _box(b"jumd", b"c2pa\x00\x11\x00\x10\x80\x00\xaa\x008\x9bq\x03c2pa\x00") + b"garbage" * 40)
    )
    return after_soi(jpeg(rng), segment(0xEB, jumbf))


def _png_exif_broken(rng):
    data = _png(rng, 64, 48)
    exif = chunk(b"eXIf", b"MM\x00*" + struct.pack(">I", 0xFFFFFFF0) + rng.randbytes(40))
    return data[:33] + exif + data[33:]


def _png_no_iend(rng):
    return _png(rng, 64, 48)[:-12]


def _png_huge_text(rng):
    """A 3 MB zTXt "parameters" chunk (Stable Diffusion style) that inflates to 30 MB."""
    text = b"masterpiece, best quality, " * (30_000_000 // 27)
    data = _png(rng, 64, 48)
    return data[:33] + chunk(b"zTXt", b"parameters\x00\x00" + zlib.compress(text, 9)) + data[33:]


def _jpeg_trailing(rng):
    return jpeg(rng) + rng.randbytes(4096)


def _jpeg_sos_zero_length(rng):
    data = jpeg(rng)
    at = data.find(b"\xff\xda")
    return data[: at + 2] + b"\x00\x00" + data[at + 4 :]


def _fifo():
    return None


KINDS: tuple[Kind, ...] = (
    Kind("reference_jpeg", "reference.jpg", "Pillow JPEG q90, 640x480 smooth scene", (ANALYSED,), _reference),
    Kind(
        "jpeg_truncated_in_header",
        "truncated_header.jpg",
        "a 256x192 JPEG cut 300 bytes in (inside the tables)",
        ("CORRUPT_FILE",),
        _truncated(None, 300),
    ),
    Kind(
        "jpeg_truncated_scan_10",
        "truncated_scan10.jpg",
        "a 256x192 JPEG cut 10% into its scan",
        ("CORRUPT_FILE",),
        _truncated(0.10),
    ),
    Kind(
        "jpeg_truncated_scan_60",
        "truncated_scan60.jpg",
        "a 256x192 JPEG cut 60% into its scan",
        ("CORRUPT_FILE",),
        _truncated(0.60),
    ),
    Kind(
        "jpeg_truncated_scan_99",
        "truncated_scan99.jpg",
        "a 256x192 JPEG cut 99% into its scan (a few bytes and the EOI missing)",
        ("CORRUPT_FILE", ANALYSED),
        _truncated(0.99),
    ),
    Kind(
        "jpeg_missing_eoi",
        "missing_eoi.jpg",
        "a complete 256x192 JPEG without only its final 2-byte EOI marker",
        (ANALYSED,),
        lambda rng: jpeg(rng)[:-2],
    ),
    Kind(
        "jpeg_trailing_data",
        "trailing_data.jpg",
        "a JPEG with 4 KB of random bytes after EOI",
        (ANALYSED,),
        _jpeg_trailing,
    ),
    Kind(
        "jpeg_sos_zero_length",
        "sos_zero_length.jpg",
        "a JPEG whose SOS segment length is 0",
        ("CORRUPT_FILE",),
        _jpeg_sos_zero_length,
    ),
    Kind(
        "xmp_2mb_unclosed_li",
        "xmp_unclosed_li.jpg",
        "a JPEG with a 2 MB Extended XMP packet (32 APP1 segments): one xmpMM:History <rdf:li> never closed",
        (ANALYSED,),
        _xmp_unclosed_li,
    ),
    Kind(
        "xmp_1mb_many_unclosed_li",
        "xmp_many_unclosed.jpg",
        "a JPEG with a 1 MB Extended XMP packet: 100,000 unclosed <rdf:li> in xmpMM:History",
        (ANALYSED,),
        _xmp_many_unclosed,
    ),
    Kind(
        "png_declares_10000x10000",
        "dims_10000.png",
        "a 700-byte 1-bit PNG whose IHDR declares 10000x10000 (exactly the 100 MP limit), 16 rows of data",
        ("CORRUPT_FILE", "DECOMPRESSION_BOMB"),  # 650 bytes cannot hold 100 MP: analysing it costs ~1 min
        _png_huge_dims(10000),
    ),
    Kind(
        "jpeg_declares_10000x10000",
        "dims_10000.jpg",
        "a 650-byte 16x16 JPEG whose SOF0 is rewritten to 10000x10000",
        ("CORRUPT_FILE", "DECOMPRESSION_BOMB"),  # 650 bytes cannot hold 100 MP: analysing it costs ~1 min
        _jpeg_huge_dims(10000),
    ),
    Kind(
        "png_declares_30000x30000",
        "dims_30000.png",
        "a 700-byte PNG whose IHDR declares 30000x30000",
        ("DECOMPRESSION_BOMB",),
        _png_huge_dims(30000),
    ),
    Kind(
        "jpeg_declares_30000x30000",
        "dims_30000.jpg",
        "a 650-byte JPEG whose SOF0 declares 30000x30000",
        ("DECOMPRESSION_BOMB",),
        _jpeg_huge_dims(30000),
    ),
    Kind(
        "png_decompression_bomb",
        "bomb.png",
        "12000x12000 RGB zeros, every row present: 432 MB of pixels in ~420 KB of zlib",
        ("DECOMPRESSION_BOMB",),
        _png_bomb,
    ),
    Kind(
        "bmp_declares_60000x60000",
        "dims_60000.bmp",
        "a 70-byte 1-bit BMP header declaring 60000x60000 top-down",
        ("DECOMPRESSION_BOMB",),
        _bmp_huge_dims,
    ),
    Kind("png_named_jpg", "actually_png.jpg", "a valid PNG named .jpg (lying extension)", (ANALYSED,), _png),
    Kind("text_named_jpg", "notes.jpg", "a plain text file named .jpg", ("UNSUPPORTED_FORMAT",), _text),
    Kind("empty_file", "empty.jpg", "0 bytes", ("EMPTY_FILE",), lambda rng: b""),
    Kind("one_px_wide", "one_px_wide.jpg", "a 1x256 JPEG", (ANALYSED,), _thin(1, 256)),
    Kind("one_px_high", "one_px_high.jpg", "a 256x1 JPEG", (ANALYSED,), _thin(256, 1)),
    Kind("one_by_one", "one_by_one.png", "a 1x1 PNG", (ANALYSED,), lambda rng: _png(rng, 1, 1)),
    Kind(
        "png_zero_length_chunks",
        "zero_chunks.png",
        "a 64x48 PNG with zero-length tEXt, unknown zzZz and two empty IDAT chunks",
        (ANALYSED, "CORRUPT_FILE"),
        _png_zero_chunks,
    ),
    Kind(
        "png_bad_crc",
        "bad_crc.png",
        "a 64x48 PNG with a tEXt chunk whose CRC is 0xDEADBEEF",
        ("CORRUPT_FILE", ANALYSED),
        _png_bad_crc,
    ),
    Kind(
        "png_undecodable_with_text",
        "undecodable_text.png",
        "valid signature and IHDR, SD/ComfyUI tEXt/iTXt/zTXt chunks, 2000 random bytes as IDAT",
        ("CORRUPT_FILE",),
        _png_undecodable_with_text,
    ),
    Kind(
        "png_garbage_ztxt_after_idat",
        "garbage_ztxt.png",
        "a decodable 64x48 PNG followed (before IEND) by a zTXt chunk whose zlib body is random",
        (ANALYSED, "CORRUPT_FILE"),
        _png_garbage_after_idat_text,
    ),
    Kind("png_no_iend", "no_iend.png", "a complete 64x48 PNG without its IEND chunk", (ANALYSED,), _png_no_iend),
    Kind(
        "png_huge_ztxt",
        "huge_ztxt.png",
        "a 64x48 PNG with a zTXt 'parameters' chunk inflating to 30 MB",
        (ANALYSED, "CORRUPT_FILE"),
        _png_huge_text,
    ),
    Kind(
        "png_broken_exif",
        "broken_exif.png",
        "a 64x48 PNG with an eXIf chunk whose IFD offset points 4 GB away",
        (ANALYSED,),
        _png_exif_broken,
    ),
    Kind(
        "exif_ifd_loop",
        "exif_loop.jpg",
        "EXIF IFD0 whose next-IFD and ExifIFD pointers point back at itself",
        (ANALYSED,),
        _exif_loop,
    ),
    Kind(
        "exif_offsets_outside",
        "exif_outside.jpg",
        "EXIF entries (Make, Model, ExifIFD, GPS, next IFD) pointing far past the APP1 block",
        (ANALYSED,),
        _exif_outside,
    ),
    Kind(
        "exif_huge_entry_count",
        "exif_count.jpg",
        "EXIF IFD0 declaring 65535 entries in 200 bytes",
        (ANALYSED,),
        _exif_huge_count,
    ),
    Kind(
        "exif_unreadable_listed_tag",
        "exif_keyerror.jpg",
        "EXIF IFD0 (66 bytes, found by fuzz_exif) listing PhotometricInterpretation as SRATIONAL x 6 at offset 0",
        (ANALYSED,),
        _exif_keyerror,
    ),
    Kind(
        "jpeg_20000_app_segments",
        "app_segments.jpg",
        "20,000 small APPn segments before the frame",
        (ANALYSED,),
        _many_app_segments,
        affects=("analyze",),
    ),
    Kind("icc_huge", "icc_huge.jpg", "a 4 MB ICC profile across 62 APP2 segments", (ANALYSED,), _icc_huge),
    Kind(
        "icc_malformed",
        "icc_malformed.jpg",
        "an ICC profile declaring 4 GB and 1,000,000 tags past its end, as chunk 2 of 3 only",
        (ANALYSED,),
        _icc_malformed,
    ),
    Kind(
        "iptc_malformed",
        "iptc_malformed.jpg",
        "a Photoshop APP13 whose 8BIM and IIM lengths claim 2 GB and a Pascal name past the end",
        (ANALYSED,),
        _iptc_malformed,
    ),
    Kind(
        "exif_terminal_escapes",
        "escapes.jpg",
        "EXIF Make/Model/Software/ImageDescription and a COM with ESC[2J, an OSC title and 'verdict: AUTHENTIC' lines",
        (ANALYSED,),
        _terminal_escapes,
        tags=("escapes",),
    ),
    Kind(
        "c2pa_junk_jumbf",
        "c2pa_junk.jpg",
        "an APP11 JUMBF box labelled c2pa holding garbage",
        (ANALYSED,),
        _c2pa_junk,
    ),
    Kind(
        "name_with_newline",
        "new\nline.jpg",
        "a valid JPEG whose file name contains a newline",
        (ANALYSED,),
        lambda rng: jpeg(rng, 128, 96),
        affects=("analyze",),
    ),
    Kind(
        "name_percent_plus",
        "a%2Fb%20c%25d+e.jpg",
        "a valid JPEG named with %2F %20 %25 and +",
        (ANALYSED,),
        lambda rng: jpeg(rng, 128, 96),
        affects=("analyze",),
    ),
    Kind(
        "name_plus",
        "a+b.jpg",
        "a valid JPEG named with a +",
        (ANALYSED,),
        lambda rng: jpeg(rng, 128, 96),
        affects=("analyze",),
    ),
    Kind(
        "name_space", "with space.jpg", "a valid JPEG named with a space", (ANALYSED,), lambda rng: jpeg(rng, 128, 96)
    ),
    Kind(
        "name_unicode",
        "фото_照片_é\u0301_🙂.jpg",
        "a valid JPEG named in Cyrillic, CJK, a combining accent and an emoji",
        (ANALYSED,),
        lambda rng: jpeg(rng, 128, 96),
    ),
    Kind(
        "avif_still",
        "still.avif",
        "a real 64x48 AVIF from Pillow's AVIF encoder (ftyp avif)",
        (ANALYSED, "UNSUPPORTED_FORMAT"),
        _avif,
    ),
    Kind(
        "heic_still",
        "still.heic",
        "ftyp heic (mif1 heic) + meta (hdlr pict, pitm, iinf hvc1, iloc, iprp ispe) + random mdat",
        (ANALYSED, "UNSUPPORTED_FORMAT", "CORRUPT_FILE"),
        _heif_still(b"heic", [b"mif1", b"heic"], b"hvc1"),
    ),
    Kind(
        "mif1_still",
        "still_mif1.heif",
        "ftyp mif1 (mif1 miaf) + the same meta, item type av01",
        (ANALYSED, "UNSUPPORTED_FORMAT", "CORRUPT_FILE"),
        _heif_still(b"mif1", [b"mif1", b"miaf"], b"av01"),
    ),
    Kind("mp4_video", "clip.mp4", "ftyp isom + moov/mvhd + mdat: an MP4 header", ("UNSUPPORTED_MEDIA",), _mp4),
    Kind("avi_video", "clip.avi", "RIFF AVI header with an hdrl LIST", ("UNSUPPORTED_MEDIA",), _avi),
    Kind("animated_gif", "animated.gif", "3-frame animated GIF (Pillow)", (ANALYSED,), _animated_gif),
    Kind("multipage_tiff", "pages.tif", "3-page TIFF (Pillow)", (ANALYSED,), _multipage_tiff),
    Kind(
        "tiff_ifd_loop",
        "ifd_loop.tif",
        "a TIFF whose IFD0 next-IFD offset points at itself",
        (ANALYSED, "CORRUPT_FILE"),
        _tiff_ifd_loop,
    ),
    Kind("png_16bit", "gray16.png", "16-bit grayscale PNG (I;16)", (ANALYSED,), _png16),
    Kind("jpeg_cmyk", "cmyk.jpg", "CMYK JPEG (Pillow)", (ANALYSED,), _cmyk),
    Kind("png_gray_alpha", "gray_alpha.png", "grayscale + alpha PNG (LA)", (ANALYSED,), _gray_alpha),
    Kind(
        "png_palette_transparency",
        "palette_trns.png",
        "32-colour palette PNG with a tRNS entry",
        (ANALYSED,),
        _palette_transparency,
    ),
    Kind("jpeg_progressive", "progressive.jpg", "progressive JPEG (Pillow)", (ANALYSED,), _progressive),
    Kind(
        "jpeg_arithmetic_relabelled",
        "arithmetic.jpg",
        "a baseline JPEG whose SOF0 is relabelled SOF9 (arithmetic coding; no arithmetic encoder here)",
        (ANALYSED, "CORRUPT_FILE"),
        _arithmetic,
    ),
    Kind(
        "polyglot_jpeg_zip",
        "polyglot.jpg",
        "a JPEG followed by a ZIP archive (a valid JPEG and a valid ZIP)",
        (ANALYSED,),
        _polyglot_zip,
    ),
    Kind(
        "bmp_bogus_header",
        "bogus.bmp",
        "BMP whose file size, pixel offset and image size fields claim 2 GB / 16 MB",
        ("CORRUPT_FILE",),
        _bmp_bogus,
    ),
    Kind("webp_truncated", "truncated.webp", "a 128x96 lossy WebP cut at 60%", ("CORRUPT_FILE",), _webp_truncated),
    Kind(
        "gif_no_frames",
        "no_frames.gif",
        "GIF89a header, screen descriptor and trailer, no image",
        ("CORRUPT_FILE",),
        _gif_no_frames,
    ),
    Kind(
        "gif_frame_beyond_screen",
        "frame_beyond_screen.gif",
        "a 37-byte GIF: a 64x6 screen whose one frame declares 65535x65535 (Pillow sized a 4.3 GB canvas on open)",
        ("DECOMPRESSION_BOMB",),
        _gif_frame_beyond_screen,
    ),
    Kind(
        "fifo_named_jpg",
        "fifo.jpg",
        "a named pipe (os.mkfifo) nobody writes to, named explicitly",
        (UNREADABLE, "UNSUPPORTED_FORMAT", "CORRUPT_FILE"),
        None,
    ),
)

BY_NAME = {k.name: k for k in KINDS}

#: ``vforensics compare`` pairs: (kind a, kind b, expected outcome "compared" or a refusal code).
COMPARE_PAIRS: tuple[tuple[str, str, str, str | None], ...] = (
    ("one_px_wide", "reference_jpeg", "compared", None),
    ("one_px_high", "reference_jpeg", "compared", None),
    ("one_by_one", "reference_jpeg", "compared", None),
    ("reference_jpeg", "png_named_jpg", "compared", None),
    ("jpeg_cmyk", "reference_jpeg", "compared", None),
    ("png_16bit", "reference_jpeg", "compared", None),
    ("animated_gif", "png_gray_alpha", "compared", None),
    ("reference_jpeg", "reference_jpeg", "compared", None),
    ("empty_file", "reference_jpeg", "EMPTY_FILE", None),
    ("reference_jpeg", "text_named_jpg", "UNSUPPORTED_FORMAT", None),
    ("reference_jpeg", "png_declares_30000x30000", "DECOMPRESSION_BOMB", None),
)


def build(kind: Kind) -> bytes | None:
    if kind.make is None:
        return None
    return kind.make(random.Random(f"{SEED}:{kind.name}"))


def write(out: Path, kinds: tuple[Kind, ...] = KINDS) -> list[dict]:
    """Write every kind into ``out`` and ``out/manifest.json``; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for kind in kinds:
        path = out / kind.filename
        if path.exists() or path.is_symlink():
            path.unlink()
        data = build(kind)
        if data is None:
            os.mkfifo(path)
            size = None
        else:
            path.write_bytes(data)
            size = len(data)
        manifest.append(
            {
                "kind": kind.name,
                "file": kind.filename,
                "bytes": size,
                "how": kind.how,
                "expect": list(kind.expect),
                "known_issue": kind.known_issue,
                "isolate": kind.isolate,
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def table() -> str:
    """The kinds as Markdown; a "fails today on" column only while some kind has a known issue."""
    known = any(k.known_issue for k in KINDS)
    head = "| kind | file name | how it is made | expected |" + (" fails today on |" if known else "")
    rows = [head, "|---|---|---|---|" + ("---|" if known else "")]
    for k in KINDS:
        row = f"| `{k.name}` | `{k.filename.encode('unicode_escape').decode()}` | {k.how} | {' or '.join(k.expect)} |"
        rows.append(row + (f" {(k.known_issue or '').removeprefix('issue 21: ')} |" if known else ""))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder to write the corpus into")
    parser.add_argument("--table", action="store_true", help="print the kinds as a Markdown table")
    parser.add_argument(
        "--no-fifo", action="store_true", help="leave out the FIFO kind (tools that read every file block on it)"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(table())
        return 0
    if args.out is None:
        parser.error("give an output folder or --table")
    manifest = write(args.out, tuple(k for k in KINDS if not (args.no_fifo and k.make is None)))
    total = sum(m["bytes"] or 0 for m in manifest)
    print(f"{len(manifest)} kinds, {total / 1e6:.1f} MB in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
