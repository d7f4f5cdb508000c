"""Synthetic forgeries with exact ground truth, made from untouched camera JPEGs.

``vforensics synth SRC_DIR OUT_DIR`` turns every eligible camera original into one case per
class (:data:`CLASSES`), all at the source's native size and in its stored pixel orientation
(EXIF Orientation is not applied, like :mod:`vforensics.media.image`):

- ``original``: the source file, byte for byte (a genuine single-compression JPEG).
- ``copy_move``, ``copy_move_rotated``, ``copy_move_scaled``: an irregular region copied to a
  disjoint place in the same image, plain, rotated by 5-30 degrees or scaled by 0.8-1.2. The
  mask marks both the source region and the pasted copy, as in the benchmark protocol of
  Christlein, Riess, Jordan, Riess & Angelopoulou, "An Evaluation of Popular Copy-Move
  Forgery Detection Approaches", IEEE TIFS 7(6), 2012.
- ``splice``: an irregular region of another photo of the pool, pasted with a Gaussian
  feathered alpha edge; the mask is where alpha > 0.5.
- ``inpaint``: object removal, a region filled from its surroundings with the fast-marching
  method (Telea, "An Image Inpainting Technique Based on the Fast Marching Method", Journal
  of Graphics Tools 9(1), 2004) or the Navier-Stokes method (Bertalmio, Bertozzi & Sapiro,
  CVPR 2001), both as in ``cv2.inpaint``.
- ``resave``: the whole image re-saved once at a quality at least 5 away from the source's
  (aligned double JPEG; no mask).
- ``crop_resave``: the image cropped by a shift of the 8x8 grid and re-saved: non-aligned
  double JPEG (Bianchi & Piva, "Detection of Nonaligned Double JPEG Compression Based on
  Integer Periodicity Maps", IEEE TIFS 7(2), 2012); no mask.
- ``resave_foreign_tables``: the whole image re-saved with the quantization tables of a photo
  of *another camera make* from the pool (and the source's chroma subsampling): a re-save
  that table fingerprinting against the IJG tables cannot see; no mask.
- ``resave_same_tables``: the whole image re-saved with its *own* quantization tables and
  subsampling, the hardest double-JPEG case (Huang, Huang & Shi, "Detecting Double JPEG
  Compression With the Same Quantization Matrix", IEEE TIFS 5(4), 2010); no mask.

- ``editor_software_in_place``, ``date_modified_in_place``: the same metadata edits as
  ``editor_software`` and ``date_modified`` (EXIF Software set to an editor; ModifyDate moved
  days after the capture) made the way ExifTool and exiv2 make them, without decoding the
  image: the EXIF segment is replaced (re-serialised by Pillow, which leaves out the IFD1
  thumbnail) and every other byte is the source's.

- ``edit_png``, ``edit_camera_subsampling``, ``edit_444``, ``edit_camera_tables``: a splice or
  an inpainting (even odds, as above) whose last save is the one real tools make instead of
  Pillow's defaults: exported as PNG (never re-compressed), saved at the camera's own chroma
  subsampling or at 4:4:4 (Pillow, a drawn quality), or saved with the camera's own
  quantization tables and subsampling (what "keep original quality" options do).

Every other manipulated case is saved once with Pillow (libjpeg) at a JPEG quality drawn from 75-97
(default chroma subsampling; the two ``resave_*_tables`` classes use the stated tables),
keeping the source's EXIF and ICC bytes, so metadata alone does not give it away.
Masks are 8-bit PNGs, 255 = manipulated, of the output image's size. A pixel edit that
changes no pixel (a region copied or filled inside a blank frame, such as the all-black
Sony DSC-P12 photo of shared/bench) is left out: it is not a forgery anyone could detect.

Each case draws from its own generator, seeded by (seed, CRC-32 of the source's file name,
class index), so runs are byte-for-byte reproducible and a case does not change when other
files join the pool (splice donors are the exception: they are drawn from the pool).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image, JpegImagePlugin

from vforensics.analyzers.jpeg import IJG_CHROMA, IJG_LUMA, ijg_table

CLASSES: tuple[str, ...] = (
    "original",
    "copy_move",
    "copy_move_rotated",
    "copy_move_scaled",
    "splice",
    "inpaint",
    "resave",
    "crop_resave",
    "exif_stripped",
    "editor_software",
    "date_modified",
    "resave_foreign_tables",
    "resave_same_tables",
    "thumbnail_kept",
    "generator_tag",
    "edit_png",
    "edit_camera_subsampling",
    "edit_444",
    "edit_camera_tables",
    "editor_software_in_place",
    "date_modified_in_place",
)
#: The last save of an edit as real tools make it (so one final libjpeg 4:2:0 save does not
#: carry every class): exported as PNG, saved at the camera's own chroma subsampling, at 4:4:4,
#: or with the camera's own quantization tables (and subsampling).
FINAL_SAVES: dict[str, str] = {
    "edit_png": "png",
    "edit_camera_subsampling": "camera_subsampling",
    "edit_444": "444",
    "edit_camera_tables": "camera_tables",
}
LOCALISED: frozenset[str] = frozenset(
    {"copy_move", "copy_move_rotated", "copy_move_scaled", "splice", "inpaint", *FINAL_SAVES}
)

MIN_SHORT_SIDE = 512
QUALITY_RANGE = (75, 97)  # inclusive, final JPEG quality of every manipulated class
RESAVE_MIN_QUALITY_STEP = 5
REGION_FRACTION = (0.01, 0.08)  # area of one copied / spliced region, as a fraction of the image
SMALL_REGION_FRACTION = (0.005, 0.01)
SMALL_REGION_PROBABILITY = 0.25
INPAINT_FRACTION = (0.01, 0.05)
ROTATION_DEGREES = (5.0, 30.0)  # magnitude; the sign is random
SCALE_RANGES = ((0.8, 0.97), (1.03, 1.2))
FEATHER_SIGMA = (1.5, 4.0)  # Gaussian sigma of the splice alpha: a soft edge about 3-8 px wide
INPAINT_RADIUS = (3, 8)  # inclusive
GAP_PX = 16  # least distance between the source region's and the copy's bounding boxes
CSV_HEADER = ("file", "class", "mask", "source", "quality", "params", "expected_flags")
#: Metadata edits: a re-save whose metadata was changed the way tools change it, and the
#: metadata flag (DESIGN.md) that must report it.
EXPECTED_FLAGS = {
    "exif_stripped": "metadata_missing",
    "editor_software": "editing_software",
    "date_modified": "date_inconsistent",
    "thumbnail_kept": "thumbnail_mismatch",
    "generator_tag": "ai_generator_tag",
    "editor_software_in_place": "editing_software",
    "date_modified_in_place": "date_inconsistent",
}
#: Metadata edits made in place, as ExifTool or exiv2 make them: only the EXIF segment is
#: rewritten and every other byte (tables, entropy-coded data) is the source's, so the
#: metadata is the only evidence there is.
IN_PLACE = {"editor_software_in_place": "editor_software", "date_modified_in_place": "date_modified"}
#: thumbnail_kept: this share of the width and/or height is cropped away, EXIF (and its thumbnail) kept
CROP_FRACTION = (0.10, 0.25)
#: generator_tag: how generators and their wrappers label output (EXIF Software, XMP CreatorTool,
#: IPTC digital source type)
GENERATOR_NAMES = ("Midjourney v6.1", "DALL-E 3", "Adobe Firefly Image 3", "Stable Diffusion XL 1.0", "Imagen 3")
_XMP_SOURCE_TYPE = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
    "</rdf:RDF></x:xmpmeta>"
)
_XMP_CREATOR_TOOL = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{tool}"/></rdf:RDF></x:xmpmeta>'
)
EDITORS = (
    "Adobe Photoshop 25.0 (Windows)",
    "Adobe Photoshop Lightroom Classic 13.1 (Macintosh)",
    "GIMP 2.10.36",
    "Snapseed 2.0",
    "Pixelmator Pro 3.5.2",
    "Affinity Photo 2.3.0",
)
_MAKE, _SOFTWARE, _DATETIME, _EXIF_IFD, _DATETIME_ORIGINAL = 0x010F, 0x0131, 0x0132, 0x8769, 0x9003
#: Stream index of the splice donor draw (it was ``len(CLASSES)`` when the list had 11 classes;
#: fixed so that adding classes does not change existing cases).
_DONOR_STREAM = 11


class Edit(NamedTuple):
    """An edited image, its ground-truth mask (bool, image size) and JSON-ready parameters."""

    rgb: np.ndarray
    mask: np.ndarray
    params: dict


@dataclass(frozen=True)
class Source:
    path: Path
    width: int
    height: int
    quality: int  # estimated from the quantisation tables
    make: str = ""  # EXIF Make, normalised (lower case, stripped)


@dataclass
class Case:
    file: str
    cls: str
    mask: str
    source: str
    quality: int | None
    params: dict = field(default_factory=dict)
    expected_flags: str = ""


# ---------------------------------------------------------------------------------------------
# JPEG quality


def estimate_quality(quantization: Mapping[int, Sequence[int]]) -> int:
    """The IJG quality whose tables are closest (mean absolute difference) to the file's.

    Cameras use their own tables, so this is the nearest standard equivalent, not a fact. The
    IJG tables are the jpeg analyzer's (libjpeg's integer scaling, Annex K bases in natural
    order, as Pillow reports ``Image.quantization``); unlike the analyzer's estimate this one
    adds the luma and chroma errors and breaks ties towards the lower quality.
    """
    tables = [np.asarray(quantization[k], np.float64) for k in sorted(quantization)[:2]]
    bases = [IJG_LUMA, IJG_CHROMA][: len(tables)]
    errors = [
        sum(float(np.abs(t - ijg_table(b, q)).mean()) for t, b in zip(tables, bases, strict=True))
        for q in range(1, 101)
    ]
    return int(np.argmin(errors)) + 1


def draw_quality(rng: np.random.Generator, avoid: int | None = None) -> int:
    """A quality drawn uniformly from :data:`QUALITY_RANGE`, at least 5 away from ``avoid``."""
    choices = [
        q
        for q in range(QUALITY_RANGE[0], QUALITY_RANGE[1] + 1)
        if avoid is None or abs(q - avoid) >= RESAVE_MIN_QUALITY_STEP
    ]
    return int(rng.choice(choices))


# ---------------------------------------------------------------------------------------------
# Regions


def draw_region_fraction(rng: np.random.Generator) -> float:
    """Area of one region: 1-8 % of the image, or 0.5-1 % for a quarter of the cases."""
    low, high = SMALL_REGION_FRACTION if rng.random() < SMALL_REGION_PROBABILITY else REGION_FRACTION
    return float(rng.uniform(low, high))


def blob_polygon(rng: np.random.Generator, area_px: float) -> np.ndarray:
    """A smooth, irregular, star-shaped polygon of the given area, centred on (0, 0).

    The radius is a sum of a few low harmonics of the angle, then the shape is stretched and
    turned at random: the kind of outline an object cut-out has, never self-intersecting.
    """
    theta = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 6):
        radius += rng.uniform(0.0, 0.3 / k**0.5) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.maximum(radius, 0.35)
    points = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    stretch = rng.uniform(0.75, 1.33)
    turn = rng.uniform(0, np.pi)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    points = points * [stretch, 1 / stretch] @ rotation.T
    return points * np.sqrt(area_px / _polygon_area(points))


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def rasterize(polygon: np.ndarray, pad: int = 0) -> np.ndarray:
    """The polygon as a tight bool mask (plus ``pad`` empty pixels on every side)."""
    shifted = polygon - polygon.min(axis=0) + pad
    width, height = (np.ceil(shifted.max(axis=0)).astype(int) + pad + 1).tolist()
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.round(shifted * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def region_mask(rng: np.random.Generator, area_px: float, max_hw: tuple[int, int], pad: int = 0) -> np.ndarray:
    """A blob mask of about ``area_px`` pixels, shrunk if its box would exceed ``max_hw``."""
    polygon = blob_polygon(rng, area_px)
    extent = polygon.max(axis=0) - polygon.min(axis=0) + 2 * pad + 2  # (w, h)
    shrink = min(1.0, (max_hw[1] - 1) / extent[0], (max_hw[0] - 1) / extent[1])
    return rasterize(polygon * shrink, pad)


def place(
    rng: np.random.Generator, image_hw: tuple[int, int], box_hw: tuple[int, int], avoid: Box | None = None
) -> Box | None:
    """A uniformly random box of size ``box_hw`` inside the image, clear of ``avoid`` by GAP_PX."""
    height, width = image_hw
    h, w = box_hw
    if h > height or w > width:
        return None
    for _ in range(200):
        box = Box(int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1)), w, h)
        if avoid is None or not box.overlaps(avoid, GAP_PX):
            return box
    return None


class Box(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.h), slice(self.x, self.x + self.w)

    def overlaps(self, other: Box, gap: int = 0) -> bool:
        return not (
            self.x + self.w + gap <= other.x
            or other.x + other.w + gap <= self.x
            or self.y + self.h + gap <= other.y
            or other.y + other.h + gap <= self.y
        )


def _fraction(mask: np.ndarray, image_hw: tuple[int, int]) -> float:
    return round(float(mask.sum()) / (image_hw[0] * image_hw[1]), 6)


# ---------------------------------------------------------------------------------------------
# Manipulations on decoded pixels (uint8 RGB arrays), no I/O


def copy_move(
    rgb: np.ndarray, rng: np.random.Generator, angle: float = 0.0, scale: float = 1.0, attempts: int = 20
) -> Edit:
    """Copy an irregular region to a disjoint place of the same image (Christlein et al. 2012).

    With ``angle`` (degrees, counter-clockwise) or ``scale`` the copy is warped about the
    region's centre with bicubic interpolation; without, it is an exact pixel copy. The mask
    marks both the source region and the copy. If no disjoint place is found the region is
    drawn again, smaller.
    """
    image_hw = rgb.shape[:2]
    fraction = draw_region_fraction(rng)
    for attempt in range(attempts):
        area = fraction * image_hw[0] * image_hw[1] * 0.85**attempt
        region = region_mask(rng, area, (image_hw[0] // 2, image_hw[1] // 2))
        source = place(rng, image_hw, region.shape)
        if source is None:
            continue
        patch, patch_mask = _warp_region(rgb, source, region, angle, scale)
        target = place(rng, image_hw, patch_mask.shape, avoid=source)
        if target is not None:
            return _paste_copy(rgb, source, region, target, patch, patch_mask, angle, scale)
    raise ValueError("image too small for a copy-move region")


def _warp_region(
    rgb: np.ndarray, source: Box, region: np.ndarray, angle: float, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """The source box's pixels and mask, rotated/scaled about the box centre into a tight canvas."""
    if angle == 0.0 and scale == 1.0:
        return rgb[source.slices].copy(), region
    centre = ((source.w - 1) / 2, (source.h - 1) / 2)
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    corners = np.array([[0, 0, 1], [source.w, 0, 1], [0, source.h, 1], [source.w, source.h, 1]], np.float64)
    warped = corners @ matrix.T
    low, high = np.floor(warped.min(axis=0)), np.ceil(warped.max(axis=0))
    matrix[:, 2] -= low
    size = (int(high[0] - low[0]), int(high[1] - low[1]))
    mask = cv2.warpAffine(region.astype(np.float32), matrix, size, flags=cv2.INTER_LINEAR) >= 0.5
    # the pixels come from the whole image, so interpolation at the edge uses real neighbours
    full: np.ndarray = matrix.copy()
    full[:, 2] -= matrix[:, :2] @ [source.x, source.y]
    patch = cv2.warpAffine(rgb, full, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    return patch, mask


def _paste_copy(
    rgb: np.ndarray,
    source: Box,
    region: np.ndarray,
    target: Box,
    patch: np.ndarray,
    patch_mask: np.ndarray,
    angle: float,
    scale: float,
) -> Edit:
    edited = rgb.copy()
    view = edited[target.slices]
    view[patch_mask] = patch[patch_mask]
    mask = np.zeros(rgb.shape[:2], bool)
    mask[source.slices] |= region
    mask[target.slices] |= patch_mask
    params = {
        "source_box": list(source),
        "target_box": list(target),
        "region_fraction": _fraction(region, rgb.shape[:2]),
        "copy_fraction": _fraction(patch_mask, rgb.shape[:2]),
        "mask_fraction": _fraction(mask, rgb.shape[:2]),
    }
    if angle != 0.0 or scale != 1.0:
        params |= {"angle_deg": round(angle, 4), "scale": round(scale, 4), "interpolation": "bicubic"}
    return Edit(edited, mask, params)


def copy_move_rotated(rgb: np.ndarray, rng: np.random.Generator) -> Edit:
    """Copy-move with the copy rotated by ±5-30 degrees about its centre."""
    angle = float(rng.uniform(*ROTATION_DEGREES)) * (1 if rng.random() < 0.5 else -1)
    return copy_move(rgb, rng, angle=angle)


def copy_move_scaled(rgb: np.ndarray, rng: np.random.Generator) -> Edit:
    """Copy-move with the copy scaled by 0.8-0.97 or 1.03-1.2 about its centre."""
    low, high = SCALE_RANGES[int(rng.integers(0, len(SCALE_RANGES)))]
    return copy_move(rgb, rng, scale=float(rng.uniform(low, high)))


def splice(rgb: np.ndarray, donor: np.ndarray, rng: np.random.Generator, attempts: int = 20) -> Edit:
    """Paste an irregular region of ``donor`` (another photo) with a Gaussian-feathered edge."""
    image_hw = rgb.shape[:2]
    sigma = float(rng.uniform(*FEATHER_SIGMA))
    pad = int(np.ceil(3 * sigma)) + 1
    fit_hw = (min(image_hw[0], donor.shape[0]), min(image_hw[1], donor.shape[1]))
    fraction = draw_region_fraction(rng)
    for attempt in range(attempts):
        area = fraction * image_hw[0] * image_hw[1] * 0.85**attempt
        region = region_mask(rng, area, (fit_hw[0] * 2 // 3, fit_hw[1] * 2 // 3), pad=pad)
        donor_box = place(rng, donor.shape[:2], region.shape)
        target = place(rng, image_hw, region.shape)
        if donor_box is not None and target is not None:
            return _feathered_paste(rgb, donor[donor_box.slices], region, target, sigma, donor_box)
    raise ValueError("image or donor too small for a splice region")


def _feathered_paste(
    rgb: np.ndarray, patch: np.ndarray, region: np.ndarray, target: Box, sigma: float, donor_box: Box
) -> Edit:
    alpha = cv2.GaussianBlur(region.astype(np.float32), (0, 0), sigma)[..., None]
    edited = rgb.copy()
    view = edited[target.slices]
    view[:] = np.clip(np.round(alpha * patch + (1 - alpha) * view), 0, 255).astype(np.uint8)
    mask = np.zeros(rgb.shape[:2], bool)
    mask[target.slices] = alpha[..., 0] > 0.5
    params = {
        "donor_box": list(donor_box),
        "target_box": list(target),
        "feather_sigma": round(sigma, 4),
        "region_fraction": _fraction(mask, rgb.shape[:2]),
        "mask_fraction": _fraction(mask, rgb.shape[:2]),
    }
    return Edit(edited, mask, params)


def inpaint(rgb: np.ndarray, rng: np.random.Generator) -> Edit:
    """Remove an irregular region (1-5 %) by inpainting it (Telea 2004, or Navier-Stokes)."""
    image_hw = rgb.shape[:2]
    method = "telea" if rng.random() < 0.5 else "ns"
    radius = int(rng.integers(INPAINT_RADIUS[0], INPAINT_RADIUS[1] + 1))
    area = float(rng.uniform(*INPAINT_FRACTION)) * image_hw[0] * image_hw[1]
    margin = radius + 2
    region = region_mask(rng, area, (image_hw[0] // 2, image_hw[1] // 2), pad=margin)
    box = place(rng, image_hw, region.shape)
    if box is None:
        raise ValueError("image too small for an inpainted region")
    # inpainting only reads pixels within ``radius`` of the hole, so a padded crop gives the same result
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    edited = rgb.copy()
    edited[box.slices] = cv2.inpaint(rgb[box.slices], region.astype(np.uint8), radius, flag)
    mask = np.zeros(image_hw, bool)
    mask[box.slices] = region
    params = {
        "method": method,
        "radius": radius,
        "box": list(box),
        "region_fraction": _fraction(mask, image_hw),
        "mask_fraction": _fraction(mask, image_hw),
    }
    return Edit(edited, mask, params)


def grid_shift(rng: np.random.Generator) -> tuple[int, int]:
    """A crop offset (dx, dy) in 0-7 x 0-7 other than (0, 0): the 8x8 grid no longer aligns."""
    index = int(rng.integers(1, 64))
    return index % 8, index // 8


# ---------------------------------------------------------------------------------------------
# Files


def _rng(seed: int, source: Path, cls: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(source.name.encode("utf-8")), CLASSES.index(cls)])


def scan_sources(src_dir: Path, max_megapixels: float | None, max_sources: int | None) -> list[Source]:
    """Eligible camera JPEGs, sorted by name; the others are reported on stderr and skipped."""
    sources: list[Source] = []
    for path in sorted(p for p in src_dir.iterdir() if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg"}):
        if max_sources is not None and len(sources) >= max_sources:
            break
        reason, source = _inspect(path, max_megapixels)
        if source is None:
            print(f"synth: skipping {path.name}: {reason}", file=sys.stderr)
        else:
            sources.append(source)
    return sources


def _inspect(path: Path, max_megapixels: float | None) -> tuple[str, Source | None]:
    try:
        with Image.open(path) as img:
            if img.format != "JPEG" or img.mode != "RGB":
                return f"not an RGB JPEG ({img.format} {img.mode})", None
            width, height = img.size
            quality = estimate_quality(img.quantization)  # type: ignore[attr-defined]  # JpegImageFile's, not in the stubs
            make = str(img.getexif().get(_MAKE, "")).strip("\x00 ").lower()
    except (OSError, SyntaxError, ValueError) as exc:
        return f"unreadable ({exc})", None
    if min(width, height) < MIN_SHORT_SIDE:
        return f"too small ({width}x{height}, short side < {MIN_SHORT_SIDE})", None
    if max_megapixels is not None and width * height > max_megapixels * 1e6:
        return f"larger than {max_megapixels} MP ({width}x{height})", None
    return "", Source(path, width, height, quality, make)


def _load(path: Path) -> tuple[np.ndarray, dict[str, bytes]]:
    """Decoded pixels (stored orientation) and the metadata a re-save keeps (EXIF, ICC)."""
    with Image.open(path) as img:
        img.load()
        keep = {k: img.info[k] for k in ("exif", "icc_profile") if img.info.get(k)}
        return np.asarray(img.convert("RGB")), keep


def _save_jpeg(rgb: np.ndarray, path: Path, quality: int | None, keep: dict[str, bytes], **tables) -> None:
    """Save as JPEG at an IJG ``quality`` and/or with explicit ``qtables=`` and ``subsampling=``."""
    buffer = io.BytesIO()
    options = ({"quality": quality} if quality is not None else {}) | tables
    Image.fromarray(rgb).save(buffer, "JPEG", **options, **keep)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _save_mask(mask: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8) * 255).save(path, "PNG")


class _Context(NamedTuple):
    source: Source
    rgb: np.ndarray
    keep: dict[str, bytes]
    donor: Path
    out_dir: Path
    pool: Sequence[Source] = ()


def _make_case(ctx: _Context, cls: str, seed: int) -> Case | None:
    """Write one case's image (and mask) under ``ctx.out_dir``; return its CSV row."""
    stem = ctx.source.path.stem
    rel_image = f"images/{cls}/{stem}.jpg"
    image_path = ctx.out_dir / rel_image
    if cls == "original":
        image_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ctx.source.path, image_path)
        return Case(rel_image, cls, "", ctx.source.path.name, None, {"source_quality": ctx.source.quality})
    rng = _rng(seed, ctx.source.path, cls)
    if cls in FINAL_SAVES:
        return _edit_with_final_save(ctx, cls, rng)
    if cls in EXPECTED_FLAGS:
        return _metadata_case(ctx, cls, rng, image_path, rel_image)
    if cls in _TABLE_RESAVES:
        return _TABLE_RESAVES[cls](ctx, rng, image_path, rel_image)
    rgb, mask, params = _EDITS[cls](ctx, rng)
    if mask is not None and np.array_equal(rgb[mask], ctx.rgb[mask]):
        return None  # a copy or fill inside a blank frame changes no pixel: nothing to detect
    avoid = ctx.source.quality if cls == "resave" else None
    quality = draw_quality(rng, avoid)
    _save_jpeg(rgb, image_path, quality, _without_thumbnail(ctx.keep))
    rel_mask = ""
    if mask is not None:
        rel_mask = f"masks/{cls}/{stem}.png"
        _save_mask(mask, ctx.out_dir / rel_mask)
    params = {"source_quality": ctx.source.quality} | params
    return Case(rel_image, cls, rel_mask, ctx.source.path.name, quality, params)


def _metadata_case(ctx: _Context, cls: str, rng: np.random.Generator, image_path: Path, rel_image: str) -> Case | None:
    """A re-save with edited metadata; None when the source lacks what the edit needs."""
    exif = Image.Exif()
    if ctx.keep.get("exif"):
        exif.load(ctx.keep["exif"])
    keep, rgb = dict(ctx.keep), ctx.rgb
    if cls == "exif_stripped":
        keep.pop("exif", None)
        params: dict = {}
    elif IN_PLACE.get(cls, cls) == "editor_software":
        editor = EDITORS[int(rng.integers(0, len(EDITORS)))]
        exif[_SOFTWARE] = editor
        keep["exif"], params = exif.tobytes(), {"software": editor}
    elif cls == "thumbnail_kept":  # cropped in an editor that copies the EXIF block unchanged
        if b"\xff\xd8\xff" not in ctx.keep.get("exif", b"")[6:]:
            return None
        rgb, params = _crop(ctx.rgb, rng)
    elif cls == "generator_tag":
        name = GENERATOR_NAMES[int(rng.integers(0, len(GENERATOR_NAMES)))]
        how = ("exif_software", "xmp_creator_tool", "iptc_source_type")[int(rng.integers(0, 3))]
        if how == "exif_software":
            exif[_SOFTWARE] = name
            keep["exif"] = exif.tobytes()
        else:
            xmp = _XMP_SOURCE_TYPE if how == "iptc_source_type" else _XMP_CREATOR_TOOL.format(tool=name)
            keep["xmp"] = xmp.encode()
        params = {"tag": how} | ({} if how == "iptc_source_type" else {"generator": name})
    else:  # date_modified(_in_place): the file's ModifyDate moved days after its capture time
        captured = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
        try:
            when = datetime.strptime(str(captured).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            return None
        modified = when + timedelta(days=int(rng.integers(1, 400)), seconds=int(rng.integers(0, 86400)))
        exif[_DATETIME] = modified.strftime("%Y:%m:%d %H:%M:%S")
        keep["exif"], params = exif.tobytes(), {"modified": exif[_DATETIME]}
    if cls in IN_PLACE:
        image_path.parent.mkdir(parents=True, exist_ok=True)
        image_path.write_bytes(replace_exif_segment(ctx.source.path.read_bytes(), keep["exif"]))
        return Case(rel_image, cls, "", ctx.source.path.name, None, params, EXPECTED_FLAGS[cls])
    quality = draw_quality(rng, ctx.source.quality)
    _save_jpeg(rgb, image_path, quality, keep)
    params = {"source_quality": ctx.source.quality} | params
    return Case(rel_image, cls, "", ctx.source.path.name, quality, params, EXPECTED_FLAGS[cls])


def replace_exif_segment(jpeg: bytes, exif: bytes) -> bytes:
    """``jpeg`` with its EXIF APP1 segment replaced by one holding ``exif`` (the ``Exif\\0\\0``
    payload), where the first one was (or after SOI and APP0 when there was none); every other
    byte, from the other segments to the entropy-coded data, is kept. For the trusted camera
    files of the pool: a malformed segment list raises ValueError."""
    if not exif.startswith(b"Exif\x00\x00") or len(exif) + 2 > 0xFFFF:
        raise ValueError("not an EXIF payload that fits one APP1 segment")
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    kept: list[bytes] = [jpeg[:2]]
    exif_at: int | None = None
    other_at: int | None = None
    pos = 2
    while True:
        if pos < len(jpeg) and jpeg[pos] != 0xFF:  # stray bytes before a marker, which decoders skip: kept
            skip_to = jpeg.find(b"\xff", pos)
            kept[-1] += jpeg[pos:skip_to] if skip_to > 0 else b""
            pos = skip_to if skip_to > 0 else len(jpeg)
        if pos + 4 > len(jpeg):
            raise ValueError(f"no start of scan before byte {pos}")
        marker = jpeg[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data and what follows it
            break
        end = pos + 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if marker == 0xE1 and jpeg[pos + 4 : pos + 10] == b"Exif\x00\x00":
            exif_at = len(kept) if exif_at is None else exif_at
        else:
            if other_at is None and marker != 0xE0:
                other_at = len(kept)
            kept.append(jpeg[pos:end])
        pos = end
    at = exif_at if exif_at is not None else other_at if other_at is not None else len(kept)
    kept.insert(at, b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif)
    return b"".join(kept) + jpeg[pos:]


def _without_thumbnail(keep: dict[str, bytes]) -> dict[str, bytes]:
    """The metadata with EXIF re-serialised without its IFD1 thumbnail, as editors that rebuild
    or drop the preview write it; the pixel classes use this so that a stale thumbnail (its own
    class, ``thumbnail_kept``) does not give their edits away."""
    if not keep.get("exif"):
        return keep
    exif = Image.Exif()
    exif.load(keep["exif"])
    return keep | {"exif": exif.tobytes()}


def _crop(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Cut ``CROP_FRACTION`` of the width, the height or both, from random sides."""
    h, w = rgb.shape[:2]
    box = [0, 0, w, h]
    axes = [[0], [1], [0, 1]][int(rng.integers(0, 3))]
    for axis in axes:
        size = (w, h)[axis]
        cut = int(size * rng.uniform(*CROP_FRACTION))
        before = int(rng.integers(0, cut + 1))
        box[axis] += before
        box[axis + 2] -= cut - before
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(rgb[y0:y1, x0:x1]), {"crop_box": box}


def _tables(path: Path) -> tuple[dict[int, list[int]], int]:
    """A JPEG's quantization tables and chroma subsampling (Pillow's 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0)."""
    with Image.open(path) as img:
        tables = img.quantization  # type: ignore[attr-defined]  # JpegImageFile's, not in Pillow's stubs
        return {k: list(v) for k, v in tables.items()}, JpegImagePlugin.get_sampling(img)


def _resave_same_tables(ctx: _Context, rng: np.random.Generator, image_path: Path, rel_image: str) -> Case:
    qtables, sampling = _tables(ctx.source.path)
    _save_jpeg(ctx.rgb, image_path, None, ctx.keep, qtables=qtables, subsampling=max(sampling, 0))
    params = {"source_quality": ctx.source.quality, "tables_from": ctx.source.path.name}
    return Case(rel_image, "resave_same_tables", "", ctx.source.path.name, ctx.source.quality, params)


def _resave_foreign_tables(ctx: _Context, rng: np.random.Generator, image_path: Path, rel_image: str) -> Case | None:
    own, sampling = _tables(ctx.source.path)
    candidates = [s for s in ctx.pool if s.make and s.make != ctx.source.make and _tables(s.path)[0] != own]
    if not candidates:
        return None
    donor = candidates[int(rng.integers(0, len(candidates)))]
    qtables, _ = _tables(donor.path)
    _save_jpeg(ctx.rgb, image_path, None, ctx.keep, qtables=qtables, subsampling=max(sampling, 0))
    params = {"source_quality": ctx.source.quality, "tables_from": donor.path.name, "tables_make": donor.make}
    return Case(rel_image, "resave_foreign_tables", "", ctx.source.path.name, estimate_quality(qtables), params)


def _edit_with_final_save(ctx: _Context, cls: str, rng: np.random.Generator) -> Case | None:
    """A splice or an inpainting (even odds), last saved the way :data:`FINAL_SAVES` names."""
    kind = "splice" if rng.random() < 0.5 else "inpaint"
    rgb, mask, params = _splice(ctx, rng) if kind == "splice" else inpaint(ctx.rgb, rng)
    if np.array_equal(rgb[mask], ctx.rgb[mask]):
        return None
    save, stem = FINAL_SAVES[cls], ctx.source.path.stem
    rel_image = f"images/{cls}/{stem}.{'png' if save == 'png' else 'jpg'}"
    image_path = ctx.out_dir / rel_image
    keep = _without_thumbnail(ctx.keep)
    own_tables, own_sampling = _tables(ctx.source.path)
    quality: int | None = None
    if save == "png":
        image_path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(image_path, "PNG", **keep)
    elif save == "camera_tables":
        _save_jpeg(rgb, image_path, None, keep, qtables=own_tables, subsampling=max(own_sampling, 0))
        quality = ctx.source.quality
    else:
        quality = draw_quality(rng)
        subsampling = 0 if save == "444" else max(own_sampling, 0)
        _save_jpeg(rgb, image_path, quality, keep, subsampling=subsampling)
    rel_mask = f"masks/{cls}/{stem}.png"
    _save_mask(mask, ctx.out_dir / rel_mask)
    params = {"source_quality": ctx.source.quality, "edit": kind, "final_save": save} | params
    return Case(rel_image, cls, rel_mask, ctx.source.path.name, quality, params)


_TABLE_RESAVES = {"resave_same_tables": _resave_same_tables, "resave_foreign_tables": _resave_foreign_tables}


def _splice(ctx: _Context, rng: np.random.Generator) -> Edit:
    donor, _ = _load(ctx.donor)
    rgb, mask, params = splice(ctx.rgb, donor, rng)
    return Edit(rgb, mask, {"donor": ctx.donor.name} | params)


def _resave(ctx: _Context, rng: np.random.Generator) -> tuple[np.ndarray, None, dict]:
    return ctx.rgb, None, {}


def _crop_resave(ctx: _Context, rng: np.random.Generator) -> tuple[np.ndarray, None, dict]:
    dx, dy = grid_shift(rng)
    return ctx.rgb[dy:, dx:], None, {"crop_offset": [dx, dy]}


_EDITS: dict[str, Callable[[_Context, np.random.Generator], tuple[np.ndarray, np.ndarray | None, dict]]] = {
    "copy_move": lambda ctx, rng: copy_move(ctx.rgb, rng),
    "copy_move_rotated": lambda ctx, rng: copy_move_rotated(ctx.rgb, rng),
    "copy_move_scaled": lambda ctx, rng: copy_move_scaled(ctx.rgb, rng),
    "splice": _splice,
    "inpaint": lambda ctx, rng: inpaint(ctx.rgb, rng),
    "resave": _resave,
    "crop_resave": _crop_resave,
}


def _pick_donor(sources: Sequence[Source], index: int, seed: int) -> Path:
    """Another file of the pool, drawn with the splice case's own generator stream."""
    others = [s.path for i, s in enumerate(sources) if i != index]
    rng = np.random.default_rng([seed, zlib.crc32(sources[index].path.name.encode("utf-8")), _DONOR_STREAM])
    return others[int(rng.integers(0, len(others)))]


def synthesize(
    src_dir: Path,
    out_dir: Path,
    seed: int = 0,
    max_sources: int | None = None,
    max_megapixels: float | None = 4.0,
    classes: Sequence[str] = CLASSES,
) -> Path:
    """Write one case per (eligible source, class) under ``out_dir``; return ``out_dir/cases.csv``.

    Sources are the JPEGs of ``src_dir`` (sorted by name) with a short side of at least 512 px
    and at most ``max_megapixels`` (None: no limit); ``max_sources`` keeps the first N of them.
    Larger photos are skipped rather than cropped so that originals stay byte-exact.
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    unknown = [c for c in classes if c not in CLASSES]
    if unknown or seed < 0:
        raise ValueError(f"unknown classes {unknown}" if unknown else "seed must be >= 0")
    classes = [c for c in CLASSES if c in classes]
    sources = scan_sources(src_dir, max_megapixels, max_sources)
    if "splice" in classes and len(sources) < 2:
        raise ValueError("splice needs at least two eligible sources")
    cases: list[Case] = []
    for index, source in enumerate(sources):
        rgb, keep = _load(source.path)
        needs_donor = "splice" in classes or any(c in FINAL_SAVES for c in classes)
        donor = _pick_donor(sources, index, seed) if needs_donor else source.path
        ctx = _Context(source, rgb, keep, donor, out_dir, sources)
        cases.extend(case for cls in classes if (case := _make_case(ctx, cls, seed)) is not None)
    csv_path = _write_csv(cases, out_dir)
    _write_readme(out_dir, seed, sources, cases, max_megapixels, src_dir)
    return csv_path


def _write_csv(cases: Sequence[Case], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for c in cases:
            quality = "" if c.quality is None else c.quality
            params = json.dumps(c.params, sort_keys=True, separators=(",", ":"))
            writer.writerow([c.file, c.cls, c.mask, c.source, quality, params, c.expected_flags])
    return path


def _write_readme(
    out_dir: Path, seed: int, sources: Sequence[Source], cases: Sequence[Case], max_mp: float | None, src: Path
) -> None:
    counts = Counter(c.cls for c in cases)
    lines = [
        "# Synthetic forgery cases",
        "",
        f"Generated by `vforensics synth` (module `vforensics.evaluation.synth`) from {len(sources)} camera "
        f"originals in `{src.name}/`, seed {seed}, sources of at most {max_mp} MP with a short side of at least "
        f"{MIN_SHORT_SIDE} px. The same inputs and seed give byte-identical files.",
        "",
        "`cases.csv`: `file,class,mask,source,quality,params` (paths relative to this folder; `mask` empty for "
        "image-level classes; `quality` the final JPEG quality, empty for untouched originals; `params` JSON).",
        "Masks are 8-bit PNG, 255 = manipulated, in the stored pixel orientation (EXIF Orientation not applied). "
        "Copy-move masks mark both the source region and the copy.",
        "",
        "| class | cases |",
        "|---|---|",
        *[f"| {cls} | {counts[cls]} |" for cls in CLASSES if counts[cls]],
        "",
        'Licence: every image derives from `shared/bench/camera/` (metadata-extractor-images, "free to use '
        "however you wish\"; exif-samples); see its MANIFEST.csv for each file's origin. Development data only.",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Command line


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="vforensics synth", description="Synthesise labelled forgery cases with exact masks."
    )
    parser.add_argument("src_dir", type=Path, metavar="SRC_DIR", help="folder of camera-original JPEGs")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-sources", type=int, default=None, help="use only the first N eligible sources")
    parser.add_argument(
        "--max-megapixels",
        type=_megapixels,
        default=4.0,
        help="skip larger sources, 'none' for no limit (default 4)",
    )
    parser.add_argument("--classes", type=_class_list, default=list(CLASSES), help="comma-separated subset")
    return parser.parse_args(argv)


def _megapixels(text: str) -> float | None:
    return None if text.lower() == "none" else float(text)


def _class_list(text: str) -> list[str]:
    classes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown classes {unknown}; choose from {','.join(CLASSES)}")
    return classes


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.perf_counter()
    try:
        csv_path = synthesize(
            args.src_dir, args.out_dir, args.seed, args.max_sources, args.max_megapixels, args.classes
        )
    except (OSError, ValueError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 1
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    counts = Counter(r["class"] for r in rows)
    summary = ", ".join(f"{cls} {counts[cls]}" for cls in CLASSES if counts[cls])
    print(f"synth: {len(rows)} cases ({summary}) in {time.perf_counter() - started:.1f} s -> {csv_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
