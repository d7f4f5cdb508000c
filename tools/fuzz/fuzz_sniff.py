"""Fuzz the type sniffing and the validation (size, magic bytes, header, a full decode):
they return, or refuse with a documented MediaRejected code."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from tools.malformed_corpus import REFUSAL_CODES
    from vforensics.errors import MediaRejected
    from vforensics.media.image import inspect_image
    from vforensics.media.sniff import sniff


def test_one_input(data: bytes) -> None:
    sniff(data[:32])
    try:
        inspect_image(data)
    except MediaRejected as rejected:
        if rejected.code not in REFUSAL_CODES:
            raise


if __name__ == "__main__":
    _common.run("sniff", test_one_input, lambda: _common.corpus_files().values())
