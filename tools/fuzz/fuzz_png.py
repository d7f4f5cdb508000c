"""Fuzz the PNG chunk walker and the PNG text reader: the input is a whole PNG file, whether
or not its pixels decode (png_text raised OSError on undecodable ones until issue 21)."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from vforensics.analyzers.metadata import _embedded as embedded
    from vforensics.media import file_structure


def test_one_input(data: bytes) -> None:
    data = b"\x89PNG\r\n\x1a\n" + data[8:] if len(data) >= 8 else b"\x89PNG\r\n\x1a\n" + data
    file_structure.png_structure(data)
    img = _common.open_image(data)
    if img is None:
        return
    embedded.png_text(img)
    embedded.png_text(img, max_chars=None)


def seeds():
    return [d for d in _common.corpus_files().values() if d[:8] == b"\x89PNG\r\n\x1a\n"]


if __name__ == "__main__":
    _common.run("png", test_one_input, seeds)
