"""The results as people read them: findings in plain language, the plot and the BENCHMARKS.md section."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vforensics.evaluation.perf.cost import DYNAMODB_WRITES_PER_ANALYSIS, EVENTS_PER_ANALYSIS, LAMBDA_MB_PER_VCPU
from vforensics.evaluation.perf.deployment import function_memory, load_definition, load_template, pipeline_functions
from vforensics.evaluation.perf.sizes import LAMBDA_UNZIPPED_LIMIT, LAMBDA_ZIP_DIRECT_UPLOAD_LIMIT

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.


def _heatmap_max_side() -> int:
    from vforensics.report.maps import HEATMAP_MAX_SIDE  # lazily: see the note on imports above

    return HEATMAP_MAX_SIDE


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
