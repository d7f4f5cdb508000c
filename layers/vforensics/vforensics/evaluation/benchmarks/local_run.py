"""Time the full local pipeline on a 12 MP camera JPEG (a section of docs/BENCHMARKS.md).

Measures (medians over --runs executions, after one warm-up): wall time of one analysis
through the real state machine on the embedded engine, each analyzer's own time (from
report.json), and the JPEG decode time of the same image (the floor any analyzer pays).
Usage: .venv/bin/python -m vforensics.evaluation.benchmarks.local_run [IMAGE] [--runs 5] [--write FILE.md]
"""

import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from vforensics.evaluation.benchmarks._section import BENCH, REPO, Context, section_main
from vforensics.local.engine import LocalEngine
from vforensics.local.runner import analyze_one
from vforensics.media.image import decode_rgb

DEFAULT_IMAGE = BENCH / "camera" / "mdx__Nikon_D90.jpg"
NAME = "local"
ISOLATED = True  # timings


def add_arguments(parser) -> None:
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--runs", type=int, default=5)


def run(context: Context, image: Path = DEFAULT_IMAGE, runs: int = 5) -> dict:
    """Decode, whole-analysis and per-analyzer times, and the command's time, on this machine."""
    data = image.read_bytes()
    decode_ms = []
    for _ in range(runs):
        t = time.perf_counter()
        rgb = decode_rgb(data)
        decode_ms.append((time.perf_counter() - t) * 1000)
    h, w = rgb.shape[:2]

    walls: list[float] = []
    per_analyzer: dict[str, list[float]] = {}
    with LocalEngine(REPO) as engine, TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            outcome = analyze_one(engine, image, Path(tmp) / str(i), key=f"bench/{i}/{image.name}")
            assert outcome.ok, outcome.reason
            if i == 0:
                continue  # warm-up: imports, first boto3 clients
            walls.append(outcome.seconds)
            assert outcome.report is not None  # an analysed file has its report
            for name, entry in outcome.report["analyzers"].items():
                per_analyzer.setdefault(name, []).append(entry["elapsed_ms"])

    cli_s = []
    with TemporaryDirectory() as tmp:
        for i in range(3):
            t = time.perf_counter()
            subprocess.run(
                [str(context.vforensics), "analyze", str(image), "--out", str(Path(tmp) / str(i))],
                check=True,
                capture_output=True,
            )
            cli_s.append(time.perf_counter() - t)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": date.today().isoformat(),
        "commit": commit,
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "image": image.name,
        "width": w,
        "height": h,
        "bytes": len(data),
        "runs": runs,
        "walls_s": walls,
        "cli_s": cli_s,
        "decode_ms": decode_ms,
        "per_analyzer_ms": per_analyzer,
    }


def to_markdown(results: dict) -> str:
    r = results
    med = statistics.median
    walls, cli_s, decode_ms, w, h = r["walls_s"], r["cli_s"], r["decode_ms"], r["width"], r["height"]
    rows = [
        f"| {name} | {med(v):.0f} | {med(v) / med(decode_ms):.2f} |" for name, v in sorted(r["per_analyzer_ms"].items())
    ]
    return f"""## Local pipeline run, one 12 MP camera JPEG

{r["date"]}, commit {r["commit"]}, {r["processor"]}, {r["cores"]} cores,
Python {r["python"]}. Image: `{r["image"]}`, {w}x{h} ({w * h / 1e6:.1f} MP),
{r["bytes"] / 1e6:.1f} MB. Medians of {r["runs"]} runs after one warm-up.

| what | median |
|---|---|
| whole analysis (`vforensics analyze`-equivalent: upload, state machine, all Lambdas, download) | {med(walls):.2f} s |
| the command `vforensics analyze IMAGE --out DIR`, process start to exit (median of 3) | {med(cli_s):.2f} s |
| JPEG decode of the same image (Pillow, the floor every analyzer pays) | {med(decode_ms):.0f} ms |

Per analyzer, the analyzer function's own time (report.json `elapsed_ms`; excludes S3 I/O and
map encoding), and its ratio to the decode time:

| analyzer | ms | x decode |
|---|---|---|
{chr(10).join(rows)}

The branches run concurrently in moto's request threads; on AWS each is its own Lambda
with its own CPU share (analyzers get 2048 MB, about 1.2 vCPU). The local wall time
includes moto's in-process S3/DynamoDB/Step Functions emulation.

Of the command's extra time over one analysis, about 0.5 s is importing moto's server,
about 1.4 s is moto creating its S3, DynamoDB and Step Functions backends and our
resources, and about 0.5 s the first analysis's one-off costs (measured once with
`LocalEngine` phases on the same machine, 2026-11-23).
"""


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
