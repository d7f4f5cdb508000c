"""Speed, memory, package size and cost of the pipeline, measured on this machine.

``vforensics perf`` (or ``python -m vforensics.evaluation.perf``) measures:

1. **Per analyzer**, on JPEGs of about 1, 12 and 24 megapixels: the JPEG decode
   (``decode_rgb``, the floor every pixel analyzer pays), then each analyzer's wall and
   process-CPU time on a ``Media`` whose pixels are already decoded, its ratio to the decode,
   the time to render its map files, and peak memory. Every (image, analyzer, repeat) runs
   in a fresh interpreter pinned to **one core**, without ExifTool (``OMP_NUM_THREADS=1``,
   ``OPENBLAS_NUM_THREADS=1``, ``cv2.setNumThreads(1)``, CPU affinity of one core): Lambda at
   1769 MB has one vCPU, the reference here. The child first runs the whole pure pipeline
   once on a 96x64 image (lazy imports and first-call set-up are paid, as in a warm Lambda),
   then measures; peak memory is that child's high-water mark (``VmHWM``, reset after the
   decode through ``/proc/self/clear_refs`` so it shows what the analyzer adds). The Prepare
   and Aggregate steps' compute (validation + full decode + hashes; combined maps, report,
   zip) is measured the same way, replayed without S3 I/O.
2. **Cold import** of each Lambda's modules (``import app``), each in a fresh interpreter
   with only the function folder, the layer and the runtime's boto3 on ``sys.path``.
3. **Built sizes** (``sam build``) against Lambda's 250 MB unzipped limit, and the zipped layer.
4. **Cost per 1,000 images** from the measured times, the memory sizes in template.yaml,
   the state transitions of one execution of statemachine/analysis.asl.json and the S3,
   DynamoDB and EventBridge requests counted from ``vforensics/pipeline/*.py``.

``run_perf`` returns (and writes) everything as a dict; ``to_markdown`` renders it as the
BENCHMARKS.md section. Development tooling: needs the repository checkout (template.yaml,
statemachine/, functions/) and, for ``--build``, the SAM CLI and python3.12 on PATH.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# This module's top-level imports are the standard library only: the measuring children
# import it, and their memory baseline should hold what a Lambda holds, not plotting tools.

REPO = Path(__file__).resolve().parents[4]


def _heatmap_max_side() -> int:
    from vforensics.report.maps import HEATMAP_MAX_SIDE  # lazily: see the note on imports above

    return HEATMAP_MAX_SIDE


LAYER_SOURCE = REPO / "layers" / "vforensics"
TEMPLATE = REPO / "template.yaml"
ASL = REPO / "statemachine" / "analysis.asl.json"
FUNCTIONS = REPO / "functions"
DEFAULT_IMAGE = REPO.parent / "shared" / "bench" / "camera" / "mdx__Nikon_D90.jpg"
DEFAULT_MEGAPIXELS = (1.0, 12.0, 24.0)
JPEG_QUALITY = 90  # re-encoding quality of the resized test images

# --------------------------------------------------------------------------- prices
# AWS list prices, us-east-1, x86_64, transcribed 2026-11-23 (not fetched at run time;
# check the pages before quoting a number):
# https://aws.amazon.com/lambda/pricing/
LAMBDA_GB_SECOND_USD = 0.0000166667  # first 6 billion GB-s a month
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
LAMBDA_MB_PER_VCPU = 1769  # Lambda allocates CPU in proportion to memory; 1769 MB = 1 vCPU
# https://aws.amazon.com/step-functions/pricing/
SFN_STANDARD_TRANSITION_USD = 0.025 / 1000
SFN_EXPRESS_REQUEST_USD = 1.00 / 1_000_000
SFN_EXPRESS_GB_SECOND_USD = 0.00001667  # first 1,000 hours GB a month
SFN_EXPRESS_MEMORY_MB = 64  # Express bills memory in 64 MB chunks; our payloads are a few KB
SFN_EXPRESS_ROUND_MS = 100  # Express duration is rounded up to the next 100 ms
# https://aws.amazon.com/s3/pricing/ (S3 Standard)
S3_PUT_USD = 0.005 / 1000  # PUT, COPY, POST, LIST
S3_GET_USD = 0.0004 / 1000  # GET, SELECT and all other requests (HEAD included)
S3_STANDARD_GB_MONTH_USD = 0.023  # first 50 TB a month
# https://aws.amazon.com/dynamodb/pricing/on-demand/ : on-demand write request units.
# $0.625 per million since the 50 % on-demand price cut of November 2024 (was $1.25).
DYNAMODB_WRU_USD = 0.625 / 1_000_000
# https://aws.amazon.com/eventbridge/pricing/ : custom events put on a bus (64 KB chunks).
# The S3 "Object Created" event that starts an analysis is an AWS service event: free.
EVENTBRIDGE_EVENT_USD = 1.00 / 1_000_000

# --------------------------------------------------------------------------- model constants
S3_IO_ALLOWANCE_MS = 150  # per function invocation: its S3 reads and writes (not measured here)
DYNAMODB_WRITES_PER_ANALYSIS = 2  # Claim PutItem + Aggregate UpdateItem, items < 1 KB: 1 WRU each
EVENTS_PER_ANALYSIS = 1  # Aggregate's "Analysis Completed" event
LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes: function + all its layers, unzipped
LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT = 52_428_800  # bytes: a zip uploaded through the Lambda API (not via S3)

_MARK = "VFORENSICS_PERF_RESULT "
_ONE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "VF_EXIFTOOL": "off",  # as on Lambda, which has no ExifTool: the metadata analyzer's pure-Python path
}

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# =========================================================================== state machine


def happy_path(definition: dict[str, Any], choices: dict[str, str] | None = None, map_items: int = 1) -> list[str]:
    """State names entered by one successful execution, in order (branches inlined).

    Follows ``StartAt`` and each state's ``Next`` (never a ``Catch``) until ``End`` or a
    Succeed/Fail state; a Parallel state is entered once and then each of its branches is
    walked; a Map state's iterator is walked ``map_items`` times; a Choice state goes to
    ``choices[name]`` if given, else its ``Default``.
    """
    choices = choices or {}
    states, name = definition["States"], definition["StartAt"]
    path: list[str] = []
    for _ in range(10_000):  # a loop in the happy path would be a definition error
        state = states[name]
        path.append(name)
        kind = state["Type"]
        if kind == "Parallel":
            for branch in state["Branches"]:
                path += happy_path(branch, choices, map_items)
        elif kind == "Map":
            iterator = state.get("ItemProcessor") or state["Iterator"]
            for _ in range(map_items):
                path += happy_path(iterator, choices, map_items)
        if kind in ("Succeed", "Fail") or state.get("End"):
            return path
        if kind == "Choice":
            target = choices.get(name) or state.get("Default")
            if not target:
                raise ValueError(f"Choice state {name!r} has no Default: pass choices={{{name!r}: <next state>}}")
            name = target
        else:
            name = state["Next"]
    raise ValueError("the happy path does not end (a loop without a Choice exit?)")


def count_transitions(definition: dict[str, Any], choices: dict[str, str] | None = None, map_items: int = 1) -> int:
    """State transitions Step Functions Standard bills for one successful execution.

    One transition per state entered ("each time a step of your workflow is executed"),
    Parallel and Map states and the states inside their branches included; retries would
    add one each and are not counted (a successful execution without retries).
    """
    return len(happy_path(definition, choices, map_items))


def pipeline_functions(definition: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """Which Lambda function (template logical id) each Task state of the happy path calls.

    Returns ``{"prepare": id, "aggregate": id, "analyzers": {analyzer name: id}, "order": [...]}``,
    resolved through the state machine's ``DefinitionSubstitutions`` (``${XFunctionArn}`` ->
    ``!GetAtt X.Arn``).
    """
    machines = [r for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::StateMachine"]
    subs: dict[str, Any] = {}
    for machine in machines:
        subs |= machine["Properties"].get("DefinitionSubstitutions", {})

    def function_of(state: dict[str, Any]) -> str | None:
        resource = state.get("Resource", "")
        if not (resource.startswith("${") and resource.endswith("}")):
            return None  # a service integration (DynamoDB, EventBridge), not a Lambda
        value = subs.get(resource[2:-1])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return (target.split(".")[0] if isinstance(target, str) else target[0]) or None
        return None

    found: dict[str, Any] = {"analyzers": {}, "order": []}

    def walk(defn: dict[str, Any]) -> None:
        for name in _branch_path(defn):
            state = defn["States"][name]
            if state["Type"] == "Parallel":
                for branch in state["Branches"]:
                    walk(branch)
                continue
            fn = function_of(state) if state["Type"] == "Task" else None
            if fn is None:
                continue
            found["order"].append(fn)
            analyzer = state.get("Parameters", {}).get("analyzer")
            if analyzer:
                found["analyzers"][analyzer] = fn
            elif not found["analyzers"]:
                found["prepare"] = fn
            else:
                found["aggregate"] = fn

    walk(definition)
    return found


def _branch_path(defn: dict[str, Any]) -> list[str]:
    """Top-level states of one branch on its happy path (nested branches not inlined)."""
    names, name = [], defn["StartAt"]
    while True:
        state = defn["States"][name]
        names.append(name)
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            return names
        name = state.get("Default") if state["Type"] == "Choice" else state["Next"]


def load_definition(path: Path = ASL) -> dict[str, Any]:
    return json.loads(path.read_text())


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from cfnlint.decode import decode_str

    template, matches = decode_str(path.read_text())
    if matches:
        raise ValueError(f"{path}: {[str(m) for m in matches]}")
    return template


def function_memory(template: dict[str, Any]) -> dict[str, int]:
    """MemorySize (MB) of every zip/image function, falling back to Globals, then Lambda's 128."""
    default = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    return {
        name: int(r["Properties"].get("MemorySize", default))
        for name, r in template["Resources"].items()
        if r.get("Type") == "AWS::Serverless::Function"
    }


# =========================================================================== cost model


def s3_requests_per_analysis(analyzers: int, analyzers_with_map: int, combined_map: bool | None = None) -> dict:
    """S3 requests of one successful analysis, counted from ``vforensics/pipeline/*.py``.

    * prepare.py: HEAD the upload, a ranged GET of its magic bytes, a GET of the whole file
      (3 GET-class: S3 prices HEAD with GET);
    * analyze.py, per analyzer: GET the upload; PUT ``maps/<name>.png`` and
      ``heatmaps/<name>.png`` per map it returns (``analyzers_with_map`` counts maps,
      extra views included); PUT ``work/<id>/<name>.json``;
    * aggregate.py: GET each ``work/`` result; GET each map and heatmap; when a combined map
      is drawn, GET the upload (preview) and PUT ``maps/combined.png`` and
      ``heatmaps/combined.png``; PUT report.json and report.zip.

    The client's own upload (one PUT) is returned separately as ``upload_put``.
    """
    if combined_map is None:
        combined_map = analyzers_with_map > 0
    combined = 1 if combined_map else 0
    gets = 3 + analyzers + analyzers + 2 * analyzers_with_map + combined
    puts = (2 * analyzers_with_map + analyzers) + 2 * combined + 2
    return {"get": gets, "put": puts, "upload_put": 1}


def lambda_invocation_usd(duration_ms: float, memory_mb: int) -> float:
    """One invocation: duration rounded up to 1 ms, GB-seconds at MemorySize/1024, plus the request."""
    billed_ms = math.ceil(duration_ms)
    return billed_ms / 1000 * memory_mb / 1024 * LAMBDA_GB_SECOND_USD + LAMBDA_REQUEST_USD


def express_execution_usd(duration_ms: float, memory_mb: int = SFN_EXPRESS_MEMORY_MB) -> float:
    """One Express execution: the request plus its duration (rounded up to 100 ms) at 64 MB."""
    billed_ms = math.ceil(duration_ms / SFN_EXPRESS_ROUND_MS) * SFN_EXPRESS_ROUND_MS
    return SFN_EXPRESS_REQUEST_USD + billed_ms / 1000 * memory_mb / 1024 * SFN_EXPRESS_GB_SECOND_USD


def cost_per_1000(
    durations_ms: dict[str, float],
    memory_mb: dict[str, int],
    critical_path_ms: float,
    transitions: int,
    s3: dict[str, int],
    stored_bytes: float = 0.0,
) -> dict[str, Any]:
    """US dollars per 1,000 analysed images, by line item.

    ``durations_ms``: billed duration of each Lambda invocation of one analysis (function
    logical id -> ms); ``critical_path_ms``: the execution's end-to-end time (Express is
    billed on it); ``s3``: from ``s3_requests_per_analysis``; ``stored_bytes``: what one
    analysis leaves in S3 (upload + results), priced for one month.
    """
    n = 1000
    lambda_items = {fn: n * lambda_invocation_usd(ms, memory_mb[fn]) for fn, ms in durations_ms.items()}
    items = {
        "lambda": sum(lambda_items.values()),
        "step_functions_standard": n * transitions * SFN_STANDARD_TRANSITION_USD,
        "step_functions_express": n * express_execution_usd(critical_path_ms),
        "s3_get": n * s3["get"] * S3_GET_USD,
        "s3_put": n * (s3["put"] + s3.get("upload_put", 0)) * S3_PUT_USD,
        "s3_storage_month": n * stored_bytes / 1e9 * S3_STANDARD_GB_MONTH_USD,
        "dynamodb": n * DYNAMODB_WRITES_PER_ANALYSIS * DYNAMODB_WRU_USD,
        "eventbridge": n * EVENTS_PER_ANALYSIS * EVENTBRIDGE_EVENT_USD,
    }
    shared = sum(v for k, v in items.items() if not k.startswith("step_functions"))
    return {
        "lambda_by_function": lambda_items,
        "items": items,
        "total_standard": shared + items["step_functions_standard"],
        "total_express": shared + items["step_functions_express"],
    }


def function_durations(
    image: dict[str, Any], functions: dict[str, Any], memory_mb: dict[str, int], cpu_share: bool = False
) -> tuple[dict[str, float], float]:
    """Billed duration (ms) of each Lambda of one analysis of ``image``, and the critical path.

    Duration = measured one-core compute (+ the decode for analyzers that read pixels)
    + ``S3_IO_ALLOWANCE_MS``. With ``cpu_share``, compute is stretched by 1769/MemorySize for
    functions under one vCPU (single-threaded code gains nothing above one vCPU).
    """

    def stretch(fn: str, ms: float) -> float:
        return ms * max(1.0, LAMBDA_MB_PER_VCPU / memory_mb[fn]) if cpu_share else ms

    durations = {functions["prepare"]: stretch(functions["prepare"], image["prepare"]["wall_ms"])}
    for name, fn in functions["analyzers"].items():
        a = image["analyzers"].get(name)
        if a is None:
            continue
        compute = a["wall_ms"] + a["render_ms"] + (image["decode"]["wall_ms"] if a["reads_pixels"] else 0.0)
        durations[fn] = stretch(fn, compute)
    durations[functions["aggregate"]] = stretch(functions["aggregate"], image["aggregate"]["wall_ms"])
    durations = {fn: math.ceil(ms + S3_IO_ALLOWANCE_MS) for fn, ms in durations.items()}
    analyzer_ms = [durations[fn] for fn in functions["analyzers"].values() if fn in durations]
    critical = durations[functions["prepare"]] + max(analyzer_ms, default=0) + durations[functions["aggregate"]]
    return durations, critical


# =========================================================================== test images


def synthetic_rgb(width: int, height: int, seed: int = 0):
    """A natural-looking test scene: smooth gradients, soft shapes, texture and sensor-like noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 90 + 70 * np.sin(6.0 * x + 1.0) * np.cos(3.0 * y)
    img[..., 1] = 110 + 60 * np.cos(5.0 * y + 0.5) + 20 * x
    img[..., 2] = 80 + 90 * y * (1 - x) + 30 * np.sin(20.0 * x * y)
    for _ in range(12):  # soft-edged discs, drawn inside their bounding boxes only
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.15)
        x0, x1 = max(0, int((cx - r) * width)), min(width, int((cx + r) * width) + 1)
        y0, y1 = (
            max(0, int((cy - r * width / height) * height)),
            min(height, int((cy + r * width / height) * height) + 1),
        )
        xs, ys = x[:, x0:x1], y[y0:y1, :]
        disc = np.clip((r - np.sqrt((xs - cx) ** 2 + ((ys - cy) * height / width) ** 2)) * 200, 0, 1)
        img[y0:y1, x0:x1] += disc[..., None] * rng.uniform(-60, 60, 3).astype(np.float32)
    img += 8 * np.sin(np.float32(250.0) * x + np.float32(40.0) * y)[..., None]  # fine texture
    img += rng.normal(0.0, 2.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _jpeg_bytes(rgb, quality: int = JPEG_QUALITY, exif: bytes | None = None) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    kwargs: dict[str, Any] = {"quality": quality}
    if exif:
        kwargs["exif"] = exif
    Image.fromarray(rgb).save(buf, format="JPEG", **kwargs)
    return buf.getvalue()


def prepare_images(
    images: Sequence[Path] | None,
    workdir: Path,
    megapixels: Sequence[float] = DEFAULT_MEGAPIXELS,
    log: Log = _stderr,
) -> list[dict[str, Any]]:
    """The test images: ``images`` as they are, or about ``megapixels`` MP made from the
    12 MP Nikon D90 JPEG of ../shared/bench (a synthetic scene when that is absent), resized
    (INTER_AREA down, INTER_CUBIC up) and re-encoded as JPEG q=90 with the source's EXIF."""
    import cv2
    from PIL import Image

    if images:
        out = []
        for path in images:
            with Image.open(path) as im:
                w, h = im.size
            out.append(_image_entry(Path(path), w, h, "as given"))
        return out

    if DEFAULT_IMAGE.is_file():
        source_path, note = DEFAULT_IMAGE, f"camera JPEG {DEFAULT_IMAGE.name} (../shared/bench)"
        with Image.open(source_path) as im:
            exif = im.info.get("exif")
            rgb = _pil_rgb(im)
    else:
        log(f"{DEFAULT_IMAGE} not found: using a synthetic 4288x2848 scene (gradients, shapes, noise)")
        rgb, exif = synthetic_rgb(4288, 2848, seed=12), None
        source_path = workdir / "synthetic_12mp.jpg"
        source_path.write_bytes(_jpeg_bytes(rgb))
        note = "synthetic scene (../shared/bench absent), JPEG q=90"
    h0, w0 = rgb.shape[:2]
    mp0 = w0 * h0 / 1e6
    out = []
    for target in megapixels:
        if abs(target - mp0) / mp0 < 0.1:
            out.append(_image_entry(source_path, w0, h0, note))
            continue
        scale = math.sqrt(target * 1e6 / (w0 * h0))
        w, h = max(16, round(w0 * scale)), max(16, round(h0 * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        path = workdir / f"{source_path.stem}_{target:g}mp.jpg"
        path.write_bytes(_jpeg_bytes(cv2.resize(rgb, (w, h), interpolation=interp), exif=exif))
        how = "downsampled (INTER_AREA)" if scale < 1 else "UPSAMPLED (INTER_CUBIC; no real detail beyond the source)"
        out.append(_image_entry(path, w, h, f"{how} from {w0}x{h0}, JPEG q={JPEG_QUALITY}; {note}"))
    return out


def _pil_rgb(im):
    import numpy as np

    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _image_entry(path: Path, width: int, height: int, note: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "file_name": path.name,
        "width": width,
        "height": height,
        "megapixels": round(width * height / 1e6, 2),
        "bytes": path.stat().st_size,
        "note": note,
    }


# =========================================================================== the measuring child
# Runs in a fresh interpreter: ``python -c "from vforensics.evaluation.perf import _child_main;
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


def _source_facts(data: bytes, info_dict: dict[str, Any], file_name: str) -> dict[str, Any]:
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
    results, files, reads_pixels = {}, {}, None
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
    code = "from vforensics.evaluation.perf import _child_main; _child_main()"
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


# =========================================================================== per-image measurement


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _summarise(runs: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    return {k: _median(r.get(k) for r in runs) for k in keys} | {"runs": len(runs)}


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


# =========================================================================== cold imports


def _function_folders() -> list[Path]:
    return sorted(p.parent for p in FUNCTIONS.glob("*/app.py"))


def _built_code_dirs(build_dir: Path) -> dict[str, Path]:
    """Source folder name (functions/<name>) -> a built function folder with that code."""
    source = load_template()
    built = load_template(build_dir / "template.yaml")
    out: dict[str, Path] = {}
    for logical_id, r in source["Resources"].items():
        if r.get("Type") != "AWS::Serverless::Function" or r["Properties"].get("PackageType") == "Image":
            continue
        folder = Path(r["Properties"]["CodeUri"]).name
        built_uri = built["Resources"][logical_id]["Properties"]["CodeUri"]
        out.setdefault(folder, build_dir / built_uri)
    return out


_IMPORT_CODE = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = [sys.argv[1], sys.argv[2]]
sys.path.append(sys.argv[3])
import app
t1 = time.perf_counter()
import numpy, vforensics
rss = next((int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')), 0)
print(json.dumps({"import_s": t1 - t0, "numpy": numpy.__file__, "vforensics": vforensics.__file__,
                  "modules": len(sys.modules), "rss_mb": rss / 1024}))
"""


def measure_cold_imports(build_dir: Path | None, repeats: int = 3, log: Log = _stderr) -> dict[str, Any]:
    """Median time of ``import app`` per function folder, each in a fresh interpreter
    (``-I -S -B``: nothing from this venv but the runtime's boto3, appended last)."""
    if build_dir is not None:
        layer = build_dir / "VForensicsLayer" / "python"
        code_dirs = _built_code_dirs(build_dir)
        origin = "the built layer (`<build dir>/VForensicsLayer/python`, precompiled .pyc)"
    else:
        layer = LAYER_SOURCE
        code_dirs = {p.name: p for p in _function_folders()}
        has_pyc = any((LAYER_SOURCE / "vforensics").rglob("__pycache__"))
        origin = (
            "from source (layers/vforensics"
            + (", with __pycache__ left by earlier runs" if has_pyc else ", without precompiled .pyc")
            + "; numpy, OpenCV, Pillow, Powertools from the venv)"
        )
    runtime = sysconfig.get_paths()["purelib"]  # boto3/botocore, as the Lambda runtime provides them
    env = dict(os.environ) | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "vforensics",
        "POWERTOOLS_METRICS_NAMESPACE": "VisualForensics",
        "VF_RESULTS_BUCKET": "placeholder",
        "VF_TABLE_NAME": "placeholder",
    }
    rows = {}
    for folder, code_dir in sorted(code_dirs.items()):
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-I", "-S", "-B", "-c", _IMPORT_CODE, str(code_dir), str(layer), runtime],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            total = time.perf_counter() - started
            if proc.returncode != 0:
                raise RuntimeError(f"import app in {code_dir} failed: {proc.stderr[-3000:]}")
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            run["process_s"] = total
            runs.append(run)
        rows[folder] = {
            "import_s": _median(r["import_s"] for r in runs),
            "process_s": _median(r["process_s"] for r in runs),
            "rss_mb": _median(r["rss_mb"] for r in runs),
            "modules": runs[0]["modules"],
            "numpy_from": runs[0]["numpy"],
            "vforensics_from": runs[0]["vforensics"],
            "runs": len(runs),
        }
        log(f"  import {folder}: {rows[folder]['import_s']:.2f} s")
    return {"origin": origin, "layer": str(layer), "functions": rows}


# =========================================================================== sam build and sizes


def _bin_dir() -> Path:
    here = Path(sys.executable).parent
    return here if (here / "sam").exists() else REPO / ".venv" / "bin"


def _python312_dir() -> Path:
    if sys.version_info[:2] == (3, 12) and (Path(sys.executable).parent / "python3.12").exists():
        return Path(sys.executable).parent
    found = shutil.which("python3.12")
    if not found:
        raise RuntimeError("sam build needs python3.12 on PATH (the Lambda runtime's interpreter)")
    return Path(found).parent


def sam_build(work: Path, log: Log = _stderr) -> Path:
    """``sam build`` without a container into ``work/build`` (as tests/infra/test_template.py)."""
    sam = _bin_dir() / "sam"
    sam_cmd = str(sam) if sam.exists() else shutil.which("sam")
    if not sam_cmd:
        raise RuntimeError("sam (aws-sam-cli) not found in the venv or on PATH")
    env = dict(os.environ)
    env.update(
        PATH=f"{_python312_dir()}{os.pathsep}{_bin_dir()}{os.pathsep}{env.get('PATH', '')}",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
    )
    build_dir = work / "build"
    cmd = [sam_cmd, "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)]
    cmd += ["--exclude", "AnalyzerAiModelFunction"]  # a container image: needs Docker
    started = time.perf_counter()
    result = subprocess.run(
        cmd + ["--cache-dir", str(work / "cache")], cwd=work, env=env, capture_output=True, text=True, timeout=1200
    )
    if result.returncode != 0:
        raise RuntimeError("sam build failed:\n" + result.stdout[-4000:] + result.stderr[-4000:])
    log(f"  sam build: {time.perf_counter() - started:.0f} s")
    return build_dir


def _tree_bytes(path: Path) -> int:
    """Unzipped size as Lambda counts it: the sum of the files' sizes."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _zipped_bytes(path: Path) -> int:
    """Size of a deflate zip of the folder (what sam deploy uploads), written to a temp file."""
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(path.rglob("*")):
                if p.is_file() and not p.is_symlink():
                    zf.write(p, p.relative_to(path))
        return tmp.tell()


def measure_sizes(build_dir: Path, log: Log = _stderr) -> dict[str, Any]:
    """Per zip function: code + layers unzipped vs 250 MB; each layer and function zipped."""
    built = load_template(build_dir / "template.yaml")
    resources = built["Resources"]
    global_layers = built.get("Globals", {}).get("Function", {}).get("Layers", [])
    layers = {
        name: build_dir / r["Properties"]["ContentUri"]
        for name, r in resources.items()
        if r.get("Type") == "AWS::Serverless::LayerVersion"
    }
    layer_rows = {}
    for name, path in layers.items():
        layer_rows[name] = {"unzipped_bytes": _tree_bytes(path), "zipped_bytes": _zipped_bytes(path)}
        log(f"  layer {name}: {layer_rows[name]['unzipped_bytes'] / 1e6:.1f} MB unzipped")
    functions = {}
    for name, r in resources.items():
        props = r.get("Properties", {})
        if r.get("Type") != "AWS::Serverless::Function" or props.get("PackageType") == "Image":
            continue
        code_dir = build_dir / props["CodeUri"]
        # SAM adds a function's own Layers to the global ones
        refs = [
            ref["Ref"] for ref in [*global_layers, *props.get("Layers", [])] if isinstance(ref, dict) and "Ref" in ref
        ]
        code = _tree_bytes(code_dir)
        layer_bytes = sum(layer_rows[ref]["unzipped_bytes"] for ref in refs if ref in layer_rows)
        functions[name] = {
            "code_bytes": code,
            "code_zipped_bytes": _zipped_bytes(code_dir),
            "layers": refs,
            "layer_bytes": layer_bytes,
            "total_bytes": code + layer_bytes,
            "headroom_bytes": LAMBDA_UNZIPPED_LIMIT - code - layer_bytes,
            "fits": code + layer_bytes < LAMBDA_UNZIPPED_LIMIT,
        }
    return {
        "build_dir": str(build_dir),
        "unzipped_limit_bytes": LAMBDA_UNZIPPED_LIMIT,
        "zip_direct_upload_limit_bytes": LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT,
        "layers": layer_rows,
        "functions": functions,
    }


# =========================================================================== costs from measurements


def cost_model(images: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Cost per 1,000 images of each measured size (see ``function_durations`` for the model)."""
    template, definition = load_template(), load_definition()
    functions = pipeline_functions(definition, template)
    memory = function_memory(template)
    transitions = count_transitions(definition)
    rows = []
    for image in images:
        measured = {n: fn for n, fn in functions["analyzers"].items() if n in image["analyzers"]}
        fns = functions | {"analyzers": measured}
        with_map = sum(image["analyzers"][n].get("map_count", int(image["analyzers"][n]["has_map"])) for n in measured)
        s3 = s3_requests_per_analysis(len(measured), with_map)
        stored = image["bytes"] + (image["aggregate"].get("stored_bytes") or 0)
        durations, critical = function_durations(image, fns, memory)
        shared_durations, shared_critical = function_durations(image, fns, memory, cpu_share=True)
        rows.append(
            {
                "megapixels": image["megapixels"],
                "file_name": image["file_name"],
                "durations_ms": durations,
                "critical_path_ms": critical,
                "s3_requests": s3,
                "stored_bytes": stored,
                "cost": cost_per_1000(durations, memory, critical, transitions, s3, stored),
                "cpu_share_durations_ms": shared_durations,
                "cpu_share_critical_path_ms": shared_critical,
                "cost_cpu_share": cost_per_1000(shared_durations, memory, shared_critical, transitions, s3, stored),
            }
        )
    return {
        "functions": functions,
        "memory_mb": memory,
        "transitions_per_execution": transitions,
        "happy_path": happy_path(definition),
        "s3_io_allowance_ms": S3_IO_ALLOWANCE_MS,
        "prices_usd": {
            "lambda_gb_second": LAMBDA_GB_SECOND_USD,
            "lambda_request": LAMBDA_REQUEST_USD,
            "sfn_standard_transition": SFN_STANDARD_TRANSITION_USD,
            "sfn_express_request": SFN_EXPRESS_REQUEST_USD,
            "sfn_express_gb_second": SFN_EXPRESS_GB_SECOND_USD,
            "s3_put": S3_PUT_USD,
            "s3_get": S3_GET_USD,
            "s3_gb_month": S3_STANDARD_GB_MONTH_USD,
            "dynamodb_wru": DYNAMODB_WRU_USD,
            "eventbridge_event": EVENTBRIDGE_EVENT_USD,
        },
        "per_image_size": rows,
    }


# =========================================================================== machine, run, output


def machine_info() -> dict[str, Any]:
    import cv2
    import numpy
    import PIL

    model = platform.processor() or platform.machine()
    try:
        model = next(
            ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln
        )
    except (OSError, StopIteration):
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        # regenerated docs (BENCHMARKS.md itself) are not a code change
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")),
        "cpu_model": model,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "opencv": cv2.__version__,
        "pillow": PIL.__version__,
    }


def run_perf(
    out_json: Path | None = None,
    images: Sequence[Path] | None = None,
    repeats: int = 3,
    build_dir: Path | None = None,
    *,
    build: bool = False,
    megapixels: Sequence[float] = DEFAULT_MEGAPIXELS,
    analyzers: Sequence[str] | None = None,
    import_repeats: int = 3,
    plots_dir: Path | None = None,
    log: Log = _stderr,
) -> dict[str, Any]:
    """Measure everything; return the results (and write them to ``out_json``).

    ``images``: files to measure as they are (default: ~``megapixels`` MP made from the bench
    camera JPEG). ``build``: run ``sam build`` into a temporary folder for the size and
    import measurements; else ``build_dir`` (an existing build) is used, or sizes are skipped
    and imports are timed from source. ``import_repeats=0`` skips the cold-import timing.
    """
    started = time.perf_counter()
    results: dict[str, Any] = {"schema": "vforensics.perf/1", "machine": machine_info(), "repeats": repeats}
    results["method"] = {
        "one_core": "each measurement in a fresh interpreter pinned to one core; OMP/OpenBLAS/MKL threads = 1, "
        "cv2.setNumThreads(1) (reference: Lambda at 1769 MB = 1 vCPU)",
        "warm": "the child first runs the whole pure pipeline on a 96x64 image (warm-container times)",
        "statistic": f"median of {repeats} runs",
        "memory": "peak RSS (VmHWM) of the child; extra = peak during the analyzer minus RSS after the decode",
    }
    with tempfile.TemporaryDirectory(prefix="vf-perf-") as tmp:
        work = Path(tmp)
        log("perf: preparing images")
        specs = prepare_images(images, work, megapixels, log)
        log(f"perf: timing decode and analyzers ({repeats} fresh one-core runs each)")
        results["images"] = measure_images(specs, analyzers, repeats, log)
        if build:
            log("perf: sam build (no container) into a temporary folder")
            build_dir = sam_build(work, log)
            results["build"] = {"how": "sam build into a temporary folder (no container)"}
        elif build_dir is not None:
            results["build"] = {"how": f"existing build {build_dir}"}
        else:
            results["build"] = {"how": None}
        if build_dir is not None:
            log("perf: package sizes")
            results["sizes"] = measure_sizes(Path(build_dir), log)
        else:
            results["sizes"] = {"skipped": "no build: pass --build (runs sam build) or --build-dir DIR"}
        if import_repeats > 0:
            log("perf: cold imports")
            results["cold_imports"] = measure_cold_imports(build_dir, import_repeats, log)
            results["cold_imports"]["runs"] = import_repeats
        else:
            results["cold_imports"] = {"skipped": "import_repeats=0"}
    results["costs"] = cost_model(results["images"])
    results["notes"] = findings(results)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    if plots_dir is not None:
        results["plots"] = [str(p) for p in plot(results, Path(plots_dir))]
    if out_json is not None:
        Path(out_json).parent.mkdir(parents=True, exist_ok=True)
        Path(out_json).write_text(json.dumps(results, indent=2, default=str))
    return results


def findings(results: dict[str, Any]) -> list[str]:
    """Plain-language flags: slow or memory-hungry analyzers, peaks near a function's memory,
    map drawing that costs more than the analysis, what one analysis stores, oversize builds."""
    notes = []
    try:
        template = load_template()
        memory = function_memory(template)
        functions = pipeline_functions(load_definition(), template)
    except (OSError, ValueError, KeyError):
        memory, functions = {}, {"analyzers": {}}
    images = sorted(results.get("images", []), key=lambda i: i["megapixels"])
    flagged = False
    for image in images:
        mp = image["megapixels"]
        for name, a in image["analyzers"].items():
            if a["wall_ms"] > 1000:
                flagged = True
                notes.append(f"{name} takes {a['wall_ms'] / 1000:.2f} s on one core at {mp:.1f} MP (> 1 s).")
            if a["process_peak_mb"] > 1536:
                flagged = True
                notes.append(f"{name} peaks at {a['process_peak_mb']:.0f} MB at {mp:.1f} MP (> 1.5 GB).")
            fn = functions["analyzers"].get(name)
            if fn in memory and a["process_peak_mb"] > 0.9 * memory[fn]:
                notes.append(
                    f"{name} at {mp:.1f} MP peaks at {a['process_peak_mb']:.0f} MB, over 90 % of {fn}'s "
                    f"{memory[fn]} MB."
                )
    if images and not flagged:
        slow_img, slow_name = max(
            ((i, n) for i in images for n in i["analyzers"]), key=lambda t: t[0]["analyzers"][t[1]]["wall_ms"]
        )
        big_img, big_name = max(
            ((i, n) for i in images for n in i["analyzers"]), key=lambda t: t[0]["analyzers"][t[1]]["process_peak_mb"]
        )
        notes.append(
            "No analyzer takes over 1 s or 1.5 GB on one core at the sizes measured; the slowest is "
            f"{slow_name} at {slow_img['megapixels']:.1f} MP ({slow_img['analyzers'][slow_name]['wall_ms']:.0f} ms), "
            f"the largest peak {big_name} at {big_img['megapixels']:.1f} MP "
            f"({big_img['analyzers'][big_name]['process_peak_mb']:.0f} MB for the whole process)."
        )
    for image in images:
        costly = [
            f"{n} {a['render_ms']:.0f} ms vs {a['wall_ms']:.0f} ms"
            for n, a in image["analyzers"].items()
            if a["has_map"] and a["render_ms"] > a["wall_ms"]
        ]
        if costly:
            notes.append(
                f"At {image['megapixels']:.1f} MP, drawing the map PNGs takes longer than the analysis itself: "
                + "; ".join(costly)
                + f" (mostly the heatmap: a full-colour PNG of up to {_heatmap_max_side()} px a side)."
            )
    if images:
        big = images[-1]
        by_kind = big["aggregate"].get("stored_by_kind") or {}
        if by_kind:
            parts = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1]))
            notes.append(
                f"One analysis of the {big['megapixels']:.1f} MP image leaves "
                f"{big['aggregate']['stored_bytes'] / 1e6:.1f} MB of results in S3: {parts}."
            )
    rows = results.get("costs", {}).get("per_image_size", [])
    if rows:
        r = max(rows, key=lambda r: r["megapixels"])
        saved = r["cost"]["total_standard"] - r["cost"]["total_express"]
        notes.append(
            f"Step Functions Standard costs ${r['cost']['items']['step_functions_standard']:.3f} per 1,000 images "
            f"whatever the size; an Express workflow would save about ${saved:.3f} per 1,000 at "
            f"{r['megapixels']:.1f} MP (but gives up exactly-once execution and the 90-day execution history)."
        )
    for name, row in results.get("sizes", {}).get("functions", {}).items():
        if not row["fits"]:
            notes.append(f"{name}: {row['total_bytes'] / 1e6:.1f} MB unzipped exceeds Lambda's 262.1 MB limit.")
    return notes


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Per-analyzer one-core time (and the decode) against megapixels, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = sorted(results["images"], key=lambda i: i["megapixels"])
    mps = [i["megapixels"] for i in images]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    ax.plot(mps, [i["decode"]["wall_ms"] for i in images], "k--o", label="JPEG decode (floor)")
    for name in images[0]["analyzers"]:
        ax.plot(mps, [i["analyzers"][name]["wall_ms"] for i in images], "-o", label=name)
    ax.set_xlabel("image size (megapixels)")
    ax.set_ylabel("time on one core (ms, median)")
    ax.set_title("Analyzer time vs image size (pixels already decoded)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "perf_analyzers.png"
    fig.savefig(path)
    plt.close(fig)
    return [path]


# --------------------------------------------------------------------------- markdown


def _mb(n: float | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f}"


def _usd(x: float) -> str:
    return f"{x:.4f}" if x < 1 else f"{x:.2f}"


def to_markdown(results: dict[str, Any]) -> str:
    """The BENCHMARKS.md section: images, decode and analyzer times, Prepare/Aggregate,
    cold imports, built sizes, cost per 1,000 images, with the assumptions spelled out."""
    m = results["machine"]
    images = sorted(results["images"], key=lambda i: i["megapixels"])
    reps = results["repeats"]
    dirty = " (with uncommitted changes)" if m.get("dirty") else ""
    lines = [
        "## Speed, memory, size and cost (`vforensics perf`)",
        "",
        f"{m['date'][:10]}, commit {m['commit']}{dirty}, {m['cpu_model']}, {m['cores']} cores, Python {m['python']}, "
        f"numpy {m['numpy']}, OpenCV {m['opencv']}, Pillow {m['pillow']}. "
        f"Regenerate: `vforensics perf --build --repeats {reps} --out perf.json`.",
        "",
        f"All times are **on one core** and are **medians of {reps} runs**, each in a fresh Python process "
        "pinned to one CPU with OpenMP/OpenBLAS and OpenCV limited to one thread: the reference is a Lambda "
        f"function at {LAMBDA_MB_PER_VCPU} MB, which has one vCPU (at 1024 MB a function gets about "
        f"{1024 / LAMBDA_MB_PER_VCPU:.2f} vCPU and CPU-bound code runs about {LAMBDA_MB_PER_VCPU / 1024:.1f}x longer). "
        "Each process first runs the whole pipeline once on a tiny image, so these are warm-container times.",
        "",
        "### Images",
        "",
    ]
    lines += _table(
        ["size", "file", "pixels", "file MB", "how it was made"],
        [
            [
                f"{i['megapixels']:.1f} MP",
                f"`{i['file_name']}`",
                f"{i['width']}x{i['height']}",
                _mb(i["bytes"]),
                i["note"],
            ]
            for i in images
        ],
    )
    names = list(images[0]["analyzers"])
    lines += [
        "",
        "### Decode and analyzers",
        "",
        "Decode = `decode_rgb` (Pillow's full JPEG decode to RGB), the floor any pixel analyzer pays. "
        "Analyzer = `analyze(media)` with the pixels already decoded; *x decode* is the ratio of the two. "
        "Maps = drawing `maps/<name>.png` and `heatmaps/<name>.png` afterwards (the analyzer Lambda does it too). "
        "Memory: *RSS decoded* is the process after imports and the decode; *+ peak* what the analyzer adds "
        "on top at its peak; *process peak* the whole process's high-water mark (compare with MemorySize; "
        "it includes the decode's transient buffers, also for analyzers whose Lambda never decodes the "
        "image).",
        "",
    ]
    step_rows = []
    for i in images:
        mp, d = f"{i['megapixels']:.1f} MP", i["decode"]
        step_rows.append(
            [mp, "JPEG decode", f"{d['wall_ms']:.0f}", f"{d['cpu_ms']:.0f}", "1.00", "-", "-",
             f"{d['rss_added_mb']:.0f} (the RGB array)", "-"]
        )  # fmt: skip
        for n in names:
            a = i["analyzers"][n]
            x = "-" if a["x_decode"] is None else f"{a['x_decode']:.2f}"
            step_rows.append(
                [mp, n, f"{a['wall_ms']:.0f}", f"{a['cpu_ms']:.0f}", x, f"{a['render_ms']:.0f}",
                 f"{a['rss_decoded_mb']:.0f}", f"{a['extra_mb']:.0f}", f"{a['process_peak_mb']:.0f}"]
            )  # fmt: skip
    lines += _table(
        ["image", "step", "wall ms", "CPU ms", "x decode", "maps ms", "RSS decoded MB", "+ peak MB", "process peak MB"],
        step_rows,
    )
    lines += [
        "",
        "Prepare and Aggregate, their compute without S3 I/O (Prepare: header checks, a full validating decode, "
        "MD5 and SHA-256; Aggregate: decode the analyzer maps, combine them, draw the combined map over a "
        "preview, build report.json and report.zip):",
        "",
    ]
    lines += _table(
        ["image", "Prepare ms", "Prepare CPU ms", "Prepare peak MB", "Aggregate ms", "Aggregate CPU ms",
         "Aggregate peak MB", "results stored MB"],
        [
            [f"{i['megapixels']:.1f} MP", f"{p['wall_ms']:.0f}", f"{p['cpu_ms']:.0f}", f"{p['process_peak_mb']:.0f}",
             f"{g['wall_ms']:.0f}", f"{g['cpu_ms']:.0f}", f"{g['process_peak_mb']:.0f}", _mb(g.get("stored_bytes"))]
            for i in images
            for p, g in [(i["prepare"], i["aggregate"])]
        ],
    )  # fmt: skip

    ci = results.get("cold_imports", {})
    lines += ["", "### Cold import of each Lambda's code", ""]
    if "skipped" in ci:
        lines.append(f"Skipped ({ci['skipped']}).")
    else:
        lines += [
            f"`import app` in a fresh interpreter (`python -I -S -B`) with only the function's folder, the layer "
            f"and the runtime's boto3 on `sys.path`; layer: {ci['origin']}. Median of {ci.get('runs', 3)} cold "
            "starts; the OS file cache is warm (on Lambda the first start after a deployment also reads the layer "
            "from disk), and the Lambda runtime's own start-up is not included.",
            "",
        ]
        lines += _table(
            ["function code", "import app, s", "interpreter start to done, s", "RSS after import, MB", "modules"],
            [
                [f"functions/{folder}", f"{row['import_s']:.2f}", f"{row['process_s']:.2f}", f"{row['rss_mb']:.0f}",
                 str(row["modules"])]
                for folder, row in ci["functions"].items()
            ],
        )  # fmt: skip

    sizes = results.get("sizes", {})
    lines += ["", "### Built package sizes", ""]
    if "skipped" in sizes:
        lines.append(f"Skipped ({sizes['skipped']}).")
    else:
        lines += [
            f"From {results['build']['how']}. Lambda's limit: function + layers **{LAMBDA_UNZIPPED_LIMIT:,} bytes "
            f"({LAMBDA_UNZIPPED_LIMIT / 1e6:.1f} MB) unzipped**; a zip uploaded directly through the Lambda API "
            f"is limited to 50 MB, but `sam deploy` uploads through S3, where only the unzipped limit applies.",
            "",
        ]
        lines += _table(
            ["function", "code MB", "layers MB", "total MB unzipped", "headroom MB", "code zipped MB"],
            [
                [name, f"{row['code_bytes'] / 1e6:.3f}", _mb(row["layer_bytes"]), _mb(row["total_bytes"]),
                 _mb(row["headroom_bytes"]), f"{row['code_zipped_bytes'] / 1e6:.3f}"]
                for name, row in sizes["functions"].items()
            ],
        )  # fmt: skip
        lines.append("")
        lines += _table(
            ["layer", "unzipped MB", "zipped MB (deflate)", "under 50 MB for a direct upload?"],
            [
                [name, _mb(row["unzipped_bytes"]), _mb(row["zipped_bytes"]),
                 "yes" if row["zipped_bytes"] < LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT else "no (deploy through S3)"]
                for name, row in sizes["layers"].items()
            ],
        )  # fmt: skip

    lines += _cost_markdown(results["costs"])
    if results.get("notes"):
        lines += ["", "### Findings", ""] + [f"- {n}" for n in results["notes"]]
    if results.get("plots"):
        lines += ["", *[f"![analyzer time vs megapixels]({Path(p).name})" for p in results["plots"]]]
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown table lines, rendered like every other benchmark table (present.to_markdown)."""
    from vforensics.evaluation.present import to_markdown  # lazily: see the note on imports above

    return to_markdown(header, rows).split("\n")


def _cost_markdown(costs: dict[str, Any]) -> list[str]:
    rows = sorted(costs["per_image_size"], key=lambda r: r["megapixels"])
    cols = " | ".join(f"{r['megapixels']:.1f} MP" for r in rows)
    sep = "|---|" + "---|" * len(rows)
    mem, fns = costs["memory_mb"], costs["functions"]
    order = [fns["prepare"], *fns["analyzers"].values(), fns["aggregate"]]
    s3 = rows[0]["s3_requests"]
    p = costs["prices_usd"]
    lines = [
        "",
        "### Cost per 1,000 images (model)",
        "",
        "Each function's billed duration = its measured one-core compute above (analyzers: the decode if they "
        f"read pixels + the analyzer + its maps) + a fixed **{costs['s3_io_allowance_ms']} ms S3 I/O allowance**, "
        "rounded up to 1 ms, at the MemorySize in template.yaml. This assumes every function runs as fast as one "
        "core here whatever its memory; the *CPU-share* columns instead stretch the compute by "
        f"{LAMBDA_MB_PER_VCPU}/MemorySize for functions below one vCPU (single-threaded code gains nothing above). "
        "End to end = Prepare + the slowest analyzer + Aggregate (Step Functions' own latency not included).",
        "",
        f"| billed ms per invocation | MemorySize | {cols} | CPU-share: {cols} |",
        "|---|---|" + "---|" * (2 * len(rows)),
    ]
    for fn in order:
        one = " | ".join(str(r["durations_ms"].get(fn, "-")) for r in rows)
        share = " | ".join(str(r["cpu_share_durations_ms"].get(fn, "-")) for r in rows)
        lines.append(f"| {fn} | {mem[fn]} MB | {one} | {share} |")
    lines.append(
        "| end to end, one execution | | "
        + " | ".join(str(r["critical_path_ms"]) for r in rows)
        + " | "
        + " | ".join(str(r["cpu_share_critical_path_ms"]) for r in rows)
        + " |"
    )
    lines += ["", f"| USD per 1,000 images | {cols} |", sep]

    def row(label: str, get: Callable[[dict[str, Any]], float]) -> None:
        lines.append(f"| {label} | " + " | ".join(_usd(get(r)) for r in rows) + " |")

    row(f"Lambda, {len(order)} invocations (GB-s + requests)", lambda r: r["cost"]["items"]["lambda"])
    row(
        f"Step Functions Standard ({costs['transitions_per_execution']} transitions)",
        lambda r: r["cost"]["items"]["step_functions_standard"],
    )
    row(
        f"S3 requests ({s3['get']} GET + {s3['put']} PUT + the upload's PUT)",
        lambda r: r["cost"]["items"]["s3_get"] + r["cost"]["items"]["s3_put"],
    )
    row("S3 storage of upload + results, per month kept", lambda r: r["cost"]["items"]["s3_storage_month"])
    row(f"DynamoDB on-demand ({DYNAMODB_WRITES_PER_ANALYSIS} writes)", lambda r: r["cost"]["items"]["dynamodb"])
    row(f"EventBridge ({EVENTS_PER_ANALYSIS} custom event)", lambda r: r["cost"]["items"]["eventbridge"])
    row("**total with a Standard workflow**", lambda r: r["cost"]["total_standard"])
    row(
        "Step Functions Express instead (request + 64 MB x end to end)",
        lambda r: r["cost"]["items"]["step_functions_express"],
    )
    row("**total with an Express workflow**", lambda r: r["cost"]["total_express"])
    row("total, Standard, CPU-share durations", lambda r: r["cost_cpu_share"]["total_standard"])
    lines += [
        "",
        "Step Functions transitions of one successful execution, counted from statemachine/analysis.asl.json "
        "(one per state entered, retries not counted): "
        f"{' → '.join(costs['happy_path'])} = {costs['transitions_per_execution']}. Prices (us-east-1, x86, "
        f"transcribed 2026-11-23): Lambda ${p['lambda_gb_second']:.10f}/GB-s and $0.20 per million requests; "
        "Step Functions Standard $0.025 per 1,000 transitions, Express $1.00 per million requests + "
        f"${p['sfn_express_gb_second']:.8f}/GB-s (64 MB, 100 ms steps); S3 Standard PUT $0.005 and GET $0.0004 "
        f"per 1,000, storage ${p['s3_gb_month']}/GB-month; DynamoDB on-demand $0.625 per million write units; "
        "EventBridge $1.00 per million custom events (the S3 event that starts an analysis is free). "
        "The S3, DynamoDB and EventBridge lines are estimates from the requests counted in `vforensics/pipeline/`. "
        "Not included: cold starts, retries, CloudWatch Logs, data transfer, the free tier.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vforensics perf",
        description="Measure analyzer speed and memory on one core, cold imports, built package sizes, "
        "and the cost per 1,000 images.",
    )
    parser.add_argument(
        "--image",
        action="append",
        type=Path,
        metavar="PATH",
        help="measure this file as it is (repeatable); default: ~1, 12, 24 MP made from the bench camera JPEG",
    )
    parser.add_argument(
        "--megapixels",
        type=float,
        nargs="+",
        default=list(DEFAULT_MEGAPIXELS),
        help="sizes to make when no --image is given (default: 1 12 24)",
    )
    parser.add_argument("--analyzer", action="append", metavar="NAME", help="only this analyzer (repeatable)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh-process runs per measurement (median)")
    parser.add_argument("--import-repeats", type=int, default=3, help="cold starts per function; 0 skips them")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--build", action="store_true", help="run sam build (no container) into a temporary folder")
    group.add_argument(
        "--build-dir",
        type=Path,
        metavar="DIR",
        help="an existing sam build folder (default: .aws-sam/build when present)",
    )
    parser.add_argument("--out", type=Path, metavar="JSON", help="write all numbers as JSON")
    parser.add_argument("--markdown", type=Path, metavar="MD", help="also write the Markdown section to this file")
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write perf_analyzers.png here")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    for path in args.image or []:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    build_dir = args.build_dir
    if build_dir is None and not args.build and (REPO / ".aws-sam" / "build" / "template.yaml").is_file():
        build_dir = REPO / ".aws-sam" / "build"
        _stderr(f"perf: using the existing build {build_dir} (pass --build for a fresh one)")
    if build_dir is not None and not (build_dir / "template.yaml").is_file():
        parser.error(f"{build_dir}: not a sam build folder (no template.yaml)")
    try:
        results = run_perf(
            args.out,
            args.image,
            args.repeats,
            build_dir,
            build=args.build,
            megapixels=args.megapixels,
            analyzers=args.analyzer,
            import_repeats=args.import_repeats,
            plots_dir=args.plots,
        )
    except (RuntimeError, ValueError) as exc:
        _stderr(f"perf: {exc}")
        return 1
    text = to_markdown(results)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    _stderr(f"perf: done in {results['elapsed_s']:.0f} s" + (f"; JSON in {args.out}" if args.out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
