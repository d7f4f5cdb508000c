"""The training crops of the AI-image detector: drawn once per image, augmented alike for both classes.

Each training image, after the analyzer's own downscale (``normalise.downscale``), gives
``CROPS_PER_IMAGE`` crops of ``normalise.CROP`` px, each through a seeded chain of the
post-processing that real uploads receive, applied to AI images and real photos with the same
probabilities so that none of it can separate the classes:

- a downscale by a factor in [0.5, 0.9] (``RESIZE_P``), since uploads are often resized;
- an earlier JPEG save at q70-98 (``PRIOR_JPEG_P``): the real photos are JPEGs and most AI
  images lossless PNGs, and a detector left to itself learns "was compressed before" instead
  of the generator (Grommelt et al., "Fake or JPEG? Revealing Common Biases in Generated
  Image Detection Datasets", 2024);
- optionally (``--blur-p``, 0 in the shipped recipe) a Gaussian blur of sigma in [0, 3]
  (``BLUR_SIGMA``), the augmentation Wang et al. found to carry a detector over to unseen
  generators ("CNN-generated images are surprisingly easy to spot... for now", CVPR 2020);
- a 256-colour palette with Floyd-Steinberg dithering (``PALETTE_P``): most GPT-4o PNGs of the
  data were stored that way;
- a lossy WebP save at q70-95 (``WEBP_P``);
- then the normalisation's own JPEG save, at a quality drawn from ``QUALITY_RANGE`` (inference
  uses ``normalise.INFERENCE_QUALITY``), and a horizontal flip half of the time.

The crops are kept as uint8 RGB; the network input (``normalise.INPUTS``) is computed per batch.
The same seed gives the same bytes: every image draws from its own generator, seeded by the
run's seed and the image's position in the data list.
"""

from __future__ import annotations

import io
from multiprocessing import get_context

import numpy as np
from PIL import Image, ImageFilter

from vforensics.analyzers.ai import normalise
from vforensics.evaluation.ai_data import load_rgb

CROPS_PER_IMAGE = 12
RESIZE_P, PRIOR_JPEG_P, PALETTE_P, WEBP_P = 0.2, 0.4, 0.1, 0.2
BLUR_SIGMA = (0.0, 3.0)
QUALITY_RANGE = (65, 95)
PRIOR_MARGIN = 16  # the earlier save's 8x8 grid is shifted against the crop by up to this many pixels


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def augmented_crop(
    rgb: np.ndarray, rng: np.random.Generator, palette_p: float = PALETTE_P, blur_p: float = 0.0
) -> np.ndarray | None:
    """One crop of ``rgb`` through the augmentation chain, or None if the picture is too small.
    With ``blur_p`` 0 no extra number is drawn, so the crops are those of the recipe without blur."""
    size = normalise.CROP
    h, w = rgb.shape[:2]
    if min(h, w) < size:
        return None
    scale = float(rng.uniform(0.5, 0.9)) if rng.random() < RESIZE_P else 1.0
    prior = rng.random() < PRIOR_JPEG_P
    region = int(np.ceil(size / scale)) + (PRIOR_MARGIN if prior else 0)
    if region > min(h, w):  # too small for this draw: a plain crop
        scale, prior, region = 1.0, False, size
    y = int(rng.integers(0, (h - region) // 2 + 1)) * 2
    x = int(rng.integers(0, (w - region) // 2 + 1)) * 2
    img = Image.fromarray(np.ascontiguousarray(rgb[y : y + region, x : x + region]))
    if scale != 1.0:
        target = round(region * scale)
        img = img.resize((target, target), Image.Resampling.BILINEAR, reducing_gap=None)
    if prior:
        img = _jpeg(img, int(rng.integers(70, 99)))
        dx, dy = (int(v) for v in rng.integers(0, PRIOR_MARGIN + 1, size=2))
        dx, dy = min(dx, img.size[0] - size), min(dy, img.size[1] - size)
        img = img.crop((dx, dy, dx + size, dy + size))
    else:
        img = img.crop((0, 0, size, size))
    if blur_p > 0 and rng.random() < blur_p:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(*BLUR_SIGMA))))
    if rng.random() < palette_p:
        img = img.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).convert("RGB")
    webp = int(rng.integers(70, 96)) if rng.random() < WEBP_P else None
    crop = normalise.reencode(np.asarray(img), int(rng.integers(QUALITY_RANGE[0], QUALITY_RANGE[1] + 1)), webp)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def load_scaled(row: dict, short_side: int, reducing_gap: float | None = normalise.REDUCING_GAP) -> np.ndarray:
    """The image of ``row`` as RGB after the analyzer's downscale to ``short_side`` (0: native)."""
    return normalise.downscale(load_rgb(row), short_side, reducing_gap)


def _image_crops(job: tuple[dict, int, int, float, int, float | None, float]) -> np.ndarray:
    row, seed, index, palette_p, short_side, reducing_gap, blur_p = job
    rng = np.random.default_rng([seed, index])
    rgb = load_scaled(row, short_side, reducing_gap)
    crops = [c for c in (augmented_crop(rgb, rng, palette_p, blur_p) for _ in range(CROPS_PER_IMAGE)) if c is not None]
    if not crops:
        return np.zeros((0, normalise.CROP, normalise.CROP, 3), np.uint8)
    return np.stack(crops)


def _inference_crops(job: tuple[dict, int, float | None]) -> np.ndarray:
    """The analyzer's own crops of one image (``normalise.inference_crops``), uint8."""
    row, short_side, reducing_gap = job
    return normalise.inference_crops(load_rgb(row), short_side, reducing_gap)[0]


def training_crops(
    rows: list[tuple[int, dict]],
    seed: int,
    workers: int,
    palette_p: float = PALETTE_P,
    short_side: int = normalise.SHORT_SIDE,
    reducing_gap: float | None = normalise.REDUCING_GAP,
    blur_p: float = 0.0,
) -> list[np.ndarray]:
    """Augmented crops of each (index in the data list, row), in order."""
    jobs = [(row, seed, index, palette_p, short_side, reducing_gap, blur_p) for index, row in rows]
    with get_context("spawn").Pool(workers) as pool:
        return pool.map(_image_crops, jobs, chunksize=4)


def inference_crops(
    rows: list[dict],
    workers: int,
    short_side: int = normalise.SHORT_SIDE,
    reducing_gap: float | None = normalise.REDUCING_GAP,
) -> list[np.ndarray]:
    with get_context("spawn").Pool(workers) as pool:
        return pool.map(_inference_crops, [(row, short_side, reducing_gap) for row in rows], chunksize=4)
