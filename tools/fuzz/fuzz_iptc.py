"""Fuzz the IPTC-IIM reader: the input is a Photoshop APP13 payload in a small JPEG."""

import struct

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from tools import malformed_corpus as corpus
    from vforensics.analyzers.metadata import _embedded as embedded

BASE = corpus.encode(corpus.natural(32, 24, corpus.random.Random("iptc")), "JPEG", quality=80)


def test_one_input(payload: bytes) -> None:
    img = _common.open_image(corpus.after_soi(BASE, corpus.segment(0xED, payload[:65000])))
    if img is not None:
        embedded.read_iptc(img)


def seeds():
    iim = b"".join(
        b"\x1c\x02" + bytes([tag]) + struct.pack(">H", len(v)) + v
        for tag, v in ((120, b"A caption"), (80, b"A. Byline"), (25, b"news"), (25, b"photo"), (110, b"Credit"))
    )
    yield b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00"
    for data in _common.corpus_files().values():
        yield from _common.jpeg_segments(data, 0xED)


if __name__ == "__main__":
    _common.run("iptc", test_one_input, seeds)
