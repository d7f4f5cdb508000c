"""How often the EXIF-thumbnail check (metadata flag ``thumbnail_mismatch``) fires, on untouched
and on edited camera files, with thumbnails framed the way other cameras frame them.

Measures, with the check as it is in the working tree
(``vforensics.analyzers.metadata._exif_thumbnail`` through the analyzer's ``_thumbnail``):

1. false flags on the untouched camera originals of ../shared/bench/camera (those with a
   thumbnail), overall and per make;
2. false flags on the synth ``original`` cases and recall on the ``thumbnail_kept`` cases of
   a synth run (cases.csv; default bench-out/synth, made by make bench);
3. on variants of every camera photo made by tests/unit/thumbnail_variants.py (fixed seeds):
   false flags on the untouched kinds (plain, letterbox, pillarbox, framing, lowq,
   combined) and recall on the tampered kinds (crop 10-25%, paste 4-9%, remove 3-6%).

Makes are split in two halves by the CRC-32 of their normalised name (even: "tune", odd:
"held out"); the thresholds of the check were chosen looking at the tune half only, and both
halves are printed.

Run from the repository root (one process, ~5 min on 2 cores):

    PYTHONPATH=layers/vforensics:. .venv/bin/python studies/thumbnail_framing.py \
        [--camera ../shared/bench/camera] [--synth bench-out/synth] [--list out.csv]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from tests.unit import thumbnail_variants as tv
from vforensics.analyzers.metadata import _analyzer as metadata
from vforensics.media import file_structure


def check(data: bytes) -> dict:
    """The analyzer's thumbnail record of a JPEG file."""
    with Image.open(io.BytesIO(data)) as img:
        size = img.size
    record, _ = metadata._thumbnail(data, file_structure.describe(data, "JPEG"), size)
    return record


def make_of(name: str) -> str:
    first = name.strip().split()[0].strip(",.").lower() if name.strip() else "unknown"
    return {"eastman": "kodak", "konica": "minolta", "nikon": "nikon"}.get(first, first)[:12]


def half(make: str) -> str:
    return "tune" if zlib.crc32(make.encode()) % 2 == 0 else "held out"


def pixels_of(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        img.draft("RGB", (tv.MAX_SIDE, tv.MAX_SIDE))
        return np.asarray(img.convert("RGB"))


def rate(hits: int, n: int) -> str:
    return f"{hits}/{n} = {100 * hits / n:.1f}%" if n else "0/0"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--camera", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/bench/camera")
    ap.add_argument("--synth", type=Path, default=Path("bench-out/synth"))
    ap.add_argument("--list", type=Path, help="write one row per checked file to this CSV")
    ap.add_argument("--limit", type=int, default=0, help="only the first N camera files (a quick look)")
    args = ap.parse_args()
    rows_out: list[dict] = []
    manifest = {r["file"]: r for r in csv.DictReader((args.camera / "MANIFEST.csv").open())}
    files = sorted(manifest)[: args.limit or None]
    t0 = time.time()

    # 1. camera originals
    by_make: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    without = 0
    for name in files:
        data = (args.camera / name).read_bytes()
        rec = check(data)
        if not rec.get("compared"):
            without += 1
            continue
        make = make_of(manifest[name]["make"])
        by_make[make][0] += bool(rec["mismatch"])
        by_make[make][1] += 1
        rows_out.append({"set": "camera", "file": name, "make": make, "kind": "original", **_brief(rec)})
    print(f"camera originals with a comparable thumbnail: {sum(n for _, n in by_make.values())} ({without} without)")
    for h in ("tune", "held out"):
        hits = sum(v[0] for m, v in by_make.items() if half(m) == h)
        n = sum(v[1] for m, v in by_make.items() if half(m) == h)
        print(f"  false flags, {h} makes: {rate(hits, n)}")
    hits, n = sum(v[0] for v in by_make.values()), sum(v[1] for v in by_make.values())
    print(f"  false flags, all: {rate(hits, n)}")
    for m, (k, c) in sorted(by_make.items()):
        flagged = [r["file"] for r in rows_out if r["make"] == m and r["mismatch"]]
        print(f"    {m:<12} {half(m):<8} {k}/{c}" + ("   <- " + ", ".join(flagged) if flagged else ""))

    # 2. synth cases
    cases = args.synth / "cases.csv"
    if cases.is_file():
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in csv.DictReader(cases.open()):
            if row["class"] not in ("original", "thumbnail_kept"):
                continue
            rec = check((args.synth / row["file"]).read_bytes())
            if not rec.get("compared"):
                continue
            counts[row["class"]][0] += bool(rec["mismatch"])
            counts[row["class"]][1] += 1
            rows_out.append({"set": "synth", "file": row["file"], "make": "", "kind": row["class"], **_brief(rec)})
        print(f"synth original: false flags {rate(*counts['original'])}")
        print(f"synth thumbnail_kept: recall {rate(*counts['thumbnail_kept'])}")

    # 3. variants
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    kinds = tv.UNTOUCHED_KINDS + tv.TAMPERED_KINDS
    for i, name in enumerate(files):
        pixels = pixels_of(args.camera / name)
        donor = pixels_of(args.camera / files[(i + 1) % len(files)])
        make = make_of(manifest[name]["make"])
        for j, kind in enumerate(kinds):
            v = tv.variant(pixels, kind, seed=1000 * i + j, donor=donor, make=make)
            rec = check(v.data)
            if not rec.get("compared"):
                continue
            keys = [(kind, half(make)), (kind, "all")]
            if kind in tv.TAMPERED_KINDS:
                keys.append((f"{kind} [{v.condition}]", "all"))
            for key in keys:
                table[key][0] += bool(rec["mismatch"])
                table[key][1] += 1
            row = {"set": "variant", "file": name, "make": make, "kind": f"{kind}/{v.condition}"}
            rows_out.append({**row, **_brief(rec)})
    print("variants (flag rate; false flags on untouched kinds, recall on tampered kinds):")
    print(f"  {'kind':<24} {'tune makes':>18} {'held-out makes':>18} {'all':>18}")
    for key in sorted({k for k, _ in table}, key=lambda k: (k.split()[0] not in tv.UNTOUCHED_KINDS, k)):
        cells = [rate(*table[(key, h)]) if (key, h) in table else "" for h in ("tune", "held out", "all")]
        print(f"  {key:<24} {cells[0]:>18} {cells[1]:>18} {cells[2]:>18}")
    print(f"({time.time() - t0:.0f} s)")
    if args.list:
        with args.list.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=sorted({k for r in rows_out for k in r}))
            w.writeheader()
            w.writerows(rows_out)


def _brief(rec: dict) -> dict:
    keys = ("mismatch", "alignment", "correlation", "largest_differing_region_share", "framing_differs", "framing")
    return {k: rec.get(k) for k in keys}


if __name__ == "__main__":
    sys.exit(main())
