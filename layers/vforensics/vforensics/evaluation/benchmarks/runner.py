"""Regenerate docs/BENCHMARKS.md (and docs/bench/*.png) from ../shared/bench, in one command.

Runs every section (in ``RUN_ORDER``; each reuses what an earlier run left in --work unless
--fresh), stores each one's results in ``WORK/results/<NAME>.json``, then renders them in
``DOCUMENT_ORDER``. With ``--only`` it runs the named sections and replaces only their parts of
the document; every part carries a marker with the date and commit of the run that wrote it, and
the header tabulates them. Sections marked ``ISOLATED`` run in a fresh interpreter
(``python -m vforensics.evaluation.benchmarks.<section> --json ...``), so that no timing,
memory high-water mark or environment variable of one leaks into another; the others run
here and start their own processes (``vforensics synth | eval | perf``, the peers).

Usage: .venv/bin/python -m vforensics.evaluation.benchmarks [--work bench-out] [--fresh] [--skip-peers]
       [--only SECTION ...] [--peer-sources N] [--clone-sources N] [--jobs 2]
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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
    parser.add_argument(
        "--only",
        nargs="+",
        choices=RUN_ORDER,
        metavar="SECTION",
        help="run these sections only and replace just their parts of docs/BENCHMARKS.md; the header "
        "says when and at which commit each part was last regenerated",
    )
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--peer-sources", type=int, default=5, help="pyIFD runs on the first N synthetic sources")
    parser.add_argument("--clone-sources", type=int, default=100, help="the SIFT peer runs on the first N sources")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if not BENCH.is_dir():
        sys.exit(f"{BENCH} not found: the benchmarks run on shared/bench beside the repository")
    document = DOCS / "BENCHMARKS.md"
    kept: dict[str, Part] = {}
    if args.only:
        try:
            kept = read_parts(document.read_text(encoding="utf-8"))
        except ValueError as exc:
            sys.exit(f"--only: {exc}")
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
    stamp, commit = date.today().isoformat(), _commit()
    parts = dict(kept)
    for name in [n for n in RUN_ORDER if not args.only or n in args.only]:
        results, took = run_section(name, context, options.get(name, {}))
        text = section(name).to_markdown(results).strip()
        parts[name] = Part(name, stamp, commit, sum(took.values()), text)
    _copy_plots(work, replace_all=not args.only)
    document.write_text(render(parts), encoding="utf-8")
    print("wrote", document)
    return 0


@dataclass(frozen=True)
class Part:
    """One section's part of docs/BENCHMARKS.md and the run that wrote it."""

    name: str
    regenerated: str  # ISO date
    commit: str
    seconds: float | None  # the section's own run time; None where it was not recorded
    text: str

    def marker(self) -> str:
        took = "-" if self.seconds is None else f"{self.seconds:.0f}"
        return f"<!-- bench-section {self.name} {self.regenerated} {self.commit} {took} -->"


_MARKER = "<!-- bench-section "


def render(parts: dict[str, Part]) -> str:
    """The whole document: the header, the table of the parts' runs, then the parts in DOCUMENT_ORDER."""
    missing = [n for n in DOCUMENT_ORDER if n not in parts]
    if missing:
        raise ValueError(f"no results for {', '.join(missing)}")
    lines = [
        "# Benchmarks",
        "",
        "Regenerated by `make bench` (= `.venv/bin/python -m vforensics.evaluation.benchmarks`) on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "`--only SECTION ...` reruns some sections and replaces only their parts.",
        "Sections reuse what earlier runs left in `bench-out/`; `--fresh` recomputes everything (about",
        "two hours here from nothing, most of it the full pipeline on the synthetic set and pyIFD).",
        "Data: ../shared/bench (see its README for sources and licences) and, for the AI detector,",
        "the files `make gather-ai` brings. Every number below comes from the files in `bench-out/`",
        "that this command writes; nothing is typed in by hand.",
        "",
        "When and at which commit each part was last regenerated. A part regenerated at an older",
        "commit predates the code changes since (`git log COMMIT..HEAD -- layers/` lists them):",
        "",
        "| part | regenerated | commit | minutes |",
        "|---|---|---|---|",
    ]
    for name in DOCUMENT_ORDER:
        part = parts[name]
        took = "-" if part.seconds is None else f"{part.seconds / 60:.1f}"
        lines.append(f"| {name} | {part.regenerated} | {part.commit} | {took} |")
    lines += [
        "",
        "How to read the tables: AUC 0.5 is chance, 1.0 perfect; pixel F1 is the mean over manipulated",
        "images of the F1 of the map against the mask (`f1_best`: at each image's best threshold, an",
        "optimistic protocol common in the literature; `f1_fixed`: at 0.5); `(all pixels)` is the F1 of",
        "a map marking the whole image, the floor any useful map must beat.",
        "",
    ]
    for name in DOCUMENT_ORDER:
        part = parts[name]
        if part.text:
            lines += [part.marker(), "", part.text, ""]
        else:
            lines += [part.marker(), ""]
    return "\n".join(lines) + "\n"


def read_parts(document: str) -> dict[str, Part]:
    """The parts of a document that ``render`` wrote, by their markers (a line scan, no pattern)."""
    parts: dict[str, Part] = {}
    current: list[str] | None = None
    head: list[str] = []
    for line in document.splitlines() + [_MARKER + "end - - - -->"]:
        if not line.startswith(_MARKER):
            if current is not None:
                current.append(line)
            continue
        if current is not None:
            name, regenerated, commit, took = head
            parts[name] = Part(
                name, regenerated, commit, None if took == "-" else float(took), "\n".join(current).strip()
            )
        fields = line[len(_MARKER) :].removesuffix("-->").split()
        if len(fields) != 4:
            raise ValueError(f"malformed section marker {line[:80]!r}")
        head, current = fields, []
    unknown = set(parts) - set(DOCUMENT_ORDER) - {"end"}
    if unknown:
        raise ValueError(f"unknown sections {', '.join(sorted(unknown))}")
    parts.pop("end", None)
    missing = [n for n in DOCUMENT_ORDER if n not in parts]
    if missing:
        raise ValueError(
            f"docs/BENCHMARKS.md has no part for {', '.join(missing)}: run the whole bench once (without --only)"
        )
    return parts


def _commit() -> str:
    """HEAD's short hash, with ``+changes`` when the code that measures (layers/, functions/) differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "layers", "functions"], cwd=REPO)
    return head.stdout.strip() + ("+changes" if dirty.returncode else "")


def _copy_plots(work: Path, replace_all: bool) -> None:
    """The plots the document shows, into docs/bench/; a partial run replaces only the plots it made."""
    if replace_all and PLOTS.exists():
        shutil.rmtree(PLOTS)
    PLOTS.mkdir(parents=True, exist_ok=True)
    for folder in PLOT_FOLDERS:
        for png in sorted((work / folder).glob("*.png")):
            shutil.copyfile(png, PLOTS / png.name)
