"""Fuzz the structure dump as the metadata analyzer uses it: describe() for the sniffed
format (JPEG, PNG, RIFF/WebP), the metadata spans, the printable strings and the EXIF
thumbnail extraction. The input is a whole file."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics"]):
    from vforensics.analyzers.metadata import _exif_thumbnail as exif_thumbnail
    from vforensics.media import file_structure
    from vforensics.media.sniff import sniff


def test_one_input(data: bytes) -> None:
    file_type = sniff(data[:32])
    fmt = file_type.format if file_type else "JPEG"
    structure = file_structure.describe(data, fmt)
    spans = file_structure.metadata_spans(structure, len(data))
    file_structure.printable_strings(data, spans)
    exif_thumbnail.extract(data, structure)


def seeds():
    return list(_common.corpus_files().values())


if __name__ == "__main__":
    _common.run("structure", test_one_input, seeds)
