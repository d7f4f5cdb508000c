"""The JPEG encoder signature: libjpeg's layout and defaults against camera firmware's headers."""

import io

import numpy as np
from PIL import Image

from vforensics.analyzers.jpeg import _analyzer as jpeg
from vforensics.media import jpeg_encoder
from vforensics.media.image import Media

from .images import encode


def test_pillow_saves_have_libjpeg_layout_and_defaults(photo):
    plain = jpeg_encoder.read_signature(encode(photo, "JPEG", quality=85))
    assert plain is not None and jpeg_encoder.libjpeg_layout(plain)
    assert plain.tables_per_dqt == (1, 1) and plain.tables_per_dht == (1, 1, 1, 1)
    assert plain.huffman == "annex_k" and not plain.restart_interval
    assert plain.order == ("DQT", "DQT", "SOF0", "DHT", "DHT", "DHT", "DHT")
    assert jpeg_encoder.libjpeg_defaults(plain, True, "4:2:0")
    assert not jpeg_encoder.libjpeg_defaults(plain, True, "4:4:4")
    assert not jpeg_encoder.libjpeg_defaults(plain, False, "4:2:0")
    optimised = jpeg_encoder.read_signature(encode(photo, "JPEG", quality=85, optimize=True))
    assert optimised is not None and optimised.huffman == "optimised" and jpeg_encoder.libjpeg_layout(optimised)
    progressive = jpeg_encoder.read_signature(encode(photo, "JPEG", quality=85, progressive=True))
    assert progressive is not None and progressive.order[2] == "SOF2" and jpeg_encoder.libjpeg_layout(progressive)


def test_camera_firmware_headers_are_not_libjpeg(bench):
    # Sony and Panasonic pack all tables into one DQT and one DHT segment and set restarts
    for name in ("mdx__Sony_DSC-H9.jpg", "mdx__Panasonic_FZ5.jpg", "mdx__Nikon_E990.jpg"):
        sig = jpeg_encoder.read_signature((bench / "camera" / name).read_bytes())
        assert sig is not None and not jpeg_encoder.libjpeg_layout(sig), name
        assert sig.first_application_segment == "APP1-Exif"


def test_garbage_and_truncated_headers_give_no_signature(photo_bytes):
    assert jpeg_encoder.read_signature(b"not a jpeg") is None
    assert jpeg_encoder.read_signature(photo_bytes[:300]) is None  # ends before the first scan
    # a DQT segment that declares more bytes than it has is cut at its end, never read past it
    assert jpeg_encoder._count_dqt(b"\x00" + b"\x01" * 30) == 0
    assert jpeg_encoder._dht_tables(b"\x10" + bytes([0] * 15 + [200]) + b"\x00" * 10) == []


def test_ijg_camera_original_and_its_libjpeg_resave_are_told_apart(bench):
    """A Sony with IJG tables in its own header stays quiet; Pillow's re-save of it keeping EXIF does not."""
    data = (bench / "camera" / "mdx__Sony_Cybershot_(1).jpg").read_bytes()
    original = jpeg.analyze(Media.from_bytes(data))
    assert original.details["encoder"]["family"] == "ijg_tables"
    assert original.details["subscores"]["table_fingerprint"] == jpeg.IJG_WITH_CAMERA_EXIF
    img = Image.open(io.BytesIO(data))
    small = np.asarray(img.convert("RGB"))[:768, :1024]
    resaved = jpeg.analyze(Media.from_bytes(encode(small, "JPEG", quality=90, exif=img.info["exif"])))
    assert resaved.details["encoder"]["family"] == "libjpeg_defaults"
    assert resaved.details["subscores"]["table_fingerprint"] >= jpeg.LIBJPEG_DEFAULTS_WITH_CAMERA_EXIF
    assert "libjpeg's with its default settings" in resaved.interpretation
    kept = jpeg.analyze(Media.from_bytes(encode(small, "JPEG", quality=90, subsampling=1, exif=img.info["exif"])))
    assert kept.details["encoder"]["family"] == "libjpeg_layout"
