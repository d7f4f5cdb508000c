"""Images made by the tests themselves (bytes in memory), for formats and edge cases."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def natural_rgb(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    """A smooth gradient scene with mild sensor-like noise (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 90.0), 120 + 60 * np.cos(y / 70.0), 90 + 0.1 * x], axis=2)
    return np.clip(base + rng.normal(0, 3.0, base.shape), 0, 255).astype(np.uint8)


def encode(img: Image.Image | np.ndarray, fmt: str, **kwargs) -> bytes:
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def gif_frame_beyond_screen(frame_width: int, frame_height: int) -> bytes:
    """A 64x6 GIF whose one frame declares ``frame_width`` x ``frame_height`` at (0, 0), a few LZW bytes.

    Its disposal method 2 makes Pillow allocate the frame's canvas while opening the file.
    """
    screen = b"GIF89a" + struct.pack("<HHBBB", 64, 6, 0, 0, 0)
    graphic_control = b"\x21\xf9\x04\x08\x00\x00\x00\x00"
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, frame_width, frame_height, 0)
    return screen + graphic_control + descriptor + b"\x02\x02\x4c\x01\x00\x3b"


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels (1-bit): a classic bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = zlib.compress(row * 16, 9)  # far fewer rows than declared
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def check_map(m: np.ndarray | None, shape: tuple[int, int], aspect_tolerance: float = 0.15) -> None:
    """An analyzer's suspicion map: float32, 2-D, in 0..1, with the image's aspect ratio."""
    assert m is not None and m.dtype == np.float32 and m.ndim == 2
    assert 0.0 <= float(m.min()) and float(m.max()) <= 1.0
    h, w = shape
    assert abs(m.shape[1] / m.shape[0] - w / h) < aspect_tolerance


def with_exif_thumbnail(jpeg: bytes, thumbnail: bytes, make: bytes = b"Canon\x00") -> bytes:
    """``jpeg`` with a camera-like EXIF APP1: IFD0 (Make) and IFD1 holding ``thumbnail``."""
    ifd0_at = 8
    ifd1_at = ifd0_at + 2 + 12 + 4
    make_at = ifd1_at + 2 + 3 * 12 + 4
    thumb_at = make_at + len(make)
    tiff = b"II*\x00" + struct.pack("<I", ifd0_at)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), make_at) + struct.pack("<I", ifd1_at)
    tiff += struct.pack("<H", 3)
    tiff += struct.pack("<HHI", 0x0103, 3, 1) + struct.pack("<HH", 6, 0)  # Compression = JPEG
    tiff += struct.pack("<HHII", 0x0201, 4, 1, thumb_at) + struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
    tiff += b"\x00\x00\x00\x00" + make + thumbnail
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + jpeg[2:]
