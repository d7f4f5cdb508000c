"""Paths of the repository checkout that perf measures, and the helpers every part shares."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Top-level imports are the standard library only, in every module of this package: the
# measuring children import it, and their memory baseline should hold what a Lambda holds.

REPO = Path(__file__).resolve().parents[5]
LAYER_SOURCE = REPO / "layers" / "vforensics"
TEMPLATE = REPO / "template.yaml"
ASL = REPO / "statemachine" / "analysis.asl.json"
FUNCTIONS = REPO / "functions"

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _summarise(runs: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    return {k: _median(r.get(k) for r in runs) for k in keys} | {"runs": len(runs)}
