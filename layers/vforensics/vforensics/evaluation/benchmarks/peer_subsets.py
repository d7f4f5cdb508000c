"""Our maps side by side with pyIFD and the SIFT reference on subsets of the synthetic cases.

    .venv/bin/python -m vforensics.evaluation.benchmarks.peer_subsets [--work bench-out] [--peer-sources 5]
        [--clone-sources 100] [--skip-peers]

Needs the ``synthetic`` section's outputs and .venv-peers (``make peers``); without the latter
it does nothing. The peers run on the cases of the first N sources; ours is scored on exactly
those cases too (``eval-*-peers``, from the same pipeline outputs), so both see the same images.
"""

from __future__ import annotations

import sys

from vforensics.evaluation.benchmarks import _peers
from vforensics.evaluation.benchmarks._datasets import dataset_markdown, read_results
from vforensics.evaluation.benchmarks._section import Context, run_command, section_main

NAME = "peer-subsets"
ISOLATED = False  # runs the peers and vforensics eval as processes of their own


def add_arguments(parser) -> None:
    _peers.add_arguments(parser)
    parser.add_argument("--peer-sources", type=int, default=5, help="pyIFD runs on the first N synthetic sources")
    parser.add_argument("--clone-sources", type=int, default=100, help="the SIFT peer runs on the first N sources")


def run(context: Context, skip_peers: bool = False, peer_sources: int = 5, clone_sources: int = 100) -> dict:
    if not _peers.available(skip_peers):
        return {"seconds": {}, "peers": False}
    vf, seconds, work = [context.vforensics], {}, context.work
    synth, eval_synth = work / "synth", work / "eval-synth"
    pyifd_synth, sift_synth = work / "peers" / "pyifd-synth", work / "peers" / "sift-synth"
    subset = _peers.write_subset(synth, "cases-peer-subset.csv", peer_sources)
    jpeg_subset = _peers.write_subset(synth, "cases-peer-jpeg.csv", peer_sources, _peers.JPEG_CLASSES)
    clone_subset = _peers.write_subset(synth, "cases-peer-clone.csv", clone_sources, _peers.CLONE_CLASSES)
    pyifd = [_peers.PEERS_PY, _peers.PYIFD]
    seconds["pyifd-synth"] = run_command(pyifd + [subset, pyifd_synth, "--methods", _peers.PYIFD_SYNTH])
    seconds["pyifd-synth-jpeg"] = run_command(pyifd + [jpeg_subset, pyifd_synth, "--methods", _peers.PYIFD_JPEG])
    seconds["sift-synth"] = run_command([_peers.PEERS_PY, _peers.SIFT, clone_subset, sift_synth])
    for cases_csv, out, peer in (
        (subset, "eval-synth-peers", f"pyifd={pyifd_synth}"),
        (clone_subset, "eval-clone-peers", f"sift={sift_synth}"),
    ):
        run_command(
            vf
            + ["eval", cases_csv, "--out", work / out, "--outputs", eval_synth / "outputs"]
            + ["--no-run", "--rescore", "--peer", peer]
        )
    return {
        "seconds": seconds,
        "peers": True,
        "clone_sources": clone_sources,
        "synth": read_results(work / "eval-synth-peers"),
        "clones": read_results(work / "eval-clone-peers"),
    }


def to_markdown(results: dict) -> str:
    if not results["peers"]:
        return ""
    synth = dataset_markdown(
        "Side by side with pyIFD on the first synthetic sources (same cases; pyIFD is too slow for all)",
        results["synth"],
        plots=False,
    )
    clones = dataset_markdown(
        "Copy-move side by side with the SIFT reference (Amerini et al. 2011) on the synthetic copy-move cases "
        f"of the first {results['clone_sources']} sources (`--clone-sources`)",
        results["clones"],
        plots=False,
    )
    return synth + "\n" + clones


if __name__ == "__main__":
    raise SystemExit(section_main(sys.modules[__name__]))
