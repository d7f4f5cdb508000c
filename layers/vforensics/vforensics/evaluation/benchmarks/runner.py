"""Regenerate docs/BENCHMARKS.md (and docs/bench/*.png) from ../shared/bench, in one command.

Runs every section (in ``RUN_ORDER``; each reuses what an earlier run left in --work unless
--fresh), stores each one's results in ``WORK/results/<NAME>.json``, then renders them in
``DOCUMENT_ORDER``. Sections marked ``ISOLATED`` run in a fresh interpreter
(``python -m vforensics.evaluation.benchmarks.<section> --json ...``), so that no timing,
memory high-water mark or environment variable of one leaks into another; the others run
here and start their own processes (``vforensics synth | eval | perf``, the peers).

Usage: .venv/bin/python -m vforensics.evaluation.benchmarks [--work bench-out] [--fresh] [--skip-peers]
       [--peer-sources N] [--clone-sources N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from vforensics.evaluation.benchmarks._section import BENCH, DOCS, PLOTS, REPO, Context

#: The order the sections run in: the dataset sections first (the others read their outputs).
RUN_ORDER = (
    "synthetic",
    "held_out_makes",
    "published",
    "ai_pipeline",
    "ai_model",
    "ai_signals",
    "peer_subsets",
    "exiftool_digest",
    "perf",
    "local_run",
    "cfa_study",
    "metadata",
    "splice_regimes",
    "localisation_draw",
)
#: The order of their sections in docs/BENCHMARKS.md.
DOCUMENT_ORDER = (
    "synthetic",
    "held_out_makes",
    "splice_regimes",
    "localisation_draw",
    "peer_subsets",
    "exiftool_digest",
    "published",
    "ai_model",
    "ai_signals",
    "ai_pipeline",
    "perf",
    "cfa_study",
    "metadata",
    "local_run",
)
#: Where the plots that the document shows are left by the sections.
PLOT_FOLDERS = ("eval-synth/plots", "eval-published/plots", "plots-perf")  # eval-synth-peers: tables only


def section(name: str):
    return importlib.import_module(f"vforensics.evaluation.benchmarks.{name}")


def run_section(name: str, context: Context, options: dict) -> tuple[dict, dict[str, float]]:
    """Run one section; its results and the stage times it reports (or its own wall time)."""
    module, path = section(name), context.results_path(section(name).NAME)
    if module.ISOLATED:
        cmd = [context.python, "-m", module.__name__, "--work", context.work, "--bench", context.bench]
        cmd += ["--jobs", context.jobs, "--json", path]
        print("+", " ".join(map(str, cmd)), flush=True)
        started = time.perf_counter()
        subprocess.run([str(c) for c in cmd], check=True, cwd=REPO)
        return json.loads(path.read_text()), {module.NAME: time.perf_counter() - started}
    results = module.run(context, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return results, results.get("seconds", {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vforensics.evaluation.benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--work", type=Path, default=REPO / "bench-out")
    parser.add_argument("--fresh", action="store_true", help="delete --work first")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--peer-sources", type=int, default=5, help="pyIFD runs on the first N synthetic sources")
    parser.add_argument("--clone-sources", type=int, default=100, help="the SIFT peer runs on the first N sources")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if not BENCH.is_dir():
        sys.exit(f"{BENCH} not found: the benchmarks run on shared/bench beside the repository")
    work = args.work.resolve()
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    context = Context(work=work, bench=BENCH, jobs=args.jobs)
    options = {
        "published": {"skip_peers": args.skip_peers},
        "exiftool_digest": {"skip_peers": args.skip_peers},
        "peer_subsets": {
            "skip_peers": args.skip_peers,
            "peer_sources": args.peer_sources,
            "clone_sources": args.clone_sources,
        },
    }
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name in RUN_ORDER:
        results[name], took = run_section(name, context, options.get(name, {}))
        seconds |= took
    write_doc(work, results, seconds)
    return 0


def write_doc(work: Path, results: dict[str, dict], seconds: dict[str, float]) -> None:
    """docs/BENCHMARKS.md from the sections' results, and the plots it shows in docs/bench/."""
    if PLOTS.exists():
        shutil.rmtree(PLOTS)
    PLOTS.mkdir(parents=True)
    for folder in PLOT_FOLDERS:
        for png in sorted((work / folder).glob("*.png")):
            shutil.copyfile(png, PLOTS / png.name)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    lines = [
        "# Benchmarks",
        "",
        "Regenerated by `make bench` (= `.venv/bin/python -m vforensics.evaluation.benchmarks`) on "
        f"{date.today().isoformat()},",
        f"commit {commit.strip()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "Stage times of this invocation: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in seconds.items()) + "",
        "(stages reuse what earlier runs left in `bench-out/`; `--fresh` recomputes everything, about an hour",
        "here, most of it pyIFD).",
        "Data: ../shared/bench (see its README for sources and licences). Every number below comes",
        "from the files in `bench-out/` that this command writes; nothing is typed in by hand.",
        "",
        "How to read the tables: AUC 0.5 is chance, 1.0 perfect; pixel F1 is the mean over manipulated",
        "images of the F1 of the map against the mask (`f1_best`: at each image's best threshold, an",
        "optimistic protocol common in the literature; `f1_fixed`: at 0.5); `(all pixels)` is the F1 of",
        "a map marking the whole image, the floor any useful map must beat.",
        "",
    ]
    for name in DOCUMENT_ORDER:
        text = section(name).to_markdown(results[name]).strip()
        if text:
            lines += [text, ""]
    (DOCS / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")
    print("wrote", DOCS / "BENCHMARKS.md")
