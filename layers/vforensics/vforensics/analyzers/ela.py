"""Error Level Analysis (ELA).

Re-save the image as JPEG at a fixed quality and look at the absolute difference.
Regions that were compressed a different number of times, or pasted from another source,
can re-compress differently from the rest. N. Krawetz, "A Picture's Worth...", Black Hat
2007; the visual is the one FotoForensics and Forensically show.

Beside the product spec's single re-save at quality 95 (score, heatmap), the luma is
re-saved at 75, 85 and 95 and the error is summarised per 16x16 block at each quality:
the mean, the coefficient of variation of the block means (``block_cv``: how unevenly the
error is spread) and their range (``block_range``, 99th minus 1st percentile). A region
compressed differently from the rest raises the spread at the quality nearest its own
history; the error's fall from 75 to 95 shows how far above those qualities the file was
last saved. These are descriptive numbers: the score stays the spec's.

ELA is a weak, easily misread signal: edges, fine texture and saturated colours always
show high error levels, and any global re-save changes the whole picture. It only means
something for JPEG input, so other formats are reported as not applicable.
"""

from __future__ import annotations

import cv2
import numpy as np

from vforensics.analyzers.base import AnalyzerResult, level, skipped
from vforensics.media.image import Media

NAME = "ela"
RESAVE_QUALITY = 95  # JPEG quality of the re-save
ENHANCE = 10  # multiplier of the difference image, as in the product spec
MEDIUM_AT, HIGH_AT = 8.0, 15.0  # ela_score bands: Low < 8 <= Medium <= 15 < High
BLOCK = 8  # map resolution in pixels, the JPEG block size
MULTI_QUALITIES = (75, 85, 95)  # JPEG qualities of the luma re-saves summarised in details
STATS_BLOCK = 16  # block of the multi-quality statistics, pixels


def error_levels(rgb: np.ndarray, quality: int = RESAVE_QUALITY) -> np.ndarray:
    """Absolute difference (uint8, H x W x 3) between ``rgb`` and its JPEG re-save."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("JPEG re-encoding failed")
    resaved = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert resaved is not None  # decoding the JPEG OpenCV just encoded
    return cv2.absdiff(bgr, resaved)


def luma_error_levels(gray: np.ndarray, quality: int) -> np.ndarray:
    """Absolute difference (uint8, H x W) between a uint8 luma image and its JPEG re-save."""
    ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("JPEG re-encoding failed")
    resaved = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    assert resaved is not None  # decoding the JPEG OpenCV just encoded
    return cv2.absdiff(gray, resaved)


def block_statistics(diff: np.ndarray, block: int = STATS_BLOCK) -> dict[str, float]:
    """Mean error, and the coefficient of variation and 1-99 percentile range of the
    per-block mean errors, of a uint8 difference image (blocks of ``block`` px)."""
    h, w = diff.shape
    if h < block or w < block:
        means = np.array([float(diff.mean())])
    else:
        hb, wb = h // block, w // block
        cropped = diff[: hb * block, : wb * block].astype(np.float32)
        means = cv2.resize(cropped, (wb, hb), interpolation=cv2.INTER_AREA).ravel()
    mean = float(diff.mean())
    low, high = np.percentile(means, [1, 99])
    return {
        "mean_error": round(mean, 3),
        "block_cv": round(float(means.std() / mean) if mean > 0 else 0.0, 3),
        "block_range": round(float(high - low), 3),
    }


def multi_quality(rgb: np.ndarray, qualities: tuple[int, ...] = MULTI_QUALITIES) -> dict[str, dict[str, float]]:
    """:func:`block_statistics` of the luma re-saved at each quality, keyed by quality."""
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return {str(q): block_statistics(luma_error_levels(gray, q)) for q in qualities}


def ela_score(diff: np.ndarray) -> float:
    """Mean of the enhanced (x10, clipped) difference, as a percentage of full scale."""
    enhanced = cv2.convertScaleAbs(diff, alpha=ENHANCE)
    return float(np.mean(cv2.mean(enhanced)[:3]) / 255.0 * 100.0)


def max_channel(diff: np.ndarray) -> np.ndarray:
    """Per-pixel maximum over the colour channels (uint8)."""
    b, g, r = cv2.split(diff)
    return cv2.max(cv2.max(b, g), r)


def percentile_u8(values: np.ndarray, q: float) -> int:
    """The q-th percentile of a uint8 array, from its histogram (no sort)."""
    counts = np.bincount(values.ravel(), minlength=256)
    return int(np.searchsorted(np.cumsum(counts), q / 100.0 * values.size))


def block_map(per_pixel_u8: np.ndarray) -> np.ndarray:
    """Mean error level per 8x8 block, scaled so the brightest 0.5% of blocks reach 1."""
    per_pixel = per_pixel_u8.astype(np.float32)
    h, w = per_pixel.shape
    blocks = cv2.resize(per_pixel, (max(1, w // BLOCK), max(1, h // BLOCK)), interpolation=cv2.INTER_AREA)
    top = float(np.percentile(blocks, 99.5))
    return np.clip(blocks / max(top, 1.0), 0.0, 1.0).astype(np.float32)


def analyze(media: Media) -> AnalyzerResult:
    if media.info.format != "JPEG":
        return skipped(
            f"{media.info.format} is not JPEG; ELA compares JPEG compression error levels "
            "and gives misleading scores on lossless or non-JPEG images",
            format=media.info.format,
        )
    diff = error_levels(np.asarray(media.rgb))
    score = ela_score(diff)
    band = level(score, MEDIUM_AT, HIGH_AT)
    luma_diff = max_channel(diff)
    details = {
        "ela_score": round(score, 2),
        "level": band,
        "resave_quality": RESAVE_QUALITY,
        "enhancement": ENHANCE,
        "mean_error": round(float(np.mean(cv2.mean(diff)[:3])), 3),
        "p99_error": percentile_u8(luma_diff, 99),
        "max_error": int(luma_diff.max()),
        "multi_quality": multi_quality(np.asarray(media.rgb)),
    }
    meaning = {
        "Low": "re-saving at quality 95 changes the image little, as for most JPEGs; this alone does not show "
        "that the image is unedited",
        "Medium": "re-saving changes the image noticeably: typical of very detailed scenes, of files last saved "
        "above quality 95, or of content that was never JPEG-compressed before (pasted or painted regions)",
        "High": "re-saving changes much of the image: expected for files last saved near quality 100 or never "
        "compressed before, and a reason to look at the heatmap for regions that stand out",
    }[band]
    interpretation = (
        f"ELA score {score:.1f} ({band}): {meaning}. ELA highlights edges and texture in every photo; "
        "only regions that differ from comparable content nearby are suspicious."
    )
    return AnalyzerResult("ok", score, interpretation, details, block_map(luma_diff))
