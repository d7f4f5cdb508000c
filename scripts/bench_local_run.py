"""Time the full local pipeline on a 12 MP camera JPEG (a section of docs/BENCHMARKS.md).

Measures (medians over --runs executions, after one warm-up): wall time of one analysis
through the real state machine on the embedded engine, each analyzer's own time (from
report.json), and the JPEG decode time of the same image (the floor any analyzer pays).
Usage: .venv/bin/python scripts/bench_local_run.py [IMAGE] [--runs 5] [--write FILE.md]
"""

import argparse
import os
import platform
import statistics
import subprocess
import time
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from vforensics.local.engine import LocalEngine
from vforensics.local.runner import analyze_one
from vforensics.media.image import decode_rgb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = ROOT.parent / "shared" / "bench" / "camera" / "mdx__Nikon_D90.jpg"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="also write the Markdown here (run_benchmarks.py uses this)")
    args = parser.parse_args()
    data = args.image.read_bytes()
    decode_ms = []
    for _ in range(args.runs):
        t = time.perf_counter()
        rgb = decode_rgb(data)
        decode_ms.append((time.perf_counter() - t) * 1000)
    h, w = rgb.shape[:2]

    walls, per_analyzer = [], {}
    with LocalEngine(ROOT) as engine, TemporaryDirectory() as tmp:
        for i in range(args.runs + 1):
            outcome = analyze_one(engine, args.image, Path(tmp) / str(i), key=f"bench/{i}/{args.image.name}")
            assert outcome.ok, outcome.reason
            if i == 0:
                continue  # warm-up: imports, first boto3 clients
            walls.append(outcome.seconds)
            for name, entry in outcome.report["analyzers"].items():
                per_analyzer.setdefault(name, []).append(entry["elapsed_ms"])

    cli_s = []
    with TemporaryDirectory() as tmp:
        for i in range(3):
            t = time.perf_counter()
            subprocess.run(
                [
                    str(ROOT / ".venv" / "bin" / "vforensics"),
                    "analyze",
                    str(args.image),
                    "--out",
                    str(Path(tmp) / str(i)),
                ],
                check=True,
                capture_output=True,
            )
            cli_s.append(time.perf_counter() - t)

    med = statistics.median
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    rows = [f"| {name} | {med(v):.0f} | {med(v) / med(decode_ms):.2f} |" for name, v in sorted(per_analyzer.items())]
    text = f"""## Local pipeline run, one 12 MP camera JPEG

{date.today().isoformat()}, commit {commit}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores,
Python {platform.python_version()}. Image: `{args.image.name}`, {w}x{h} ({w * h / 1e6:.1f} MP),
{len(data) / 1e6:.1f} MB. Medians of {args.runs} runs after one warm-up.

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
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
