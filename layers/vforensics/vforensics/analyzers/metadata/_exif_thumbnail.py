"""Does the EXIF thumbnail still show the picture? (thumbnail vs image consistency)

Cameras write a small preview (typically 160x120) into the EXIF block. Many editors copy
the EXIF block unchanged when they save, so after a crop, a splice or an object removal the
preview still shows the scene as the camera took it (Kee & Farid, "Digital image
authentication from thumbnails", SPIE 2010, model the thumbnail as crop, resize, filter and
JPEG-compress of the picture and use that construction as a camera signature; Forensically
and Ghiro show the thumbnail beside the image for this check).

Cameras make that preview in many ways, so the comparison assumes none of them:

1. Padding bars: rows and columns at the thumbnail's edges that are flat at one grey level
   (black, grey or white; centred or all on one side) are found by their row and column
   statistics and left out of the registration (letterboxing and pillarboxing).
2. Framing: the picture is registered onto the thumbnail by scale and offset, searched by
   masked normalised cross-correlation in the Fourier domain (Padfield, "Masked object
   registration in the Fourier domain", IEEE TIP 2012) and refined by an ECC affine fit
   (Evangelidis & Psarakis, IEEE TPAMI 2008). The framing found is reported as a fact, per
   side, as a share of the thumbnail's picture: some cameras preview a slightly wider,
   narrower or shifted field of view, and some crop the preview to fill it.
3. Compression: the picture, resampled into the thumbnail's frame and tone-matched by a cubic
   curve, is compressed with the thumbnail's own quantization tables before it is compared, so
   that the blocking and lost texture of a low-quality preview are on both sides.
4. Content: only the area both show is compared, in units of local contrast (sharpening and
   resampling differences at edges do not count).

A mismatch is one of: no registration that correlates (``MIN_CORRELATION``: a different
picture); the thumbnail showing more than ``MAX_MISSING_SHARE`` of its picture beyond the
image's edges on one axis (a crop, larger than the framing differences of cameras); or one
connected differing region inside the common area of more than ``MAX_REGION_SHARE`` of the
thumbnail (at thumbnail resolution: edits smaller than a few thumbnail pixels cannot show).
The image showing more than the thumbnail is never a mismatch by itself (crop-to-fill
previews), and neither are bars.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import ExifTags, Image

from vforensics.media.image import with_end_marker

#: a thumbnail pixel "differs" when its blurred absolute difference (0-255 luma scale) exceeds this
DIFF_LEVEL = 24.0
#: differences are divided by (1 + local contrast / this), in luma levels
CONTRAST_FLOOR = 8.0
#: pixels at the edge of the common area (the picture's footprint and the bars' edges) left out
#: of the region search: resampling and the registration's last pixel differ there on untouched files
EDGE_PX = 2
#: the flag fires when the registered image and thumbnail correlate less than this (a different picture) ...
MIN_CORRELATION = 0.80
#: ... or when the thumbnail shows more than this share of its picture (width or height) beyond
#: the image's edges: cameras frame previews within a few percent, a crop removes more ...
MAX_MISSING_SHARE = 0.08
#: ... or when one connected region of differing pixels covers more than this share of the thumbnail
MAX_REGION_SHARE = 0.004
#: a side whose framing differs by less than this share (about 2 pixels of 160) is reported as the same
FRAMING_TOLERANCE = 0.015
#: a row or column of a padding bar: its standard deviation (luma levels) is below this ...
BAR_STD = 4.0
#: ... and its mean within this of the bar's edge row or column
BAR_LEVEL_SPREAD = 6.0
#: a line of the thumbnail beyond the image's edge shows nothing when its standard deviation is
#: below this (plus the ringing its quantization allows): a crop that removed it removed nothing
EMPTY_STD = 1.0
#: ... and the picture next to it differs from the bar in level or texture by more than this many
#: times ``BAR_LEVEL_SPREAD`` or ``BAR_STD``
BAR_EDGE_FACTOR = 2.0
#: the picture's scale is searched from this share of the scale that fits it into the thumbnail's
#: picture box (a crop of up to a third on both axes) to this multiple of the scale that fills it
SCALE_RANGE = (0.65, 1.12)
SCALE_STEP = 1.025
#: the registration must overlap at least this share of the thumbnail's picture
MIN_OVERLAP = 0.45
_SIDES = ("left", "right", "top", "bottom")


@dataclass
class ThumbnailComparison:
    width: int
    height: int
    alignment: str
    correlation: float
    region_share: float
    region_box: tuple[int, int, int, int] | None  # x, y, w, h in image pixels
    difference: np.ndarray  # float32 0..1 in the thumbnail's frame (0 outside the common area)
    bars: dict[str, int]  # padding bar thickness per side, thumbnail pixels (sides without bars left out)
    bar_level: float | None
    #: per side, the share of the thumbnail's picture that the thumbnail shows beyond the image
    #: (positive) or the image shows beyond the thumbnail (negative)
    margins: dict[str, float] = field(default_factory=dict)
    quality_matched: bool = False

    @property
    def missing_share(self) -> float:
        """The most of the thumbnail's picture, on one axis, that the image does not show."""
        m = {k: max(0.0, v) for k, v in self.margins.items()}
        return max(m.get("left", 0) + m.get("right", 0), m.get("top", 0) + m.get("bottom", 0))

    @property
    def framing_differs(self) -> bool:
        return any(abs(v) > FRAMING_TOLERANCE for v in self.margins.values())

    @property
    def reason(self) -> str | None:
        if self.correlation < MIN_CORRELATION:
            return "different picture"
        if self.missing_share > MAX_MISSING_SHARE:
            return "cropped"
        if self.region_share > MAX_REGION_SHARE:
            return "region differs"
        return None

    @property
    def mismatch(self) -> bool:
        return self.reason is not None

    def framing_text(self) -> str:
        """The framing found, in words."""
        if not self.framing_differs:
            return "same framing"
        parts = []
        for side in _SIDES:
            v = self.margins.get(side, 0.0)
            if v > FRAMING_TOLERANCE:
                parts.append(f"the thumbnail shows {100 * v:.1f}% more at the {side}")
            elif v < -FRAMING_TOLERANCE:
                parts.append(f"the image shows {-100 * v:.1f}% more at the {side}")
        return "framing differs: " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {
            "thumbnail_size": [self.width, self.height],
            "alignment": self.alignment,
            "correlation": round(self.correlation, 4),
            "bars": {"sides": self.bars, "level": round(self.bar_level, 1)}
            if self.bars and self.bar_level is not None
            else None,
            "framing_differs": self.framing_differs,
            "framing": self.framing_text(),
            "framing_margins": {k: round(v, 4) for k, v in self.margins.items()},
            "missing_share": round(self.missing_share, 4),
            "compression_matched": self.quality_matched,
            "largest_differing_region_share": round(self.region_share, 5),
            "largest_differing_region_box": list(self.region_box) if self.region_box else None,
            "thresholds": {
                "min_correlation": MIN_CORRELATION,
                "max_missing_share": MAX_MISSING_SHARE,
                "max_region_share": MAX_REGION_SHARE,
            },
            "mismatch_reason": self.reason,
            "mismatch": self.mismatch,
        }


def extract(data: bytes, structure: dict) -> tuple[bytes, str] | None:
    """The thumbnail of the EXIF APP1 segment and where it was found, if there is one.

    IFD1's JPEGInterchangeFormat (the EXIF thumbnail proper) comes first; without one, the
    first JPEG stream elsewhere in the segment, which is where Sony, Panasonic and Casio
    cameras, among others, keep their preview (inside the MakerNote).
    """
    for segment in structure.get("segments", ()):
        if segment.get("identifier") != "Exif":
            continue
        start, stop = segment["offset"] + 4, segment["offset"] + segment["size"]
        if thumb := _ifd1_jpeg(data[start:stop]):
            return thumb, "EXIF IFD1 thumbnail"
        first = data.find(b"\xff\xd8\xff", start, stop)
        end = data.rfind(b"\xff\xd9", first, stop)
        if first >= 0 and end > first:
            return data[first : end + 2], "preview embedded in the EXIF block (MakerNote)"
    return None


def _ifd1_jpeg(payload: bytes) -> bytes | None:
    """The bytes IFD1's JPEGInterchangeFormat (0x0201) and its length (0x0202) point at, read
    with Pillow's EXIF parser from an APP1 payload (``Exif\\0\\0`` + TIFF block)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about the broken EXIF it then skips
            exif = Image.Exif()
            exif.load(payload)
            ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # malformed EXIF: no thumbnail to compare, never an error
        return None
    start, length, tiff = ifd1.get(0x0201), ifd1.get(0x0202), payload[6:]
    if not isinstance(start, int) or not isinstance(length, int) or start + length > len(tiff):
        return None
    thumb = tiff[start : start + length]
    return thumb if thumb[:3] == b"\xff\xd8\xff" else None


def compare(data: bytes, thumbnail: bytes, size: tuple[int, int]) -> ThumbnailComparison | None:
    """Compare the image in ``data`` (``size`` = width, height) with its EXIF ``thumbnail``.

    None when either cannot be decoded or the thumbnail is blank.
    """
    decoded = _decode(thumbnail, None)
    if decoded is None:
        return None
    thumb, qtable = decoded
    if min(thumb.shape) < 8 or thumb.std() < 2.0:  # some cameras write a blank preview
        return None
    found = _decode(data, 2 * max(thumb.shape))
    if found is None:
        return None
    image = found[0]
    th, tw = thumb.shape
    bars, level = _bars(thumb, qtable)
    picture = _picture_mask(thumb.shape, bars)
    best: tuple[float, float, int, int, str, np.ndarray] | None = None
    for suffix, img in _rotations(image, thumb.shape):
        if (hit := _register(img, thumb, picture)) is not None and (best is None or hit[0] > best[0]):
            best = (*hit, suffix, img)
    if best is None:  # nothing of the image lines up with the thumbnail
        return ThumbnailComparison(tw, th, "not registered", 0.0, 0.0, None, np.zeros_like(thumb), bars, level)
    _, scale, dx, dy, suffix, img = best
    resized = _resize(img, max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    warp = _refine(resized, thumb, picture, dx, dy)
    candidate = cv2.warpAffine(resized, warp, (tw, th), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ones = np.full(resized.shape, 255, np.uint8)
    common = cv2.warpAffine(ones, warp, (tw, th), flags=cv2.INTER_NEAREST, borderValue=0) > 0
    fitted = _tone_matched(candidate, thumb, common & picture)
    bars, level = _bars_the_image_explains(bars, level, fitted, common)
    picture = _picture_mask(thumb.shape, bars)
    prediction = np.where(common, fitted, thumb)
    matched = qtable is not None
    if qtable is not None:  # the image through the thumbnail's own compression (same block grid)
        prediction = _recompressed(prediction, qtable)
    inside = common & picture
    corr = _correlation(prediction[inside], thumb[inside]) if inside.sum() > 16 else 0.0
    diff = _difference(prediction, thumb)
    diff[~_compared_area(common, picture)] = 0.0
    margins = _margins(warp, resized.shape, thumb, bars, EMPTY_STD + _flat_limits(qtable)[0] - BAR_STD)
    to_image = None
    if not suffix:  # pixels of the thumbnail frame -> pixels of the (unrotated) image
        to_image = (warp, scale * img.shape[1] / size[0], scale * img.shape[0] / size[1])
    share, region = _largest_region(diff, thumb.shape, to_image)
    return ThumbnailComparison(
        tw,
        th,
        "registered" + suffix,
        corr,
        share,
        region,
        np.clip(diff / (4 * DIFF_LEVEL), 0, 1).astype(np.float32),
        bars,
        level,
        margins,
        matched,
    )


def _bars(thumb: np.ndarray, qtable: list[int] | None) -> tuple[dict[str, int], float | None]:
    """Padding bars at the thumbnail's edges: per side, how many rows or columns are flat at the
    grey level of the outermost one (row and column standard deviation and mean). Sides without
    bars are left out; a "bar" leaving less than a third of the thumbnail is not one.

    JPEG rings near the bar's edge: the rows of the 8x8 blocks that hold both bar and picture
    oscillate by about the quantization step of the lowest frequencies, so a low-quality
    thumbnail's bar rows may vary by that much (the tolerances grow with the step). A bar ends
    in a step to the picture (``BAR_EDGE_FACTOR``): flat dark sky or vignetting that fades
    into the picture is not one."""
    h, w = thumb.shape
    std_limit, level_limit = _flat_limits(qtable)
    lines = {
        "top": thumb,
        "bottom": thumb[::-1],
        "left": thumb.T,
        "right": thumb.T[::-1],
    }
    bars: dict[str, int] = {}
    levels: list[float] = []
    for side, rows in lines.items():
        std, mean = rows.std(axis=1), rows.mean(axis=1)
        n = 0
        while n < len(rows) and std[n] < std_limit and abs(mean[n] - mean[0]) < level_limit:
            n += 1
        after = range(n, min(n + 2, len(rows))) if n else range(0)
        edge = [max(abs(mean[i] - mean[:n].mean()) / BAR_LEVEL_SPREAD, std[i] / BAR_STD) for i in after]
        if edge and max(edge) > BAR_EDGE_FACTOR:  # padding ends in a step or in texture, a dark
            bars[side] = n  # vignette or sky fades into the picture
            levels.append(float(mean[:n].mean()))
    if h - bars.get("top", 0) - bars.get("bottom", 0) < h / 3 or w - bars.get("left", 0) - bars.get("right", 0) < w / 3:
        return {}, None
    return bars, (float(np.mean(levels)) if levels else None)


def _flat_limits(qtable: list[int] | None) -> tuple[float, float]:
    """The standard deviation and level spread (luma levels) a flat line of the thumbnail may have,
    grown by the ringing its quantization allows."""
    step = float(np.mean([qtable[1], qtable[8]])) if qtable else 0.0  # natural order: first AC terms
    return BAR_STD + step / 4, BAR_LEVEL_SPREAD + step / 2


def _picture_mask(shape: tuple[int, int], bars: dict[str, int]) -> np.ndarray:
    """The thumbnail's pixels outside its padding bars."""
    h, w = shape
    mask = np.zeros(shape, bool)
    mask[bars.get("top", 0) : h - bars.get("bottom", 0), bars.get("left", 0) : w - bars.get("right", 0)] = True
    return mask


def _bars_the_image_explains(
    bars: dict[str, int], level: float | None, fitted: np.ndarray, common: np.ndarray
) -> tuple[dict[str, int], float | None]:
    """Drop the "bars" the image shows too: flat dark sky or a studio background at the edge of
    the picture is content the image covers and is flat in, not padding."""
    h, w = fitted.shape
    kept = {}
    for side, n in bars.items():
        area = {
            "top": np.s_[:n, :],
            "bottom": np.s_[h - n :, :],
            "left": np.s_[:, :n],
            "right": np.s_[:, w - n :],
        }[side]
        covered = common[area]
        lines = fitted[area] if side in ("top", "bottom") else fitted[area].T
        flat = covered.mean() > 0.9 and float(np.median(lines.std(axis=1))) < 2 * BAR_STD
        if not flat:
            kept[side] = n
    return kept, (level if kept else None)


def _rotations(image: np.ndarray, thumb_shape: tuple[int, int]):
    th, tw = thumb_shape
    yield "", image
    if (image.shape[0] > image.shape[1]) != (th > tw) and image.shape[0] != image.shape[1]:
        yield " rotated 90", np.rot90(image, 1)
        yield " rotated 270", np.rot90(image, 3)


def _register(img: np.ndarray, thumb: np.ndarray, picture: np.ndarray) -> tuple[float, float, int, int] | None:
    """(correlation, scale, x offset, y offset) of ``img`` resized by scale and placed at the offset
    that best correlates with the thumbnail's picture: masked normalised cross-correlation over
    all offsets at once in the Fourier domain (Padfield 2012), for each scale from a crop of a
    third (``SCALE_RANGE``) to a crop-to-fill preview, at half the thumbnail's resolution (the
    ECC fit refines it). None when no placement overlaps enough."""
    k = 2 if min(thumb.shape) >= 64 else 1
    th, tw = thumb.shape[0] // k, thumb.shape[1] // k
    small = _resize(thumb, tw, th)
    mask = _resize(picture.astype(np.float32), tw, th) > 0.99
    ys, xs = np.nonzero(mask)
    if ys.size < 16:
        return None
    ch, cw = int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)
    ih, iw = img.shape
    low, high = SCALE_RANGE[0] * min(cw / iw, ch / ih), SCALE_RANGE[1] * max(cw / iw, ch / ih)
    scales = low * SCALE_STEP ** np.arange(int(np.log(high / low) / np.log(SCALE_STEP)) + 1)
    shape = (
        cv2.getOptimalDFTSize(th + round(ih * high) + 2),
        cv2.getOptimalDFTSize(tw + round(iw * high) + 2),
    )
    fmask = mask.astype(np.float64)
    fixed = cv2.GaussianBlur(small, (0, 0), 0.6).astype(np.float64) * fmask

    def spectrum(a: np.ndarray) -> np.ndarray:
        return np.fft.rfft2(a, shape)

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fft.irfft2(a * b, shape)

    f_m, f_f, f_ff = spectrum(fmask), spectrum(fixed), spectrum(fixed * fixed)
    need = MIN_OVERLAP * fmask.sum()
    best: tuple[float, float, int, int] | None = None
    for s in scales:
        mw, mh = max(2, round(iw * s)), max(2, round(ih * s))
        moving = cv2.GaussianBlur(_resize(img, mw, mh), (0, 0), 0.6).astype(np.float64)
        g_m, g_f, g_ff = (np.conj(spectrum(a)) for a in (np.ones_like(moving), moving, moving * moving))
        n = np.maximum(np.rint(corr(f_m, g_m)), 1.0)
        sf, sm = corr(f_f, g_m), corr(f_m, g_f)
        num = corr(f_f, g_f) - sf * sm / n
        den = (corr(f_ff, g_m) - sf * sf / n) * (corr(f_m, g_ff) - sm * sm / n)
        ncc = np.where((n >= need) & (den > 1e-3 * n * n), num / np.sqrt(np.maximum(den, 1e-12)), -1.0)
        i = int(np.argmax(ncc))
        if best is None or ncc.flat[i] > best[0]:
            y, x = divmod(i, shape[1])
            dy, dx = (y if y < th else y - shape[0]), (x if x < tw else x - shape[1])
            best = (float(ncc.flat[i]), float(s) * k, dx * k, dy * k)
    return best if best is not None and best[0] > 0 else None


def _refine(resized: np.ndarray, thumb: np.ndarray, picture: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The affine map from the resized image to the thumbnail: the registration's offset refined by
    ECC (Evangelidis & Psarakis 2008) over the thumbnail's picture; the offset alone when the fit
    does not converge or moves far (a large "correction" is a different picture)."""
    start = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    warp = start.copy()
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 1e-4)
    try:
        _, found = cv2.findTransformECC(resized, thumb, warp, cv2.MOTION_AFFINE, criteria, picture.astype(np.uint8), 3)
    except cv2.error:
        return start
    warp = np.asarray(found, np.float32)
    if np.abs(warp[:, :2] - np.eye(2)).max() > 0.1 or np.abs(warp[:, 2] - start[:, 2]).max() > 0.05 * max(thumb.shape):
        return start
    return warp


def _tone_matched(candidate: np.ndarray, thumb: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``candidate`` through the cubic tone curve that best maps it onto the thumbnail over ``where``
    (least squares; previews have their own tone curve)."""
    if where.sum() < 16:
        return candidate
    x, y = candidate[where].astype(np.float64) / 255.0, thumb[where].astype(np.float64)
    step = max(1, x.size // 4096)  # the curve has 4 coefficients: a few thousand samples fit it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        coeffs = np.polynomial.polynomial.polyfit(x[::step], y[::step], 3)
    fitted = np.polynomial.polynomial.polyval(candidate.astype(np.float64) / 255.0, coeffs)
    return np.clip(fitted, 0, 255).astype(np.float32)


def _recompressed(img: np.ndarray, qtable: list[int]) -> np.ndarray:
    """``img`` JPEG-compressed with the thumbnail's luma quantization table and decoded again."""
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "L").save(buf, "JPEG", qtables=[qtable])
    return np.asarray(Image.open(buf).convert("L"), dtype=np.float32)


def _difference(prediction: np.ndarray, thumb: np.ndarray) -> np.ndarray:
    """How much the thumbnail differs from the prediction, in units of local contrast: the blurred
    absolute difference divided by the local contrast of the flatter of the two, so that edges
    rendered with different sharpening or resampling do not count while texture present in one
    and absent in the other does."""
    diff = cv2.GaussianBlur(np.abs(thumb - prediction), (0, 0), 1.0)
    contrast = np.minimum(_local_std(prediction), _local_std(thumb))
    return diff / (CONTRAST_FLOOR + contrast) * CONTRAST_FLOOR


def _compared_area(common: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """Where differences count: the pixels the image covers, without ``EDGE_PX`` at the image's
    footprint edge, at the thumbnail's edge and at the edge of its bars (their resampling and the
    registration's last pixel differ there on untouched files). Bars the image covers are compared:
    content where the thumbnail has a bar is a difference."""
    kernel = np.ones((2 * EDGE_PX + 1, 2 * EDGE_PX + 1), np.uint8)
    inside = cv2.erode(common.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    p = picture.astype(np.uint8)
    bar_edge = cv2.dilate(p, kernel) != cv2.erode(p, kernel, borderType=cv2.BORDER_REPLICATE)
    return (inside > 0) & ~bar_edge


def _margins(
    warp: np.ndarray, moving_shape: tuple[int, ...], thumb: np.ndarray, bars: dict[str, int], flat_std: float
) -> dict[str, float]:
    """Per side, the share of the thumbnail's picture (inside its bars) that the thumbnail shows
    beyond the image's footprint (positive) or that the image shows beyond it (negative). Of what
    the thumbnail shows beyond the image only the lines with content count: flat lines (a black
    sky around the moon, bars the row statistics could not tell from the picture) lose nothing."""
    h, w = moving_shape[:2]
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ warp.T.astype(np.float64)
    th, tw = thumb.shape
    x0, x1 = bars.get("left", 0), tw - bars.get("right", 0)
    y0, y1 = bars.get("top", 0), th - bars.get("bottom", 0)
    edges = {
        "left": ((corners[0, 0] + corners[2, 0]) / 2 - x0, x1 - x0, thumb.T[x0:x1]),
        "right": (x1 - (corners[1, 0] + corners[3, 0]) / 2, x1 - x0, thumb.T[x0:x1][::-1]),
        "top": ((corners[0, 1] + corners[1, 1]) / 2 - y0, y1 - y0, thumb[y0:y1]),
        "bottom": (y1 - (corners[2, 1] + corners[3, 1]) / 2, y1 - y0, thumb[y0:y1][::-1]),
    }
    margins = {}
    for side, (beyond, extent, lines) in edges.items():
        if beyond > 0:
            whole = int(np.floor(beyond))
            with_content = int((lines[:whole].std(axis=1) >= flat_std).sum()) if whole else 0
            beyond = with_content + (beyond - whole if whole < len(lines) and lines[whole].std() >= flat_std else 0.0)
        margins[side] = float(beyond) / float(extent)
    return margins


def _decode(data: bytes, max_side: int | None) -> tuple[np.ndarray, list[int] | None] | None:
    """Luma (float32) and the JPEG luma quantization table, if any."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(with_end_marker(data)))
            if max_side and img.format == "JPEG":
                img.draft("L", (max_side, max_side))
            tables = getattr(img, "quantization", None) or {}
            qtable = list(tables[0]) if 0 in tables else None
            return np.asarray(img.convert("L"), dtype=np.float32), qtable
    except Exception:  # a broken thumbnail is reported as "not comparable", never fatal
        return None


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=cv2.INTER_AREA)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    x, y = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    sx, sy = x.std(), y.std()
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy)) if sx > 1e-6 and sy > 1e-6 else 0.0


def _local_std(img: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    mean = cv2.GaussianBlur(img, (0, 0), sigma)
    return np.sqrt(np.maximum(cv2.GaussianBlur(img * img, (0, 0), sigma) - mean * mean, 0))


def _largest_region(
    diff: np.ndarray,
    thumb_shape: tuple[int, int],
    to_image: tuple[np.ndarray, float, float] | None,
) -> tuple[float, tuple[int, int, int, int] | None]:
    """Share of the thumbnail covered by the largest differing region, and its box in image pixels
    (``to_image``: the map from the resized image to the thumbnail, and the resized image's scale
    per image pixel in x and y; None when the image was rotated to match)."""
    mask = (diff > DIFF_LEVEL).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return 0.0, None
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = (int(v) for v in stats[i])
    share = area / float(thumb_shape[0] * thumb_shape[1])
    if to_image is None:
        return share, None
    warp, sx, sy = to_image
    inverse = cv2.invertAffineTransform(warp.astype(np.float64))
    (u0, v0), (u1, v1) = (inverse @ np.array([px, py, 1.0]) for px, py in ((x, y), (x + w, y + h)))
    return share, (round(u0 / sx), round(v0 / sy), round((u1 - u0) / sx), round((v1 - v0) / sy))
