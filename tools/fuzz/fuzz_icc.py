"""Fuzz the ICC profile description (LittleCMS through Pillow's ImageCms): the input is the profile."""

import _common
from _common import atheris

with atheris.instrument_imports(include=["vforensics", "PIL"]):
    from PIL import Image, ImageCms

    from tools import malformed_corpus as corpus
    from vforensics.analyzers.metadata import _embedded as embedded


def test_one_input(profile: bytes) -> None:
    img = Image.new("RGB", (1, 1))
    img.info["icc_profile"] = profile
    embedded.icc_description(img)


def seeds():
    yield ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    yield corpus._icc_profile(1024, corpus.random.Random("icc"))
    for data in _common.corpus_files().values():
        for payload in _common.jpeg_segments(data, 0xE2):
            if payload.startswith(b"ICC_PROFILE\x00"):
                yield payload[14:]


if __name__ == "__main__":
    _common.run("icc", test_one_input, seeds)
