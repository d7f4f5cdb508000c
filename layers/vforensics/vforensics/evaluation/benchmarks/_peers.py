"""The peer tools the dataset sections compare against (tools/peers, run in .venv-peers)."""

from __future__ import annotations

import csv
from pathlib import Path

from vforensics.evaluation.benchmarks._section import REPO

PEERS_PY = REPO / ".venv-peers" / "bin" / "python"
PYIFD = REPO / "tools" / "peers" / "run_pyifd.py"
SIFT = REPO / "tools" / "peers" / "run_sift_reference.py"
# pyIFD takes 5-20 s per method on a 2-5 MP image (CAGI ~20, CFA1 ~15, BLK ~11, ADQ2 ~5 s):
# all six on the small published images, the cheaper four on a subset of the synthetic cases.
PYIFD_PUBLISHED = "ADQ2,NOI1,CAGI,BLK,CFA1,ELA,NADQ"
PYIFD_SYNTH = "ADQ2,NOI1,BLK,ELA"
# the compression-history peers (NADQ ~10 s, CAGI ~20 s per image) only where they apply
PYIFD_JPEG = "NADQ,CAGI"
JPEG_CLASSES = ("original", "resave", "crop_resave", "resave_foreign_tables", "resave_same_tables", "splice")
# the SIFT copy-move reference (tools/peers/run_sift_reference.py) on the clone classes
CLONE_CLASSES = ("original", "copy_move", "copy_move_rotated", "copy_move_scaled")


def available(skip: bool = False) -> bool:
    """Whether the peers run: not skipped, and ``make peers`` made .venv-peers."""
    return not skip and PEERS_PY.is_file()


def add_arguments(parser) -> None:
    parser.add_argument("--skip-peers", action="store_true")


def write_subset(synth: Path, name: str, n_sources: int, classes: tuple[str, ...] | None = None) -> Path:
    """The cases of the first ``n_sources`` sources of ``synth/cases.csv`` (optionally some classes only)."""
    with (synth / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sources = list(dict.fromkeys(r["source"] for r in rows))[:n_sources]
    keep = [r for r in rows if r["source"] in sources and (classes is None or r["class"] in classes)]
    path = synth / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(keep)
    return path
