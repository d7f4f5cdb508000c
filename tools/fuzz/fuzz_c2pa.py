"""Fuzz the C2PA reader (the presence test and c2pa-python's Reader, i.e. c2pa-rs).

The input is a JUMBF payload, put in an APP11 segment of a small JPEG behind a ``jumb``
box labelled ``c2pa`` so that the SDK always parses it (raw inputs without both labels would
stop at the presence test). c2pa-rs is Rust, not instrumented: libFuzzer's coverage counts our
Python only, so the run is a robustness check of the SDK on mutated boxes, not a guided search."""

import struct

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics"]):
    from tools import malformed_corpus as corpus
    from vforensics.analyzers.metadata import _content_credentials as content_credentials

BASE = corpus.encode(corpus.natural(32, 24, corpus.random.Random("c2pa")), "JPEG", quality=80)
LABEL = b"jumd" + b"c2pa\x00\x11\x00\x10\x80\x00\xaa\x008\x9bq" + b"\x03c2pa\x00"


def wrap(payload: bytes) -> bytes:
    box = struct.pack(">I", 8 + 8 + len(LABEL) + len(payload)) + b"jumb" + struct.pack(">I", 8 + len(LABEL)) + LABEL
    return corpus.after_soi(BASE, corpus.segment(0xEB, b"JP" + struct.pack(">HI", 1, 1) + (box + payload)[:65000]))


def test_one_input(payload: bytes) -> None:
    out = content_credentials.read(wrap(payload), "image/jpeg")
    assert out["present"] is True


def seeds():
    yield b"garbage" * 40
    yield struct.pack(">I", 24) + b"jumb" + struct.pack(">I", 16) + b"jumd" + b"json" + b"\x00" * 4 + b'{"a": 1}'


if __name__ == "__main__":
    _common.run("c2pa", test_one_input, seeds)
