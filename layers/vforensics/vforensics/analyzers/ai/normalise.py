"""The format normalisation that the AI-image detector sees, identical in training and use.

AI images and camera photos differ in format, size and metadata (WebP grids of 512 px
tiles against multi-megapixel JPEGs with EXIF), and a detector trained on them as they come
learns those differences instead of the generator's traces. Every image, of either class,
at training and at inference, therefore goes through the same steps here:

1. decoded to 8-bit RGB (alpha dropped, palette and 16-bit converted: Media does this);
2. downscaled (Pillow's bicubic, after Pillow's box reduction by an integer factor when the
   factor is at least twice ``REDUCING_GAP``: on camera photos the result differs from the fair
   bicubic by about a quarter of a grey level on average, a few at most, and takes about two
   thirds of its time at 12 MP) so that the shorter side is ``SHORT_SIDE`` px when it is
   longer, then cut into fixed-size crops. Training cuts its crops from the whole downscaled
   picture (``downscale``); the analyzer computes each of its crops from just the pixels that
   crop's filters read (``downscaled_crop``: the same values but for about one in ten thousand,
   at a third of the time). NPR (Tan et al., "Rethinking the Up-Sampling
   Operations in CNN-based Generative Network for Generalizable Deepfake Detection", CVPR 2024)
   reads native-resolution crops, since resampling weakens the up-sampling traces it looks
   for; here the resize won on leave-one-family-out evidence (mean left-out AUC 0.78 against
   0.72 native, GPT-4o 0.81 against 0.39: docs/ANALYZERS.md): a 128 px crop of a 12 MP photo
   holds a patch of sensor noise, one of a 512 px picture holds what generators shape. The
   model's card records the short side it was trained with (0: native) and the reducing gap
   (absent: the fair bicubic);
3. each crop re-encoded as a JPEG at one quality and decoded again, so that both classes
   carry the same last compression (training draws the quality from a range, and sometimes
   a WebP step before it, on both classes alike; inference uses ``INFERENCE_QUALITY``);
4. the network input: the neighbouring-pixel residual of NPR (the crop minus its 2x
   nearest-neighbour down-and-up-sampled copy), scaled to about unit range.

This module needs only numpy and Pillow, so that the training environment (torch) and the
serving one (onnxruntime in a container Lambda) import the very same code.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

#: Side of the square crops, in pixels of the image after ``downscale``.
CROP = 128
#: Shorter side, in pixels, that larger images are downscaled to before their crops.
SHORT_SIDE = 512
#: Pillow's ``reducing_gap`` of the downscale: a box reduction by an integer factor first, so
#: that the bicubic step spans at most this factor (None: the fair bicubic over the whole factor).
REDUCING_GAP = 2.0
#: JPEG quality of the re-encoding at inference (the middle of the training range).
INFERENCE_QUALITY = 85
#: Most crops taken from one image at inference (a grid over the picture).
MAX_CROPS = 9
#: The NPR residual of 8-bit RGB lies in [-255, 255]; this brings typical values near +-1.
RESIDUAL_SCALE = 1.0 / 32.0


def reencode(crop: np.ndarray, quality: int, webp_quality: int | None = None) -> np.ndarray:
    """``crop`` (uint8 RGB) through an optional lossy WebP, then a 4:2:0 JPEG at ``quality``."""
    img = Image.fromarray(crop)
    if webp_quality is not None:
        buf = io.BytesIO()
        img.save(buf, "WEBP", quality=webp_quality)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, subsampling=2)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def npr_residual(crop: np.ndarray) -> np.ndarray:
    """NPR input (Tan et al. 2024): float32 CHW, ``crop`` minus its 2x nearest down-up copy."""
    x = crop.astype(np.float32)
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    x = x[:h, :w]
    coarse = np.repeat(np.repeat(x[::2, ::2], 2, axis=0), 2, axis=1)
    return np.ascontiguousarray(((x - coarse) * RESIDUAL_SCALE).transpose(2, 0, 1))


#: Fridrich and Kodovsky's 3x3 "SQUARE" second-order residual (the KV 3x3 kernel), divided by 4.
SRM_KERNEL = np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], np.float32) / 4.0


def srm_residual(crop: np.ndarray) -> np.ndarray:
    """High-pass input from the spatial rich model (Fridrich and Kodovsky, "Rich Models for
    Steganalysis of Digital Images", IEEE TIFS 2012): each channel filtered with the 3x3
    SQUARE kernel, edges replicated so the crop keeps its size; the ablation against NPR."""
    x = np.pad(crop.astype(np.float32), ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = crop.shape[:2]
    out = np.zeros((h, w, crop.shape[2]), np.float32)
    for dy in range(3):
        for dx in range(3):
            out += SRM_KERNEL[dy, dx] * x[dy : dy + h, dx : dx + w]
    return np.ascontiguousarray((out * RESIDUAL_SCALE).transpose(2, 0, 1))


def rgb_input(crop: np.ndarray) -> np.ndarray:
    """Plain RGB input, float32 CHW centred on mid-grey (the ablation against NPR)."""
    x = (crop.astype(np.float32) - 127.5) / 64.0
    return np.ascontiguousarray(x.transpose(2, 0, 1))


#: Network inputs by name, as recorded in the model's card (``input``).
INPUTS = {"npr": npr_residual, "rgb": rgb_input, "srm": srm_residual}


def grid_positions(height: int, width: int, size: int = CROP, max_crops: int = MAX_CROPS) -> list[tuple[int, int]]:
    """Top-left corners of up to ``max_crops`` crops spread evenly over the picture.

    Corners are even so that the 2x2 cells of the residual keep the image's own phase.
    """
    if height < size or width < size:
        return []
    per_side = max(1, int(np.sqrt(max_crops)))
    ys = np.linspace(0, height - size, per_side).astype(int) // 2 * 2
    xs = np.linspace(0, width - size, per_side).astype(int) // 2 * 2
    return sorted({(int(y), int(x)) for y in ys for x in xs})


def downscaled_size(height: int, width: int, short_side: int) -> tuple[int, int]:
    """(width, height) of a ``height`` x ``width`` picture after ``downscale``: its shorter side
    ``short_side`` px when it is longer; unchanged otherwise, and for ``short_side`` 0."""
    if not short_side or min(height, width) <= short_side:
        return width, height
    scale = short_side / min(height, width)
    return max(short_side, round(width * scale)), max(short_side, round(height * scale))


def downscale(rgb: np.ndarray, short_side: int, reducing_gap: float | None = REDUCING_GAP) -> np.ndarray:
    """``rgb`` downscaled (bicubic, after a box reduction that leaves at most ``reducing_gap``
    of the factor to it) so that its shorter side is ``short_side`` px when it is longer;
    smaller images, and ``short_side`` 0, keep their native resolution."""
    h, w = rgb.shape[:2]
    size = downscaled_size(h, w, short_side)
    if size == (w, h):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC, reducing_gap=reducing_gap))


#: Pillow's bicubic filter reads up to this many input pixels either side of an output pixel's
#: centre, in units of the output's pixel spacing when downscaling.
BICUBIC_SUPPORT = 2.0


def downscaled_crop(
    rgb: np.ndarray, size: tuple[int, int], y: int, x: int, reducing_gap: float | None = REDUCING_GAP, crop: int = CROP
) -> np.ndarray:
    """The ``crop`` px square at (``y``, ``x``) of ``rgb`` downscaled to ``size`` (width, height), made
    from only the pixels its filters read: at 12 MP, the nine crops cost about 30 ms against 75 ms
    through ``downscale`` (docs/BENCHMARKS.md).

    The same steps as Pillow's ``resize`` with ``reducing_gap``: the same integer box reduction,
    its blocks aligned as over the whole picture, then the same bicubic filters, placed through
    ``resize``'s ``box``. Pillow takes that box in single precision, so the filters sit a few
    millionths of a pixel away from where the whole picture's put them, and now and then a value
    rounds the other way: the crop is ``downscale(rgb, ...)[y:y + crop, x:x + crop]`` but for about
    one value in ten thousand on the benchmark's photos (a fifth of one crop's values on a
    synthetic geometry of the tests), by one grey level, two at most; the detector's likelihood
    moves by hundredths of a point at most (measured in docs/BENCHMARKS.md).
    """
    h, w = rgb.shape[:2]
    if size == (w, h):
        return rgb[y : y + crop, x : x + crop]
    fx = (int(w / size[0] / reducing_gap) or 1) if reducing_gap else 1
    fy = (int(h / size[1] / reducing_gap) or 1) if reducing_gap else 1
    sx, sy = w / fx / size[0], h / fy / size[1]  # reduced pixels per output pixel
    mx = math.ceil(BICUBIC_SUPPORT * max(sx, 1.0)) + 2
    my = math.ceil(BICUBIC_SUPPORT * max(sy, 1.0)) + 2
    rx0, ry0 = max(0, math.floor(x * sx) - mx), max(0, math.floor(y * sy) - my)
    rx1 = min(-(-w // fx), math.ceil((x + crop) * sx) + mx)
    ry1 = min(-(-h // fy), math.ceil((y + crop) * sy) + my)
    region = Image.fromarray(rgb[ry0 * fy : ry1 * fy, rx0 * fx : rx1 * fx])
    if fx > 1 or fy > 1:
        region = region.reduce((fx, fy))
    box = (x * sx - rx0, y * sy - ry0, (x + crop) * sx - rx0, (y + crop) * sy - ry0)
    return np.asarray(region.resize((crop, crop), Image.Resampling.BICUBIC, box=box))


def inference_crops(
    rgb: np.ndarray, short_side: int = SHORT_SIDE, reducing_gap: float | None = REDUCING_GAP
) -> tuple[np.ndarray, list[tuple[int, int]], float]:
    """The analyzer's crops of one image as uint8 (N, CROP, CROP, 3): downscaled (``downscaled_crop``),
    cut on the grid and re-encoded at ``INFERENCE_QUALITY``; where each came from (top-left corners
    in the pixels of ``rgb``) and the factor the image was downscaled by (<= 1)."""
    h, w = rgb.shape[:2]
    size = downscaled_size(h, w, short_side)
    fy, fx = size[1] / h, size[0] / w
    factor = min(size) / min(h, w)
    positions = grid_positions(size[1], size[0])
    if not positions:
        return np.zeros((0, CROP, CROP, 3), np.uint8), [], factor
    crops = np.stack(
        [reencode(downscaled_crop(rgb, size, y, x, reducing_gap), INFERENCE_QUALITY) for y, x in positions]
    )
    return crops, [(round(y / fy), round(x / fx)) for y, x in positions], factor


def inference_batch(
    rgb: np.ndarray, kind: str = "npr", short_side: int = SHORT_SIDE, reducing_gap: float | None = REDUCING_GAP
) -> tuple[np.ndarray, list[tuple[int, int]], float]:
    """The network inputs for one image (N, 3, CROP, CROP), with ``inference_crops``' corners and factor."""
    crops, corners, factor = inference_crops(rgb, short_side, reducing_gap)
    if not corners:
        return np.zeros((0, 3, CROP, CROP), np.float32), [], factor
    return np.stack([INPUTS[kind](c) for c in crops]), corners, factor
