"""Prove a refactoring kept behaviour: the same files give the same reports before and after.

    python tools/compare_reports.py snapshot DIR [--venv VENV]  # analyse the fixed file set into DIR
    python tools/compare_reports.py diff OLD NEW     # every difference, timings aside; exit 1 if any

``snapshot`` copies the samples and a fixed, deterministic choice of ../shared/bench files
(camera photos, published forgeries and their originals, AI images, web photos) into
``DIR/inputs`` under unique names, runs ``vforensics analyze`` on them with the project's
virtualenv, and writes ``DIR/digest.json``: for each file its report.json with the timing
fields removed, and the SHA-256 of every map, heatmap and view it wrote. Only the CLI is
used, so the same script measures any commit. Run it on the old commit, then on the new one,
then ``diff``. ``--venv`` (default: the project's .venv) runs another environment on the same
code, e.g. one with upgraded dependency pins, to show whether an upgrade changes any report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
# Fields that change from run to run without any change of behaviour.
TIMING_KEYS = frozenset(
    {"elapsed_ms", "inference_ms", "load_seconds", "uploaded_at", "created_at", "completed_at", "updated_at"}
    # where ExifTool is installed, the metadata details carry the copied input's file-system times
    | {"System:FileAccessDate", "System:FileInodeChangeDate", "System:FileModifyDate"}
)
# Fields that name the run, not the file: the local runner gives every run its own key prefix,
# and the analysis id is a hash of bucket, key and etag.
RUN_KEYS = frozenset({"id", "key"})
# (folder under ../shared/bench, glob, how many, taken evenly from the sorted list)
BENCH_CHOICE = (
    ("camera", "*.jpg", 8),
    ("forgeries/splicing-casia1-samples/tampered", "*", 2),
    ("forgeries/splicing-casia1-samples/authentic", "*", 1),
    ("forgeries/copymove-casia1-samples/tampered", "*", 2),
    ("forgeries/splicing-casia2-samples/tampered", "*", 2),
    ("forgeries/copymove-noso", "*_mod.png", 2),
    ("ai/sd15-grids", "*", 2),
    ("ai/ml72", "*", 2),
    ("real-web", "*", 2),
)


def chosen_files() -> list[Path]:
    files = sorted((ROOT / "samples").glob("*.jpg"))
    if not BENCH.is_dir():
        sys.exit("../shared/bench is not beside the repository: the comparison needs it")
    for folder, pattern, count in BENCH_CHOICE:
        found = sorted(p for p in (BENCH / folder).glob(pattern) if p.is_file() and p.suffix != ".csv")
        step = max(1, len(found) // count)
        files += found[::step][:count]
    return files


def without_timings(value: Any, top: bool = True) -> Any:
    if isinstance(value, dict):
        return {
            k: without_timings(v, False)
            for k, v in value.items()
            if k not in TIMING_KEYS and not (k in RUN_KEYS and (top or isinstance(v, str) and "/" in v))
        }
    if isinstance(value, list):
        return [without_timings(v, False) for v in value]
    return value


def snapshot(out: Path, venv: Path = ROOT / ".venv") -> int:
    inputs = out / "inputs"
    shutil.rmtree(out, ignore_errors=True)
    inputs.mkdir(parents=True)
    names = []
    for path in chosen_files():
        name = (path.parent.name + "__" + path.name) if path.is_relative_to(BENCH) else path.name
        shutil.copyfile(path, inputs / name)
        names.append(name)
    runs = out / "runs"
    cli = venv / "bin" / "vforensics"
    subprocess.run([str(cli), "analyze", *[str(inputs / n) for n in names], "--out", str(runs)], check=False)
    digest: dict[str, Any] = {}
    for name in names:
        folder = runs / name
        report = folder / "report.json"
        entry: dict[str, Any] = {
            "report": without_timings(json.loads(report.read_text())) if report.is_file() else None
        }
        entry["files"] = {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.png"))
        }
        digest[name] = entry
    (out / "digest.json").write_text(json.dumps(digest, indent=1, sort_keys=True))
    print(f"{len(names)} files analysed; digest in {out / 'digest.json'}")
    return 0


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if key not in new:
                found.append(f"{path}/{key}: only before")
            elif key not in old:
                found.append(f"{path}/{key}: only after")
            else:
                found += differences(old[key], new[key], f"{path}/{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path}: {json.dumps(old)[:120]} -> {json.dumps(new)[:120]}"]


def _load_digest(folder: Path) -> dict[str, Any]:
    digest = json.loads((folder / "digest.json").read_text())
    for entry in digest.values():
        entry["report"] = without_timings(entry["report"]) if entry["report"] is not None else None
    return digest


def diff(old_dir: Path, new_dir: Path) -> int:
    old, new = (_load_digest(d) for d in (old_dir, new_dir))
    found = differences(old, new)
    for line in found:
        print(line)
    reports = sum(1 for v in old.values() if v["report"] is not None)
    images = sum(len(v["files"]) for v in old.values())
    verdict = "identical" if not found else f"{len(found)} difference(s)"
    print(f"{len(old)} files, {reports} reports, {images} map/heatmap/view PNGs: {verdict} (timings aside)")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--venv", type=Path, default=ROOT / ".venv", help="the environment whose vforensics runs")
    p = sub.add_parser("diff")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    return snapshot(args.out, args.venv) if args.command == "snapshot" else diff(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
