"""The AI detector's data list: near-duplicates never straddle splits, families stay whole, crops are reproducible."""

import importlib.util
import sys

import numpy as np
from PIL import Image

from vforensics.evaluation import ai_data
from vforensics.evaluation.ai_data import Item

from .images import natural_rgb


def _save(path, rgb, fmt="PNG", **options):
    Image.fromarray(rgb).save(path, fmt, **options)
    return path


def test_a_resized_and_recompressed_copy_has_a_near_identical_hash_and_another_picture_does_not(tmp_path):
    rgb = natural_rgb(480, 640, seed=1)
    original = _save(tmp_path / "a.png", rgb)
    copy = _save(tmp_path / "b.jpg", np.asarray(Image.fromarray(rgb).resize((320, 240))), "JPEG", quality=70)
    other = _save(tmp_path / "c.png", np.ascontiguousarray(np.roll(rgb, 200, axis=1)))  # same texture, other layout
    hashes = [ai_data.difference_hash(p) for p in (original, copy, other)]
    assert ai_data.near_duplicate_pairs(hashes) == [(0, 1)]


def test_near_duplicates_share_a_group_and_so_a_split():
    items = [Item("sources", f"f{i}.png", -1, 1, "fam", f"f{i}.png") for i in range(40)]
    groups, across = ai_data.merge_groups(items, [(0, 39), (3, 7), (7, 12)])
    assert groups[0] == groups[39] and groups[3] == groups[7] == groups[12] and across == []
    assert len(set(groups)) == 40 - 3
    for seed in range(5):
        splits = ai_data.deal_splits(items, groups, seed)
        for i, j in ((0, 39), (3, 7), (3, 12)):
            assert splits[i] == splits[j]
        assert {"train", "test"} <= set(splits) and "calib" not in splits  # calib: real photos only


def test_near_duplicates_across_families_are_reported_not_merged():
    items = [Item("bench", "a", -1, 1, "x", "a"), Item("bench", "b", -1, 0, "camera", "b")]
    groups, across = ai_data.merge_groups(items, [(0, 1)])
    assert groups == ["a", "b"] and across == [("x:a", "camera:b")]


def test_real_families_get_a_calibration_split_and_tiny_families_keep_training_images():
    items = [Item("bench", f"r{i}", -1, 0, "real", f"r{i}") for i in range(20)]
    items += [Item("bench", f"t{i}", -1, 1, "tiny", f"t{i}") for i in range(3)]
    splits = ai_data.deal_splits(items, [it.group for it in items], 0)
    real, tiny = splits[:20], splits[20:]
    assert real.count("test") == 5 and real.count("calib") == 3 and real.count("train") == 12
    assert tiny.count("test") == 1 and tiny.count("train") == 2


def test_every_row_of_the_committed_list_is_in_one_split_and_groups_do_not_straddle():
    rows = ai_data.read_data_list(ai_data.DATA_LIST)
    assert {r["split"] for r in rows} == {"train", "test", "calib"}
    assert all(r["split"] != "calib" for r in rows if r["label"] == 1)
    split_of: dict[str, str] = {}
    for r in rows:
        assert split_of.setdefault(r["group"], r["split"]) == r["split"], r["group"]
    assert len(ai_data.ai_families(rows)) >= 10


def _crops_module(root):
    spec = importlib.util.spec_from_file_location("ai_training_crops", root / "training" / "ai_model" / "crops.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_augmented_crops_are_reproducible_and_of_the_crop_size(root):
    crops = _crops_module(root)
    rgb = natural_rgb(300, 420, seed=5)
    first = [crops.augmented_crop(rgb, np.random.default_rng([0, 7])) for _ in range(1)]
    again = [crops.augmented_crop(rgb, np.random.default_rng([0, 7])) for _ in range(1)]
    assert all(a is not None and a.shape == (128, 128, 3) and a.dtype == np.uint8 for a in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    rng = np.random.default_rng(1)
    many = [crops.augmented_crop(rgb, rng) for _ in range(40)]
    assert len({c.tobytes() for c in many if c is not None}) == 40
    assert crops.augmented_crop(natural_rgb(100, 400, seed=6), rng) is None


def test_the_blur_ablation_leaves_the_shipped_crops_alone_and_blurs_when_asked(root):
    crops = _crops_module(root)
    rgb = natural_rgb(300, 420, seed=5)
    plain = [crops.augmented_crop(rgb, np.random.default_rng([0, i])) for i in range(8)]
    no_blur = [crops.augmented_crop(rgb, np.random.default_rng([0, i]), blur_p=0.0) for i in range(8)]
    assert all(np.array_equal(a, b) for a, b in zip(plain, no_blur, strict=True))  # no extra draw at 0

    def detail(c: np.ndarray) -> float:  # mean absolute horizontal difference: what a blur removes
        return float(np.abs(np.diff(c.astype(np.float32), axis=1)).mean())

    blurred = [crops.augmented_crop(rgb, np.random.default_rng([0, i]), blur_p=1.0) for i in range(8)]
    assert np.median([detail(c) for c in blurred]) < np.median([detail(c) for c in plain])


def test_a_picture_just_above_the_crop_size_still_gives_plain_crops(root):
    crops = _crops_module(root)
    rng = np.random.default_rng(3)
    rgb = natural_rgb(130, 130, seed=8)
    assert all(crops.augmented_crop(rgb, rng).shape == (128, 128, 3) for _ in range(30))


def test_training_downscales_only_pictures_longer_than_its_short_side(root, tmp_path, monkeypatch):
    """``train.py --short-side N``: both classes downscaled alike to a shorter side of N (the analyzer's
    ``normalise.downscale``), smaller ones kept; 0 keeps every picture native."""
    from PIL import Image

    crops = _crops_module(root)
    monkeypatch.setitem(ai_data.ROOTS, "test", tmp_path)
    Image.fromarray(natural_rgb(900, 1200, seed=9)).save(tmp_path / "big.png")
    Image.fromarray(natural_rgb(300, 420, seed=10)).save(tmp_path / "small.png")
    big = {"root": "test", "file": "big.png", "tile": -1}
    small = {"root": "test", "file": "small.png", "tile": -1}
    native = crops.load_rgb(big).shape
    assert sorted(native[:2]) == [900, 1200]
    scaled = crops.load_scaled(big, 512).shape
    assert sorted(scaled[:2]) == [512, 683] and (scaled[0] < scaled[1]) == (native[0] < native[1])
    assert crops.load_scaled(big, 0).shape == native
    assert np.array_equal(crops.load_scaled(small, 512), crops.load_rgb(small))
