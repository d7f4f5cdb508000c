"""Does the EXIF thumbnail still show the picture? (thumbnail vs image consistency)

Cameras write a small preview (typically 160x120) into the EXIF block. Many editors copy
the EXIF block unchanged when they save, so after a crop, a splice or an object removal the
preview still shows the scene as the camera took it (Kee & Farid, "Digital image
authentication from thumbnails", SPIE 2010, use the thumbnail's construction as a camera
signature; Forensically and Ghiro show the thumbnail beside the image for this check).

The image is decoded at a reduced DCT scale and fitted into the thumbnail's frame in each
way cameras make previews (into the box their padding bars leave, or cropped to fill;
rotated when the orientations differ). The best-correlated fit is registered by ECC, its
tone matched by a cubic curve, and the difference measured in units of local contrast, so
that sharpening and resampling differences at edges do not count. A low correlation, a
picture whose shape the thumbnail's bars cannot explain, or one connected differing region
of more than ``MAX_REGION_SHARE`` of the thumbnail is a mismatch (at thumbnail resolution:
edits smaller than a few thumbnail pixels cannot show).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import ExifTags, Image

#: a thumbnail pixel "differs" when its blurred absolute difference (0-255 luma scale) exceeds this
DIFF_LEVEL = 24.0
#: differences are divided by (1 + local contrast / this), in luma levels
CONTRAST_FLOOR = 8.0
#: rows and columns at the edge of the picture's box left out of the region search: the
#: padding bars' edges and the previews' resampling differ there on untouched files
EDGE_PX = 2
#: the flag fires when the image and thumbnail correlate less than this (different framing or picture) ...
MIN_CORRELATION = 0.80
#: ... or when one connected region of differing pixels covers more than this share of the thumbnail
MAX_REGION_SHARE = 0.004


@dataclass
class ThumbnailComparison:
    width: int
    height: int
    alignment: str
    correlation: float
    region_share: float
    region_box: tuple[int, int, int, int] | None  # x, y, w, h in image pixels
    difference: np.ndarray  # float32 0..1, thumbnail frame of the image (content box only)
    framing_differs: bool  # the picture's shape differs and the thumbnail has no bars to explain it

    @property
    def mismatch(self) -> bool:
        return self.framing_differs or self.correlation < MIN_CORRELATION or self.region_share > MAX_REGION_SHARE

    def to_dict(self) -> dict:
        return {
            "thumbnail_size": [self.width, self.height],
            "alignment": self.alignment,
            "correlation": round(self.correlation, 4),
            "largest_differing_region_share": round(self.region_share, 5),
            "largest_differing_region_box": list(self.region_box) if self.region_box else None,
            "thresholds": {"min_correlation": MIN_CORRELATION, "max_region_share": MAX_REGION_SHARE},
            "framing_differs": self.framing_differs,
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
    thumb = _decode(thumbnail, None)
    if thumb is None or min(thumb.shape) < 8 or thumb.std() < 2.0:  # some cameras write a blank preview
        return None
    image = _decode(data, 2 * max(thumb.shape))
    if image is None:
        return None
    best: tuple[str, float, np.ndarray, np.ndarray, bool | np.bool_] | None = None
    for name, candidate, target, bars in _candidates(image, thumb):
        corr = _correlation(candidate, target)
        if best is None or corr > best[1]:
            best = (name, corr, candidate, target, bars)
    assert best is not None  # _candidates always yields the "fitted" candidate
    name, corr, candidate, target, bars = best
    candidate = _refine(candidate, target)
    corr = max(corr, _correlation(candidate, target))
    diff = _matched_difference(candidate, target)
    share, region = _largest_region(diff, size, thumb.shape, name)
    return ThumbnailComparison(
        thumb.shape[1], thumb.shape[0], name, corr, share, region, np.clip(diff / (4 * DIFF_LEVEL), 0, 1), not bars
    )


def _content_box(thumb: np.ndarray, aspect: float) -> tuple[tuple[int, int, int, int], bool | np.bool_]:
    """Where the picture lies in the thumbnail, and whether the thumbnail agrees with that.

    The whole thumbnail when the aspect ratios agree; else a box of the picture's aspect
    placed after the flat black or white bars cameras pad previews with (centred, or on some
    cameras all at the top). When those bars are missing the thumbnail shows a picture of
    another shape: the image was cropped after the thumbnail was written.
    """
    h, w = thumb.shape
    if abs(aspect / (w / h) - 1) < 0.03:
        return (0, 0, w, h), True

    def flat(line: np.ndarray) -> np.bool_:
        return line.std() < 4.0 and (line.mean() < 24 or line.mean() > 236)

    if aspect > w / h:  # bars above and below
        inner = max(1, round(w / aspect))
        lines = [thumb[i] for i in range(h)]
    else:
        inner = max(1, round(h * aspect))
        lines = [thumb[:, i] for i in range(w)]
    is_flat = [flat(line) for line in lines]
    first = next((i for i, f in enumerate(is_flat) if not f), 0)
    last = len(lines) - next((i for i, f in enumerate(reversed(is_flat)) if not f), 0)
    between = last - first
    if first + len(lines) - last > 0 and abs(between / inner - 1) < 0.08:  # bars found; some cameras
        inner = between  # squeeze the picture a little into what they leave (a Nikon: 160x112 for 3:2)
    start = min(first, len(lines) - inner)
    outside = is_flat[:start] + is_flat[start + inner :]
    bars = sum(outside) >= 0.8 * len(outside)
    return ((0, start, w, inner) if aspect > w / h else (start, 0, inner, h)), bars


def _decode(data: bytes, max_side: int | None) -> np.ndarray | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            if max_side and img.format == "JPEG":
                img.draft("L", (max_side, max_side))
            return np.asarray(img.convert("L"), dtype=np.float32)
    except Exception:  # a broken thumbnail is reported as "not comparable", never fatal
        return None


def _candidates(image: np.ndarray, thumb: np.ndarray):
    """(name, image resampled into the thumbnail's content box, that box of the thumbnail,
    whether the thumbnail's bars explain the picture's shape) for each way cameras make
    previews, and for the picture rotated when the orientations differ."""
    th, tw = thumb.shape
    rotations = [("", image)]
    if (image.shape[0] > image.shape[1]) != (th > tw) and image.shape[0] != image.shape[1]:
        rotations += [(" rotated 90", np.rot90(image, 1)), (" rotated 270", np.rot90(image, 3))]
    for suffix, img in rotations:
        ih, iw = img.shape
        (x, y, w, h), bars = _content_box(thumb, iw / ih)
        target = thumb[y : y + h, x : x + w]
        yield "fitted" + suffix, _resize(img, w, h), target, bars
        fill = max(tw / iw, th / ih)
        cw, ch = min(iw, round(tw / fill)), min(ih, round(th / fill))
        if cw < iw * 0.97 or ch < ih * 0.97:
            x0, y0 = (iw - cw) // 2, (ih - ch) // 2
            yield "cropped to fill" + suffix, _resize(img[y0 : y0 + ch, x0 : x0 + cw], tw, th), thumb, True


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=cv2.INTER_AREA)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    x, y = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    sx, sy = x.std(), y.std()
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy)) if sx > 1e-6 and sy > 1e-6 else 0.0


def _refine(candidate: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Undo the small shifts and scale differences of the camera's preview by an ECC affine fit
    (Evangelidis & Psarakis 2008); the candidate unchanged when the fit does not converge."""
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-3)
    try:
        _, warp = cv2.findTransformECC(  # type: ignore[call-overload]  # opencv's stubs reject a None mask with gaussFiltSize
            target, candidate, warp, cv2.MOTION_AFFINE, criteria, None, 3
        )
    except cv2.error:
        return candidate
    if np.abs(warp[:, :2] - np.eye(2)).max() > 0.1 or np.abs(warp[:, 2]).max() > 0.1 * max(target.shape):
        return candidate  # a large "correction" is a different picture, not a preview's misregistration
    flags = cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(candidate, warp, target.shape[::-1], flags=flags, borderMode=cv2.BORDER_REPLICATE)


def _matched_difference(image: np.ndarray, thumb: np.ndarray) -> np.ndarray:
    """How much the thumbnail differs from the image, in units of local contrast.

    The image's tone is matched to the thumbnail by a cubic curve fitted by least squares
    (previews have their own tone curve); the absolute difference is divided by the local
    contrast of the flatter of the two, so that edges rendered with different sharpening or
    resampling do not count while texture present in one and absent in the other does.
    """
    x, y = image.astype(np.float64) / 255.0, thumb.astype(np.float64)
    step = max(1, x.size // 4096)  # the curve has 4 coefficients: a few thousand samples fit it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        coeffs = np.polynomial.polynomial.polyfit(x.ravel()[::step], y.ravel()[::step], 3)
    fitted = np.polynomial.polynomial.polyval(x, coeffs).astype(np.float32)
    diff = cv2.GaussianBlur(np.abs(thumb - fitted), (0, 0), 1.0)
    contrast = np.minimum(_local_std(fitted), _local_std(thumb))
    return diff / (CONTRAST_FLOOR + contrast) * CONTRAST_FLOOR


def _local_std(img: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    mean = cv2.GaussianBlur(img, (0, 0), sigma)
    return np.sqrt(np.maximum(cv2.GaussianBlur(img * img, (0, 0), sigma) - mean * mean, 0))


def _largest_region(
    diff: np.ndarray, size: tuple[int, int], thumb_shape: tuple[int, int], alignment: str
) -> tuple[float, tuple[int, int, int, int] | None]:
    """Share of the thumbnail covered by the largest differing region, and its box in image pixels."""
    mask = (diff > DIFF_LEVEL).astype(np.uint8)
    mask[:EDGE_PX], mask[-EDGE_PX:], mask[:, :EDGE_PX], mask[:, -EDGE_PX:] = 0, 0, 0, 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return 0.0, None
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = (int(v) for v in stats[i])
    share = area / float(thumb_shape[0] * thumb_shape[1])
    if alignment != "fitted":  # only the plain fit maps back to image pixels simply
        return share, None
    sx, sy = size[0] / diff.shape[1], size[1] / diff.shape[0]
    return share, (round(x * sx), round(y * sy), round(w * sx), round(h * sy))
