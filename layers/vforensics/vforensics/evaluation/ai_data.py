"""The AI-image detector's data: which files, of which generator family, in which split, and how to load them.

The list is ``training/ai_model/data_list.csv`` in the repository (written by
``training/ai_model/train.py --make-list``). Two roots hold the files:

- ``bench``: ../shared/bench (the sd15 grids and ml72 images, camera originals, web photos);
- ``sources``: the images that ../shared/bench/ai/SOURCES.csv lists, gathered byte for byte by
  ``gather_sources.py`` into ``VF_AI_SOURCES`` (default ../ai-sources beside the project;
  ``make gather-ai`` does it): GPT-4o, SD 1.5 / 2.x / 3, SDXL, Stable Cascade, Flux.1 and
  COCO, OpenImages, Flickr, ADE20K, ImageNet and FFHQ photos.

A **family** is one generator (or one source of real photos); every leave-one-family-out fold
drops one AI family whole. Inside a family, files are dealt into splits by **group**: the
four tiles of a grid, the images of one GPT-4o prompt, and every pair of files whose decoded
pixels are near-identical (difference hash, ``NEAR_DUPLICATE_BITS``) share a group, so no
near-duplicate straddles two splits (the repository's two sample images are pinned to the test
split). Splits: ``train``; ``test`` (the in-distribution test of
the final model, and the real photos on which its false alarms are measured); ``calib`` (real
photos only: with the left-out families' images they fit the score's calibration, and are
never reported).

Kept free of torch and OpenCV at import time, so that the training (its own torch venv,
which puts layers/vforensics on ``sys.path``), the benchmark and the fits read the same list
the same way. Development tooling: needs the repository checkout.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[4]
BENCH = REPO.parent / "shared" / "bench"
SOURCES = Path(os.environ.get("VF_AI_SOURCES", REPO.parent / "ai-sources"))
ROOTS = {"bench": BENCH, "sources": SOURCES}
DATA_LIST = REPO / "training" / "ai_model" / "data_list.csv"
COLUMNS = ["root", "file", "tile", "label", "family", "group", "split"]
#: Generator families of the bench (ml72's are unnamed generators: kept apart as their own families).
BENCH_AI = {"sd15-grids": "sd1.x", "diffusion1": "ml72-diffusion1", "diffusion2": "ml72-diffusion2", "gan": "ml72-gan"}
#: Folders of the gathered sources by family (gather_sources.py's names), AI then real.
SOURCE_FAMILIES = {
    "gpt-4o": ("gpt-4o", 1),
    "sd1.5": ("sd1.x", 1),
    "sd2.x": ("sd2.x", 1),
    "sd3": ("sd3", 1),
    "sdxl": ("sdxl", 1),
    "stable-cascade": ("stable-cascade", 1),
    "flux.1": ("flux.1", 1),
    "real-coco": ("real-coco", 0),
    "real-openimages": ("real-openimages", 0),
    "real-flickr": ("real-flickr", 0),
    "real-ade20k": ("real-ade20k", 0),
    "real-imagenet": ("real-imagenet", 0),
    "real-ffhq": ("real-ffhq", 0),
}
TEST_SHARE = 0.25  # of each family's groups: the in-distribution test (real photos: the false-alarm test)
CALIB_SHARE = 0.15  # of each real family's groups: the calibration set
NEAR_DUPLICATE_BITS = 6  # difference hashes (64 bits) this close: the same picture
#: Groups always in the test split: the repository's samples (samples/README.md), so that the
#: README's examples show files the detector never trained on.
PINNED_TEST = frozenset({"ai/ml72/diffusion1_5.jpg", "camera/mdx__Apple_iPhone_4.jpg"})


@dataclass(frozen=True)
class Item:
    root: str
    file: str
    tile: int
    label: int
    family: str
    group: str


def path_of(row: dict) -> Path:
    return ROOTS[row["root"]] / row["file"]


def sources_available() -> bool:
    return (SOURCES / "MANIFEST.csv").is_file()


def bench_items(bench: Path) -> list[Item]:
    items = []
    for p in sorted((bench / "ai" / "sd15-grids").glob("*.webp")):
        rel = str(p.relative_to(bench))
        items += [Item("bench", rel, t, 1, "sd1.x", rel) for t in range(4)]
    for p in sorted((bench / "ai" / "ml72").glob("*.jpg")):
        rel = str(p.relative_to(bench))
        items.append(Item("bench", rel, -1, 1, BENCH_AI[p.stem.split("_")[0]], rel))
    for p in sorted((bench / "camera").iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg"):
            rel = str(p.relative_to(bench))
            items.append(Item("bench", rel, -1, 0, "camera", rel))
    for p in sorted((bench / "real-web").glob("*.jpg")):
        rel = str(p.relative_to(bench))
        items.append(Item("bench", rel, -1, 0, "real-web", rel))
    return items


def source_items(sources: Path) -> list[Item]:
    """The gathered files; GPT-4o images of one prompt (``cases/N/``) form one group."""
    with (sources / "MANIFEST.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    items = []
    for r in sorted(rows, key=lambda r: r["file"]):
        family, label = SOURCE_FAMILIES[r["family"]]
        group = r["file"]
        if r["family"] == "gpt-4o" and r["path"].startswith("cases/"):
            group = "gpt-4o/" + "/".join(r["path"].split("/")[:2])
        items.append(Item("sources", r["file"], -1, label, family, group))
    return items


def difference_hash(path: Path, tile: int = -1) -> int:
    """64-bit difference hash (Krawetz's dHash) of the decoded picture: equal up to resizing and re-saving."""
    with Image.open(path) as img:
        img.draft("L", (256, 256))
        gray = img.convert("L")
        if tile >= 0:
            w, h = gray.size[0] // 2, gray.size[1] // 2
            ty, tx = divmod(tile, 2)
            gray = gray.crop((tx * w, ty * h, (tx + 1) * w, (ty + 1) * h))
        small = np.asarray(gray.resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).reshape(-1)
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def near_duplicate_pairs(hashes: list[int], max_bits: int = NEAR_DUPLICATE_BITS) -> list[tuple[int, int]]:
    """Index pairs whose hashes differ in at most ``max_bits`` bits."""
    h = np.array(hashes, dtype=np.uint64)
    pairs = []
    for i in range(len(h) - 1):
        diff = np.bitwise_xor(h[i + 1 :], h[i])
        count = np.zeros(len(diff), dtype=np.int64)
        for shift in range(64):
            count += ((diff >> np.uint64(shift)) & np.uint64(1)).astype(np.int64)
        pairs += [(i, i + 1 + int(j)) for j in np.nonzero(count <= max_bits)[0]]
    return pairs


def merge_groups(items: list[Item], pairs: Iterable[tuple[int, int]]) -> tuple[list[str], list[tuple[str, str]]]:
    """The group of each item after joining near-duplicates (union-find); pairs across families, reported."""
    parent = {g: g for g in (it.group for it in items)}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    across = []
    for i, j in pairs:
        a, b = items[i], items[j]
        if a.family != b.family:
            across.append((f"{a.family}:{a.file}", f"{b.family}:{b.file}"))
            continue
        ra, rb = find(a.group), find(b.group)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(it.group) for it in items], across


def deal_splits(items: list[Item], groups: list[str], seed: int) -> list[str]:
    """Split of each item: per family, its groups shuffled (seeded) and dealt test / calib / train."""
    rng = random.Random(seed)
    split_of: dict[str, str] = {}
    for family in sorted({it.family for it in items}):
        fam_groups = sorted({g for it, g in zip(items, groups, strict=True) if it.family == family})
        rng.shuffle(fam_groups)
        fam_groups.sort(key=lambda g: g not in PINNED_TEST)  # stable: the pinned ones first, dealt to test
        label = next(it.label for it in items if it.family == family)
        n = len(fam_groups)
        n_test = max(1, round(TEST_SHARE * n)) if n > 1 else 0
        n_calib = max(1, round(CALIB_SHARE * n)) if label == 0 and n > 2 else 0
        for k, g in enumerate(fam_groups):
            split_of[g] = "test" if k < n_test else "calib" if k < n_test + n_calib else "train"
    return [split_of[g] for g in groups]


def make_data_list(bench: Path, seed: int, sources: Path | None = SOURCES) -> tuple[list[dict], dict]:
    """Rows of the data list, and what the near-duplicate check found."""
    items = bench_items(bench) + (source_items(sources) if sources is not None else [])
    roots = {"bench": bench, "sources": sources}
    hashes = [difference_hash(roots[it.root] / it.file, it.tile) for it in items]  # type: ignore[operator]
    pairs = near_duplicate_pairs(hashes)
    groups, across = merge_groups(items, pairs)
    splits = deal_splits(items, groups, seed)
    rows = [
        dict(root=it.root, file=it.file, tile=it.tile, label=it.label, family=it.family, group=g, split=s)
        for it, g, s in zip(items, groups, splits, strict=True)
    ]
    check = {"near_duplicate_pairs": len(pairs), "across_families": across}
    return rows, check


def read_data_list(path: Path = DATA_LIST) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [dict(r, tile=int(r["tile"]), label=int(r["label"])) for r in csv.DictReader(fh)]


def write_data_list(rows: list[dict], path: Path = DATA_LIST) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def available(rows: list[dict]) -> list[dict]:
    """The rows whose root is present here (the gathered sources are not in ../shared)."""
    return [r for r in rows if r["root"] == "bench" or sources_available()]


def ai_families(rows: list[dict]) -> list[str]:
    return sorted({r["family"] for r in rows if r["label"] == 1})


def scorable(row: dict, side: int = 128) -> bool:
    """Whether the row's picture (a tile: a quarter) is at least ``side`` px a side: the detector's crop."""
    with Image.open(path_of(row)) as img:
        w, h = img.size
    if row["tile"] >= 0:
        w, h = w // 2, h // 2
    return min(w, h) >= side


def load_rgb(row: dict) -> np.ndarray:
    """The image of one row as uint8 RGB (one quarter of a 2x2 grid when ``tile`` >= 0)."""
    with Image.open(path_of(row)) as img:
        rgb = np.asarray(img.convert("RGB"))
    if row["tile"] >= 0:
        h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
        ty, tx = divmod(row["tile"], 2)
        rgb = rgb[ty * h : (ty + 1) * h, tx * w : (tx + 1) * w]
    return np.ascontiguousarray(rgb)


def media_of(row: dict):
    """The image of one row as the pipeline receives it: the file's bytes, or a grid tile as lossless PNG.

    Imports the library's Media lazily: the training environment (torch) has no OpenCV.
    """
    import io

    from vforensics.media.image import Media

    if row["tile"] < 0:
        return Media.from_bytes(path_of(row).read_bytes(), Path(row["file"]).name)
    buf = io.BytesIO()
    Image.fromarray(load_rgb(row)).save(buf, "PNG")
    return Media.from_bytes(buf.getvalue(), f"{Path(row['file']).stem}-{row['tile']}.png")
