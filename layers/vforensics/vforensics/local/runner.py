"""Analyse local files through the embedded pipeline and write each report folder.

For each file: upload to the local uploads bucket, start the state machine with the event
the EventBridge rule would send, wait, then copy ``analyses/<id>/`` from the results
bucket to ``OUT/<name>/`` (report.json, report.zip, maps/, heatmaps/, views/). A file the
pipeline refuses gets ``OUT/<name>/error.json`` with the stable code and reason.

Each folder is written beside its final place and then swapped in, so a re-run never leaves
an earlier run's error.json beside a new report, and an interrupted run leaves either the
old folder or the new one. A failure of one file (even one of this code) is that file's
outcome; the others are still analysed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vforensics.local.engine import LocalEngine
from vforensics.local.events import object_created_event
from vforensics.local.files import LocalFileError, read_local_file
from vforensics.pipeline import aws, layout
from vforensics.pipeline.identity import analysis_id_for
from vforensics.pipeline.layout import safe_name


@dataclass
class FileOutcome:
    path: Path
    status: str  # COMPLETED | FAILED | DUPLICATE | UNREADABLE
    seconds: float = 0.0
    analysis_id: str | None = None
    out_dir: Path | None = None
    report: dict | None = None
    error_type: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "COMPLETED"


def output_names(paths: list[Path]) -> list[str]:
    """A folder name per input: the file name, made unique within one run."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for p in paths:
        base = safe_name(p.name) or "input"
        n = seen.get(base, 0)
        seen[base] = n + 1
        names.append(base if n == 0 else f"{base}-{n + 1}")
    return names


def analyze_files(
    engine: LocalEngine,
    paths: list[Path],
    out_dir: Path,
    jobs: int = 1,
    on_done: Callable[[int, FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = output_names(paths)
    run_id = uuid.uuid4().hex[:8]

    def one(i: int) -> FileOutcome:
        outcome = analyze_one(engine, paths[i], out_dir / names[i], key=f"local/{run_id}/{i:04d}/{names[i]}")
        if on_done:
            on_done(i, outcome)
        return outcome

    if jobs <= 1:
        return [one(i) for i in range(len(paths))]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, range(len(paths))))


def analyze_one(engine: LocalEngine, path: Path, target: Path, key: str) -> FileOutcome:
    started = time.perf_counter()
    staging = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        outcome = _run(engine, path, target, staging, key)
    except Exception as exc:  # this file's outcome, not the end of the run
        shutil.rmtree(staging, ignore_errors=True)
        outcome = FileOutcome(path, "FAILED", out_dir=target, error_type=type(exc).__name__, reason=str(exc)[:500])
        _write_error(staging, outcome)
    if staging.exists():
        _swap_in(staging, target)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run(engine: LocalEngine, path: Path, target: Path, staging: Path, key: str) -> FileOutcome:
    try:
        data = read_local_file(path, check_limits=False)  # Prepare refuses and records what is too large
    except LocalFileError as exc:
        return FileOutcome(path, "UNREADABLE", reason=str(exc))
    bucket = engine.resources.uploads_bucket
    etag = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    event = object_created_event(bucket, key, etag, len(data))
    analysis_id = analysis_id_for(bucket, key, etag)
    execution = engine.start_execution(event, name=f"local-{uuid.uuid4().hex}")
    described = engine.wait(execution)
    outcome = FileOutcome(path, described["status"], analysis_id=analysis_id, out_dir=target)
    if described["status"] == "SUCCEEDED":
        result = json.loads(described.get("output") or "{}")
        if "report_key" not in result:  # the Claim found an earlier analysis of the same upload
            outcome.status = "DUPLICATE"
        else:
            outcome.status = "COMPLETED"
            _download(result["results_bucket"], layout.analysis_prefix(analysis_id), staging)
            outcome.report = json.loads((staging / layout.REPORT).read_text())
    else:
        record = engine.record(analysis_id) or {}
        outcome.status = "FAILED"
        outcome.error_type = record.get("error_type") or described.get("error")
        outcome.reason = record.get("reason") or described.get("cause")
        _write_error(staging, outcome)
    return outcome


def analyze_stored_object(engine: LocalEngine, bucket: str, key: str) -> dict:
    """Run the analysis of an object already in ``bucket``, started as the uploads rule starts it
    on AWS (moto sends no S3 events); returns describe_execution's answer."""
    head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    event = object_created_event(bucket, key, head["ETag"], head["ContentLength"])
    return engine.wait(engine.start_execution(event, name=f"local-{uuid.uuid4().hex}"))


def _write_error(folder: Path, outcome: FileOutcome) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "analysis_id": outcome.analysis_id,
        "file": str(outcome.path),
        "status": "FAILED",
        "error_type": outcome.error_type,
        "reason": outcome.reason,
    }
    (folder / "error.json").write_text(json.dumps(document, indent=2) + "\n")


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with two renames (a folder cannot replace a non-empty one)."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists() or target.is_symlink():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists() or old.is_symlink():
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def _download(bucket: str, prefix: str, target: Path) -> None:
    s3 = aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            rel = obj["Key"][len(prefix) :]
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
