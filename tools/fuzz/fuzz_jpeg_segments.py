"""Fuzz the JPEG segment walker (file_structure.jpeg_structure) and the segment layout
(jpeg_tables.segment_layout): the input is a whole file, made to start with SOI. It found the
IndexError on a file ending in fill bytes (b"\\xff\\xd8\\xff\\xff", fixed in issue 21)."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics"]):
    from vforensics.media import file_structure, jpeg_tables


def test_one_input(data: bytes) -> None:
    data = b"\xff\xd8" + data[2:]
    structure = file_structure.jpeg_structure(data)
    assert structure["container"] == "JPEG"
    layout = jpeg_tables.segment_layout(data)
    jpeg_tables.jfif_before_exif(layout)


def seeds():
    return [d for d in _common.corpus_files().values() if d[:2] == b"\xff\xd8"]


if __name__ == "__main__":
    _common.run("jpeg_segments", test_one_input, seeds)
