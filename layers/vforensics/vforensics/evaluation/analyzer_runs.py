"""Run chosen analyzers straight on labelled cases, one cached result per analyzer and case.

``vforensics eval`` runs all eleven analyzers through the state machine: the product's path,
and the one its figures are quoted for, but well over an hour for the synthetic set on two
cores, most of it in the AI analyzers that the tampering score does not read. The grouped
protocol (:mod:`vforensics.evaluation.grouped`) needs only the analyzers that the tampering
score combines and the maps the combined map weighs. This runs those in worker processes
and keeps each result as ``ROOT/<analyzer>/<case id>.json`` (and ``.png`` for its map, at the
pipeline's map size), so an analyzer whose code changed is rerun alone.

With ``held_out_tables`` the jpeg analyzer of every case sees a quantization-table database
without the camera make of the case's source photo (the packaged database was built from
the benchmark's own cameras, so on them it knows every camera's tables; on a make it has
never seen it knows none). The replacement is made in the worker process only, through
:func:`vforensics.media.jpeg_tables.load_db`'s cache.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from vforensics.evaluation.cases import Case

#: The analyzers whose scores the tampering likelihood combines (scoring.tampering).
TAMPERING_ANALYZERS = ("metadata", "ela", "noise", "jpeg", "copy_move", "cfa")


def result_path(root: Path, analyzer: str, case: Case) -> Path:
    return root / analyzer / f"{case.case_id}.json"


def load_results(root: Path, analyzers: Iterable[str], case: Case) -> dict[str, dict[str, Any]] | None:
    """The cached results of ``analyzers`` for ``case`` (report.json's ``analyzers`` form), or None."""
    out = {}
    for name in analyzers:
        path = result_path(root, name, case)
        if not path.is_file():
            return None
        out[name] = json.loads(path.read_text())
    return out


def run(
    cases: list[Case],
    root: Path,
    analyzers: Iterable[str] = TAMPERING_ANALYZERS,
    jobs: int = 2,
    held_out_makes: Mapping[str, str] | None = None,
    rerun: bool = False,
    progress: Callable[[str], None] = print,
) -> None:
    """Analyse every (analyzer, case) pair without a cached result; ``held_out_makes`` maps a
    case id to the make whose tables the jpeg analyzer must not know."""
    names = tuple(analyzers)
    todo = [c for c in cases if rerun or any(not result_path(root, n, c).is_file() for n in names)]
    if not todo:
        return
    makes = held_out_makes or {}
    jobs_args = [(str(c.path), c.case_id, str(root), names, makes.get(c.case_id)) for c in todo]
    # spawned, not forked: the caller may be multi-threaded (pytest, BLAS), and a forked child
    # inherits its locks
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context) as pool:
        for done, message in enumerate(pool.map(_analyse_case, jobs_args, chunksize=1), start=1):
            if done % 20 == 0 or done == len(todo):
                progress(f"analyzer runs: {done}/{len(todo)} cases ({message})")


def _analyse_case(args: tuple[str, str, str, tuple[str, ...], str | None]) -> str:
    import time

    from vforensics.analyzers import get_analyzer
    from vforensics.media.image import Media
    from vforensics.report import maps

    path, case_id, root, names, held_out = args
    _hold_out_tables(held_out)
    media = Media.from_bytes(Path(path).read_bytes(), os.path.basename(path))
    for name in names:
        started = time.perf_counter()
        try:
            result = get_analyzer(name)(media)
        except Exception as exc:  # noqa: BLE001 - recorded like the pipeline's failed branch
            entry: dict[str, Any] = {"status": "error", "score": None, "details": {"error": repr(exc)}}
        else:
            entry = result.to_dict() | {"map": None}
            folder = Path(root) / name
            folder.mkdir(parents=True, exist_ok=True)
            if result.map is not None:
                (folder / f"{case_id}.png").write_bytes(maps.gray_png(result.map, media.info.width, media.info.height))
                entry["map"] = f"{case_id}.png"
            for extra, suspicion in (result.extra_maps or {}).items():
                (folder / f"{case_id}.{extra}.png").write_bytes(
                    maps.gray_png(suspicion, media.info.width, media.info.height)
                )
                entry.setdefault("extra_maps", {})[extra] = {"map": f"{case_id}.{extra}.png"}
        entry["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        folder = Path(root) / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{case_id}.json").write_text(json.dumps(entry, default=_json_default))
    return case_id


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_PACKAGED_DB: dict[str, Any] | None = None


def _hold_out_tables(make: str | None) -> None:
    """Make this process's table database forget the camera entries of ``make`` (None: restore)."""
    global _PACKAGED_DB
    from functools import lru_cache

    from vforensics.media import jpeg_tables

    if _PACKAGED_DB is None:
        _PACKAGED_DB = jpeg_tables.load_db()
    db = _PACKAGED_DB
    if make is not None:
        entries = [
            e
            for e in db.get("entries", [])
            if not (e.get("kind") == "camera" and jpeg_tables.normalize_make(e.get("make")) == make)
        ]
        db = {**db, "entries": entries}
    jpeg_tables.load_db = lru_cache(maxsize=1)(lambda: db)  # the evaluation's own database
    jpeg_tables._index.cache_clear()


def main(argv: list[str] | None = None) -> int:
    import argparse

    from vforensics.evaluation.cases import read_cases
    from vforensics.evaluation.makes import at_most_per_make, case_makes

    parser = argparse.ArgumentParser(
        prog="python -m vforensics.evaluation.analyzer_runs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("cases", type=Path, help="a cases.csv (vforensics synth)")
    parser.add_argument("root", type=Path, help="where the results go (ROOT/<analyzer>/<case id>.json)")
    parser.add_argument("--analyzers", default=",".join(TAMPERING_ANALYZERS))
    parser.add_argument("--classes", default="", help="comma-separated classes (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument(
        "--held-out-tables",
        type=Path,
        metavar="CAMERA_DIR",
        help="the folder of the cases' source photos: each case's jpeg analyzer forgets the tables of its make",
    )
    parser.add_argument("--per-make", type=int, default=0, help="only the first N source photos of each make")
    parser.add_argument("--camera-dir", type=Path, help="the folder of the cases' source photos (for their makes)")
    args = parser.parse_args(argv)
    cases = read_cases(args.cases)
    if args.classes:
        wanted = set(args.classes.split(","))
        cases = [c for c in cases if c.label in wanted]
    camera_dir = args.held_out_tables or args.camera_dir
    makes = case_makes(cases, camera_dir) if camera_dir else None
    if args.per_make:
        if makes is None:
            parser.error("--per-make needs --camera-dir or --held-out-tables")
        cases = at_most_per_make(cases, makes, args.per_make)
    held_out = makes if args.held_out_tables else None
    print(f"{len(cases)} cases, analyzers {args.analyzers}")
    run(cases, args.root, args.analyzers.split(","), args.jobs, held_out, args.rerun)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
