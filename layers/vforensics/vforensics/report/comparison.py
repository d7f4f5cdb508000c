"""Compare two images: is B the same picture as A, and where does it differ?

Used by ``vforensics compare A B`` and the API's /compare. What it measures:

- SHA-256 of both files (byte-identical or not), format, size and mode differences;
- structural similarity, SSIM (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004), on
  luminance with the paper's Gaussian window (sigma 1.5) and constants, at most
  ``MAX_SIDE`` pixels a side; its map (1 - SSIM) is the difference heatmap;
- perceptual hashes, 64 bits each, and their Hamming distances: aHash (mean), dHash
  (horizontal gradient, Krawetz 2013) and pHash (sign of the 8x8 low-frequency DCT block
  against its median, as in Zauner 2010 / the pHash library). Distances of 0-10 of 64
  mean "the same picture" (re-saved, resized), larger ones an edited or different one.

When the sizes differ B is aligned to A: resized when the aspect ratios agree within 2%,
else registered by ORB keypoints and a RANSAC homography (a crop or a rotation) and
compared where they overlap, else compared resized with the alignment reported as "none".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from vforensics.media.image import Media, decode_preview

MAX_SIDE = 1024
#: the most pixels a side either image is decoded at (a margin over MAX_SIDE for registration)
DECODE_SIDE = 2048
#: ORB describes a 31-pixel patch around each keypoint; smaller images cannot be registered
MIN_REGISTER_SIDE = 32
#: (lowest SSIM, label): the first band whose bound the SSIM reaches
SIMILARITY_BANDS = ((0.95, "Very Similar"), (0.80, "Similar"), (0.50, "Somewhat Similar"), (-1.0, "Different"))


@dataclass
class Comparison:
    report: dict[str, Any]
    difference: np.ndarray  # 1 - SSIM, float32 0..1, in A's frame (at most MAX_SIDE)
    preview: np.ndarray  # A's pixels at the difference map's size, for the heatmap


def compare(a: Media, b: Media) -> Comparison:
    """Everything ``vforensics compare`` reports about ``a`` and ``b``.

    Both are decoded at most ``DECODE_SIDE`` a side (JPEGs by DCT scaling): every measure here
    works at ``MAX_SIDE`` or below, and two full 100 MP decodes would cost 2.6 GB and 13 s.
    """
    sha_a, sha_b = hashlib.sha256(a.data).hexdigest(), hashlib.sha256(b.data).hexdigest()
    preview_a, preview_b = decode_preview(a.data, DECODE_SIDE), decode_preview(b.data, DECODE_SIDE)
    rgb_a = _fit(preview_a)
    size_a, size_b = (a.info.height, a.info.width), (b.info.height, b.info.width)
    aligned, valid, alignment = align(rgb_a, preview_b, size_a, size_b)
    gray_a, gray_b = _gray(rgb_a), _gray(aligned)
    _, ssim_map = ssim(gray_a, gray_b)
    score = float(ssim_map[valid].mean()) if valid.any() else 0.0
    ssim_map[~valid] = 1.0  # outside B's footprint: nothing to compare, nothing to show
    hashes = {}
    for name, fn in (("ahash", average_hash), ("dhash", difference_hash), ("phash", perceptual_hash)):
        ha, hb = fn(_gray(preview_a)), fn(_gray(preview_b))
        hashes[name] = {"a": f"{ha:016x}", "b": f"{hb:016x}", "distance": hamming(ha, hb)}
    identical = sha_a == sha_b
    facts_a, facts_b = _facts(a), _facts(b)
    report = {
        "identical_files": identical,
        "sha256": {"a": sha_a, "b": sha_b, "match": identical},
        "a": facts_a,
        "b": facts_b,
        "differences": [k for k in ("format", "width", "height", "mode", "bytes") if facts_a[k] != facts_b[k]],
        "alignment": alignment,
        "compared_at": [int(gray_a.shape[1]), int(gray_a.shape[0])],
        "overlap": round(float(valid.mean()), 4),
        "ssim": round(score, 4),
        "hashes": hashes,
        "interpretation": interpret(score, identical, hashes),
    }
    return Comparison(report, np.clip(1.0 - ssim_map, 0.0, 1.0).astype(np.float32), rgb_a)


def interpret(score: float, identical: bool, hashes: dict[str, dict]) -> str:
    if identical:
        return "Identical (the files are byte for byte the same)"
    label = next(name for bound, name in SIMILARITY_BANDS if score >= bound)
    phash = hashes["phash"]["distance"]
    return f"{label} (SSIM {score:.3f}; pHash distance {phash}/64, where 0-10 means the same picture)"


def ssim(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean SSIM and the SSIM map of two float32 grey images in 0..255 (Wang et al. 2004)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean()), ssim_map


def align(
    reference: np.ndarray,
    moving: np.ndarray,
    reference_size: tuple[int, int] | None = None,
    moving_size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """``moving`` resampled into ``reference``'s frame, the mask of pixels it covers, and how.

    ``reference_size`` and ``moving_size`` are the (height, width) the images had before they
    were downscaled, if they were.

    Registration comes first, so that a slight crop (which keeps nearly the same aspect
    ratio) is not mistaken for a resize; a registration that covers the whole frame is a resize.
    """
    h, w = reference.shape[:2]
    mh, mw = moving.shape[:2]
    full = np.ones((h, w), bool)
    resized = cv2.resize(moving, (w, h), interpolation=cv2.INTER_AREA)
    if (moving_size or (mh, mw)) == (reference_size or (h, w)):
        return resized, full, "same size"
    registered = _homography_warp(reference, _fit(moving))
    oh, ow = moving_size or (mh, mw)
    rh, rw = reference_size or (h, w)
    same_shape = abs((ow / oh) / (rw / rh) - 1) < 0.02
    if registered is not None and not (same_shape and registered[1].mean() > 0.95):
        return *registered, "registered (ORB keypoints, RANSAC homography)"
    if same_shape:
        return resized, full, "resized"
    return resized, full, "none (resized; the pictures could not be registered)"


def _homography_warp(reference: np.ndarray, moving: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    if min(*reference.shape[:2], *moving.shape[:2]) < MIN_REGISTER_SIDE:
        return None  # ORB's pyramid fails on a 1-pixel side, and finds nothing below its patch size
    orb = cv2.ORB_create(2000)  # type: ignore[attr-defined]  # missing from opencv's stubs
    ka, da = orb.detectAndCompute(_gray(reference).astype(np.uint8), None)
    kb, db = orb.detectAndCompute(_gray(moving).astype(np.uint8), None)
    if da is None or db is None or len(ka) < 10 or len(kb) < 10:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(db, da)
    if len(matches) < 10:
        return None
    src = np.array([kb[m.queryIdx].pt for m in matches], np.float32)
    dst = np.array([ka[m.trainIdx].pt for m in matches], np.float32)
    homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
    if homography is None or int(inliers.sum()) < 10:
        return None
    h, w = reference.shape[:2]
    warped = cv2.warpPerspective(moving, homography, (w, h), flags=cv2.INTER_LINEAR)
    footprint = np.full(moving.shape[:2], 255, np.uint8)
    covered = cv2.warpPerspective(footprint, homography, (w, h), flags=cv2.INTER_NEAREST)
    return warped, cv2.erode(covered, np.ones((11, 11), np.uint8)) > 0  # the SSIM window must fit inside


def average_hash(gray: np.ndarray) -> int:
    small = cv2.resize(gray.astype(np.float32), (8, 8), interpolation=cv2.INTER_AREA)
    return _bits(small > small.mean())


def difference_hash(gray: np.ndarray) -> int:
    small = cv2.resize(gray.astype(np.float32), (9, 8), interpolation=cv2.INTER_AREA)
    return _bits(small[:, 1:] > small[:, :-1])


def perceptual_hash(gray: np.ndarray) -> int:
    small = cv2.resize(gray.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8]
    return _bits(low > np.median(low))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _bits(mask: np.ndarray) -> int:
    return int("".join("1" if v else "0" for v in mask.ravel()), 2)


def _fit(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = MAX_SIDE / max(h, w)
    if scale >= 1:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _facts(m: Media) -> dict[str, Any]:
    return {
        "file_name": m.filename,
        "format": m.info.format,
        "width": m.info.width,
        "height": m.info.height,
        "mode": m.info.mode,
        "bytes": len(m.data),
    }
