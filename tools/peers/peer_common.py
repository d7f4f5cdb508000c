"""What every peer runner shares: case ids, the cases CSV, one run in a child process.

Standard library only, so that it imports in the peers' own environment (.venv-peers).
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


def case_id(file: str) -> str:
    """Must equal vforensics.evaluation.cases.case_id (tests/infra/test_peers_contract.py)."""
    return os.path.splitext(file)[0].replace("/", "__")


def read_cases(csv_path: Path) -> list[dict]:
    with csv_path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row.get("file")]


def run_in_child(target: Callable, args: tuple, timeout_s: float) -> tuple[dict | None, str | None, float]:
    """Run ``target(*args, conn)`` in a forked child that sends one dict through ``conn``.

    Returns (the dict or None, why there is none: "timeout after N s" / "crashed (SIGKILL)",
    wall seconds). A child past ``timeout_s`` is killed, so one image cannot hang a run.
    """
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    proc = ctx.Process(target=target, args=(*args, send), daemon=True)
    proc.start()
    send.close()
    got = recv.poll(timeout_s)
    res = None
    if got:
        try:
            res = recv.recv()
        except EOFError:  # child died before sending
            pass
    if proc.is_alive():
        proc.kill()
    proc.join()
    wall = time.perf_counter() - t0
    failure = None
    if res is None:
        if not got:
            failure = f"timeout after {timeout_s:g} s"
        else:
            code = proc.exitcode
            failure = (
                "crashed ("
                + (signal.Signals(-code).name if code is not None and code < 0 else f"exit code {code}")
                + ")"
            )
    return res, failure, wall
