"""The EXIF-thumbnail check on thumbnails framed the way other cameras frame them.

Real photos (samples/iphone4.jpg, and camera originals of ../shared/bench when it is beside
the repository) with their thumbnail regenerated as letterboxed, pillarboxed, differently
framed or low-quality previews (tests/unit/thumbnail_variants.py): untouched files must not
be flagged, and crops, pastes and removals made after the thumbnail was written must be.
"""

import csv

import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.metadata import FLAG_POINTS, analyze
from vforensics.media.image import Media

from . import thumbnail_variants as tv


def _thumbnail(data: bytes) -> tuple[dict, dict]:
    result = analyze(Media.from_bytes(data, "x.jpg"))
    return result.details["thumbnail"], result.details


def _file(main: np.ndarray, thumbnail_of: np.ndarray, *, bar: int = 0, size=(160, 120), quality=85, top=False) -> bytes:
    thumb = tv.jpeg(tv.boxed(thumbnail_of, *size, bar, top=top), quality)
    return tv.with_exif_thumbnail(tv.jpeg(np.ascontiguousarray(main), 92), thumb)


@pytest.fixture(scope="module")
def photo(root) -> np.ndarray:
    return np.asarray(Image.open(root / "samples" / "iphone4.jpg").convert("RGB"))  # 1296x968, 4:3


@pytest.fixture(scope="module")
def photo32(photo) -> np.ndarray:
    return np.ascontiguousarray(tv.centre_crop(photo, 3 / 2))


@pytest.mark.parametrize("bar", [0, 96, 128, 255])
@pytest.mark.parametrize("top", [False, True])
def test_letterboxed_thumbnail_of_a_3_2_picture_is_not_a_mismatch(photo32, bar, top):
    t, d = _thumbnail(_file(photo32, photo32, bar=bar, top=top))
    assert t["compared"] and not t["mismatch"], t
    assert "thumbnail_mismatch" not in d["flags"]
    sides = t["bars"]["sides"]
    assert set(sides) == ({"bottom"} if top else {"top", "bottom"})
    assert sum(sides.values()) in range(11, 15)  # 120 - 160 / 1.5 = 13.3 rows of bars
    assert abs(t["bars"]["level"] - bar) < 8
    assert not t["framing_differs"] and t["framing"] == "same framing"


@pytest.mark.parametrize("size,aspect", [((160, 120), 1.0), ((160, 90), 4 / 3)])
def test_pillarboxed_thumbnail_is_not_a_mismatch(photo, size, aspect):
    main = np.ascontiguousarray(tv.centre_crop(photo, aspect))
    t, _ = _thumbnail(_file(main, main, bar=128, size=size))
    assert t["compared"] and not t["mismatch"], t
    assert set(t["bars"]["sides"]) == {"left", "right"}


@pytest.mark.parametrize("quality", [20, 30, 40])
def test_low_quality_thumbnail_is_not_a_mismatch(photo, photo32, quality):
    for main in (photo, photo32):  # full frame, and letterboxed with black bars
        t, _ = _thumbnail(_file(main, main, quality=quality))
        assert t["compared"] and not t["mismatch"], t
        assert t["compression_matched"]


def test_a_slightly_wider_thumbnail_is_a_reported_framing_not_a_mismatch(photo):
    h, w = photo.shape[:2]
    main = photo[round(0.02 * h) : h - round(0.02 * h), round(0.02 * w) : w - round(0.02 * w)]  # 4% less
    t, d = _thumbnail(_file(main, photo))
    assert not t["mismatch"] and "thumbnail_mismatch" not in d["flags"], t
    assert t["framing_differs"] and t["framing"].startswith("framing differs")
    assert all(0.01 < t["framing_margins"][s] < 0.03 for s in ("left", "right", "top", "bottom")), t["framing_margins"]
    assert "thumbnail shows 2." in t["framing"] or "thumbnail shows 1.9" in t["framing"]


def test_a_narrower_or_shifted_thumbnail_is_a_reported_framing_not_a_mismatch(photo):
    h, w = photo.shape[:2]
    narrower = photo[round(0.02 * h) : h - round(0.02 * h), round(0.02 * w) : w - round(0.02 * w)]
    t, _ = _thumbnail(_file(photo, narrower))
    assert not t["mismatch"] and t["framing_differs"], t
    assert all(-0.03 < t["framing_margins"][s] < -0.01 for s in ("left", "right", "top", "bottom"))
    assert "the image shows" in t["framing"]
    m, k = round(0.04 * w), round(0.04 * h)
    main, shifted = photo[k : h - k, m : w - m], photo[k : h - k, 2 * m :]  # the preview 4% to the right
    t, _ = _thumbnail(_file(main, shifted, size=(160, round(160 * main.shape[0] / main.shape[1]))))
    assert not t["mismatch"] and t["framing_differs"], t
    assert t["framing_margins"]["left"] < -0.03 and t["framing_margins"]["right"] > 0.03


def test_grey_letterbox_low_quality_and_other_framing_together_are_not_a_mismatch(photo32):
    h, w = photo32.shape[:2]
    main = photo32[round(0.015 * h) : h - round(0.015 * h), round(0.015 * w) : w - round(0.015 * w)]
    t, _ = _thumbnail(_file(main, photo32, bar=128, quality=30))
    assert t["compared"] and not t["mismatch"], t
    assert set(t["bars"]["sides"]) == {"top", "bottom"}


@pytest.mark.parametrize("bar,quality", [(0, 85), (128, 30)])
def test_crop_after_a_letterboxed_thumbnail_is_found(photo32, bar, quality):
    h, w = photo32.shape[:2]
    cropped = photo32[:, round(0.12 * w) :]  # 12% cut from the left
    t, d = _thumbnail(_file(cropped, photo32, bar=bar, quality=quality))
    assert t["mismatch"] and t["mismatch_reason"] == "cropped", t
    assert 0.09 < t["framing_margins"]["left"] < 0.15 and abs(t["framing_margins"]["right"]) < 0.015
    assert "cropped" in d["flag_evidence"]["thumbnail_mismatch"]
    assert "12% of its picture" in d["flag_evidence"]["thumbnail_mismatch"]


def test_crop_of_ten_percent_split_between_sides_is_found(photo):
    h, w = photo.shape[:2]
    cropped = photo[:, round(0.05 * w) : w - round(0.05 * w)]
    t, _ = _thumbnail(_file(cropped, photo))
    assert t["mismatch_reason"] == "cropped", t


@pytest.mark.parametrize("quality", [85, 30])
def test_pasted_region_is_found_behind_bars_and_low_quality(photo32, quality):
    edited = photo32.copy()
    h, w = edited.shape[:2]
    edited[h // 3 : h // 3 + 200, w // 2 : w // 2 + 260] = photo32[::-1, ::-1][100:300, 100:360]  # 6% of the picture
    t, d = _thumbnail(_file(edited, photo32, bar=128, quality=quality))
    assert t["mismatch"] and t["mismatch_reason"] == "region differs", t
    x, y, bw, bh = t["largest_differing_region_box"]
    assert abs(x + bw / 2 - (w // 2 + 130)) < 80 and abs(y + bh / 2 - (h // 3 + 100)) < 80
    assert "inside the area both show" in d["flag_evidence"]["thumbnail_mismatch"]


def test_flat_dark_edge_of_the_picture_is_not_taken_for_a_bar(photo):
    dark = photo.copy()
    dark[:140] = 3  # a flat black band (night sky, studio backdrop) at the top of the picture
    t, _ = _thumbnail(_file(dark, dark))
    assert not t["mismatch"] and t["bars"] is None and not t["framing_differs"], t
    pasted = dark.copy()
    pasted[10:130, 300:700] = photo[500:620, 300:700]  # something put into that band afterwards
    t, d = _thumbnail(_file(pasted, dark))
    assert t["mismatch"], t
    assert d["metadata_score"] >= FLAG_POINTS["thumbnail_mismatch"]


def test_a_different_picture_is_a_mismatch(photo):
    other = np.ascontiguousarray(np.rot90(photo, 2))
    t, d = _thumbnail(_file(photo, other))
    assert t["mismatch"], t
    assert t["mismatch_reason"] in ("different picture", "region differs")


@pytest.mark.parametrize("turns", [1, 3])
def test_a_picture_turned_after_its_thumbnail_isrotated_after_capture_not_a_mismatch(photo, turns):
    t, d = _thumbnail(_file(np.rot90(photo, turns), photo))
    assert "rotated_after_capture" in d["flags"] and "thumbnail_mismatch" not in d["flags"], t
    assert f"turned by {(4 - turns) * 90} degrees" in d["flag_evidence"]["rotated_after_capture"]
    assert d["metadata_score"] == 0  # a turn changes no content: the flag adds no points
    _, upright = _thumbnail(_file(photo, photo))
    assert "rotated_after_capture" not in upright["flags"]


def test_a_portrait_orientation_tag_explains_a_turned_thumbnail():
    from vforensics.analyzers.metadata._analyzer import rotated_after_capture

    turned = {"compared": True, "alignment": "registered rotated 90"}
    assert rotated_after_capture(turned, {"Orientation": 1})
    assert rotated_after_capture(turned, {})
    assert rotated_after_capture(turned, {"Orientation": 6}) is None  # the viewer turns it: as the camera meant
    assert rotated_after_capture(turned, {"Orientation": 8}) is None
    assert rotated_after_capture({"compared": True, "alignment": "registered"}, {}) is None


def test_bench_cameras_with_other_cameras_previews(bench):
    """A few real camera originals of several makes, each with every kind of untouched preview,
    and a crop and a paste: none of the untouched is flagged, the edits are."""
    rows = list(csv.DictReader((bench / "camera" / "MANIFEST.csv").open()))
    chosen: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["file"]):
        chosen.setdefault(r["make"].split()[0].upper(), r["file"])
    names = sorted(chosen.values())[::4][:5]
    kinds = list(tv.UNTOUCHED_KINDS)
    pixels = {}
    for name in names:
        with Image.open(bench / "camera" / name) as img:
            img.draft("RGB", (tv.MAX_SIDE, tv.MAX_SIDE))
            pixels[name] = np.asarray(img.convert("RGB"))
    false_flags, missed, pastes = [], [], 0
    for i, name in enumerate(names):
        donor = pixels[names[(i + 1) % len(names)]]
        for j, kind in enumerate(kinds + ["crop", "paste"]):
            v = tv.variant(pixels[name], kind, seed=7919 * i + j, donor=donor)
            t, _ = _thumbnail(v.data)
            assert t["compared"], (name, kind)
            if kind in kinds and t["mismatch"]:
                false_flags.append((name, kind, v.params, t["mismatch_reason"]))
            # the Kodak PIXPRO FZ201 file is a moon in a black sky: cropping sky removes nothing a preview shows
            if kind == "crop" and not t["mismatch"] and "PIXPRO_FZ201" not in name:
                missed.append((name, kind, v.params))
            pastes += kind == "paste" and t["mismatch"]
    assert not false_flags
    assert not missed
    assert pastes >= len(names) - 1  # a pasted region can happen to look like what it covers
