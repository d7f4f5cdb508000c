"""The cost model: AWS list prices and the cost of one analysis per 1,000 images from measured times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from vforensics.evaluation.perf.deployment import (
    count_transitions,
    function_memory,
    happy_path,
    load_definition,
    load_template,
    pipeline_functions,
)

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.

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
