"""Camera files whose EXIF thumbnail is made the way other cameras make theirs, and edits of them.

Used by tests/unit/test_metadata_thumbnail.py and studies/thumbnail_framing.py. From one
photo (uint8 RGB, as decoded, the camera's pixel orientation) :func:`variant` makes a JPEG
whose EXIF IFD1 thumbnail is regenerated as:

- ``plain``: the picture fitted into 160x120 (bars where the shapes differ), quality 70-90;
- ``letterbox``: a 3:2 picture in a 160x120 thumbnail with bars above and below (black, grey
  or white; centred or all at the top, as some cameras do);
- ``pillarbox``: a picture narrower than the thumbnail (1:1 in 160x120, or 4:3 in 160x90),
  bars left and right;
- ``framing``: the thumbnail shows a slightly different field of view, 2-5% wider, narrower
  or offset (cameras that make the preview from another readout of the sensor);
- ``lowq``: ``plain`` at JPEG quality 20-40;
- ``combined``: letterbox with grey bars, quality 25-40 and a 2-4% framing difference.

Tampered kinds start from ``plain``, ``letterbox``, ``pillarbox`` or ``lowq`` (drawn) and edit
the main picture after the thumbnail was written: ``crop`` (10-25% of the width and/or
height cut away), ``paste`` (a region of a ``donor`` photo, 4-9% of the picture) and
``remove`` (a textured region of 3-6% inpainted away).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed, the same file.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from . import images

UNTOUCHED_KINDS = ("plain", "letterbox", "pillarbox", "framing", "lowq", "combined")
TAMPERED_KINDS = ("crop", "paste", "remove")
#: the main pictures are reduced to this longest side (the check decodes them at 1/8 scale anyway)
MAX_SIDE = 2048


class Variant(NamedTuple):
    data: bytes  # the JPEG file, EXIF thumbnail included
    kind: str
    condition: str  # how the thumbnail was made
    params: dict


def jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def with_exif_thumbnail(main: bytes, thumbnail: bytes, make: bytes = b"Camera\x00") -> bytes:
    """``main`` with a camera-like EXIF APP1 (IFD0 with Make, IFD1 holding ``thumbnail``)."""
    return images.with_exif_thumbnail(main, thumbnail, make)


def reduce(pixels: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    h, w = pixels.shape[:2]
    f = max_side / max(h, w)
    if f >= 1:
        return np.ascontiguousarray(pixels)
    return cv2.resize(pixels, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def _resize(pixels: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(pixels), (w, h), interpolation=cv2.INTER_AREA)


def boxed(picture: np.ndarray, tw: int, th: int, bar: int, top: bool = False) -> np.ndarray:
    """``picture`` fitted into a ``tw`` x ``th`` canvas of grey level ``bar`` (centred, or at the top)."""
    h, w = picture.shape[:2]
    f = min(tw / w, th / h)
    pw, ph = min(tw, max(1, round(w * f))), min(th, max(1, round(h * f)))
    canvas = np.full((th, tw, 3), bar, np.uint8)
    x0 = (tw - pw) // 2
    y0 = 0 if top else (th - ph) // 2
    canvas[y0 : y0 + ph, x0 : x0 + pw] = _resize(picture, pw, ph)
    return canvas


def centre_crop(pixels: np.ndarray, aspect: float) -> np.ndarray:
    """The largest centred crop of ``pixels`` with width/height ``aspect``."""
    h, w = pixels.shape[:2]
    if w / h > aspect:
        cw = round(h * aspect)
        return pixels[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    ch = round(w / aspect)
    return pixels[(h - ch) // 2 : (h - ch) // 2 + ch]


def _bar_level(rng: np.random.Generator) -> int:
    return int(rng.choice([0, 0, 8, 16, 32, 64, 96, 128, 160, 200, 255]))


def _framed(pixels: np.ndarray, rng: np.random.Generator, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """(main picture, picture the thumbnail is made from, parameters) for a framing difference of lo-hi."""
    h, w = pixels.shape[:2]
    d = float(rng.uniform(lo, hi))
    how = str(rng.choice(["wider", "narrower", "offset"]))
    if how == "wider":  # the thumbnail shows more than the picture
        mx, my = round(w * d / 2), round(h * d / 2)
        return pixels[my : h - my, mx : w - mx], pixels, {"framing": how, "by": round(d, 4)}
    if how == "narrower":  # the thumbnail shows less
        mx, my = round(w * d / 2), round(h * d / 2)
        return pixels, pixels[my : h - my, mx : w - mx], {"framing": how, "by": round(d, 4)}
    mx, my = round(w * d), round(h * d)  # the same field of view, shifted by d in one or both axes
    main = pixels[my : h - my, mx : w - mx]
    sx, sy = [int(v) for v in rng.choice([-1, 0, 1], size=2)]
    if sx == 0 and sy == 0:
        sx = 1
    thumb_src = pixels[my + sy * my : h - my + sy * my, mx + sx * mx : w - mx + sx * mx]
    return main, thumb_src, {"framing": how, "by": round(d, 4), "dx": sx, "dy": sy}


def thumbnail_for(pixels: np.ndarray, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, bytes, dict]:
    """(main picture, thumbnail JPEG, parameters) of an untouched camera file made as ``condition``."""
    h, w = pixels.shape[:2]
    landscape = w >= h
    params: dict = {"condition": condition}
    if condition in ("plain", "lowq"):
        q = int(rng.integers(70, 91)) if condition == "plain" else int(rng.integers(20, 41))
        tw, th = (160, 120) if landscape else (120, 160)
        params.update(quality=q)
        return pixels, jpeg(boxed(pixels, tw, th, 0), q), params
    if condition in ("letterbox", "combined"):
        main = centre_crop(pixels, 3 / 2 if landscape else 2 / 3)
        src = main
        if condition == "combined":
            main, src, framing = _framed(main, rng, 0.02, 0.04)
            params.update(framing)
            bar, q = int(rng.choice([64, 96, 128, 160])), int(rng.integers(25, 41))
        else:
            bar, q = _bar_level(rng), int(rng.integers(70, 91))
        top = bool(rng.random() < 0.25)
        tw, th = (160, 120) if landscape else (120, 160)
        params.update(bar=bar, quality=q, top=top)
        return main, jpeg(boxed(src, tw, th, bar, top=top), q), params
    if condition == "pillarbox":
        bar, q = _bar_level(rng), int(rng.integers(70, 91))
        if rng.random() < 0.5:  # a square picture in a 160x120 preview
            main, (tw, th) = centre_crop(pixels, 1.0), ((160, 120) if landscape else (120, 160))
        else:  # a 4:3 picture in a 16:9 preview
            main = centre_crop(pixels, 4 / 3 if landscape else 3 / 4)
            tw, th = (160, 90) if landscape else (90, 160)
        params.update(bar=bar, quality=q, thumbnail=[tw, th])
        return main, jpeg(boxed(main, tw, th, bar), q), params
    if condition == "framing":
        main, src, framing = _framed(pixels, rng, 0.02, 0.05)
        q = int(rng.integers(70, 91))
        params.update(framing, quality=q)
        tw, th = (160, 120) if landscape else (120, 160)
        return main, jpeg(boxed(src, tw, th, 0), q), params
    raise ValueError(condition)


def _crop(main: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    h, w = main.shape[:2]
    which = str(rng.choice(["width", "height", "both"]))
    fx = float(rng.uniform(0.10, 0.25)) if which in ("width", "both") else 0.0
    fy = float(rng.uniform(0.10, 0.25)) if which in ("height", "both") else 0.0
    cw, ch = round(w * (1 - fx)), round(h * (1 - fy))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return main[y0 : y0 + ch, x0 : x0 + cw], {"crop_box": [x0, y0, cw, ch]}


def _region(shape: tuple[int, ...], rng: np.random.Generator, lo: float, hi: float) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    area = float(rng.uniform(lo, hi)) * w * h
    aspect = float(rng.uniform(0.6, 1.6))
    rw, rh = min(w - 2, round(np.sqrt(area * aspect))), min(h - 2, round(np.sqrt(area / aspect)))
    # away from the borders, where a crop-to-fill preview or a framing difference could hide it
    x0 = int(rng.integers(w // 10, max(w // 10 + 1, w - w // 10 - rw)))
    y0 = int(rng.integers(h // 10, max(h // 10 + 1, h - h // 10 - rh)))
    return x0, y0, rw, rh


def _paste(main: np.ndarray, donor: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    x0, y0, rw, rh = _region(main.shape, rng, 0.04, 0.09)
    d = _resize(donor, max(donor.shape[1], rw), max(donor.shape[0], rh))
    dx, dy = int(rng.integers(0, d.shape[1] - rw + 1)), int(rng.integers(0, d.shape[0] - rh + 1))
    out = main.copy()
    out[y0 : y0 + rh, x0 : x0 + rw] = d[dy : dy + rh, dx : dx + rw]
    return out, {"region": [x0, y0, rw, rh]}


def _remove(main: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Inpaint away the most textured of a few candidate regions (at 1/4 scale, as a removal tool's fill)."""
    grey = cv2.cvtColor(main, cv2.COLOR_RGB2GRAY).astype(np.float32)
    best, box = -1.0, (0, 0, 1, 1)
    for _ in range(6):
        x0, y0, rw, rh = _region(main.shape, rng, 0.03, 0.06)
        texture = float(grey[y0 : y0 + rh, x0 : x0 + rw].std())
        if texture > best:
            best, box = texture, (x0, y0, rw, rh)
    x0, y0, rw, rh = box
    h, w = main.shape[:2]
    small = _resize(main, max(8, w // 4), max(8, h // 4))
    mask = np.zeros(small.shape[:2], np.uint8)
    mask[y0 // 4 : (y0 + rh) // 4 + 1, x0 // 4 : (x0 + rw) // 4 + 1] = 255
    filled = cv2.resize(cv2.inpaint(small, mask, 5, cv2.INPAINT_TELEA), (w, h), interpolation=cv2.INTER_LINEAR)
    out = main.copy()
    out[y0 : y0 + rh, x0 : x0 + rw] = filled[y0 : y0 + rh, x0 : x0 + rw]
    return out, {"region": [x0, y0, rw, rh]}


def variant(pixels: np.ndarray, kind: str, seed: int, donor: np.ndarray | None = None, make: str = "Camera") -> Variant:
    """A camera file made from ``pixels`` as ``kind`` (one of UNTOUCHED_KINDS or TAMPERED_KINDS)."""
    rng = np.random.default_rng(seed)
    pixels = reduce(pixels)
    if kind in UNTOUCHED_KINDS:
        condition = kind
    elif kind in TAMPERED_KINDS:
        condition = str(rng.choice(["plain", "letterbox", "pillarbox", "lowq"]))
    else:
        raise ValueError(kind)
    main, thumb, params = thumbnail_for(pixels, condition, rng)
    if kind == "crop":
        main, edit = _crop(main, rng)
    elif kind == "paste":
        main, edit = _paste(main, donor if donor is not None else pixels[::-1, ::-1], rng)
    elif kind == "remove":
        main, edit = _remove(main, rng)
    else:
        edit = {}
    params.update(edit)
    main_q = int(rng.integers(85, 96))
    data = with_exif_thumbnail(jpeg(np.ascontiguousarray(main), main_q), thumb, make.encode()[:30] + b"\x00")
    return Variant(data, kind, condition, params)
