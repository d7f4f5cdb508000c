"""Aligned double-quantization (DQ) evidence on untouched camera originals vs re-saves.

What. Runs only the jpeg analyzer (``vforensics.analyzers.jpeg.analyze``) on the camera
originals of ../shared/bench/camera and on the synthetic cases of
../bench-base/synth/cases.csv of the classes resave, crop_resave, resave_same_tables,
resave_foreign_tables and a sample of splice (the synth "original" class is a byte copy of
44 of the camera files, so the camera folder stands for it). Per file it caches the jpeg
score, the sub-scores, the aligned evidence, its per-frequency fits and estimated primary
steps, the non-aligned z, the stability log ratio, the tables, subsampling, header layout
and make, plus the histograms of |quantized luma coefficient| (zig-zag 1..35, |x| <= 120,
unclipped blocks) so that aligned-DQ variants can be refitted without decoding again.

The report groups the camera makes (``jpeg_tables.normalize_make``) into 5 folds: makes
sorted by their number of camera originals (descending, then by name) are dealt round
robin. Each fold is held out in turn; a threshold of the new rule is chosen on the other
four (the re-save cases follow the make of their source photo) and measured on the held-out
one. It prints false alarms on originals (aligned sub-score >= 50, jpeg score >= 25),
AUC and recall of each re-save class against the originals, per fold and pooled.

Run from the repository root (about 10-15 minutes on 2 cores; nothing is sampled except
splice, 15 cases)::

    export PYTHONPATH=layers/vforensics:.
    .venv/bin/python studies/dq_camera_originals.py measure --out /tmp/vforensics-dq/before.json
    .venv/bin/python studies/dq_camera_originals.py report --detail /tmp/vforensics-dq/before.json
    .venv/bin/python studies/dq_camera_originals.py choose /tmp/vforensics-dq/before.json
    # after changing the analyzer:
    .venv/bin/python studies/dq_camera_originals.py measure --out /tmp/vforensics-dq/after.json
    .venv/bin/python studies/dq_camera_originals.py report /tmp/vforensics-dq/before.json /tmp/vforensics-dq/after.json

``measure`` skips files already in ``--out`` (resumable). ``report`` prints each run per
held-out fold and pooled, ``--detail`` adds the per-make sub-scores and the originals with
aligned evidence. ``choose`` refits the aligned model from the cached histograms and picks
``_double.MIN_EXPLAINED`` (the share of the smooth model's misfit a frequency's lattice
must explain) on four folds, reporting the fifth: objective = detected re-saves (aligned
sub-score >= 50 on resave, resave_foreign_tables, splice) minus 10 x the false-alarm
rate on originals; ties go to the larger (more conservative) value.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from vforensics.analyzers.jpeg import _analyzer as jpeg_analyzer
from vforensics.analyzers.jpeg import _dct as jpeg_dct
from vforensics.analyzers.jpeg import _double as jpeg_double
from vforensics.analyzers.jpeg import analyze, read_file_facts
from vforensics.media import jpeg_tables
from vforensics.media.image import Media

ROOT = Path(__file__).resolve().parents[1]
CAMERA = ROOT.parent / "shared" / "bench" / "camera"
SYNTH = ROOT.parent / "bench-base" / "synth"
CLASSES = ("resave", "crop_resave", "resave_same_tables", "resave_foreign_tables")
SPLICE_SAMPLE = 15
HIST_ZZ = 35
HIST_MAX = 120
N_FOLDS = 5


def _manifest() -> dict[str, dict[str, str]]:
    with open(CAMERA / "MANIFEST.csv", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def _cases() -> list[tuple[str, str, str]]:
    """(path, class, source camera file) for everything measured."""
    out = [(str(CAMERA / f), "original", f) for f in sorted(_manifest())]
    with open(SYNTH / "cases.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for cls in CLASSES:
        out += [(str(SYNTH / r["file"]), cls, r["source"]) for r in rows if r["class"] == cls]
    splices = sorted((r for r in rows if r["class"] == "splice"), key=lambda r: r["file"])
    step = max(1, len(splices) // SPLICE_SAMPLE)
    out += [(str(SYNTH / r["file"]), "splice", r["source"]) for r in splices[::step][:SPLICE_SAMPLE]]
    return out


def _histograms(data: bytes, table: np.ndarray) -> list[list[int]] | None:
    """|quantized luma coefficient| histograms (zig-zag 1..HIST_ZZ), unclipped blocks, as the analyzer sees them."""
    plane = jpeg_dct.decode_luma(data)
    if plane is None or not plane.exact or min(plane.y.shape) < 16:
        return None
    scaled = jpeg_dct.block_dct(plane.y) / table.reshape(8, 8).astype(np.float32)
    cq = np.rint(scaled).astype(np.int32).reshape(scaled.shape[0], scaled.shape[1], 64)
    usable = ~jpeg_dct.clipped_blocks(plane.y)
    a = np.abs(cq[usable])
    return [
        np.bincount(np.minimum(a[:, int(jpeg_tables.ZIGZAG[zz])], HIST_MAX), minlength=HIST_MAX + 1).tolist()
        for zz in range(1, HIST_ZZ + 1)
    ]


def measure_one(path: str, cls: str, source: str, manifest: dict[str, dict[str, str]]) -> dict:
    data = Path(path).read_bytes()
    t0 = time.time()
    media = Media.from_bytes(data, Path(path).name)
    res = analyze(media)
    seconds = time.time() - t0
    d = res.details
    facts = read_file_facts(data)
    make = manifest.get(source, {}).get("make", "")
    rec: dict = {
        "file": path,
        "class": cls,
        "source": source,
        "make": make,
        "brand": jpeg_tables.normalize_make(make),
        "model": manifest.get(source, {}).get("model", ""),
        "status": res.status,
        "score": res.score,
        "seconds": round(seconds, 2),
        "subscores": d.get("subscores"),
        "aligned": d.get("aligned"),
        "nonaligned_z": (d.get("nonaligned") or {}).get("zscore"),
        "stability_log_ratio": (d.get("same_tables") or {}).get("log_ratio_vs_fresh"),
        "quality": d.get("quality_estimate"),
        "tables": d.get("quantization_tables"),
        "tables_match": d.get("tables_match"),
        "subsampling": d.get("subsampling"),
        "progressive": d.get("progressive"),
        "layout": d.get("segment_layout"),
        "jfif_before_exif": d.get("jfif_before_exif"),
        "size": [media.info.width, media.info.height],
    }
    if facts is not None and facts.quantization:
        table = np.asarray(facts.quantization[sorted(facts.quantization)[0]], np.int32)
        rec["hist"] = _histograms(data, table)
    return rec


def cmd_measure(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done: dict[str, dict] = {}
    if out.exists():
        done = {r["file"]: r for r in json.loads(out.read_text())}
    manifest = _manifest()
    todo = [c for c in _cases() if c[0] not in done]
    print(f"{len(done)} cached, {len(todo)} to measure", flush=True)
    for i, (path, cls, source) in enumerate(todo):
        try:
            done[path] = measure_one(path, cls, source, manifest)
        except Exception as exc:  # noqa: BLE001 - record and go on
            done[path] = {"file": path, "class": cls, "source": source, "error": repr(exc)}
        if i % 20 == 19 or i == len(todo) - 1:
            out.write_text(json.dumps(list(done.values())))
            print(f"{i + 1}/{len(todo)}", flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# Report


def folds_of(records: list[dict]) -> dict[str, int]:
    """brand -> fold 0..4: brands sorted by count of camera originals (desc, name), dealt round robin."""
    counts = Counter(r["brand"] for r in records if r["class"] == "original")
    order = sorted(counts, key=lambda b: (-counts[b], b))
    return {b: i % N_FOLDS for i, b in enumerate(order)}


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def summarise(records: list[dict]) -> dict:
    """False alarms on originals and AUC / recall (jpeg >= 25) per re-save class."""

    def jpeg(r):
        return r["score"]

    def aligned(r):
        return (r.get("subscores") or {}).get("aligned_double", 0.0)

    orig = [r for r in records if r["class"] == "original"]
    out = {
        "n_orig": len(orig),
        "fa_aligned50": sum(aligned(r) >= 50 for r in orig),
        "fa_jpeg25": sum(jpeg(r) >= 25 for r in orig),
    }
    for cls in (*CLASSES, "splice"):
        pos = [r for r in records if r["class"] == cls]
        out[cls] = {
            "n": len(pos),
            "auc_jpeg": auc([jpeg(r) for r in pos], [jpeg(r) for r in orig]),
            "auc_aligned": auc([aligned(r) for r in pos], [aligned(r) for r in orig]),
            "recall_jpeg25": sum(jpeg(r) >= 25 for r in pos),
            "recall_aligned50": sum(aligned(r) >= 50 for r in pos),
        }
    return out


def _load(path: str) -> list[dict]:
    recs = [r for r in json.loads(Path(path).read_text()) if "error" not in r and r.get("status") == "ok"]
    return recs


def _row(name: str, s: dict) -> str:
    cells = [
        f"{name:8s}",
        f"orig {s['n_orig']:3d}",
        f"FA al>=50 {s['fa_aligned50']:2d}",
        f"FA jpeg>=25 {s['fa_jpeg25']:2d}",
    ]
    for cls in ("resave", "crop_resave", "resave_same_tables"):
        c = s[cls]
        cells.append(f"{cls[:12]} AUC {c['auc_jpeg']:.3f}/{c['auc_aligned']:.3f} rec {c['recall_jpeg25']}/{c['n']}")
    return " | ".join(cells)


def cmd_report(args: argparse.Namespace) -> int:
    runs = [(Path(p).stem, _load(p)) for p in args.files]
    base = runs[0][1]
    fold = folds_of(base)
    print("folds:", {k: sorted(b for b, f in fold.items() if f == k) for k in range(N_FOLDS)})
    print("counts per fold (originals):", Counter(fold[r["brand"]] for r in base if r["class"] == "original"))
    for name, recs in runs:
        print(f"\n== {name}  (AUC jpeg/aligned; recall = jpeg >= 25)")
        for k in range(N_FOLDS):
            held = [r for r in recs if fold.get(r["brand"], -1) == k]
            print(_row(f"fold {k}", summarise(held)))
        print(_row("pooled", summarise(recs)))
    if args.detail:
        recs = base
        print("\n== per-brand sub-scores on originals (median / max)")
        by = defaultdict(list)
        for r in recs:
            if r["class"] == "original":
                by[r["brand"]].append(r)
        for b in sorted(by, key=lambda b: -len(by[b])):
            rs = by[b]
            line = [f"{b:16s} n={len(rs):2d}"]
            for key in ("aligned_double", "nonaligned_double", "same_table_resave"):
                v = [(r["subscores"] or {}).get(key, 0.0) for r in rs]
                line.append(f"{key[:9]} {np.median(v):5.1f}/{max(v):5.1f}")
            line.append(f"jpeg {np.median([r['score'] for r in rs]):5.1f}/{max(r['score'] for r in rs):5.1f}")
            print("  ".join(line))
        print("\n== sub-score distribution (10/50/90/max) per class")
        for cls in ("original", *CLASSES, "splice"):
            rs = [r for r in recs if r["class"] == cls]
            line = [f"{cls:22s} n={len(rs):3d}"]
            for key in ("aligned_double", "nonaligned_double", "same_table_resave", "table_fingerprint", "file_layout"):
                v = [(r["subscores"] or {}).get(key, 0.0) for r in rs]
                line.append(f"{key[:9]} " + "/".join(f"{x:.0f}" for x in np.percentile(v, [10, 50, 90, 100])))
            print("  ".join(line))
        print("\n== originals with aligned evidence > ADQ_ZERO (20)")
        for r in sorted(recs, key=lambda r: -(r["aligned"] or {}).get("evidence", 0)):
            a = r["aligned"] or {}
            if r["class"] != "original" or a.get("evidence", 0) <= 20:
                continue
            t = r["tables"]["0"]
            sig = {
                f["zigzag"]: (f["q2"], f["q1"], f["gain"]) for f in a["fits"] if str(f["zigzag"]) in a["primary_steps"]
            }
            print(
                f"{Path(r['file']).name:40s} {r['brand']:10s} ev {a['evidence']:7.1f}"
                f" al {r['subscores']['aligned_double']:5.1f} jpeg {r['score']:5.1f} q~{r['quality']}"
                f" {r['tables_match']} sub {r['subsampling']} t00={t[0]}"
            )
            print("      zz:(q2,q1,gain) " + " ".join(f"{k}:{v}" for k, v in sorted(sig.items())))
    return 0


# ---------------------------------------------------------------------------------------------
# Grouped choice of the explained-share floor


SHARE_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
POSITIVE = ("resave", "resave_foreign_tables", "splice")


def _refit(records: list[dict]) -> list[dict]:
    """Per record: class, brand and the aligned fits recomputed from the cached histograms."""
    out = []
    for r in records:
        if not r.get("hist"):
            continue
        table = r["tables"]["0"]
        fits = []
        for zz in range(1, jpeg_double.ADQ_FREQS + 1):
            q2 = int(table[int(jpeg_tables.ZIGZAG[zz])])
            f = jpeg_double.fit_counts(np.asarray(r["hist"][zz - 1]), q2, zz)
            if f is not None:
                fits.append(f)
        out.append({"class": r["class"], "brand": r["brand"], "file": r["file"], "fits": fits})
    return out


def _aligned_sub(rec: dict, share: float) -> float:
    ev = sum(
        f.gain - jpeg_double.GAIN_FLOOR
        for f in rec["fits"]
        if f.gain > jpeg_double.GAIN_FLOOR and f.q1 != f.q2 and f.q1 > 1 and f.explained >= share
    )
    return jpeg_analyzer._log_scale(ev, jpeg_analyzer.ADQ_ZERO, jpeg_analyzer.ADQ_HALF)


def _cv_stats(recs: list[dict], share: float) -> dict:
    orig = [_aligned_sub(r, share) for r in recs if r["class"] == "original"]
    pos = [_aligned_sub(r, share) for r in recs if r["class"] in POSITIVE]
    out = {"fa": sum(v >= 50 for v in orig), "n_orig": len(orig), "tp": sum(v >= 50 for v in pos), "n_pos": len(pos)}
    for cls in ("resave", "crop_resave", "resave_same_tables"):
        out["auc_" + cls] = auc([_aligned_sub(r, share) for r in recs if r["class"] == cls], orig)
    return out


def _objective(recs: list[dict], share: float) -> float:
    s = _cv_stats(recs, share)
    return s["tp"] / max(1, s["n_pos"]) - 10.0 * s["fa"] / max(1, s["n_orig"])


def cmd_choose(args: argparse.Namespace) -> int:
    records = _load(args.files[0])
    fold = folds_of(records)
    recs = _refit(records)

    def fmt(s: dict) -> str:
        return (
            f"FA al>=50 {s['fa']}/{s['n_orig']}  re-saves al>=50 {s['tp']}/{s['n_pos']}  AUC aligned "
            f"resave {s['auc_resave']:.3f} crop {s['auc_crop_resave']:.3f} same {s['auc_resave_same_tables']:.3f}"
        )

    for k in range(N_FOLDS):
        train = [r for r in recs if fold[r["brand"]] != k]
        held = [r for r in recs if fold[r["brand"]] == k]
        best = max(SHARE_GRID, key=lambda s: (round(_objective(train, s), 9), s))
        print(f"fold {k}: chosen {best}")
        print(f"   before {fmt(_cv_stats(held, 0.0))}")
        print(f"   after  {fmt(_cv_stats(held, best))}")
    for share in SHARE_GRID:
        print(f"pooled share {share:4.2f}: {fmt(_cv_stats(recs, share))}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    m = sp.add_parser("measure")
    m.add_argument("--out", default="/tmp/vforensics-dq/before.json")
    r = sp.add_parser("report")
    r.add_argument("files", nargs="+")
    r.add_argument("--detail", action="store_true")
    c = sp.add_parser("choose")
    c.add_argument("files", nargs=1)
    args = ap.parse_args(argv)
    return {"measure": cmd_measure, "report": cmd_report, "choose": cmd_choose}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
