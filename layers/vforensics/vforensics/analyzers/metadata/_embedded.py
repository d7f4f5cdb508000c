"""Metadata blocks other than EXIF and XMP (``_xmp``): IPTC-IIM, the ICC profile, PNG text chunks.

- IPTC-IIM (Photoshop APP13): caption, byline, credit, source, keywords, via Pillow.
- ICC profile: its description (e.g. "sRGB IEC61966-2.1", "Display P3", "Adobe RGB").
- PNG text (tEXt/zTXt/iTXt): where Stable Diffusion front-ends store their "parameters"
  and ComfyUI its "prompt"/"workflow" JSON.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin

MAX_TEXT_CHARS = 2_000
_IPTC_FIELDS = {
    (2, 5): "object_name",
    (2, 25): "keywords",
    (2, 80): "byline",
    (2, 105): "headline",
    (2, 110): "credit",
    (2, 115): "source",
    (2, 116): "copyright",
    (2, 120): "caption",
    (2, 55): "date_created",
}


def read_iptc(img: ImageFile.ImageFile) -> dict[str, Any]:
    """IPTC-IIM fields of a JPEG's Photoshop APP13 block (``{}`` when absent or unreadable)."""
    try:
        raw = IptcImagePlugin.getiptcinfo(img) or {}
    except Exception:  # a malformed APP13 block is not worth failing the analysis for
        return {}
    out: dict[str, Any] = {}
    for key, name in _IPTC_FIELDS.items():
        if key in raw:
            values = raw[key] if isinstance(raw[key], list) else [raw[key]]
            texts = [v.decode("utf-8", "replace").strip()[:300] for v in values if isinstance(v, bytes)]
            out[name] = texts if name == "keywords" else "; ".join(texts)
    return out


def icc_description(img: Image.Image) -> str | None:
    """The ICC profile's description tag, e.g. "sRGB IEC61966-2.1"."""
    icc = img.info.get("icc_profile")
    if not icc:
        return None
    try:
        from PIL import ImageCms

        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or None
    except Exception:  # a broken profile is reported by its absence, not an error
        return "unreadable ICC profile"


def png_text(img: Image.Image, max_chars: int | None = MAX_TEXT_CHARS) -> dict[str, str]:
    """PNG text chunks (keyword -> text, each cut to ``max_chars``; whole with ``None``)."""
    try:
        texts = getattr(img, "text", None)
    except Exception:  # OSError, SyntaxError, ... and, on a second try, Pillow's own AssertionError
        # Pillow decodes the image to reach chunks after the pixel data; when that fails,
        # the text chunks read before it are still in ``info``
        texts = {k: v for k, v in img.info.items() if isinstance(v, str)}
    if not isinstance(texts, dict):
        return {}
    return {str(k)[:80]: str(v)[:max_chars] for k, v in texts.items()}
