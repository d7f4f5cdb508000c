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
BENCHMARKS.md section. One module per concern: ``cost`` (prices and the cost model),
``deployment`` (facts read from template.yaml and the state machine), ``harness`` (the
one-core measuring child and its parent), ``images`` (the test images), ``cold_import``,
``sizes`` (``sam build`` and package sizes) and ``render`` (findings, plot, Markdown).

Development tooling: needs the repository checkout (template.yaml,
statemachine/, functions/) and, for ``--build``, the SAM CLI and python3.12 on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Every module of this package imports only the standard library at its top: the measuring
# children import it, and their memory baseline should hold what a Lambda holds, not plotting tools.
from vforensics.evaluation.perf._common import LAYER_SOURCE, REPO, Log, _stderr
from vforensics.evaluation.perf.cold_import import measure_cold_imports
from vforensics.evaluation.perf.cost import (
    cost_model,
    cost_per_1000,
    express_execution_usd,
    function_durations,
    lambda_invocation_usd,
    s3_requests_per_analysis,
)
from vforensics.evaluation.perf.deployment import (
    count_transitions,
    function_memory,
    happy_path,
    load_definition,
    load_template,
    pipeline_functions,
)
from vforensics.evaluation.perf.harness import measure_images
from vforensics.evaluation.perf.images import DEFAULT_MEGAPIXELS, prepare_images, synthetic_rgb
from vforensics.evaluation.perf.render import findings, plot, to_markdown
from vforensics.evaluation.perf.sizes import measure_sizes, sam_build

__all__ = [
    "LAYER_SOURCE",
    "cost_model",
    "cost_per_1000",
    "count_transitions",
    "express_execution_usd",
    "findings",
    "function_durations",
    "function_memory",
    "happy_path",
    "lambda_invocation_usd",
    "load_definition",
    "load_template",
    "machine_info",
    "main",
    "measure_cold_imports",
    "measure_images",
    "measure_sizes",
    "pipeline_functions",
    "plot",
    "prepare_images",
    "run_perf",
    "s3_requests_per_analysis",
    "sam_build",
    "synthetic_rgb",
    "to_markdown",
]


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
