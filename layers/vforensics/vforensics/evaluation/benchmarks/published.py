"""The published forgery sets (shared/bench/forgeries) through ``vforensics eval``, with the peers where installed.

    .venv/bin/python -m vforensics.evaluation.benchmarks.published [--work bench-out] [--jobs 2] [--skip-peers]

With .venv-peers (``make peers``), pyIFD and the SIFT copy-move reference run on the same
files and ``vforensics eval --no-run`` scores them beside ours.
"""

from __future__ import annotations

import sys

from vforensics.evaluation.benchmarks import _peers
from vforensics.evaluation.benchmarks._datasets import dataset_markdown, read_results
from vforensics.evaluation.benchmarks._section import Context, run_command, section_main

NAME = "published"
ISOLATED = False  # runs the vforensics commands and the peers as processes of their own
TITLE = "Published samples (shared/bench/forgeries), with pyIFD where installed"
add_arguments = _peers.add_arguments


def run(context: Context, skip_peers: bool = False) -> dict:
    vf, seconds = [context.vforensics], {}
    out = context.work / "eval-published"
    seconds["eval-published"] = run_command(
        vf + ["eval", context.bench / "forgeries", "--out", out, "--jobs", context.jobs, "--rescore"]
    )
    peers = _peers.available(skip_peers)
    if peers:
        pyifd, sift = context.work / "peers" / "pyifd-published", context.work / "peers" / "sift-published"
        seconds["pyifd-published"] = run_command(
            [_peers.PEERS_PY, _peers.PYIFD, out / "cases.csv", pyifd, "--methods", _peers.PYIFD_PUBLISHED]
        )
        seconds["sift-published"] = run_command([_peers.PEERS_PY, _peers.SIFT, out / "cases.csv", sift])
        run_command(
            vf
            + ["eval", out / "cases.csv", "--out", out, "--no-run", "--rescore"]
            + ["--peer", f"pyifd={pyifd}", "--peer", f"sift={sift}"]
        )
    elif not skip_peers:
        print("no .venv-peers: run `make peers` to add the pyIFD comparison", file=sys.stderr)
    return {"seconds": seconds, "peers": peers, "eval": read_results(out), "plots": str(out / "plots")}


def to_markdown(results: dict) -> str:
    return dataset_markdown(TITLE, results["eval"])


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
