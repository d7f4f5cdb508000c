"""Validate and decode still images into arrays the analyzers share.

Everything here works on bytes already in memory; callers do the I/O. Validation runs in
the cheapest order: size, magic bytes, header (dimensions) and only then a full decode, so
an empty file, a video, or a decompression bomb is refused before any pixel is decoded.

Pixels are kept in the stored orientation (EXIF Orientation is *not* applied) so that
suspicion maps line up with the JPEG block grid the forensic methods rely on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

import cv2
import numpy as np
from PIL import Image

from vforensics.errors import MediaRejected
from vforensics.media import limits
from vforensics.media.sniff import HEADER_BYTES, IMAGE_TYPES, sniff

# Pillow warns above this and refuses above twice it; its default (89.5 MP) is below ours.
Image.MAX_IMAGE_PIXELS = limits.max_pixels()


class ImageFacts(TypedDict):
    """What Prepare records of a decoded image (report.json ``source``, beside the file facts)."""

    format: str
    media_type: str
    width: int
    height: int
    mode: str
    frames: int
    has_alpha: bool
    notes: list[str]


@dataclass(frozen=True)
class ImageInfo:
    """Facts about a validated image file."""

    format: str
    mime: str
    width: int
    height: int
    mode: str  # Pillow mode as stored, e.g. "RGB", "CMYK", "I;16", "P"
    frames: int = 1
    has_alpha: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    def to_dict(self) -> ImageFacts:
        return {
            "format": self.format,
            "media_type": self.mime,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "frames": self.frames,
            "has_alpha": self.has_alpha,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ImageInfo:
        return cls(
            d["format"],
            d["media_type"],
            d["width"],
            d["height"],
            d["mode"],
            d.get("frames", 1),
            d.get("has_alpha", False),
            tuple(d.get("notes", ())),
        )


#: A JPEG that stops without its end-of-image marker is read as decoders read it (the marker
#: appended) when its last blocks decode as picture. Cut inside its scan, libjpeg fills the
#: missing blocks with one flat grey, which the analyzers would report as an anomaly: such a
#: file, and a progressive one (whose later scans only refine), is refused.
END_MARKER_NOTE = (
    "the file stops without its end-of-image marker (FF D9); its last blocks decode as picture "
    "(a cut inside the scan leaves them flat grey), so it was analysed as complete"
)
MISSING_EOI = (
    "the JPEG stops before its end-of-image marker (FF D9) and its last blocks are missing: the file is truncated"
)
MISSING_EOI_PROGRESSIVE = (
    "the progressive JPEG stops before its end-of-image marker (FF D9): whether its last scans are "
    "complete cannot be told, so it is treated as truncated. If you know the file is complete, append "
    "the two bytes FF D9 and upload it again"
)


def check_size(n_bytes: int) -> None:
    """Refuse empty files and files over the upload limit, before reading them."""
    if n_bytes <= 0:
        raise MediaRejected("EMPTY_FILE", "the file is empty (0 bytes)")
    if n_bytes > limits.max_bytes():
        raise MediaRejected(
            "FILE_TOO_LARGE",
            f"the file is {n_bytes / limits.MB:.1f} MB; the limit is {limits.max_bytes() / limits.MB:.0f} MB",
        )


def check_type(header: bytes):
    """Return the image type from the file's first bytes, or refuse it."""
    file_type = sniff(header[:HEADER_BYTES])
    if file_type is None:
        raise MediaRejected(
            "UNSUPPORTED_FORMAT",
            "the content is not a supported image (JPEG, PNG, BMP, TIFF, WebP, GIF); "
            "the type is read from the file's bytes, not its name",
        )
    if file_type.kind == "video":
        raise MediaRejected(
            "UNSUPPORTED_MEDIA",
            f"{file_type.format} video was recognised, but video analysis is not available in this version",
        )
    if file_type not in IMAGE_TYPES:
        raise MediaRejected(
            "UNSUPPORTED_FORMAT",
            f"{file_type.format} images are recognised but not supported in this version; "
            "convert to JPEG or PNG (the conversion itself changes the evidence: keep the original)",
        )
    return file_type


def inspect_image(data: bytes) -> ImageInfo:
    """Validate ``data`` fully (size, type, dimensions, a complete decode) and describe it.

    Raises ``MediaRejected`` with codes EMPTY_FILE, FILE_TOO_LARGE, UNSUPPORTED_FORMAT,
    UNSUPPORTED_MEDIA, DECOMPRESSION_BOMB or CORRUPT_FILE.
    """
    check_size(len(data))
    file_type = check_type(data[:HEADER_BYTES])
    notes = []
    try:
        img = _load_first_frame(data, file_type.format)
    except MediaRejected:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error ...
        if file_type.format != "JPEG" or not lacks_end_marker(data):
            raise MediaRejected(
                "CORRUPT_FILE", f"the {file_type.format} data could not be decoded ({_short(exc)})"
            ) from exc
        img = _load_without_end_marker(data)
        notes.append(END_MARKER_NOTE)
    width, height = img.size
    try:
        frames = getattr(img, "n_frames", 1)  # TIFF and GIF walk their frames to count them
    except Exception as exc:
        raise MediaRejected("CORRUPT_FILE", f"the {file_type.format} frames could not be read ({_short(exc)})") from exc
    mode = img.mode
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info
    if frames > 1:
        notes.append(f"{frames} frames; only the first frame is analysed")
    if mode == "CMYK":
        notes.append("CMYK image converted to RGB for analysis")
    if mode.startswith("I") or mode == "F":
        notes.append(f"high bit-depth image ({mode}) reduced to 8 bits for analysis")
    if has_alpha:
        notes.append("alpha channel ignored; colour channels analysed as stored")
    return ImageInfo(
        format=file_type.format,
        mime=file_type.mime,
        width=width,
        height=height,
        mode=mode,
        frames=frames,
        has_alpha=has_alpha,
        notes=tuple(notes),
    )


def _load_first_frame(data: bytes, fmt: str) -> Image.Image:
    """Open, check the declared size before any pixel, then decode the first frame.

    Pillow's own bomb check is made an error at our limit: opening a GIF grows it to its first
    frame's extent and allocates that frame's disposal canvas before ``size`` can be read (a
    308-byte file declaring a 94576x69681 frame cost 6 GB when the check was off).
    """
    Image.MAX_IMAGE_PIXELS = limits.max_pixels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise MediaRejected("DECOMPRESSION_BOMB", _pillow_bomb_message(exc)) from exc
        width, height = img.size
        check_pixels(width, height)
        check_pixels_for_size(width, height, data, fmt)
        img.load()  # decodes the first frame: truncated or corrupt data fails here
    return img


def _pillow_bomb_message(exc: Exception) -> str:
    """Our wording for Pillow's "Image size (N pixels) exceeds limit ..." (its text, not the file's)."""
    declared = str(exc).partition("(")[2].partition(" ")[0]
    size = f"{int(declared) / 1e6:.0f} megapixels" if declared.isdigit() else "more pixels than the limit"
    return f"the header declares {size}; the limit is {limits.max_pixels() / 1e6:.0f} megapixels"


def lacks_end_marker(data: bytes) -> bool:
    """A JPEG whose bytes (trailing zero padding aside) do not end with FF D9."""
    return data[:3] == b"\xff\xd8\xff" and not data[-4096:].rstrip(b"\x00").endswith(b"\xff\xd9")


def with_end_marker(data: bytes) -> bytes:
    """``data`` as decoders read a JPEG that lacks its end marker: with FF D9 appended."""
    return data + b"\xff\xd9" if lacks_end_marker(data) else data


def _load_without_end_marker(data: bytes) -> Image.Image:
    try:
        img = _load_first_frame(with_end_marker(data), "JPEG")
    except MediaRejected:
        raise
    except Exception as exc:
        raise MediaRejected("CORRUPT_FILE", MISSING_EOI) from exc
    if img.info.get("progressive") or img.info.get("progression"):
        raise MediaRejected("CORRUPT_FILE", MISSING_EOI_PROGRESSIVE)
    if _ends_in_fill(img):
        raise MediaRejected("CORRUPT_FILE", MISSING_EOI)
    return img


def _ends_in_fill(img: Image.Image) -> bool:
    """The bottom-right corner is flat and equal to its left neighbour: libjpeg's fill, not picture."""
    width, height = img.size
    if width < 32 or height < 4:
        return True  # too small to tell: treated as cut
    strip = np.asarray(img.crop((width - 32, height - 4, width, height)).convert("L"), dtype=np.int16)
    last, left = strip[:, 16:], strip[:, :16]
    return int(last.max() - last.min()) <= 1 and bool((last == left).all())


def check_pixels(width: int, height: int) -> None:
    """Refuse images whose header declares more pixels than we will decode."""
    if width <= 0 or height <= 0:
        raise MediaRejected("CORRUPT_FILE", f"invalid dimensions {width}x{height}")
    if width * height > limits.max_pixels():
        raise MediaRejected(
            "DECOMPRESSION_BOMB",
            f"the header declares {width}x{height} = {width * height / 1e6:.0f} megapixels; "
            f"the limit is {limits.max_pixels() / 1e6:.0f} megapixels",
        )


def most_pixels_held(data: bytes, fmt: str) -> int:
    """The most pixels a complete ``fmt`` file of ``len(data)`` bytes can decode to.

    JPEG, PNG and GIF from their codecs' bounds (``limits``); the other formats by policy.
    A file declaring more is truncated or padded (libjpeg fills a short scan with grey, with
    a warning only): decoding it would buy a full-size analysis for a few hundred bytes.
    """
    n = len(data)
    if fmt == "JPEG":
        return n * limits.JPEG_PIXELS_PER_BYTE
    if fmt == "GIF":
        return n * limits.GIF_PIXELS_PER_BYTE
    if fmt == "PNG" and len(data) >= 26:
        # IHDR: width, height, bit depth, colour type; a row is a filter byte + its samples
        width = int.from_bytes(data[16:20], "big")
        bits = data[24] * {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(data[25], 4)
        row_bytes = 1 + -(-width * bits // 8)
        rows = n * limits.DEFLATE_MAX_RATIO // row_bytes
        return rows * width
    return n * limits.POLICY_PIXELS_PER_BYTE


def check_pixels_for_size(width: int, height: int, data: bytes, fmt: str) -> None:
    """Refuse a file that declares more pixels than its bytes can hold (above ``FREE_PIXELS``)."""
    if width * height <= limits.FREE_PIXELS:
        return
    held = most_pixels_held(data, fmt)
    if width * height > held:
        raise MediaRejected(
            "DECOMPRESSION_BOMB",
            f"the header declares {width}x{height} = {width * height / 1e6:.1f} megapixels, but "
            f"{len(data):,} bytes of {fmt} can hold at most {held / 1e6:.2f} megapixels: "
            "the file is truncated or built to inflate",
        )


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode the first frame to an ``(H, W, 3)`` uint8 RGB array.

    CMYK, palette, grayscale and 1-bit images are converted; 16/32-bit integer and float
    images are scaled to 8 bits; alpha is dropped (the colour channels are analysed as
    stored, not composited).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        img = Image.open(io.BytesIO(with_end_marker(data)))
        img.seek(0)
        img.load()
    return decode_rgb_image(img)


def decode_rgb_image(img: Image.Image) -> np.ndarray:
    """``decode_rgb`` for an already loaded Pillow image."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return np.repeat(_high_depth_to_8_bits(np.asarray(img), mode)[:, :, None], 3, axis=2)
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8)
    if mode in ("RGBA", "RGBX", "RGBa"):
        return np.ascontiguousarray(np.asarray(img, dtype=np.uint8)[:, :, :3])
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


#: rows scaled at a time: a whole 100 MP plane in float64 would take 800 MB per temporary
_SCALE_ROWS = 256


def _high_depth_to_8_bits(arr: np.ndarray, mode: str) -> np.ndarray:
    """16-bit samples to 0..255 (``round(v / 257)``); 32-bit and float by their own min..max."""
    if mode.startswith("I;16"):
        lo, hi = 0.0, 65535.0
    else:
        lo, hi = float(arr.min()), float(arr.max())
    scale = 255.0 / max(hi - lo, 1e-9)
    out = np.empty(arr.shape, np.uint8)
    for top in range(0, arr.shape[0], _SCALE_ROWS):
        rows = arr[top : top + _SCALE_ROWS].astype(np.float64)
        out[top : top + _SCALE_ROWS] = np.clip((rows - lo) * scale, 0, 255).round()
    return out


def decode_preview(data: bytes, max_side: int) -> np.ndarray:
    """Decode for display, at most ``max_side`` pixels a side (uint8 RGB).

    JPEGs are decoded directly at a reduced DCT scale (Pillow's draft mode), which is
    several times faster and smaller than a full decode followed by a resize.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        img = Image.open(io.BytesIO(with_end_marker(data)))
        img.seek(0)
        if img.format == "JPEG" and img.mode in ("RGB", "L"):
            img.draft("RGB", (max_side, max_side))
        img.load()
    rgb = decode_rgb_image(img)
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return rgb


class Media:
    """An uploaded image as the analyzers see it: original bytes plus decoded pixels.

    Pixels are decoded lazily and once; analyzers must not modify the arrays.
    """

    def __init__(self, data: bytes, info: ImageInfo, filename: str = ""):
        self.data = data
        self.info = info
        self.filename = filename

    @classmethod
    def from_bytes(cls, data: bytes, filename: str = "") -> Media:
        return cls(data, inspect_image(data), filename)

    @cached_property
    def rgb(self) -> np.ndarray:
        arr = decode_rgb(self.data)
        arr.flags.writeable = False
        return arr

    @cached_property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601) as float32 in 0..255."""
        g = cv2.cvtColor(self.rgb.astype(np.float32), cv2.COLOR_RGB2GRAY)
        g.flags.writeable = False
        return g


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
