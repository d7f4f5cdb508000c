"""The label audit of camera originals (vforensics.evaluation.provenance_audit), on files read by
the real metadata analyzer: a camera original passes, and each change after capture is named."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from vforensics.analyzers.metadata import analyze
from vforensics.evaluation.provenance_audit import changed_after_capture
from vforensics.media.image import Media

from . import images
from . import thumbnail_variants as tv

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _facts(data: bytes) -> list[str]:
    return changed_after_capture(analyze(Media.from_bytes(data, "x.jpg")).details)


def _names(data: bytes) -> list[str]:
    return [f.split(":", 1)[0] for f in _facts(data)]


def _with_thumbnail(main: np.ndarray, thumbnail_of: np.ndarray) -> bytes:
    thumb = tv.jpeg(tv.boxed(thumbnail_of, 160, 120, 0), 85)
    return tv.with_exif_thumbnail(tv.jpeg(np.ascontiguousarray(main), 92), thumb)


def _dated(modified: str, captured: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0132] = modified
    exif.get_ifd(0x8769)[0x9003] = captured
    buf = io.BytesIO()
    Image.fromarray(images.natural_rgb(320, 240)).save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _photo() -> np.ndarray:
    """A real camera photo's pixels (samples/iphone4.jpg), 640 px wide."""
    with Image.open(SAMPLES / "iphone4.jpg") as im:
        return tv.reduce(np.asarray(im.convert("RGB")), 640)


def test_a_camera_original_and_its_untouched_thumbnail_pass():
    assert _facts((SAMPLES / "iphone4.jpg").read_bytes()) == []
    photo = _photo()
    assert _facts(_with_thumbnail(photo, photo)) == []


def test_a_frame_cropped_or_rotated_after_the_thumbnail_is_named():
    photo = _photo()
    h, w = photo.shape[:2]
    cropped = photo[h // 8 : h - h // 8, w // 8 : w - w // 8]
    assert _names(_with_thumbnail(cropped, photo)) == ["frame_beyond_thumbnail"]
    turned = np.rot90(photo, 1)
    facts = _facts(_with_thumbnail(turned, photo))
    assert [f.split(":", 1)[0] for f in facts] == ["frame_rotated_from_thumbnail"]
    assert "turned 90 degrees" in facts[0] or "turned 270 degrees" in facts[0]


def test_a_frame_smaller_than_a_camera_thumbnail_is_named():
    assert _names(tv.jpeg(images.natural_rgb(100, 64), 90)) == ["frame_under_thumbnail_size"]
    assert _names(tv.jpeg(images.natural_rgb(320, 240), 90)) == []


def test_a_modify_date_more_than_a_day_after_the_capture_is_named():
    facts = _facts(_dated("2008:07:31 17:20:21", "2007:06:15 04:42:32"))
    assert facts == ["modified_after_capture: ModifyDate 413 days after the capture"]
    assert _facts(_dated("2007:06:15 09:42:32", "2007:06:15 04:42:32")) == []  # the same day: not counted
    assert _facts(_dated("2006:01:01 00:00:00", "2007:06:15 04:42:32")) == []  # before the capture: a clock quirk
