"""The measuring harness: each measurement in a fresh interpreter pinned to one core.

``_spawn`` starts ``python -c "from vforensics.evaluation.perf.harness import _child_main; _child_main()" SPEC``;
the child (``_child_main``) warms up, measures one analyzer, Prepare or Aggregate (what a Lambda does
minus its S3 I/O) and prints its numbers; ``measure_images`` takes the medians."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf._common import Log, _median, _stderr, _summarise
from vforensics.evaluation.perf.images import _jpeg_bytes, synthetic_rgb

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.

_MARK = "VFORENSICS_PERF_RESULT "
_ONE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "VF_EXIFTOOL": "off",  # as on Lambda, which has no ExifTool: the metadata analyzer's pure-Python path
}

# Runs in a fresh interpreter: ``python -c "from vforensics.evaluation.perf.harness import _child_main;
# _child_main()" SPEC``. Everything below mirrors what a Lambda does minus its S3 I/O.


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else _peak_mb()


def _peak_mb() -> float:
    """This process's peak resident memory so far (since the last ``_reset_peak``)."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB on Linux


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS (Linux >= 4.0); False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _pin_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def _source_facts(data: bytes, info_dict: Mapping[str, Any], file_name: str) -> dict[str, Any]:
    """The job's ``source`` document, as pipeline/prepare.py builds it (no S3 fields)."""
    return {
        "file_name": file_name,
        "bytes": len(data),
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        **info_dict,
    }


def _prepare_compute(data: bytes, file_name: str) -> dict[str, Any]:
    """Prepare's work on the bytes: full validation (header, limits, complete decode) and hashes."""
    from vforensics.media.image import check_size, check_type, inspect_image
    from vforensics.media.sniff import HEADER_BYTES

    check_size(len(data))
    check_type(data[:HEADER_BYTES])
    return _source_facts(data, inspect_image(data).to_dict(), file_name)


def _render(name: str, result, media) -> tuple[dict[str, Any], dict[str, bytes], bytes]:
    """What pipeline/analyze.py writes after the analyzer: map PNGs and the work/ JSON."""
    from vforensics.pipeline import layout
    from vforensics.report import maps

    entry = result.to_dict() | {"elapsed_ms": 0.0, "map": None, "heatmap": None}
    files: dict[str, bytes] = {}
    if result.map is not None:
        entry["map"], entry["heatmap"] = layout.map_name(name), layout.heatmap_name(name)
        files[entry["map"]] = maps.gray_png(result.map, media.info.width, media.info.height)
        files[entry["heatmap"]] = maps.heatmap_png(result.map, media.rgb)
    return entry, files, json.dumps(entry, allow_nan=False).encode()


def _aggregate_compute(source: dict[str, Any], results: dict[str, Any], files: dict[str, bytes], data: bytes):
    """Aggregate's work without I/O, as pipeline/aggregate.py does it: decode the analyzer
    maps, combine them, draw the combined map and heatmap over a preview, build report.json
    and report.zip. Returns the files it would write and the zip."""
    from vforensics.media.image import decode_preview
    from vforensics.report import document as report
    from vforensics.report import maps
    from vforensics.scoring import tampering as scoring

    files = dict(files)
    loaded = {
        name: maps.decode_png_map(files[r["map"]])
        for name, r in results.items()
        if r.get("status") == "ok" and r.get("map")
    }
    combined = maps.combine_weighted(loaded, source["width"], source["height"])
    combined_files: dict[str, Any] = {}
    if combined is not None:
        preview = decode_preview(data, maps.MAX_SIDE)
        files["maps/combined.png"] = maps.gray_png(combined, source["width"], source["height"])
        files["heatmaps/combined.png"] = maps.heatmap_png(combined, preview)
        combined_files = {
            "map": "maps/combined.png",
            "heatmap": "heatmaps/combined.png",
            "weights": {n: w for n, w in scoring.MAP_WEIGHTS.items() if n in loaded},
            "overlays": [n for n in scoring.MAP_OVERLAYS if n in loaded],
        }
    doc = report.build_report("perf", source, results, combined_files)
    files["report.json"] = report.to_json(doc)
    return files, report.build_zip(files)


def _warm_up(analyzer: str | None) -> bool | None:
    """Run the whole pure pipeline once on a 96x64 JPEG (lazy imports, first-call set-up);
    return whether ``analyzer`` reads the pixels (decodes the image) in its Lambda."""
    from vforensics.analyzers import ANALYZERS
    from vforensics.media.image import ImageInfo, Media

    data = _jpeg_bytes(synthetic_rgb(96, 64, seed=1))
    source = _prepare_compute(data, "warm-up.jpg")
    info = ImageInfo.from_dict(source)
    results: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    reads_pixels = None
    for name, analyze in ANALYZERS.items():
        media = Media(data, info, "warm-up.jpg")
        entry, produced, _ = _render(name, analyze(media), media)
        if name == analyzer:
            reads_pixels = "rgb" in media.__dict__  # cached_property: set once decoded
        results[name], files = entry, files | produced
    _aggregate_compute(source, results, files, data)
    return reads_pixels


def _child_main() -> None:
    spec = json.loads(sys.argv[1])
    core = _pin_one_core()
    import cv2

    cv2.setNumThreads(1)
    from vforensics.analyzers import ANALYZERS
    from vforensics.media.image import ImageInfo, Media

    out: dict[str, Any] = {"kind": spec["kind"], "core": core, "cv2_threads": cv2.getNumThreads()}
    out["reads_pixels"] = _warm_up(spec.get("analyzer"))
    gc.collect()
    data = Path(spec["image"]).read_bytes()
    out["rss_ready_mb"] = _rss_mb()  # imports + warm-up + the file's bytes
    peak_before = _peak_mb()
    kind = spec["kind"]

    if kind == "analyzer":
        name = spec["analyzer"]
        media = Media(data, ImageInfo.from_dict(spec["info"]), spec["file_name"])
        t, c = time.perf_counter(), time.process_time()
        _ = media.rgb
        out["decode_ms"] = (time.perf_counter() - t) * 1000
        out["decode_cpu_ms"] = (time.process_time() - c) * 1000
        out["rss_decoded_mb"] = _rss_mb()
        peak_before = max(peak_before, _peak_mb())
        out["peak_reset"] = _reset_peak()
        t, c = time.perf_counter(), time.process_time()
        result = ANALYZERS[name](media)
        out["wall_ms"] = (time.perf_counter() - t) * 1000
        out["cpu_ms"] = (time.process_time() - c) * 1000
        out["peak_mb"] = _peak_mb()
        out["extra_mb"] = out["peak_mb"] - out["rss_decoded_mb"]
        t = time.perf_counter()
        entry, files, work_json = _render(name, result, media)
        out["render_ms"] = (time.perf_counter() - t) * 1000
        out["status"] = result.status
        out["has_map"] = result.map is not None
        out["map_count"] = int(result.map is not None) + len(result.extra_maps)
        out["output_bytes"] = sum(map(len, files.values())) + len(work_json)
        if spec.get("save_dir"):
            save = Path(spec["save_dir"])
            for rel, blob in files.items():
                (save / rel).parent.mkdir(parents=True, exist_ok=True)
                (save / rel).write_bytes(blob)
            (save / f"{name}.json").write_bytes(work_json)
    elif kind == "prepare":
        out["peak_reset"] = _reset_peak()
        t, c = time.perf_counter(), time.process_time()
        _prepare_compute(data, spec["file_name"])
        out["wall_ms"] = (time.perf_counter() - t) * 1000
        out["cpu_ms"] = (time.process_time() - c) * 1000
        out["peak_mb"] = _peak_mb()
        out["extra_mb"] = out["peak_mb"] - out["rss_ready_mb"]
    elif kind == "aggregate":
        save = Path(spec["save_dir"])
        results = {p.stem: json.loads(p.read_text()) for p in sorted(save.glob("*.json"))}
        files = {str(p.relative_to(save)): p.read_bytes() for p in save.rglob("*.png")}
        work_bytes = sum(p.stat().st_size for p in save.glob("*.json"))
        out["rss_ready_mb"] = _rss_mb()
        out["peak_reset"] = _reset_peak()
        t, c = time.perf_counter(), time.process_time()
        written, zipped = _aggregate_compute(spec["source"], results, files, data)
        out["wall_ms"] = (time.perf_counter() - t) * 1000
        out["cpu_ms"] = (time.process_time() - c) * 1000
        out["peak_mb"] = _peak_mb()
        out["extra_mb"] = out["peak_mb"] - out["rss_ready_mb"]
        out["stored_bytes"] = sum(map(len, written.values())) + len(zipped) + work_bytes
        kinds: dict[str, int] = {"report.zip (a second copy of the rest)": len(zipped), "work/ results": work_bytes}
        for rel, blob in written.items():
            kind = rel.split("/")[0] + "/" if "/" in rel else rel
            kinds[kind] = kinds.get(kind, 0) + len(blob)
        out["stored_by_kind"] = kinds
    else:  # pragma: no cover
        raise ValueError(kind)
    out["process_peak_mb"] = max(peak_before, _peak_mb())
    print(_MARK + json.dumps(out), flush=True)


def _child_env() -> dict[str, str]:
    import vforensics

    env = dict(os.environ) | _ONE_THREAD_ENV
    library = str(Path(vforensics.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (library, env.get("PYTHONPATH", "")) if p)
    return env


def _spawn(spec: dict[str, Any], timeout: int = 900) -> dict[str, Any]:
    code = "from vforensics.evaluation.perf.harness import _child_main; _child_main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(spec)],
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"measurement {spec.get('kind')} {spec.get('analyzer', '')} failed: {proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(_MARK) :])


def measure_images(
    images: Sequence[dict[str, Any]],
    analyzers: Sequence[str] | None = None,
    repeats: int = 3,
    log: Log = _stderr,
) -> list[dict[str, Any]]:
    """Decode, per-analyzer, Prepare and Aggregate measurements of each image (medians of
    ``repeats`` fresh one-core interpreters per measurement)."""
    from vforensics.analyzers import ANALYZERS
    from vforensics.media.image import inspect_image

    names = list(analyzers or ANALYZERS)
    unknown = set(names) - set(ANALYZERS)
    if unknown:
        raise ValueError(f"unknown analyzers {sorted(unknown)}; known: {sorted(ANALYZERS)}")
    measured = []
    for image in images:
        data = Path(image["path"]).read_bytes()
        info = inspect_image(data).to_dict()
        source = _source_facts(data, info, image["file_name"])
        base = {"image": image["path"], "file_name": image["file_name"], "info": info}
        per: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
        prep, agg = [], []
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="vf-perf-") as work:
            for r in range(repeats):
                for name in names:  # interleaved, so slow drifts spread over all analyzers
                    spec = base | {"kind": "analyzer", "analyzer": name, "save_dir": work if r == 0 else None}
                    per[name].append(_spawn(spec))
                prep.append(_spawn(base | {"kind": "prepare"}))
            for _ in range(repeats):
                agg.append(_spawn(base | {"kind": "aggregate", "save_dir": work, "source": source}))
        decode_runs = [run for runs in per.values() for run in runs]
        entry = dict(image)
        entry["decode"] = {
            "wall_ms": _median(r["decode_ms"] for r in decode_runs),
            "cpu_ms": _median(r["decode_cpu_ms"] for r in decode_runs),
            "rss_added_mb": _median(r["rss_decoded_mb"] - r["rss_ready_mb"] for r in decode_runs),
            "runs": len(decode_runs),
        }
        entry["analyzers"] = {}
        for name, runs in per.items():
            s = _summarise(
                runs, ["wall_ms", "cpu_ms", "render_ms", "rss_decoded_mb", "extra_mb", "peak_mb", "process_peak_mb"]
            )
            s["x_decode"] = s["wall_ms"] / entry["decode"]["wall_ms"] if entry["decode"]["wall_ms"] else None
            s["status"] = runs[0]["status"]
            s["has_map"] = runs[0]["has_map"]
            s["map_count"] = runs[0].get("map_count", int(runs[0]["has_map"]))
            s["reads_pixels"] = bool(runs[0]["reads_pixels"] or runs[0]["has_map"])
            s["output_bytes"] = runs[0]["output_bytes"]
            s["samples_ms"] = [round(r["wall_ms"], 2) for r in runs]
            entry["analyzers"][name] = s
        entry["prepare"] = _summarise(prep, ["wall_ms", "cpu_ms", "extra_mb", "process_peak_mb"])
        entry["aggregate"] = _summarise(agg, ["wall_ms", "cpu_ms", "extra_mb", "process_peak_mb", "stored_bytes"])
        entry["aggregate"]["stored_by_kind"] = agg[0]["stored_by_kind"]
        entry["one_core"] = all(r["cv2_threads"] == 1 for r in decode_runs)
        entry["peak_reset"] = all(r["peak_reset"] for r in decode_runs)
        measured.append(entry)
        log(
            f"  {image['megapixels']:.1f} MP {image['file_name']}: decode {entry['decode']['wall_ms']:.0f} ms, "
            + ", ".join(f"{n} {s['wall_ms']:.0f} ms" for n, s in entry["analyzers"].items())
            + f" ({time.perf_counter() - started:.0f} s)"
        )
    return measured
