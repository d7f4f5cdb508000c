"""Synthetic forgeries from shared/bench/camera: ``vforensics synth`` (seed 0), then ``vforensics eval``.

    .venv/bin/python -m vforensics.evaluation.benchmarks.synthetic [--work bench-out] [--jobs 2]

The cases are made once (``WORK/synth``, reused while its cases.csv exists); the evaluation
(``WORK/eval-synth``) reruns with ``--rescore``, so the overall score of stored outputs is
recomputed by the current scoring code.
"""

from __future__ import annotations

import sys

from vforensics.evaluation.benchmarks._datasets import dataset_markdown, read_results
from vforensics.evaluation.benchmarks._section import Context, run_command, section_main

NAME = "synthetic"
ISOLATED = False  # runs the vforensics commands as processes of their own
TITLE = "Synthetic forgeries from shared/bench/camera (`vforensics synth`, seed 0)"


def run(context: Context) -> dict:
    vf, seconds = [context.vforensics], {}
    synth, out = context.work / "synth", context.work / "eval-synth"
    if not (synth / "cases.csv").is_file():
        seconds["synth"] = run_command(vf + ["synth", context.bench / "camera", synth, "--seed", "0"])
    seconds["eval-synth"] = run_command(vf + ["eval", synth, "--out", out, "--jobs", context.jobs, "--rescore"])
    return {"seconds": seconds, "eval": read_results(out), "plots": str(out / "plots")}


def to_markdown(results: dict) -> str:
    return dataset_markdown(TITLE, results["eval"])


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
