"""Labelled cases: the table ``vforensics synth`` writes, and the published sets' layouts.

One format for everything (``cases.csv``): ``file,class,mask,source,quality,params`` with
``file``/``mask`` relative to the CSV's folder, optionally ``dataset`` and ``expected_flags``
(metadata flags the case must raise, ``;``-separated). ``class`` is ``original`` for
untouched images (the negatives); anything else is a manipulation. The same table is what
the peer runners (tools/peers) read, and a case's id is derived from ``file`` the same way
on both sides.

Published layouts understood by ``prepare_published`` (all masks 255 = manipulated):
CASIA v1 samples (``authentic/*_au.*``, ``tampered/*``, ``mask/*_gt.png``), NoSo copy-move
(``NN.png`` original, ``NN_mod*.png`` forgery, ``NN_mod*_gt.png`` mask) and CASIA v2 samples
(``Tp_*.jpg`` with ``Tp_*_gt.png``; ``Tp_D`` = spliced from another image, ``Tp_S`` = same image).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

ORIGINAL = "original"
AI_GENERATED = "ai_generated"  # positives of the AI-generation metric
REAL = "real"  # real photos that are not camera originals (web copies): AI negatives only
FIELDS = ["file", "class", "mask", "source", "quality", "params", "dataset", "expected_flags"]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}


@dataclass(frozen=True)
class Case:
    root: Path  # folder of the cases.csv
    file: str  # as written in the table (relative to root)
    label: str  # the class
    mask: str | None
    dataset: str
    expected_flags: tuple[str, ...] = ()
    source: str = ""  # the photo a synthetic case was made from (its file name in the source folder)

    @property
    def case_id(self) -> str:
        return case_id(self.file)

    @property
    def path(self) -> Path:
        return self.root / self.file

    @property
    def mask_path(self) -> Path | None:
        return self.root / self.mask if self.mask else None

    @property
    def manipulated(self) -> bool:
        return self.label not in (ORIGINAL, REAL)


def case_id(file: str) -> str:
    """``images/splice/a.jpg`` -> ``images__splice__a`` (the peers use the same rule)."""
    return os.path.splitext(file)[0].replace("/", "__")


def read_cases(csv_path: Path) -> list[Case]:
    csv_path = Path(csv_path)
    default_dataset = csv_path.parent.name
    with csv_path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Case(
            root=csv_path.parent,
            file=row["file"],
            label=row["class"],
            mask=row.get("mask") or None,
            dataset=row.get("dataset") or default_dataset,
            expected_flags=tuple(f for f in (row.get("expected_flags") or "").split(";") if f),
            source=row.get("source") or "",
        )
        for row in rows
    ]


def write_cases(rows: list[dict], csv_path: Path) -> Path:
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in FIELDS})
    return csv_path


def prepare_published(folder: Path, out_dir: Path) -> Path:
    """Write ``out_dir/cases.csv`` for a published set, or a folder of them.

    The images stay where they are: ``out_dir/data/<set>`` is a symlink to each set, and the
    table names files through it, so ``file`` stays relative to the table's folder.
    """
    folder = Path(folder).resolve()
    sets = [folder] if _layout(folder) else sorted(p for p in folder.iterdir() if p.is_dir() and _layout(p))
    if not sets:
        raise ValueError(f"{folder}: no known dataset layout (CASIA v1/v2 samples, NoSo)")
    rows = []
    for dataset in sets:
        link = out_dir / "data" / dataset.name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(dataset, target_is_directory=True)
        layout = _layout(dataset)
        assert layout is not None  # sets holds only folders with a known layout
        for rel_file, label, rel_mask in _LAYOUTS[layout](dataset):
            rows.append(
                {
                    "file": f"data/{dataset.name}/{rel_file}",
                    "class": label,
                    "mask": f"data/{dataset.name}/{rel_mask}" if rel_mask else "",
                    "dataset": dataset.name,
                }
            )
    return write_cases(rows, out_dir / "cases.csv")


def prepare_ai(ai_dirs: list[Path], real_dirs: list[Path], out_dir: Path) -> Path:
    """Write ``out_dir/cases.csv`` for AI-generated vs real images (dataset ``ai-vs-real``).

    Every image under ``ai_dirs`` is ``ai_generated``, every image under ``real_dirs`` is
    ``real``; folders are linked under ``out_dir/data`` as in ``prepare_published``.
    """
    rows = []
    for label, dirs in ((AI_GENERATED, ai_dirs), (REAL, real_dirs)):
        for folder in dirs:
            folder = Path(folder).resolve()
            link = out_dir / "data" / f"{label}-{folder.name}"
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(folder, target_is_directory=True)
            for p in sorted(folder.rglob("*")):
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                    rows.append(
                        {"file": f"data/{link.name}/{p.relative_to(folder)}", "class": label, "dataset": "ai-vs-real"}
                    )
    if not rows:
        raise ValueError("no images in the AI / real folders")
    return write_cases(rows, out_dir / "cases.csv")


def _casia1(folder: Path):
    label = "copy_move" if "copymove" in folder.name or "copy-move" in folder.name else "splice"
    for p in sorted((folder / "authentic").iterdir()):
        yield f"authentic/{p.name}", ORIGINAL, None
    masks = {p.name.rsplit("_gt", 1)[0]: p.name for p in (folder / "mask").iterdir()}
    for p in sorted((folder / "tampered").iterdir()):
        yield f"tampered/{p.name}", label, f"mask/{masks[p.stem]}" if p.stem in masks else None


def _noso(folder: Path):
    for p in sorted(folder.glob("*.png")):
        if re.fullmatch(r"\d+", p.stem):
            yield p.name, ORIGINAL, None
        elif "_mod" in p.stem and not p.stem.endswith("_gt"):
            gt = p.with_name(p.stem + "_gt.png")
            yield p.name, "copy_move", gt.name if gt.exists() else None


def _casia2(folder: Path):
    for p in sorted(folder.glob("Tp_*")):
        if p.stem.endswith("_gt"):
            continue
        gt = p.with_name(p.stem + "_gt.png")
        yield p.name, "splice" if p.name.startswith("Tp_D") else "copy_move", gt.name if gt.exists() else None


_LAYOUTS = {"casia1": _casia1, "noso": _noso, "casia2": _casia2}


def _layout(folder: Path) -> str | None:
    if (folder / "authentic").is_dir() and (folder / "tampered").is_dir() and (folder / "mask").is_dir():
        return "casia1"
    if any(folder.glob("*_mod*_gt.png")):
        return "noso"
    if any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.glob("Tp_*")):
        return "casia2"
    return None
