"""The malformed-input corpus (tools/malformed_corpus.py, issue 21) through the CLI as a user runs it.

``vforensics analyze`` runs once over every kind (one multi-file run into a tmp --out); the
kinds that hang or end the whole run today (``isolate``) each get their own run, beside it.
Then ``vforensics metadata`` on every kind and ``vforensics compare`` on the corpus pairs.
Every command runs as a subprocess under a time bound; each file must end analysed
(report.json; metadata: a report with flags) or refused with a documented code (error.json),
with the documented exit status, no traceback, and (analysed) no analyzer that raised. One
test per kind and command reads its outcome from those runs. Kinds that fail today are
xfail(strict) with the issue-21 bullet, so a fix turns them red until the mark is removed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import malformed_corpus as corpus
from vforensics.local.terminal import safe_text
from vforensics.pipeline.layout import safe_name

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them

#: The whole multi-file analyze run (about 50 files, ~3 s each on 2 cores).
RUN_TIMEOUT_S = 900
#: One isolated analyze run (one file; ~5 s of engine start-up plus its analysis).
ISOLATED_TIMEOUT_S = 60
#: An analysed file's own time in the multi-file run (the "(N s)" the CLI prints).
PER_FILE_S = 60.0
METADATA_TIMEOUT_S = 30
COMPARE_TIMEOUT_S = 60
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


@dataclass
class Outcome:
    outcome: str  # "analysed", a refusal code, "unreadable", "timeout", "missing"
    seconds: float | None = None
    detail: str = ""
    analyzer_errors: tuple[str, ...] = ()  # analysed, but these analyzers raised (report.json status "error")


def _cli(args: list, timeout: float, cwd: Path) -> subprocess.CompletedProcess | None:
    """Run ``python -m vforensics.cli ARGS``; None when it ran past ``timeout`` (killed)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "vforensics.cli", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    corpus.write(out)
    return out


@dataclass
class AnalyzeRuns:
    main: subprocess.CompletedProcess | None
    isolated: dict[str, subprocess.CompletedProcess | None]
    outcomes: dict[str, Outcome]
    seconds: float


def _outcome(kind: corpus.Kind, out: Path, stdout: str, stderr: str, killed: bool) -> Outcome:
    folder = out / safe_name(kind.filename)  # as the CLI names report folders
    shown = safe_text(kind.filename)  # as the CLI prints names
    if (folder / "report.json").is_file():
        report = json.loads((folder / "report.json").read_text())
        failed = tuple(
            f"{name}: {a.get('error')}" for name, a in report["analyzers"].items() if a.get("status") == "error"
        )
        line = re.search(rf"{re.escape(shown)}: .*\((\d+(?:\.\d+)?) s\) -> ", stdout)
        return Outcome(corpus.ANALYSED, float(line.group(1)) if line else None, analyzer_errors=failed)
    if (folder / "error.json").is_file():
        error = json.loads((folder / "error.json").read_text())
        code = str(error.get("reason") or "").partition(":")[0]
        return Outcome(code or "REFUSED", detail=str(error.get("reason"))[:200])
    if f"{shown}: ERROR cannot read" in stderr:
        return Outcome(corpus.UNREADABLE)
    return Outcome("timeout" if killed else "missing", detail=stderr[-500:])


@pytest.fixture(scope="module")
def analyze_runs(corpus_dir, tmp_path_factory) -> AnalyzeRuns:
    started = time.perf_counter()
    work = tmp_path_factory.mktemp("analyze")
    together = [k for k in corpus.KINDS if not k.isolate]
    alone = [k for k in corpus.KINDS if k.isolate]

    def isolated_runs():  # one at a time, beside the main run
        return {
            k.name: _cli(["analyze", corpus_dir / k.filename, "--out", work / k.name], ISOLATED_TIMEOUT_S, work)
            for k in alone
        }

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(isolated_runs)
        main = _cli(
            ["analyze", *(corpus_dir / k.filename for k in together), "--out", work / "main"], RUN_TIMEOUT_S, work
        )
        isolated = future.result()
    outcomes = {}
    for k in together:
        outcomes[k.name] = _outcome(
            k, work / "main", main.stdout if main else "", main.stderr if main else "", main is None
        )
    for k in alone:
        done = isolated[k.name]
        outcomes[k.name] = _outcome(
            k, work / k.name, done.stdout if done else "", done.stderr if done else "", done is None
        )
    runs = AnalyzeRuns(main, isolated, outcomes, time.perf_counter() - started)
    print(f"\nanalyze: {len(together)} files in one run + {len(alone)} isolated runs, {runs.seconds:.0f} s wall")
    for name, o in outcomes.items():
        seconds = f" ({o.seconds:.1f} s)" if o.seconds is not None else ""
        print(
            f"  {name}: {o.outcome}{seconds}"
            + (f", analyzer errors {list(o.analyzer_errors)}" if o.analyzer_errors else "")
        )
    return runs


def _params(command: str) -> list:
    return [
        pytest.param(
            k.name,
            id=k.name,
            marks=pytest.mark.xfail(strict=True, reason=k.known_issue)
            if k.known_issue and command in k.affects
            else (),
        )
        for k in corpus.KINDS
    ]


@pytest.mark.parametrize("name", _params("analyze"))
def test_analyze_outcome(name, analyze_runs):
    kind = corpus.BY_NAME[name]
    got = analyze_runs.outcomes[name]
    assert got.outcome in kind.expect, f"{name}: {got.outcome} {got.detail}"
    assert not got.analyzer_errors, f"{name}: analysed, but analyzers failed: {got.analyzer_errors}"
    if got.outcome == corpus.ANALYSED and got.seconds is not None:
        assert got.seconds <= PER_FILE_S, f"{name}: analysed in {got.seconds:.1f} s"
    if kind.isolate:
        done = analyze_runs.isolated[name]
        assert done is not None and "Traceback" not in done.stderr, done and done.stderr[-2000:]
        assert done.returncode == (0 if got.outcome == corpus.ANALYSED else 1)


def test_analyze_run_exit_status_and_no_traceback(analyze_runs):
    main = analyze_runs.main
    assert main is not None, f"the multi-file run took more than {RUN_TIMEOUT_S} s"
    assert "Traceback" not in main.stderr, main.stderr[-3000:]
    assert main.returncode == 1  # some files are refused: 1 by the README
    total = sum(1 for k in corpus.KINDS if not k.isolate)
    analysed = sum(
        1 for k in corpus.KINDS if not k.isolate and analyze_runs.outcomes[k.name].outcome == corpus.ANALYSED
    )
    assert f"{analysed} of {total} files analysed in " in main.stdout


def test_analyze_output_has_no_terminal_control_characters(analyze_runs):
    main = analyze_runs.main
    assert main is not None
    for stream in (main.stdout, main.stderr):
        for line in stream.splitlines():
            assert not CONTROL_CHARS.search(line), repr(line)


# ---------------------------------------------------------------------------------------------
# vforensics metadata


@pytest.fixture(scope="module")
def metadata_outcomes(corpus_dir) -> dict[str, tuple[Outcome, subprocess.CompletedProcess | None]]:
    started = time.perf_counter()

    def one(kind: corpus.Kind):
        done = _cli(["metadata", corpus_dir / kind.filename], METADATA_TIMEOUT_S, corpus_dir)
        if done is None:
            return kind.name, (Outcome("timeout"), None)
        if done.returncode == 1 and "cannot read" in done.stderr:
            return kind.name, (Outcome(corpus.UNREADABLE), done)
        try:
            report = json.loads(done.stdout)
        except ValueError:
            return kind.name, (Outcome("missing", detail=done.stderr[-500:]), done)
        if "error" in report:
            return kind.name, (Outcome(report["error"]["code"], detail=report["error"]["message"]), done)
        return kind.name, (Outcome(corpus.ANALYSED if isinstance(report.get("flags"), list) else "missing"), done)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(pool.map(one, corpus.KINDS))
    print(f"\nmetadata: {len(outcomes)} runs, {time.perf_counter() - started:.0f} s wall")
    return outcomes


@pytest.mark.parametrize("name", _params("metadata"))
def test_metadata_outcome(name, metadata_outcomes):
    kind = corpus.BY_NAME[name]
    got, done = metadata_outcomes[name]
    assert got.outcome in kind.expect, f"{name}: {got.outcome} {got.detail}"
    assert done is not None and "Traceback" not in done.stderr, done and done.stderr[-2000:]
    assert done.returncode == (0 if got.outcome == corpus.ANALYSED else 1)


# ---------------------------------------------------------------------------------------------
# vforensics compare


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            a, b, expected, id=f"{a}-vs-{b}", marks=pytest.mark.xfail(strict=True, reason=issue) if issue else ()
        )
        for a, b, expected, issue in corpus.COMPARE_PAIRS
    ],
)
def test_compare(a, b, expected, corpus_dir, tmp_path):
    path_a, path_b = (corpus_dir / corpus.BY_NAME[k].filename for k in (a, b))
    done = _cli(["compare", path_a, path_b, "--out", tmp_path / "cmp"], COMPARE_TIMEOUT_S, tmp_path)
    assert done is not None, f"compare took more than {COMPARE_TIMEOUT_S} s"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    report = json.loads(done.stdout)
    if expected == "compared":
        assert done.returncode == 0 and "error" not in report
        assert (tmp_path / "cmp" / "ssim_difference.png").is_file() and (
            tmp_path / "cmp" / "ssim_heatmap.png"
        ).is_file()
    else:
        assert done.returncode == 1 and report["error"]["code"] == expected
