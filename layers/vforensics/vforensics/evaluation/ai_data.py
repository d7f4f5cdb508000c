"""The AI-image detector's data: which files of ../shared/bench, in which split, and how to load them.

The list is ``training/ai_model/data_list.csv`` in the repository (written by
``training/ai_model/train.py --make-list``). Kept free of torch and OpenCV at import time, so
that the training (its own torch venv, which puts layers/vforensics on ``sys.path``), the
benchmark (``vforensics.evaluation.benchmarks.ai_model``) and the fit of the AI likelihood
(``vforensics.evaluation.fitting.fit_ai_likelihood``) all read the same list the same way.
Development tooling: needs the repository checkout.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[4]
BENCH = REPO.parent / "shared" / "bench"
DATA_LIST = REPO / "training" / "ai_model" / "data_list.csv"
SEEN_AI = ("sd15", "ml72-diffusion1")
UNSEEN_AI = ("ml72-diffusion2", "ml72-gan")
#: Share of files held out for test; more of real-web, the negatives that match ml72's subjects.
TEST_SHARE = {"real-web": 0.4}


def make_data_list(bench: Path, seed: int) -> list[dict]:
    """Rows (file, tile, label, family, split), split by file with a seeded shuffle."""
    rng = random.Random(seed)
    groups: dict[str, list[tuple[str, int, str]]] = {}  # family -> (file, label, tiles)
    for p in sorted((bench / "ai" / "sd15-grids").glob("*.webp")):
        groups.setdefault("sd15", []).append((str(p.relative_to(bench)), 1, "grid2x2"))
    for p in sorted((bench / "ai" / "ml72").glob("*.jpg")):
        family = "ml72-" + p.stem.split("_")[0]
        groups.setdefault(family, []).append((str(p.relative_to(bench)), 1, "whole"))
    for p in sorted((bench / "camera").iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg"):
            groups.setdefault("camera", []).append((str(p.relative_to(bench)), 0, "whole"))
    for p in sorted((bench / "real-web").glob("*.jpg")):
        groups.setdefault("real-web", []).append((str(p.relative_to(bench)), 0, "whole"))
    rows = []
    for family, files in sorted(groups.items()):
        files = files[:]
        rng.shuffle(files)
        n = len(files)
        if family in UNSEEN_AI:
            splits = ["test"] * n
        else:
            n_test, n_val = round(TEST_SHARE.get(family, 0.2) * n), max(1, round(0.1 * n))
            splits = ["test"] * n_test + ["val"] * n_val + ["train"] * (n - n_test - n_val)
        for (file, label, layout), split in zip(sorted(files), _aligned(files, splits), strict=True):
            tiles = range(4) if layout == "grid2x2" else [-1]
            rows += [dict(file=file, tile=t, label=label, family=family, split=split) for t in tiles]
    return rows


def _aligned(shuffled: list, splits: list[str]) -> list[str]:
    """The split of each file in sorted order (splits were dealt in shuffled order)."""
    by_file = {f[0]: s for f, s in zip(shuffled, splits, strict=True)}
    return [by_file[f[0]] for f in sorted(shuffled)]


def read_data_list(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [dict(r, tile=int(r["tile"]), label=int(r["label"])) for r in csv.DictReader(fh)]


def write_data_list(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["file", "tile", "label", "family", "split"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def load_rgb(bench: Path, row: dict) -> np.ndarray:
    """The image of one row as uint8 RGB (one quarter of a 2x2 grid when ``tile`` >= 0)."""
    with Image.open(bench / row["file"]) as img:
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
        return Media.from_bytes((BENCH / row["file"]).read_bytes(), Path(row["file"]).name)
    buf = io.BytesIO()
    Image.fromarray(load_rgb(BENCH, row)).save(buf, "PNG")
    return Media.from_bytes(buf.getvalue(), f"{Path(row['file']).stem}-{row['tile']}.png")
