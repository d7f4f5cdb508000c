"""Speed, memory, size and cost: ``vforensics perf --build`` (see ``vforensics.evaluation.perf``).

    .venv/bin/python -m vforensics.evaluation.benchmarks.perf [--work bench-out] [--repeats 3]

Writes ``WORK/perf.json`` and the plot into ``WORK/plots-perf``; the Markdown points the plot
at docs/bench/, where the runner copies it.
"""

from __future__ import annotations

import json
import sys

from vforensics.evaluation.benchmarks._section import Context, run_command, section_main

NAME = "perf"
ISOLATED = False  # vforensics perf measures in fresh one-core processes of its own


def add_arguments(parser) -> None:
    parser.add_argument("--repeats", type=int, default=3)


def run(context: Context, repeats: int = 3) -> dict:
    out = context.work / "perf.json"
    seconds = run_command(
        [context.vforensics, "perf", "--build", "--repeats", repeats, "--out", out]
        + ["--plots", context.work / "plots-perf"]
    )
    return {
        "seconds": {"perf": seconds},
        "perf": json.loads(out.read_text()),
        "plots": str(context.work / "plots-perf"),
    }


def to_markdown(results: dict) -> str:
    from vforensics.evaluation.perf import to_markdown as perf_markdown

    return perf_markdown(results["perf"]).replace("](perf_analyzers.png)", "](bench/perf_analyzers.png)")


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
