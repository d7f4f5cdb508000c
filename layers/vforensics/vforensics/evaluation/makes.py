"""Camera makes of the benchmark's cases and the folds they are dealt into.

The grouping of :mod:`vforensics.evaluation.grouped`: the cases are grouped by the camera
make of their source photo (EXIF Make, normalised by
:func:`~vforensics.media.jpeg_tables.normalize_make`; a photo without a make is a group of
its own) and the makes are dealt into folds of about equal size, a make never in two.
"""

from __future__ import annotations

import io
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from PIL import Image

from vforensics.evaluation.cases import Case
from vforensics.media.jpeg_tables import normalize_make

FOLDS = 5


def photo_make(path: Path) -> str:
    """The normalised EXIF Make of a photo, or ``unknown:<file stem>`` (a group of its own)."""
    make = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(path.read_bytes())) as img:
                make = normalize_make(str(img.getexif().get(0x010F) or ""))
    except (OSError, ValueError):
        make = ""
    return make or f"unknown:{path.stem}"


def case_makes(cases: Iterable[Case], camera_dir: Path) -> dict[str, str]:
    """Case id -> make of its source photo in ``camera_dir`` (its own file when it has no source)."""
    cache: dict[str, str] = {}
    out = {}
    for case in cases:
        source = case.source or Path(case.file).name
        if source not in cache:
            path = camera_dir / source
            cache[source] = photo_make(path if path.is_file() else case.path)
        out[case.case_id] = cache[source]
    return out


def make_folds(photos_per_make: Mapping[str, int], folds: int = FOLDS) -> dict[str, int]:
    """Deal the makes into ``folds`` folds of about equal photo counts (deterministic).

    Largest make first (ties by name), each into the fold holding the fewest photos so far
    (ties to the lowest fold number): a make never spans two folds.
    """
    load = [0] * folds
    out = {}
    for make, count in sorted(photos_per_make.items(), key=lambda kv: (-kv[1], kv[0])):
        k = min(range(folds), key=lambda i: (load[i], i))
        out[make] = k
        load[k] += count
    return out


def case_folds(cases: Iterable[Case], camera_dir: Path, folds: int = FOLDS) -> tuple[dict[str, int], dict[str, str]]:
    """Case id -> fold, and case id -> make; folds balance the number of source photos."""
    cases = list(cases)
    makes = case_makes(cases, camera_dir)
    sources: dict[str, str] = {}
    for case in cases:
        sources.setdefault(case.source or case.file, makes[case.case_id])
    fold_of_make = make_folds(Counter(sources.values()), folds)
    return {cid: fold_of_make[m] for cid, m in makes.items()}, makes


def at_most_per_make(cases: Iterable[Case], makes: Mapping[str, str], per_make: int) -> list[Case]:
    """The cases of the first ``per_make`` source photos (by name) of every make.

    A smaller run that keeps every make (and so every fold)."""
    cases = list(cases)
    chosen: dict[str, list[str]] = {}
    for source in sorted({c.source or c.file for c in cases}):
        make = next(makes[c.case_id] for c in cases if (c.source or c.file) == source)
        if len(chosen.setdefault(make, [])) < per_make:
            chosen[make].append(source)
    keep = {s for sources in chosen.values() for s in sources}
    return [c for c in cases if (c.source or c.file) in keep]


def camera_originals_csv(camera_dir: Path, out_dir: Path) -> Path:
    """``out_dir/cases.csv`` listing every JPEG of ``camera_dir`` as an untouched original.

    The synthetic set only uses photos of 512 px and more, up to 4 MP; false alarms on
    untouched photos are measured on all of them. The files stay where they are
    (``out_dir/data`` links to ``camera_dir``).
    """
    from vforensics.evaluation.cases import ORIGINAL, write_cases

    link = out_dir / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(camera_dir.resolve(), target_is_directory=True)
    names = sorted(p.name for p in camera_dir.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    rows = [{"file": f"data/{n}", "class": ORIGINAL, "source": n, "dataset": "camera"} for n in names]
    return write_cases(rows, out_dir / "cases.csv")
