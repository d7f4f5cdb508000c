"""Fuzz the EXIF readers: the input is the TIFF block of an APP1 Exif segment, put into a
small JPEG and read as the metadata analyzer does (fields, GPS, UserComment, IFD1 thumbnail).
It found read_exif's KeyError on a tag Pillow's lazy IFD lists but cannot read (kind
exif_unreadable_listed_tag, fixed in issue 21)."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from tools import malformed_corpus as corpus
    from vforensics.analyzers.metadata import _exif_fields as exif_fields
    from vforensics.analyzers.metadata import _exif_thumbnail as exif_thumbnail

BASE = corpus.encode(corpus.natural(32, 24, corpus.random.Random("exif")), "JPEG", quality=80)


def test_one_input(tiff: bytes) -> None:
    payload = b"Exif\x00\x00" + tiff[:65000]
    img = _common.open_image(corpus.after_soi(BASE, corpus.segment(0xE1, payload)))
    if img is not None:
        exif_fields.read_exif(img)
        exif_fields.user_comment(img)
    exif_thumbnail._ifd1_jpeg(payload)


def seeds():
    for data in _common.corpus_files().values():
        for payload in _common.jpeg_segments(data, 0xE1):
            if payload.startswith(b"Exif\x00\x00"):
                yield payload[6:]
    yield corpus.exif_with_strings({0x010F: b"Canon", 0x0131: b"GIMP 2.10"})


if __name__ == "__main__":
    _common.run("exif", test_one_input, seeds)
