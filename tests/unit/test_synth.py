"""Synthetic forgery cases: determinism, mask semantics, exact copies, untouched originals."""

import csv
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics.evaluation import synth
from vforensics.evaluation.synth import CLASSES, LOCALISED

EXIF_MAKE, EXIF_MODEL = 271, 272


def _small_sources(camera: Path, count: int = 3) -> list[Path]:
    """The smallest files (by bytes) of the camera pool that are eligible and under 1 MP."""
    picked = []
    for path in sorted(camera.glob("*.jpg"), key=lambda p: (p.stat().st_size, p.name)):
        with Image.open(path) as img:
            width, height = img.size
        if min(width, height) >= synth.MIN_SHORT_SIDE and width * height < 1_000_000:
            picked.append(path)
        if len(picked) == count:
            break
    return picked


@pytest.fixture(scope="module")
def pool(bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = _small_sources(bench / "camera")
    if len(sources) < 3:
        pytest.skip("fewer than 3 small camera originals in the bench")
    folder = tmp_path_factory.mktemp("pool")
    for path in sources:
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def runs(pool: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("synth")
    return {name: synth.synthesize(pool, out / name, seed=seed).parent for name, seed in [("a", 0), ("b", 0), ("c", 1)]}


def _rows(out_dir: Path) -> list[dict[str, str]]:
    with (out_dir / "cases.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _tree(out_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(out_dir.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_seed_gives_identical_files_and_another_seed_differs(runs: dict[str, Path]) -> None:
    a, b, c = (_tree(runs[k]) for k in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a["cases.csv"] != c["cases.csv"]
    assert [k for k in a if k.startswith("images/copy_move/") and a[k] != c[k]]


def test_csv_lists_every_class_for_every_source(runs: dict[str, Path], pool: Path) -> None:
    rows = _rows(runs["a"])
    assert list(rows[0]) == list(synth.CSV_HEADER)
    sources = sorted(p.name for p in pool.iterdir())
    expected = [
        (s, c) for s in sources for c in CLASSES if c != "thumbnail_kept" or _has_thumbnail((pool / s).read_bytes())
    ]
    assert sorted((r["source"], r["class"]) for r in rows) == sorted(expected)
    assert "| splice | 3 |" in (runs["a"] / "README.md").read_text(encoding="utf-8")


def test_masks_exist_exactly_for_localised_classes(runs: dict[str, Path]) -> None:
    out = runs["a"]
    for row in _rows(out):
        params = json.loads(row["params"])
        if row["class"] not in LOCALISED:
            assert row["mask"] == ""
            continue
        with Image.open(out / row["file"]) as img:
            size = img.size
        mask = np.asarray(Image.open(out / row["mask"]))
        assert mask.dtype == np.uint8 and mask.shape == size[::-1]
        assert set(np.unique(mask).tolist()) <= {0, 255}
        fraction = (mask > 0).mean()
        assert fraction == pytest.approx(params["mask_fraction"], abs=1e-5)
        low, high = synth.INPAINT_FRACTION if row["class"] == "inpaint" else (0.005, 0.08)
        assert low * 0.95 <= params["region_fraction"] <= high * 1.05
        if row["class"].startswith("copy_move"):
            n_labels, _ = cv2.connectedComponents((mask > 0).astype(np.uint8))
            assert n_labels - 1 >= 2  # the source region and the copy
        if row["class"] == "splice":
            assert params["donor"] != row["source"]


def test_manipulated_pixels_differ_from_the_source_inside_the_mask(runs: dict[str, Path], pool: Path) -> None:
    out = runs["a"]
    for row in _rows(out):
        if row["class"] not in LOCALISED:
            continue
        source = np.asarray(Image.open(pool / row["source"]).convert("RGB"), np.int16)
        edited = np.asarray(Image.open(out / row["file"]).convert("RGB"), np.int16)
        inside = _changed(np.asarray(Image.open(out / row["mask"])) > 0, json.loads(row["params"]))
        diff = np.abs(edited - source).mean(axis=2)
        # outside the mask only the JPEG re-compression differs; smooth inpainted areas differ least
        assert diff[inside].mean() > 1.2 * diff[~inside].mean(), (row["class"], row["source"])


def _changed(mask: np.ndarray, params: dict) -> np.ndarray:
    """The part of the mask whose pixels were replaced (for copy-move: the copy, not its source)."""
    if "source_box" not in params:
        return mask
    changed = np.zeros_like(mask)
    changed[_box(params["target_box"])] = mask[_box(params["target_box"])]
    return changed


def _texture(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)


def _box(params_box: list[int]) -> tuple[slice, slice]:
    x, y, w, h = params_box
    return slice(y, y + h), slice(x, x + w)


def test_plain_copy_move_pastes_an_exact_copy() -> None:
    rgb = _texture()
    edited, mask, params = synth.copy_move(rgb, np.random.default_rng(5))
    source, target = _box(params["source_box"]), _box(params["target_box"])
    region = mask[target]
    assert region.any() and np.array_equal(region, mask[source])
    assert np.array_equal(edited[target][region], rgb[source][region])
    assert np.array_equal(edited[~mask], rgb[~mask])
    assert not np.array_equal(edited[target][region], rgb[target][region])


@pytest.mark.parametrize("edit", [synth.copy_move_rotated, synth.copy_move_scaled, synth.inpaint])
def test_warped_copies_and_inpainting_only_change_masked_pixels(edit) -> None:
    rgb = _texture()
    edited, mask, params = edit(rgb, np.random.default_rng(7))
    assert np.array_equal(edited[~mask], rgb[~mask])
    changed = _changed(mask, params)
    assert (edited[changed] != rgb[changed]).any(axis=-1).mean() > 0.9
    if "angle_deg" in params:
        assert 5 <= abs(params["angle_deg"]) <= 30 or 0.8 <= params["scale"] <= 1.2


def test_splice_blends_the_donor_with_a_soft_edge() -> None:
    rgb, donor = _texture(1), np.zeros((480, 640, 3), np.uint8)
    edited, mask, params = synth.splice(rgb, donor, np.random.default_rng(2))
    assert edited[mask].mean() < 64  # mostly the (black) donor where alpha > 0.5
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~mask
    assert np.abs(edited[ring].astype(int) - rgb[ring]).mean() > 0  # feathered beyond the mask
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((61, 61), np.uint8)).astype(bool)
    assert np.array_equal(edited[far], rgb[far])


def test_originals_are_byte_identical_to_their_sources(runs: dict[str, Path], pool: Path) -> None:
    rows = [r for r in _rows(runs["a"]) if r["class"] == "original"]
    assert len(rows) == 3
    for row in rows:
        assert (runs["a"] / row["file"]).read_bytes() == (pool / row["source"]).read_bytes()
        assert row["quality"] == ""


def test_resaves_keep_exif_and_change_quality(runs: dict[str, Path], pool: Path) -> None:
    for row in _rows(runs["a"]):
        if row["class"] not in ("resave", "crop_resave"):
            continue
        params = json.loads(row["params"])
        with Image.open(pool / row["source"]) as src, Image.open(runs["a"] / row["file"]) as out:
            src_exif, out_exif = src.getexif(), out.getexif()
            assert out_exif.get(EXIF_MAKE) == src_exif.get(EXIF_MAKE) and out_exif.get(EXIF_MAKE)
            assert out_exif.get(EXIF_MODEL) == src_exif.get(EXIF_MODEL)
            if row["class"] == "resave":
                assert out.size == src.size
                assert abs(int(row["quality"]) - params["source_quality"]) >= 5
            else:
                dx, dy = params["crop_offset"]
                assert (dx, dy) != (0, 0) and 0 <= dx < 8 and 0 <= dy < 8
                assert out.size == (src.width - dx, src.height - dy)
        assert 75 <= int(row["quality"]) <= 97


@pytest.mark.parametrize("quality", [60, 83, 95])
def test_estimate_quality_recovers_pillow_qualities(quality: int) -> None:
    buffer = io.BytesIO()
    Image.fromarray(_texture()[:64, :64]).save(buffer, "JPEG", quality=quality)
    assert synth.estimate_quality(Image.open(buffer).quantization) == quality


def test_main_runs_a_class_subset(pool: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = synth.main([str(pool), str(tmp_path / "out"), "--classes", "original,resave", "--max-sources", "2"])
    assert code == 0
    assert sorted(r["class"] for r in _rows(tmp_path / "out")) == ["original", "original", "resave", "resave"]
    assert "4 cases" in capsys.readouterr().out


def test_metadata_cases_raise_exactly_the_flag_they_expect(runs: dict[str, Path]) -> None:
    from vforensics.analyzers.metadata import _analyzer as metadata
    from vforensics.media.image import Media

    out = runs["a"]
    meta_rows = [r for r in _rows(out) if r["class"] in synth.EXPECTED_FLAGS]
    assert {r["class"] for r in meta_rows} == set(synth.EXPECTED_FLAGS)
    for row in meta_rows:
        assert row["expected_flags"] == synth.EXPECTED_FLAGS[row["class"]] and not row["mask"]
        flags = metadata.analyze(Media.from_bytes((out / row["file"]).read_bytes())).details["flags"]
        assert row["expected_flags"] in flags, (row["file"], flags)
    assert all(not r["expected_flags"] for r in _rows(out) if r["class"] not in synth.EXPECTED_FLAGS)


def test_table_resaves_use_their_stated_tables_and_keep_exif(runs: dict[str, Path], pool: Path) -> None:
    rows = {(r["class"], r["source"]): r for r in _rows(runs["a"])}
    for (cls, source), row in rows.items():
        if cls not in ("resave_same_tables", "resave_foreign_tables"):
            continue
        params = json.loads(row["params"])
        with Image.open(pool / source) as src, Image.open(runs["a"] / row["file"]) as out:
            with Image.open(pool / params["tables_from"]) as donor:
                assert out.quantization == donor.quantization
            assert out.getexif().get(EXIF_MAKE) == src.getexif().get(EXIF_MAKE)
            assert out.size == src.size
            if cls == "resave_same_tables":
                assert params["tables_from"] == source
            else:
                assert out.quantization != src.quantization
                assert params["tables_make"] != str(src.getexif().get(EXIF_MAKE)).strip("\x00 ").lower()
            assert not np.array_equal(np.asarray(out), np.asarray(src.convert("RGB")))  # re-encoded


def test_edits_that_change_no_pixel_are_left_out(pool: Path, tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    shutil.copytree(pool, folder)
    Image.new("RGB", (640, 512)).save(folder / "zz_black.jpg", "JPEG", quality=90)
    rows = _rows(synth.synthesize(folder, tmp_path / "out", classes=["original", "copy_move", "splice"]).parent)
    black = sorted(r["class"] for r in rows if r["source"] == "zz_black.jpg")
    assert black == ["original", "splice"]  # a copy inside a black frame is no forgery; a splice into it is
    assert sum(r["class"] == "copy_move" for r in rows) == len(list(pool.glob("*.jpg")))


def _has_thumbnail(data: bytes) -> bool:
    exif = Image.open(io.BytesIO(data)).info.get("exif", b"")
    return b"\xff\xd8\xff" in exif[6:]


def test_only_thumbnail_kept_cases_keep_a_stale_thumbnail(runs: dict[str, Path], pool: Path) -> None:
    out = runs["a"]
    for row in _rows(out):
        data = (out / row["file"]).read_bytes()
        if row["class"] == "thumbnail_kept":
            source = Image.open(pool / row["source"])
            x0, y0, x1, y1 = json.loads(row["params"])["crop_box"]
            assert Image.open(out / row["file"]).size == (x1 - x0, y1 - y0)
            kept = ((x1 - x0) / source.width, (y1 - y0) / source.height)
            assert all(k == 1.0 or 0.74 <= k <= 0.9 for k in kept) and min(kept) < 1.0
            assert Image.open(io.BytesIO(data)).info["exif"] == source.info["exif"]
        elif row["class"] in LOCALISED:
            assert not _has_thumbnail(data)
            assert Image.open(io.BytesIO(data)).getexif().get(EXIF_MAKE)  # the rest of EXIF is kept


def test_generator_tag_cases_are_flagged_by_the_metadata_analyzer(runs: dict[str, Path]) -> None:
    from vforensics.analyzers.metadata import _analyzer as metadata
    from vforensics.media.image import Media

    out = runs["a"]
    tagged = [r for r in _rows(out) if r["class"] == "generator_tag"]
    assert tagged and all(r["expected_flags"] == "ai_generator_tag" for r in tagged)
    for row in tagged:
        result = metadata.analyze(Media.from_bytes((out / row["file"]).read_bytes(), "x.jpg"))
        assert "ai_generator_tag" in result.details["flags"], row


def test_final_save_classes_are_saved_as_real_tools_save(pool: Path, tmp_path: Path) -> None:
    """PNG export, the camera's subsampling, 4:4:4 and the camera's own tables, each with an exact mask."""
    from vforensics.media import jpeg_tables

    out = synth.synthesize(pool, tmp_path / "s", seed=0, classes=["original", *synth.FINAL_SAVES]).parent
    rows = [r for r in _rows(out) if r["class"] in synth.FINAL_SAVES]
    assert rows and {r["class"] for r in rows} <= set(synth.FINAL_SAVES)
    for row in rows:
        source = Image.open(pool / row["source"])
        img = Image.open(out / row["file"])
        mask = cv2.imread(str(out / row["mask"]), cv2.IMREAD_GRAYSCALE)
        assert mask is not None and mask.shape == (img.height, img.width) and (mask > 127).any()
        params = json.loads(row["params"])
        assert params["edit"] in ("splice", "inpaint")
        if row["class"] == "edit_png":
            assert img.format == "PNG"
            continue
        sampling = synth.JpegImagePlugin.get_sampling(img)
        if row["class"] == "edit_444":
            assert sampling == 0
        else:
            assert sampling == synth.JpegImagePlugin.get_sampling(source)
        if row["class"] == "edit_camera_tables":
            assert jpeg_tables.tables_hash(img.quantization) == jpeg_tables.tables_hash(source.quantization)


def test_in_place_metadata_edits_keep_every_image_byte(runs: dict[str, Path], pool: Path) -> None:
    rows = [r for r in _rows(runs["a"]) if r["class"] in synth.IN_PLACE]
    assert {r["class"] for r in rows} == set(synth.IN_PLACE)
    for row in rows:
        source, edited = (pool / row["source"]).read_bytes(), (runs["a"] / row["file"]).read_bytes()
        assert row["quality"] == "" and edited != source
        with Image.open(io.BytesIO(source)) as src, Image.open(io.BytesIO(edited)) as out:
            assert out.quantization == src.quantization
            assert np.array_equal(np.asarray(out), np.asarray(src))
            changed = {"editor_software_in_place": 0x0131, "date_modified_in_place": 0x0132}[row["class"]]
            assert out.getexif().get(changed) != src.getexif().get(changed)
        scan = source.rindex(b"\xff\xda")  # the last start of scan: past any thumbnail in EXIF
        assert edited.endswith(source[scan:])


def test_replace_exif_segment_inserts_replaces_and_keeps_stray_bytes() -> None:
    buffer = io.BytesIO()
    Image.fromarray(_texture()[:32, :32]).save(buffer, "JPEG", quality=90)
    plain = buffer.getvalue()  # SOI, APP0 (JFIF), tables, SOS ...
    exif = Image.Exif()
    exif[0x0131] = "GIMP 2.10.36"
    inserted = synth.replace_exif_segment(plain, exif.tobytes())
    assert inserted[2:4] == b"\xff\xe0" and inserted.count(b"Exif\x00\x00") == 1
    assert Image.open(io.BytesIO(inserted)).getexif()[0x0131] == "GIMP 2.10.36"
    exif[0x0131] = "Snapseed 2.0"
    app0_end = 4 + int.from_bytes(plain[4:6], "big")
    with_stray = inserted[:app0_end] + b"ab" + inserted[app0_end:]  # 2 stray bytes after APP0
    replaced = synth.replace_exif_segment(with_stray, exif.tobytes())
    assert replaced.count(b"Exif\x00\x00") == 1 and b"ab\xff" in replaced
    assert Image.open(io.BytesIO(replaced)).getexif()[0x0131] == "Snapseed 2.0"
    with pytest.raises(ValueError):
        synth.replace_exif_segment(plain[:40], exif.tobytes())
