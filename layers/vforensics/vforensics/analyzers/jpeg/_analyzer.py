"""JPEG compression history: tables, quality, blocking grid, double compression, ghosts.

A camera writes a JPEG once. Every later save -- by an editor, a messenger, a web site --
leaves traces that this analyzer reads from the file and its pixels:

- the quantization tables (exact, from the file): IJG quality estimate and a fingerprint
  of the encoder family (IJG/libjpeg software, a known camera, unknown), compared with the
  EXIF Make (:mod:`~vforensics.media.jpeg_tables`);
- the 8x8 blocking grid on the decoded pixels and its offset
  (:func:`~vforensics.analyzers.jpeg._dct.blocking_grid`);
- aligned double quantization in the DCT coefficient histograms, with a per-block map
  (Lin et al., Pattern Recognition 42(11), 2009; Bianchi & Piva, IEEE TIFS 7(3), 2012),
  non-aligned double compression at another grid shift (Bianchi & Piva, IEEE TIFS 7(2),
  2012) and the same-table recompression test (Huang, Huang & Shi, IEEE TIFS 5(4), 2010),
  all in :mod:`~vforensics.analyzers.jpeg._double`;
- JPEG ghosts (Farid, IEEE TIFS 4(1), 2009) as a second map, ``extra_maps["jpeg_ghost"]``
  (:mod:`~vforensics.analyzers.jpeg._ghost`).

The luma coefficients are recovered from the decoder's luma plane (no coefficient reader):
see :mod:`~vforensics.analyzers.jpeg._dct`. Only the luma channel is analysed.

Scoring. Each detector gives a sub-score 0-100 (``details.subscores``): aligned double
quantization (log of its likelihood gain), non-aligned (robust z of the best grid shift),
same-table stability (log ratio of coefficient flip rates to those of camera originals),
the table fingerprint (75 for tables that contradict the EXIF camera; for IJG tables in a
file whose EXIF names a camera, 60 when the whole header is libjpeg's with its defaults,
35 when it is libjpeg's layout with other settings, 15 in a camera-style layout; 20 for IJG
tables without camera EXIF: :mod:`~vforensics.media.jpeg_encoder`) and the header layout
(30 for a JFIF segment in front of a camera's EXIF). ``double_compression_likelihood``
combines them: the strongest one plus 30% of each further one, scaled by what is left to 100.
A coherent region that is *not* double compressed inside an image that is (contrast >= 0.5,
0.3-35% of the blocks) adds the ``regions`` sub-score; ``score`` combines that with the likelihood the same way.

A file in a format no camera writes (PNG, WebP, BMP, GIF) is skipped unless its pixels carry
an 8x8 JPEG grid (35) or its EXIF names a camera (60): then it is a converted photo, which is
how an edit exported as PNG looks.

``score`` (0-100) is thus the evidence that the file is not a single, camera-original
compression, or that regions of it have a different compression history. Known blind
spots, stated in the interpretation: a second save at a much *lower* quality than the
first hides the first one; a re-save with the file's own tables is only weakly visible;
cameras that use IJG tables look like software at the table level; the table database is
small; flat, texture-free regions carry no evidence either way.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, JpegImagePlugin

from vforensics.analyzers.base import AnalyzerResult, level, skipped
from vforensics.analyzers.jpeg import _dct as jpeg_dct
from vforensics.analyzers.jpeg import _double as jpeg_double
from vforensics.analyzers.jpeg import _ghost as jpeg_ghost
from vforensics.media import jpeg_encoder, jpeg_tables
from vforensics.media.image import Media

NAME = "jpeg"
MEDIUM_AT, HIGH_AT = 25.0, 50.0  # score bands

# Evidence -> 0..100 sub-scores (see "Scoring" above). The zero points were set on the 44
# camera originals of the synthetic benchmark so that every detector stays quiet on untouched
# photos there (false alarms cost more than misses); the half points are where a detector's
# evidence is clear on its own.
ADQ_ZERO, ADQ_HALF = 20.0, 100.0  # aligned evidence (log-likelihood): 0 below, 50 at
NADQ_ZERO, NADQ_HALF = 12.0, 25.0  # non-aligned robust z-score
STABILITY_ZERO, STABILITY_HALF = -0.4, -0.8  # log flip-rate ratio vs a fresh camera image
# The encoder (tables with the header layout and subsampling, media.jpeg_encoder) in a file
# whose EXIF names a camera: libjpeg with its defaults, libjpeg with other settings, or IJG
# tables in a camera-style header (as 22 of the 27 IJG-table cameras of the bench write them).
LIBJPEG_DEFAULTS_WITH_CAMERA_EXIF = 60.0
LIBJPEG_LAYOUT_WITH_CAMERA_EXIF = 35.0
IJG_WITH_CAMERA_EXIF = 15.0
IJG_WITHOUT_EXIF = 20.0
# A photo in a format no camera writes: its pixels carry a JPEG grid, or its EXIF names a camera.
CONVERTED_FORMATS = ("PNG", "WEBP", "BMP", "GIF")
EARLIER_JPEG_IN_OTHER_FORMAT = 35.0
CAMERA_EXIF_IN_OTHER_FORMAT = 60.0
FINGERPRINT_MISMATCH = 75.0
JFIF_BEFORE_EXIF = 30.0  # software-style header in front of a camera's EXIF
LOCAL_MIN_SHARE, LOCAL_MAX_SHARE = 0.003, 0.35  # share of blocks for "regions" (not the whole image)
LOCAL_MIN_CONTRAST = 0.5  # region P(other history) minus the rest's
MAP_FULL_CONFIDENCE = 80.0  # aligned sub-score from which the block map is shown undamped


@dataclass
class FileFacts:
    quantization: dict[int, list[int]]
    subsampling: str
    subsampling_code: int
    progressive: bool
    mode: str
    make: str
    model: str
    software: str


def read_file_facts(data: bytes) -> FileFacts | None:
    """Tables, subsampling, progressive flag and EXIF Make/Model/Software, without decoding pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            if img.format != "JPEG":
                return None
            quant = {int(k): [int(v) for v in t] for k, t in getattr(img, "quantization", {}).items()}
            try:
                code = int(JpegImagePlugin.get_sampling(img))
            except Exception:  # noqa: BLE001 - unusual component layouts
                code = -1
            make = model = software = ""
            try:
                exif = img.getexif()
                make = str(exif.get(0x010F) or "").strip("\x00 ")
                model = str(exif.get(0x0110) or "").strip("\x00 ")
                software = str(exif.get(0x0131) or "").strip("\x00 ")
            except Exception:  # noqa: BLE001 - malformed EXIF is the metadata analyzer's business
                pass
            progressive = bool(img.info.get("progressive") or img.info.get("progression"))
            name = jpeg_tables.SUBSAMPLING_NAMES.get(code, "other" if img.mode != "L" else "none (grayscale)")
            return FileFacts(quant, name, code, progressive, img.mode, make, model, software)
    except Exception:  # noqa: BLE001 - a header Pillow cannot parse
        return None


def compression_level(quality: int) -> str:
    if quality >= 90:
        return "high quality"
    if quality >= 75:
        return "medium"
    return "low"


def _log_scale(value: float, zero: float, half: float) -> float:
    """0 at ``zero``, 50 at ``half``, growing with log(value), capped at 100."""
    if value <= zero:
        return 0.0
    x = math.log(value / zero) / math.log(half / zero)
    return float(min(100.0, 100.0 * (1.0 - 0.5**x)))


def _linear_scale(value: float, zero: float, half: float) -> float:
    """0 at ``zero``, 50 at ``half``, 100 at twice the distance (works for decreasing too)."""
    x = (value - zero) / (half - zero)
    return float(np.clip(50.0 * x, 0.0, 100.0))


def _combine(scores: list[float]) -> float:
    """The strongest evidence, plus a little for independent supporting evidence."""
    s = sorted((v for v in scores if v > 0), reverse=True)
    if not s:
        return 0.0
    total = s[0]
    for v in s[1:]:
        total += 0.3 * v * (1.0 - total / 100.0)
    return float(min(100.0, total))


def _stability_statistic(res: jpeg_double.StabilityResult | None) -> float | None:
    return None if res is None or res.log_ratio is None else float(res.log_ratio)


def _regions(prob_other: np.ndarray, informative: np.ndarray) -> tuple[float, list[int] | None, float]:
    """The largest coherent region of blocks with a different history than the rest.

    Blocks with P(other history) > 0.5 are opened with a 3x3 structuring element (isolated
    blocks are noise) and grouped into connected regions. Returns the largest region's
    share of the informative blocks, its bounding box in blocks (x0, y0, x1, y1) and its
    contrast: mean probability inside minus mean probability over the other informative
    blocks (1 = crisp region in a uniformly double-compressed image).
    """
    if informative.sum() < 64:
        return 0.0, None, 0.0
    flagged = ((prob_other > 0.5) & informative).astype(np.uint8)
    opened = cv2.morphologyEx(flagged, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if n <= 1:
        return 0.0, None, 0.0
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = labels == best
    share = float(stats[best, cv2.CC_STAT_AREA] / informative.sum())
    rest = informative & ~cv2.dilate(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    inside = float(prob_other[region & informative].mean()) if (region & informative).any() else 0.0
    outside = float(prob_other[rest].mean()) if rest.any() else 1.0
    x, y, w, h = (int(v) for v in stats[best, :4])
    return share, [x, y, x + w, y + h], inside - outside


def _non_jpeg(media: Media) -> AnalyzerResult:
    """A file in another format: skipped, unless it carries a JPEG's traces or a camera's EXIF.

    Cameras write JPEG (and some TIFF or HEIF), never PNG, WebP, BMP or GIF; a photo in one of
    those formats whose pixels still show an 8x8 blocking grid was JPEG-compressed before it
    was converted, and one whose EXIF names a camera was converted by software that kept the
    camera's metadata (an edited photo exported as PNG looks like this).
    """
    fmt = media.info.format
    details: dict[str, Any] = {"format": fmt}
    try:
        rgb = media.rgb
        if min(rgb.shape[:2]) >= 16:
            luma = jpeg_dct.luma_from_rgb(rgb[:2048, :2048]).y
            grid = jpeg_dct.blocking_grid(luma)
            details["blocking_grid"] = grid.to_dict()
            details["earlier_jpeg_compression"] = grid.strength >= 50.0
    except Exception:  # noqa: BLE001 - the decode is the media layer's concern
        pass
    make = _exif_make(media.data) if fmt in CONVERTED_FORMATS else ""
    details["exif_make"] = make
    reason = f"{fmt} is not JPEG; compression history applies to JPEG files"
    if details.get("earlier_jpeg_compression"):
        off = details["blocking_grid"]["offset_xy"]
        reason += (
            f" (the pixels do carry an 8x8 JPEG blocking grid at offset {off[0]},{off[1]}: this image was "
            "JPEG-compressed before it was stored as " + fmt + ")"
        )
    if fmt not in CONVERTED_FORMATS or not (make or details.get("earlier_jpeg_compression")):
        return skipped(reason, **details)
    sub = {
        "earlier_jpeg_in_other_format": EARLIER_JPEG_IN_OTHER_FORMAT
        if details.get("earlier_jpeg_compression")
        else 0.0,
        "camera_exif_in_other_format": CAMERA_EXIF_IN_OTHER_FORMAT if make else 0.0,
    }
    score = _combine(list(sub.values()))
    band = level(score, MEDIUM_AT, HIGH_AT)
    details |= {"subscores": sub, "level": band, "double_compression_likelihood": round(score, 1)}
    parts = []
    if make:
        parts.append(f"its EXIF names a {make} camera, and cameras do not write {fmt}")
    if details.get("earlier_jpeg_compression"):
        off = details["blocking_grid"]["offset_xy"]
        parts.append(f"its pixels carry an 8x8 JPEG blocking grid (offset {off[0]},{off[1]})")
    interpretation = (
        f"JPEG compression history {score:.0f}/100 ({band}). The file is {fmt}, but "
        + " and ".join(parts)
        + f": a JPEG photo converted to {fmt} by software, which is what an edited photo exported as {fmt} "
        "looks like (a conversion alone changes no content). The JPEG tests themselves need a JPEG file."
    )
    return AnalyzerResult("ok", score, interpretation, details)


def _exif_make(data: bytes) -> str:
    """EXIF Make of a non-JPEG file (PNG eXIf, WebP EXIF ...), or ""."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                return str(img.getexif().get(0x010F) or "").strip("\x00 ")[:64]
    except Exception:  # noqa: BLE001 - unreadable EXIF is the metadata analyzer's business
        return ""


def analyze(media: Media) -> AnalyzerResult:
    return analyze_jpeg(media)


def analyze_jpeg(media: Media, *, use_tables: bool = True, use_db: bool = True) -> AnalyzerResult:
    """The analyzer, with switches for evaluation.

    ``use_tables=False`` scores the DCT evidence only (no table or header fingerprint);
    ``use_db=False`` ignores the camera table database (IJG recognition stays).
    """
    if media.info.format != "JPEG":
        return _non_jpeg(media)
    facts = read_file_facts(media.data)
    if facts is None or not facts.quantization:
        return skipped("the JPEG header could not be read (no quantization tables)", format="JPEG")

    keys = sorted(facts.quantization)
    luma_table = np.asarray(facts.quantization[keys[0]], np.int32)
    q_luma = jpeg_tables.estimate_quality(luma_table)
    q_chroma = jpeg_tables.estimate_quality(facts.quantization[keys[1]], chroma=True) if len(keys) > 1 else None
    fp = jpeg_tables.fingerprint(facts.quantization, facts.make, facts.model, use_db=use_db)
    details: dict[str, Any] = {
        "quality_estimate": q_luma.quality,
        "compression_level": compression_level(q_luma.quality),
        "quality_luma": q_luma.to_dict(),
        "quality_chroma": q_chroma.to_dict() if q_chroma else None,
        "quantization_tables": {str(k): facts.quantization[k] for k in keys},
        "table_order": "natural (row-major)",
        "subsampling": facts.subsampling,
        "progressive": facts.progressive,
        "color_mode": facts.mode,
        "exif_make": facts.make,
        "exif_model": facts.model,
        "exif_software": facts.software,
        "fingerprint": fp.to_dict(),
        "tables_match": fp.tables_match,
        "fingerprint_mismatch": fp.mismatch,
    }
    layout = jpeg_tables.segment_layout(media.data)
    software_header = jpeg_tables.jfif_before_exif(layout) and bool(facts.make)
    details["segment_layout"] = layout
    details["jfif_before_exif"] = software_header
    encoder = _encoder(media.data, fp, facts)
    details["encoder"] = encoder
    notes: list[str] = []

    # ---- pixels: the decoder's luma plane (exact) or luma from RGB (approximate)
    plane = jpeg_dct.decode_luma(media.data)
    if plane is None:
        rgb = _fallback_rgb(media)
        if rgb is not None:
            plane = jpeg_dct.luma_from_rgb(rgb)
            notes.append(
                "the decoder's luma plane was not available (CMYK or damaged file); luma was computed from RGB, "
                "so DCT coefficients are approximate and double-compression tests are not run"
            )
        else:
            notes.append("the pixels could not be decoded; only the file's tables were analysed")
    y = plane.y if plane is not None else None
    if plane is not None and plane.truncated:
        notes.append("the file is truncated: the missing part decodes as flat grey and carries no evidence")
    details["truncated"] = bool(plane is not None and plane.truncated)

    sub: dict[str, float] = {}
    main_map: np.ndarray | None = None
    extra: dict[str, np.ndarray] = {}
    adq = nadq = ghost = stab = None
    primary_quality = None
    local_share, local_box, local_contrast = 0.0, None, 0.0
    main_name = "none"

    if y is not None and min(y.shape) >= 8:
        grid = jpeg_dct.blocking_grid(y)
        details["blocking_grid"] = grid.to_dict()
        details["artifact_score"] = round(grid.strength, 1)
        details["grid_offset"] = list(grid.offset)
        if grid.offset != (0, 0) and grid.strength >= 30:
            notes.append(
                f"the strongest 8x8 blocking grid starts at x={grid.offset[0]}, y={grid.offset[1]} instead of 0,0: "
                "the image was cropped or shifted after a JPEG compression"
            )
    else:
        details["artifact_score"] = 0.0
        details["grid_offset"] = [0, 0]

    exact = plane is not None and plane.exact and y is not None and min(y.shape) >= 16
    if exact:
        assert y is not None  # exact implies a decoded luma plane
        scaled = jpeg_dct.block_dct(y)
        table8 = luma_table.reshape(8, 8).astype(np.float32)
        scaled /= table8
        usable = ~jpeg_dct.clipped_blocks(y)
        # recovery check on every 4th block row: distance to the nearest integer where Q >= 2
        probe = scaled[::4][usable[::4]]
        resid = np.abs(probe - np.rint(probe))[:, table8 >= 2]
        recovery = float(resid.mean()) if resid.size else 0.0
        np.rint(scaled, out=scaled)
        cq = scaled.astype(np.int16).reshape(scaled.shape[0], scaled.shape[1], 64)
        del scaled, probe, resid
        details["coefficient_recovery"] = {
            "mean_rounding_residual": round(recovery, 4),
            "usable_blocks": int(usable.sum()),
            "blocks": int(usable.size),
        }
        if recovery > 0.2:
            exact = False
            notes.append(
                "the decoded pixels do not match the file's tables closely (unusual encoder or decoder); "
                "DCT-based tests were skipped"
            )
    if exact:
        assert plane is not None  # exact implies a decoded luma plane
        assert y is not None
        # ---- aligned double compression
        adq = jpeg_double.aligned_double(cq, luma_table, usable)
        sub["aligned_double"] = _log_scale(adq.evidence, ADQ_ZERO, ADQ_HALF)
        if sub["aligned_double"] >= 50.0:  # only name an earlier quality when there clearly was one
            primary_quality = _primary_quality(adq)
        adq_prob = None
        if adq.block_llr is not None and adq.evidence > ADQ_ZERO:
            alphas = [f.alpha for f in adq.significant]
            prior = float(np.clip(np.mean(alphas), 0.5, 0.95)) if alphas else 0.5
            p_dq = jpeg_double.block_probability(adq.block_llr, prior)
            informative = usable & (np.abs(adq.block_llr) > 0)
            adq_prob = np.where(informative, 1.0 - p_dq, 0.0).astype(np.float32)
            local_share, local_box, local_contrast = _regions(adq_prob, informative)
        details["aligned"] = {
            "evidence": round(adq.evidence, 1),
            "frequencies_with_evidence": adq.frequencies_used,
            "primary_steps": {str(k): v for k, v in adq.primary_q1.items()},
            "fits": [f.to_dict() for f in adq.fits],
            "region_share": round(local_share, 4),
            "region_contrast": round(local_contrast, 3),
            "region_box_blocks": local_box,
        }
        # ---- non-aligned
        nadq = jpeg_double.nonaligned_double(y, luma_table)
        if nadq is not None:
            sub["nonaligned_double"] = _log_scale(nadq.zscore, NADQ_ZERO, NADQ_HALF)
            details["nonaligned"] = nadq.to_dict()
        # ---- same-table stability (colour files only: the re-encode needs the original layout)
        if facts.mode == "RGB" and plane.source == "ycbcr":
            try:
                stab = jpeg_double.recompression_stability(
                    np.asarray(media.rgb), y, [facts.quantization[k] for k in keys], facts.subsampling_code
                )
            except Exception:  # noqa: BLE001 - a re-encode failure must not sink the analysis
                stab = None
            stat = _stability_statistic(stab)
            if stat is not None:
                sub["same_table_resave"] = _linear_scale(stat, STABILITY_ZERO, STABILITY_HALF)
            details["same_tables"] = stab.to_dict() if stab else None
        # ---- ghost
        ghost = jpeg_ghost.jpeg_ghost(cq, luma_table, q_luma.quality)
        details["ghost"] = ghost.to_dict()
        extra["jpeg_ghost"] = ghost.map
        if adq_prob is not None:
            # P(block has another history) = P(image double compressed) x P(block not | image is):
            # weak image-level evidence damps the map, so an untouched photo's noise stays below 0.5.
            confidence = min(1.0, sub["aligned_double"] / MAP_FULL_CONFIDENCE)
            main_map, main_name = (adq_prob * np.float32(confidence)), "aligned_double_quantization"
        else:
            main_map, main_name = ghost.map, "jpeg_ghost"
        del cq

    # ---- tables
    if use_tables:
        if fp.mismatch:
            sub["table_fingerprint"] = FINGERPRINT_MISMATCH
        elif fp.ijg_quality is not None and not facts.make:
            sub["table_fingerprint"] = IJG_WITHOUT_EXIF
        elif fp.ijg_quality is not None:
            sub["table_fingerprint"] = {
                "libjpeg_defaults": LIBJPEG_DEFAULTS_WITH_CAMERA_EXIF,
                "libjpeg_layout": LIBJPEG_LAYOUT_WITH_CAMERA_EXIF,
            }.get(encoder["family"], IJG_WITH_CAMERA_EXIF)
        if software_header:
            sub["file_layout"] = JFIF_BEFORE_EXIF

    resave_scores = [sub.get(k, 0.0) for k in ("aligned_double", "nonaligned_double", "same_table_resave")]
    if use_tables:
        resave_scores += [sub.get("table_fingerprint", 0.0), sub.get("file_layout", 0.0)]
    double_likelihood = _combine(resave_scores)
    local_score = 0.0
    if (
        LOCAL_MIN_SHARE <= local_share <= LOCAL_MAX_SHARE
        and local_contrast >= LOCAL_MIN_CONTRAST
        and sub.get("aligned_double", 0.0) >= 50.0
    ):
        local_score = float(min(90.0, 100.0 * local_contrast))
    sub["regions"] = local_score
    score = _combine([double_likelihood, local_score])
    band = level(score, MEDIUM_AT, HIGH_AT)
    details.update(
        {
            "double_compression_likelihood": round(double_likelihood, 1),
            "primary_quality_estimate": primary_quality,
            "subscores": {k: round(v, 1) for k, v in sub.items()},
            "main_map": main_name,
            "notes": notes,
            "level": band,
        }
    )
    interpretation = _interpret(score, band, details, fp, facts, q_luma, adq, nadq, stab, ghost, local_box)
    return AnalyzerResult("ok", score, interpretation, details, main_map, extra)


def _encoder(data: bytes, fp: jpeg_tables.Fingerprint, facts: FileFacts) -> dict[str, Any]:
    """The encoder signature (media.jpeg_encoder) and the family it places the file in.

    ``libjpeg_defaults``: IJG tables in libjpeg's layout at 4:2:0 without restarts, what
    libjpeg-based software writes unless told otherwise; ``libjpeg_layout``: IJG tables in
    libjpeg's layout with another subsampling or restarts; ``ijg_tables``: IJG tables in
    another layout (many cameras); ``own_tables``: tables of the encoder's own.
    """
    sig = jpeg_encoder.read_signature(data)
    if sig is None:
        return {"family": "unknown", "signature": None}
    ijg = fp.ijg_quality is not None and len(facts.quantization) == 2
    if jpeg_encoder.libjpeg_defaults(sig, ijg, facts.subsampling):
        family = "libjpeg_defaults"
    elif ijg and jpeg_encoder.libjpeg_layout(sig):
        family = "libjpeg_layout"
    else:
        family = "ijg_tables" if fp.ijg_quality is not None else "own_tables"
    return {"family": family, "signature": sig.to_dict()}


def _fallback_rgb(media: Media) -> np.ndarray | None:
    """RGB pixels from the shared decode, or from OpenCV's tolerant decoder for damaged files."""
    try:
        return np.asarray(media.rgb)
    except Exception:  # noqa: BLE001 - Pillow refuses truncated data
        pass
    try:
        bgr = cv2.imdecode(np.frombuffer(media.data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    return None if bgr is None else np.ascontiguousarray(bgr[:, :, ::-1])


def _primary_quality(adq: jpeg_double.AlignedResult) -> int | None:
    """IJG quality whose luma table best explains the estimated first steps (None if too few)."""
    sig = adq.significant
    if len(sig) < 2:
        return None
    stack = np.stack([jpeg_tables.ijg_table(jpeg_tables.IJG_LUMA, q) for q in range(1, 101)])
    idx = np.array([int(jpeg_tables.ZIGZAG[f.zigzag]) for f in sig])
    steps = np.array([f.q1 for f in sig], np.float64)
    weights = np.array([min(f.gain, 1000.0) for f in sig])
    err = (np.abs(np.log(stack[:, idx] / steps[None, :])) * weights[None, :]).sum(axis=1)
    return int(np.argmin(err)) + 1


def _interpret(
    score: float,
    band: str,
    details: dict,
    fp: jpeg_tables.Fingerprint,
    facts: FileFacts,
    q: jpeg_tables.QualityEstimate,
    adq: jpeg_double.AlignedResult | None,
    nadq: jpeg_double.NonAlignedResult | None,
    stab: jpeg_double.StabilityResult | None,
    ghost: jpeg_ghost.GhostResult | None,
    box: list[int] | None,
) -> str:
    sub = details["subscores"]
    parts: list[str] = []
    if fp.ijg_quality is not None:
        writer = f"IJG/libjpeg-standard tables at quality {fp.ijg_quality} (written by most software and some cameras)"
    elif fp.tables_match.startswith("known_camera"):
        writer = f"tables known from {fp.tables_match.split(': ', 1)[1]} originals (IJG-equivalent quality {q.quality})"
    else:
        writer = f"tables of no known encoder (IJG-equivalent quality about {q.quality})"
    parts.append(f"Last saved with {writer}, {facts.subsampling} chroma.")
    family = details.get("encoder", {}).get("family")
    if family == "libjpeg_defaults" and facts.make:
        parts.append(
            "The whole header is libjpeg's with its default settings (one table per segment in libjpeg's order, "
            "4:2:0 chroma, no restart markers), as Pillow, OpenCV, GIMP and ImageMagick write it, while the EXIF "
            f"names a {facts.make} camera: software most likely re-encoded the photo (a few cameras run libjpeg "
            "in their firmware)."
        )
    elif family == "libjpeg_layout" and facts.make:
        parts.append(
            "The header is laid out as libjpeg lays it out (one table per segment, in its order) although the EXIF "
            f"names a {facts.make} camera: consistent with software that kept the photo's metadata."
        )
    elif family == "ijg_tables" and facts.make:
        parts.append("The header is laid out as camera firmware writes it, not as libjpeg does.")
    if fp.mismatch:
        parts.append(f"The tables contradict the EXIF camera: {fp.mismatch_reason}; the file was re-saved by software.")
    if details.get("jfif_before_exif"):
        parts.append(
            "The header puts a JFIF segment before the camera's EXIF, as libjpeg-based software does when it "
            "re-saves a photo (a few cameras do it too)."
        )
    resaved = []
    if sub.get("aligned_double", 0) >= 50:
        pq = details.get("primary_quality_estimate")
        resaved.append(
            "the DCT histograms show an earlier compression on the same grid"
            + (f" at about quality {pq}" if pq else "")
        )
    if sub.get("nonaligned_double", 0) >= 50 and nadq is not None:
        resaved.append(
            f"an earlier compression on a grid shifted to x={nadq.shift[0]}, y={nadq.shift[1]} (the image was cropped "
            "or shifted between the saves)"
        )
    if sub.get("same_table_resave", 0) >= 50:
        resaved.append("the coefficients are unusually stable under re-compression with the same tables (a re-save)")
    if resaved:
        who = "IJG/libjpeg-based software" if fp.ijg_quality is not None else "an encoder with these tables"
        parts.append(
            f"Re-saved after an earlier compression, probably by {who} at quality {q.quality}: "
            + "; ".join(resaved)
            + "."
        )
    elif score < MEDIUM_AT:
        parts.append("No sign of an earlier JPEG compression was found.")
    if sub.get("regions", 0) > 0 and box is not None:
        x0, y0, x1, y1 = (8 * v for v in box)
        parts.append(
            f"Regions with a different compression history (not double-compressed like the rest) lie within "
            f"x {x0}-{x1}, y {y0}-{y1} px: see the map; pasted or retouched content looks like this."
        )
    if ghost is not None and ghost.dip_quality is not None and ghost.dip_depth > 0.1:
        parts.append(f"JPEG ghost: the image-wide error curve dips at quality {ghost.dip_quality}.")
    caveats = (
        "Limits: an earlier compression is hard to see when the last save used a lower quality than the first, "
        "and a re-save with the file's own tables is only weakly visible; many cameras use IJG tables too."
    )
    return f"JPEG compression history {score:.0f}/100 ({band}). " + " ".join(parts) + " " + caveats
