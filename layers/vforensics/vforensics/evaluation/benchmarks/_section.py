"""The section interface of the benchmarks, and the command line every section shares."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

REPO = Path(__file__).resolve().parents[5]
BENCH = REPO.parent / "shared" / "bench"
DOCS = REPO / "docs"
PLOTS = DOCS / "bench"  # the plots BENCHMARKS.md shows, copied there by the runner


@dataclass(frozen=True)
class Context:
    """Where a section reads and writes: the bench data, the working folder (bench-out) and the venv."""

    work: Path = REPO / "bench-out"
    bench: Path = BENCH
    jobs: int = 2
    python: Path = Path(sys.executable)

    @property
    def vforensics(self) -> Path:
        """The ``vforensics`` command of the venv that runs the benchmarks."""
        return self.python.parent / "vforensics"

    def results_path(self, name: str) -> Path:
        return self.work / "results" / f"{name}.json"


class Section(Protocol):
    """What every module of this package is: a part of docs/BENCHMARKS.md.

    ``NAME`` names its results (``bench-out/results/NAME.json``) and its stage time;
    ``run(context, **options)`` measures and returns JSON-serialisable results;
    ``to_markdown(results)`` renders them (no measuring); ``ISOLATED`` says whether the runner
    starts ``run`` in a fresh interpreter (timings, memory and environment variables of one
    section must not leak into another); ``add_arguments(parser)``, where present, adds the
    section's own options, passed to ``run`` as keywords.
    """

    NAME: str
    ISOLATED: bool

    def run(self, context: Context, **options: Any) -> dict[str, Any]: ...

    def to_markdown(self, results: dict[str, Any]) -> str: ...


def run_command(cmd: list[Any], **kwargs: Any) -> float:
    """Run a command from the repository root (echoed, like make does); its wall time in seconds."""
    print("+", " ".join(map(str, cmd)), flush=True)
    started = time.perf_counter()
    subprocess.run([str(c) for c in cmd], check=True, cwd=REPO, **kwargs)
    return time.perf_counter() - started


def section_main(section: ModuleType, argv: list[str] | None = None) -> int:
    """``python -m vforensics.evaluation.benchmarks.<section>``: run it, print its Markdown,
    optionally write the Markdown (``--write``) and the results (``--json``)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {getattr(section.__spec__, 'name', section.__name__)}",
        description=(section.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--work", type=Path, default=Context.work, help="the benchmarks' working folder")
    parser.add_argument("--bench", type=Path, default=Context.bench, help="the benchmark data (../shared/bench)")
    parser.add_argument("--jobs", type=int, default=Context.jobs)
    parser.add_argument("--write", type=Path, metavar="FILE.md", help="also write the Markdown here")
    parser.add_argument("--json", type=Path, metavar="FILE.json", help="also write the results here")
    if hasattr(section, "add_arguments"):
        section.add_arguments(parser)
    args = vars(parser.parse_args(argv))
    context = Context(work=args.pop("work").resolve(), bench=args.pop("bench"), jobs=args.pop("jobs"))
    write, json_path = args.pop("write"), args.pop("json")
    results = section.run(context, **args)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    text = section.to_markdown(results)
    print(text)
    if write:
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(text, encoding="utf-8")
    return 0
