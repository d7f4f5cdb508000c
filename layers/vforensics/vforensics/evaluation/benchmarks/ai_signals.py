"""The AI likelihood: the detector's logit and the signals that earn their place, fitted and tested.

    .venv/bin/python -m vforensics.evaluation.benchmarks.ai_signals [--write FILE.md] [--json FILE.json]

The section of ``vforensics.evaluation.fitting.fit_ai_likelihood`` (its ``fit`` and
``report_markdown``); it does not write the combination (the fitting module's ``--write`` does).
"""

from __future__ import annotations

import sys

from vforensics.evaluation.benchmarks._section import Context, section_main
from vforensics.evaluation.fitting import fit_ai_likelihood

NAME = "ai-signals"
ISOLATED = True  # runs the AI analyzers on 330 images


def run(context: Context) -> dict:
    return fit_ai_likelihood.fit()


def to_markdown(results: dict) -> str:
    return fit_ai_likelihood.report_markdown(results)


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
