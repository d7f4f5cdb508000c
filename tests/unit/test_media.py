"""Validation of uploads before analysis: type by content, limits, odd pixel formats."""

import io
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.errors import MediaRejected
from vforensics.media.image import Media, decode_rgb, inspect_image
from vforensics.media.sniff import sniff

from .images import encode, gif_frame_beyond_screen, natural_rgb, png_bomb


@pytest.mark.parametrize(
    "fmt,expected",
    [("JPEG", "JPEG"), ("PNG", "PNG"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("WEBP", "WEBP"), ("GIF", "GIF")],
)
def test_every_supported_format_is_recognised_by_content(fmt, expected):
    data = encode(natural_rgb(96, 64), fmt)
    info = inspect_image(data)
    assert info.format == expected
    assert (info.width, info.height) == (96, 64)
    assert decode_rgb(data).shape == (64, 96, 3)


def test_type_comes_from_bytes_not_name():
    png = encode(natural_rgb(64, 64), "PNG")
    media = Media.from_bytes(png, filename="holiday.jpg")
    assert media.info.format == "PNG"


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body


@pytest.mark.parametrize(
    "data,fmt",
    [
        (None, "AVIF"),  # a real AVIF written by Pillow (libavif)
        (_ftyp(b"heic", b"mif1", b"heic") + b"\x00\x00\x00\x08meta" * 4, "HEIC"),  # as iPhones write it
        (_ftyp(b"mif1", b"mif1", b"heic") + b"\x00" * 40, "HEIC"),
        (_ftyp(b"mif1", b"mif1", b"avif") + b"\x00" * 40, "AVIF"),
    ],
)
def test_heif_and_avif_stills_are_images_not_mp4_video(data, fmt):
    if data is None:
        buf = io.BytesIO()
        Image.fromarray(natural_rgb(64, 48)).save(buf, "AVIF")
        data = buf.getvalue()
    assert sniff(data[:32]).format == fmt and sniff(data[:32]).kind == "image"
    with pytest.raises(MediaRejected) as err:
        inspect_image(data)
    assert err.value.code == "UNSUPPORTED_FORMAT" and f"{fmt} images are recognised" in err.value.message


@pytest.mark.parametrize(
    "header,fmt",
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 20, "MP4"),
        (b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 20, "MOV"),
        (b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x00" * 16, "AVI"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm" + b"\x00" * 16, "WEBM"),
    ],
)
def test_videos_are_recognised_and_refused_clearly(header, fmt):
    assert sniff(header).format == fmt
    with pytest.raises(MediaRejected) as err:
        inspect_image(header + b"\x00" * 100)
    assert err.value.code == "UNSUPPORTED_MEDIA"
    assert fmt in err.value.message


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "EMPTY_FILE"),
        (b"%PDF-1.7\n" + b"x" * 200, "UNSUPPORTED_FORMAT"),
        (b"hello, this is a text file named photo.jpg", "UNSUPPORTED_FORMAT"),
    ],
)
def test_non_images_are_refused(data, code):
    with pytest.raises(MediaRejected) as err:
        inspect_image(data)
    assert err.value.code == code
    assert str(err.value).startswith(code + ": ")


def test_truncated_jpeg_is_corrupt():
    data = encode(natural_rgb(800, 600), "JPEG", quality=90)
    with pytest.raises(MediaRejected) as err:
        inspect_image(data[: len(data) // 2])
    assert err.value.code == "CORRUPT_FILE"


def test_garbage_after_a_valid_header_is_corrupt():
    data = encode(natural_rgb(200, 200), "PNG")
    with pytest.raises(MediaRejected) as err:
        inspect_image(data[:60] + bytes(range(256)) * 4)
    assert err.value.code == "CORRUPT_FILE"


def test_decompression_bomb_is_refused_from_the_header():
    bomb = png_bomb(50_000, 50_000)  # 2.5 gigapixels in a few hundred bytes
    assert len(bomb) < 10_000
    with pytest.raises(MediaRejected) as err:
        inspect_image(bomb)
    assert err.value.code == "DECOMPRESSION_BOMB"
    assert "2500 megapixels" in err.value.message


_INSPECT_UNDER_2_GB = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from vforensics.errors import MediaRejected
    from vforensics.media.image import inspect_image
    try:
        inspect_image(sys.stdin.buffer.read())
    except MediaRejected as exc:
        print(exc.code, exc.message)
    """
)


def test_gif_frame_far_beyond_its_screen_is_refused_before_pillow_allocates_it():
    """Pillow sizes a GIF's first-frame canvas while opening it: 4.3 GP from 37 bytes (fuzz_sniff)."""
    bomb = gif_frame_beyond_screen(65_535, 65_535)
    assert len(bomb) < 64
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [sys.executable, "-c", _INSPECT_UNDER_2_GB], input=bomb, capture_output=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert run.stdout.decode().startswith("DECOMPRESSION_BOMB the header declares 4295 megapixels")


def test_gif_frame_within_the_limit_beyond_its_screen_is_opened_at_the_frame_size():
    data = bytearray(encode(Image.fromarray(natural_rgb(300, 200)).quantize(64), "GIF"))
    data[6:10] = (64).to_bytes(2, "little") + (6).to_bytes(2, "little")  # a screen smaller than the frame
    info = inspect_image(bytes(data))
    assert (info.width, info.height) == (300, 200)


def _tiny_jpeg_declaring(width: int, height: int) -> bytes:
    """A 16x16 JPEG whose frame header claims ``width`` x ``height``: libjpeg pads the short scan."""
    data = bytearray(encode(natural_rgb(16, 16), "JPEG", quality=90))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_a_jpeg_that_lost_only_its_end_marker_is_analysed_and_a_cut_one_refused(root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    assert data.endswith(b"\xff\xd9")
    info = inspect_image(data[:-2])  # as decoders and most tools read it
    assert info.width == 1296 and any("without its end-of-image marker" in note for note in info.notes)
    assert np.array_equal(decode_rgb(data[:-2]), decode_rgb(data))
    for cut in (data[:-300], data[: len(data) // 2]):  # cut inside the scan: the tail is libjpeg's grey
        with pytest.raises(MediaRejected) as err:
            inspect_image(cut)
        assert err.value.code == "CORRUPT_FILE" and "its last blocks are missing" in err.value.message
    progressive = io.BytesIO()
    Image.open(io.BytesIO(data)).save(progressive, "JPEG", quality=90, progressive=True)
    with pytest.raises(MediaRejected, match="progressive JPEG stops before"):
        inspect_image(progressive.getvalue()[:-2])


def test_a_few_hundred_bytes_cannot_buy_a_100_megapixel_analysis():
    data = _tiny_jpeg_declaring(10_000, 10_000)
    assert len(data) < 1_000
    with pytest.raises(MediaRejected) as err:
        inspect_image(data)
    assert err.value.code == "DECOMPRESSION_BOMB" and "can hold at most" in err.value.message
    assert inspect_image(_tiny_jpeg_declaring(1_600, 1_200)).width == 1_600  # small enough to analyse anyway


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF"])
def test_flat_images_as_compressed_as_their_codec_allows_are_accepted(fmt):
    flat = Image.new("RGB" if fmt != "GIF" else "P", (3_000, 3_000), (200, 30, 90) if fmt != "GIF" else 3)
    buf = io.BytesIO()
    flat.save(buf, fmt, **({"quality": 90, "optimize": True} if fmt == "JPEG" else {"optimize": True}))
    data = buf.getvalue()
    assert 9_000_000 / len(data) > 100  # well past any photograph's pixels per byte
    assert (inspect_image(data).width, inspect_image(data).height) == (3_000, 3_000)


def test_size_limit_is_enforced(monkeypatch):
    monkeypatch.setenv("VF_MAX_BYTES", "1000")
    with pytest.raises(MediaRejected) as err:
        inspect_image(encode(natural_rgb(300, 300), "PNG"))
    assert err.value.code == "FILE_TOO_LARGE"


def test_cmyk_jpeg_is_converted_and_noted():
    cmyk = Image.fromarray(natural_rgb(120, 80)).convert("CMYK")
    data = encode(cmyk, "JPEG", quality=92)
    media = Media.from_bytes(data)
    assert media.info.mode == "CMYK"
    assert any("CMYK" in n for n in media.info.notes)
    assert media.rgb.shape == (80, 120, 3) and media.rgb.dtype == np.uint8


def test_16_bit_png_is_scaled_to_8_bits():
    ramp = (np.tile(np.linspace(0, 65535, 256), (32, 1))).astype(np.uint16)
    data = encode(Image.fromarray(ramp), "PNG")
    media = Media.from_bytes(data)
    assert media.info.mode.startswith("I")
    assert media.rgb[0, 0, 0] == 0 and media.rgb[0, -1, 0] == 255
    assert any("bit" in n for n in media.info.notes)


def test_alpha_png_keeps_colour_channels():
    rgba = np.dstack([natural_rgb(64, 64), np.full((64, 64), 10, np.uint8)])
    media = Media.from_bytes(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert media.info.has_alpha
    np.testing.assert_array_equal(media.rgb, rgba[:, :, :3])


def test_animated_gif_uses_first_frame_and_says_so():
    frames = [Image.fromarray(natural_rgb(64, 48, seed=s)).convert("P") for s in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    media = Media.from_bytes(buf.getvalue())
    assert media.info.frames == 3
    assert any("first frame" in n for n in media.info.notes)
    assert media.rgb.shape == (48, 64, 3)


def test_media_rejected_round_trips_through_its_message():
    err = MediaRejected("CORRUPT_FILE", "the JPEG data could not be decoded")
    again = MediaRejected.parse(str(err))
    assert (again.code, again.message) == (err.code, err.message)
    assert MediaRejected.parse("something odd").code == "REJECTED"


def test_preview_decode_is_small_and_matches_the_full_decode(root):
    from vforensics.media.image import decode_preview

    data = (root / "samples" / "iphone4.jpg").read_bytes()
    preview = decode_preview(data, 512)
    assert max(preview.shape[:2]) == 512 and preview.shape[2] == 3
    full = cv2.resize(decode_rgb(data), (preview.shape[1], preview.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(full.astype(int) - preview.astype(int)).mean() < 4
    png = encode(natural_rgb(300, 200), "PNG")
    assert decode_preview(png, 1000).shape == (200, 300, 3)
