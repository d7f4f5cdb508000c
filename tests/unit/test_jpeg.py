"""The jpeg compression-history analyzer on real photos and on re-saves the tests make themselves."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.analyzers.jpeg import _analyzer as jpeg
from vforensics.analyzers.jpeg import _dct as jpeg_dct
from vforensics.analyzers.jpeg import _double as jpeg_double
from vforensics.media import jpeg_tables
from vforensics.media.image import ImageInfo, Media, inspect_image

from .images import check_map, encode, natural_rgb


@pytest.fixture(scope="module")
def first_q70(photo) -> np.ndarray:
    """The photo after one Pillow save at quality 70, decoded: a known primary compression."""
    return _decode(encode(photo, "JPEG", quality=70))


def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _run(data: bytes):
    result = jpeg.analyze(Media.from_bytes(data))
    assert result.status in ("ok", "skipped")
    return result


# ---------------------------------------------------------------------------------------------
# Tables


def test_tables_are_read_exactly_in_natural_order(photo):
    luma = list(range(1, 65))
    chroma = [min(255, 3 * v) for v in range(1, 65)]
    data = encode(photo[:64, :64], "JPEG", qtables=[luma, chroma])
    facts = jpeg.read_file_facts(data)
    assert facts.quantization == {0: luma, 1: chroma}
    # The file stores zig-zag order: the second stored value is table[1], the third table[8].
    dqt = data.index(b"\xff\xdb")
    assert list(data[dqt + 5 : dqt + 8]) == [luma[0], luma[1], luma[8]]


@pytest.mark.parametrize("quality", [50, 75, 90])
def test_ijg_quality_of_pillow_saves(photo, quality):
    data = encode(photo, "JPEG", quality=quality)
    result = _run(data)
    assert result.details["quality_estimate"] == quality
    assert result.details["quality_luma"]["exact"] and result.details["quality_chroma"]["exact"]
    assert result.details["tables_match"] == "ijg_standard"
    assert result.details["fingerprint"]["ijg_quality"] == quality
    expected = "high quality" if quality >= 90 else ("medium" if quality >= 75 else "low")
    assert result.details["compression_level"] == expected


def test_quality_estimate_helpers():
    assert jpeg_tables.estimate_quality(jpeg_tables.ijg_table(jpeg_tables.IJG_LUMA, 83)).quality == 83
    camera_like = np.clip(jpeg_tables.ijg_table(jpeg_tables.IJG_LUMA, 90) + 1, 1, 255)
    estimate = jpeg_tables.estimate_quality(camera_like)
    assert not estimate.exact and 85 <= estimate.quality <= 90
    assert jpeg_tables.normalize_make("NIKON CORPORATION") == "nikon"
    assert jpeg_tables.normalize_make("Eastman Kodak Company") == jpeg_tables.normalize_make("KODAK")
    grey = jpeg_tables.ijg_tables_for(75, 1)
    assert jpeg_tables.tables_hash(grey) != jpeg_tables.tables_hash(jpeg_tables.ijg_tables_for(75, 2))


def test_table_database_is_packaged_and_documented():
    db = jpeg_tables.load_db()
    assert "hash" in db["description"] and db["entries"]
    kinds = {e["kind"] for e in db["entries"]}
    assert {"ijg", "camera"} <= kinds
    ijg75 = jpeg_tables.tables_hash(jpeg_tables.ijg_tables_for(75, 2))
    assert any(e["hash"] == ijg75 and e["ijg_quality"] == 75 for e in db["entries"])


def test_camera_tables_are_recognised_and_software_resave_contradicts_exif(photo_bytes, photo):
    original = _run(photo_bytes)
    assert original.details["tables_match"].startswith("known_camera: Apple iPhone 4")
    assert original.details["fingerprint_mismatch"] is False
    exif = Image.open(io.BytesIO(photo_bytes)).info["exif"]
    resaved = _run(encode(photo, "JPEG", quality=90, exif=exif))
    assert resaved.details["tables_match"] == "ijg_standard"
    assert resaved.details["fingerprint_mismatch"] is True
    assert resaved.score >= 50
    assert "re-saved by software" in resaved.interpretation


def test_foreign_camera_tables_contradict_exif(bench, photo_bytes, photo):
    nikon = Image.open(bench / "camera" / "mdx__Nikon_D90.jpg")
    exif = Image.open(io.BytesIO(photo_bytes)).info["exif"]  # says Apple iPhone 4
    data = encode(photo, "JPEG", qtables=nikon.quantization, subsampling=2, exif=exif)
    result = _run(data)
    assert result.details["tables_match"].startswith("known_camera: NIKON")
    assert result.details["fingerprint_mismatch"] is True


def test_tables_shared_across_makes_do_not_contradict_an_unknown_camera(photo_bytes):
    """The iPhone 4's tables are also the HTC Desire's: for a camera the database does not know
    they prove nothing about its make; for a model it knows with other tables they do."""
    tables = {k: list(v) for k, v in Image.open(io.BytesIO(photo_bytes)).quantization.items()}
    unknown = jpeg_tables.fingerprint(tables, "Acme Optical", "Snap 1")
    assert unknown.tables_match.startswith("known_camera") and not unknown.mismatch
    known_other = jpeg_tables.fingerprint(tables, "NIKON CORPORATION", "NIKON D90")
    assert known_other.mismatch and "use other tables" in known_other.mismatch_reason


def test_segment_layout_is_read(photo_bytes):
    layout = jpeg_tables.segment_layout(photo_bytes)
    assert layout[0] == "APP0-JFIF" and "APP1-Exif" in layout and layout[-1] == "SOS"
    assert jpeg_tables.segment_layout(b"not a jpeg") == []


# ---------------------------------------------------------------------------------------------
# Coefficients, grid


def test_coefficients_are_recovered_as_near_integers(photo):
    data = encode(photo, "JPEG", quality=80)
    plane = jpeg_dct.decode_luma(data)
    assert plane is not None and plane.exact and plane.y.shape == photo.shape[:2]
    table = np.asarray(Image.open(io.BytesIO(data)).quantization[0], np.float32).reshape(8, 8)
    scaled = jpeg_dct.block_dct(plane.y) / table
    usable = ~jpeg_dct.clipped_blocks(plane.y)
    assert float(np.abs(scaled - np.rint(scaled))[usable].mean()) < 0.1


def test_shifted_coefficients_match_the_block_dct():
    y = natural_rgb(96, 80)[:, :, 1]
    coeffs = jpeg_dct.shifted_coefficients(y, [(0, 0), (1, 2)])
    blocks = jpeg_dct.block_dct(y[3:, 5:])
    assert np.allclose(coeffs[1, 3::8, 5::8][: blocks.shape[0], : blocks.shape[1]], blocks[:, :, 1, 2], atol=1e-3)


def test_blocking_grid_offset_follows_a_crop(photo):
    data = encode(photo, "JPEG", quality=60)
    aligned = jpeg_dct.blocking_grid(jpeg_dct.decode_luma(data).y)
    assert aligned.offset == (0, 0) and aligned.strength > 20
    cropped = _decode(data)[5:, 3:]  # a PNG-like crop of a JPEG: the grid moves to (5, 3)
    grid = jpeg_dct.blocking_grid(jpeg_dct.luma_from_rgb(cropped).y)
    assert grid.offset == (5, 3)


# ---------------------------------------------------------------------------------------------
# Double compression


def test_camera_original_is_not_flagged(photo_bytes):
    result = _run(photo_bytes)
    assert result.status == "ok"
    sub = result.details["subscores"]
    assert sub["aligned_double"] < 50 and sub.get("nonaligned_double", 0) < 50
    assert result.score < 50
    check_map(result.map, (968, 1296))


def test_camera_original_from_bench_is_not_flagged(bench):
    data = (bench / "camera" / "mdx__Sony_DSC-P52.jpg").read_bytes()
    result = _run(data)
    assert result.details["double_compression_likelihood"] < 50 and result.score < 50


def test_in_camera_histogram_shaping_is_not_taken_for_a_double_compression(bench):
    """A 14 MP Nikon original (all luma steps 1): its shaped histograms once gave aligned evidence 401.

    The smooth model misfits such histograms, and with millions of coefficients a periodic term
    gains a lot of likelihood while explaining little of the misfit; only lattices that explain
    most of it count.
    """
    result = _run((bench / "camera" / "mdx__Nikon_D3100.jpg").read_bytes())
    aligned = result.details["aligned"]
    assert result.details["subscores"]["aligned_double"] < 50
    big = [f for f in aligned["fits"] if f["gain"] > 100]
    assert big and all(f["explained"] < jpeg_double.MIN_EXPLAINED for f in big)
    assert aligned["evidence"] < jpeg.ADQ_ZERO


def test_true_double_quantization_explains_most_of_the_misfit(first_q70):
    data = encode(first_q70, "JPEG", quality=90)
    plane = jpeg_dct.decode_luma(data)
    assert plane is not None
    table = np.asarray(Image.open(io.BytesIO(data)).quantization[0], np.int32)
    scaled = jpeg_dct.block_dct(plane.y) / table.reshape(8, 8)
    cq = np.rint(scaled).astype(np.int32).reshape(scaled.shape[0], scaled.shape[1], 64)
    adq = jpeg_double.aligned_double(cq, table, ~jpeg_dct.clipped_blocks(plane.y))
    assert len(adq.significant) >= 5
    assert np.median([f.explained for f in adq.significant]) > 0.7
    first = jpeg_tables.ijg_table(jpeg_tables.IJG_LUMA, 70)
    assert all(f.q1 == first[int(jpeg_tables.ZIGZAG[f.zigzag])] for f in adq.significant if f.q1 > f.q2)
    # the histogram-only fit used by the study gives the same model
    k = int(jpeg_tables.ZIGZAG[adq.significant[0].zigzag])
    usable = ~jpeg_dct.clipped_blocks(plane.y)
    hist = np.bincount(np.abs(cq[usable][:, k]))
    again = jpeg_double.fit_counts(hist, int(table[k]), adq.significant[0].zigzag)
    assert again is not None and again.q1 == adq.significant[0].q1
    assert abs(again.gain - adq.significant[0].gain) < 1e-6


def test_aligned_resave_is_detected_with_its_primary_quality(first_q70):
    result = _run(encode(first_q70, "JPEG", quality=90))
    assert result.details["subscores"]["aligned_double"] >= 50
    assert result.details["double_compression_likelihood"] >= 50
    assert abs(result.details["primary_quality_estimate"] - 70) <= 5
    assert result.details["main_map"] == "aligned_double_quantization"
    assert "earlier compression" in result.interpretation


def test_nonaligned_resave_is_detected_with_its_grid_offset(first_q70):
    data = encode(first_q70[5:, 3:], "JPEG", quality=90)  # crop by x=3, y=5, then save
    result = _run(data)
    nonaligned = result.details["nonaligned"]
    assert nonaligned["grid_offset_xy"] == [5, 3]
    assert result.details["subscores"]["nonaligned_double"] >= 50
    assert "shifted" in result.interpretation


def test_pasted_region_is_localised(first_q70):
    """A region from another, never-aligned source lacks the double-quantization pattern."""
    donor = cv2.resize(first_q70, None, fx=0.71, fy=0.71, interpolation=cv2.INTER_AREA)  # resampled: no grid
    edited = first_q70.copy()
    y, x, s = 300, 500, 256
    edited[y : y + s, x : x + s] = donor[100 : 100 + s, 100 : 100 + s]
    result = _run(encode(edited, "JPEG", quality=90))
    assert result.details["main_map"] == "aligned_double_quantization"
    h, w = edited.shape[:2]
    full = cv2.resize(result.map, (w, h), interpolation=cv2.INTER_LINEAR)
    inside = full[y + 16 : y + s - 16, x + 16 : x + s - 16].mean()
    mask = np.zeros((h, w), bool)
    mask[y : y + s, x : x + s] = True
    assert inside > 0.5 and inside > 4 * full[~mask].mean()
    assert result.details["subscores"]["regions"] > 0


def test_ghost_map_is_present_and_dips_at_the_first_quality(first_q70):
    result = _run(encode(first_q70, "JPEG", quality=95))
    ghost = result.extra_maps["jpeg_ghost"]
    check_map(ghost, first_q70.shape[:2])
    info = result.details["ghost"]
    assert info["dip_quality"] is not None and abs(info["dip_quality"] - 70) <= 8


def test_same_table_resave_changes_the_stability_statistic(photo_bytes):
    img = Image.open(io.BytesIO(photo_bytes))
    img.load()
    resaved = encode(img, "JPEG", qtables=img.quantization, subsampling="keep", exif=img.info["exif"])
    before = _run(photo_bytes).details["same_tables"]["log_ratio_vs_fresh"]
    after = _run(resaved).details["same_tables"]["log_ratio_vs_fresh"]
    assert after < before - 0.3
    rgb = _decode(photo_bytes)
    y = jpeg_dct.decode_luma(photo_bytes).y
    stab = jpeg_double.recompression_stability(rgb, y, [list(img.quantization[k]) for k in (0, 1)], 2)
    assert stab is not None and 1 in stab.flip_rates


# ---------------------------------------------------------------------------------------------
# Other formats and bad input


def test_non_jpeg_is_skipped_unless_it_carries_a_jpeg_grid_or_camera_exif(first_q70, photo_bytes):
    plain = _run(encode(natural_rgb(128, 96), "PNG"))
    assert plain.status == "skipped" and plain.score is None
    assert "PNG is not JPEG; compression history applies to JPEG files" in plain.interpretation
    converted = _run(encode(first_q70, "PNG"))  # a JPEG's pixels stored as PNG: the grid shows
    assert converted.status == "ok" and converted.details["blocking_grid"]["offset_xy"] == [0, 0]
    assert converted.score == jpeg.EARLIER_JPEG_IN_OTHER_FORMAT and "converted to PNG" in converted.interpretation
    exif = Image.open(io.BytesIO(photo_bytes)).info["exif"]
    exported = _run(encode(first_q70, "PNG", exif=exif))  # and it keeps the iPhone's EXIF
    assert exported.details["exif_make"] == "Apple" and exported.score > jpeg.CAMERA_EXIF_IN_OTHER_FORMAT
    assert "cameras do not write PNG" in exported.interpretation
    tiff = _run(encode(first_q70, "TIFF"))  # cameras do write TIFF
    assert tiff.status == "skipped"


@pytest.mark.parametrize(
    "name",
    ["progressive", "cmyk", "grayscale", "png16", "one_pixel", "strip", "odd_size", "444", "422", "420"],
)
def test_bad_and_unusual_input_does_not_crash(photo, name):
    small = photo[:200, :300]
    if name == "progressive":
        data = encode(small, "JPEG", quality=85, progressive=True)
    elif name == "cmyk":
        data = encode(Image.fromarray(small).convert("CMYK"), "JPEG", quality=85)
    elif name == "grayscale":
        data = encode(Image.fromarray(small).convert("L"), "JPEG", quality=85)
    elif name == "png16":
        data = encode(Image.fromarray(small[:, :, 0].astype(np.uint16) * 257), "PNG")
    elif name == "one_pixel":
        data = encode(small[:1, :1], "JPEG", quality=85)
    elif name == "strip":
        data = encode(np.tile(small[:40, :200], (1, 100, 1)), "JPEG", quality=85)  # 20000 x 40
    elif name == "odd_size":
        data = encode(small[:77, :131], "JPEG", quality=85)
    else:
        data = encode(small, "JPEG", quality=85, subsampling={"444": 0, "422": 1, "420": 2}[name])
    result = _run(data)
    if result.status == "ok":
        assert 0 <= result.score <= 100
        if result.map is not None:
            assert result.map.dtype == np.float32 and np.isfinite(result.map).all()
    if name in ("progressive", "444", "422", "420", "grayscale"):
        assert result.status == "ok" and result.details["quality_estimate"] == 85
    if name == "progressive":
        assert result.details["progressive"] is True
    if name in ("444", "422", "420"):
        assert result.details["subsampling"] == name[0] + ":" + name[1] + ":" + name[2]


def test_truncated_jpeg_does_not_crash(photo):
    data = encode(photo, "JPEG", quality=85)
    truncated = data[: len(data) * 2 // 3]
    try:
        media = Media.from_bytes(truncated)
    except Exception:  # noqa: BLE001 - the media layer may refuse it; the analyzer must still cope
        info = inspect_image(data)
        media = Media(truncated, ImageInfo(info.format, info.mime, info.width, info.height, info.mode))
    result = jpeg.analyze(media)
    assert result.status in ("ok", "skipped")
    assert result.details["quality_estimate"] == 85
