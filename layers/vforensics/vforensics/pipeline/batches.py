"""Batches: the same per-file analysis for a list of uploads, ending with one summary and zip.

A batch is a Step Functions Distributed Map (statemachine/batch.asl.json) over a JSON
manifest in the results bucket. The API (or any caller) writes the manifest
(``write_manifest``), starts the batch state machine (``start_batch``) and reads its state
(``batch_status``). Each manifest item starts the analysis state machine as a child
execution with the EventBridge "Object Created" event the uploads rule would send, so a
batch item is analysed exactly as an upload is, and deduplicated with it: an upload the rule
already analysed (or is analysing) is not analysed twice, the child ends as a duplicate.

That is why the batch's last step (``summarize_batch``, the BatchSummaryFunction) reads the
analysis *records*, not the children's outputs: it is called in a bounded Wait loop until
every item's record is terminal (COMPLETED or FAILED) or ``deadline_seconds`` have passed
since the loop began; an item still RUNNING then is a failed row (``TIMEOUT``), one with no
record at all a failed row (``NOT_ANALYSED``). A failed item is a row, never a failed batch.

Everything lives under ``batches/<batch id>/`` in the results bucket (pipeline/layout.py):
``manifest.json`` (a JSON array of ``BatchItem``, the Map's ItemReader input),
``status.json`` (``BatchStatus``: RUNNING, COMPLETED or FAILED; written by the execution
only), ``batch_summary.json`` and
``batch.zip`` (every completed item's report.json and report.zip, one folder per item).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Literal, NotRequired, TypedDict

from botocore.exceptions import ClientError

from vforensics.errors import MediaRejected
from vforensics.pipeline import aws, layout
from vforensics.pipeline.identity import analysis_id_for
from vforensics.pipeline.settings import Settings

BATCH_SUMMARY_SCHEMA = "vforensics.batch_summary/1"
BATCH_STATUS_SCHEMA = "vforensics.batch_status/1"
#: the most items one manifest may hold; a Distributed Map could take far more, but one
#: summary pass reads every record and report in one Lambda invocation (15 minutes at most)
MAX_ITEMS = 10_000
#: batch.zip stops taking reports at this many bytes: every report.json first, then report.zips
#: (about 24 MB each for a 1.3 MP photo) in manifest order; what is left out is named in the
#: summary's ``zip`` and stays under analyses/. 1 GiB: one download, and the function's 2 GB /tmp
ZIP_MAX_BYTES = 1024 * 1024 * 1024
#: a batch id is part of S3 keys and of the execution name (80 characters at most)
_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_BATCH_GET_LIMIT = 100  # keys per DynamoDB BatchGetItem
_TERMINAL = ("COMPLETED", "FAILED")


class BatchError(ValueError):
    """A batch request that cannot be accepted (bad id, empty or malformed manifest, ...)."""


class BatchAlreadyStarted(BatchError):
    """``start_batch`` for a batch id whose execution already exists."""


class BatchItem(TypedDict):
    """One manifest entry: an upload the caller owns, at the version (etag) it means."""

    upload_id: str
    bucket: str
    key: str
    etag: str
    file_name: str


class ManifestLocation(TypedDict):
    bucket: str
    key: str


class SummaryRequest(TypedDict):
    """What the batch state machine passes to the BatchSummaryFunction on every poll."""

    batch_id: str
    manifest: ManifestLocation
    execution_arn: str
    waiting_since: str  # ISO 8601: when the wait loop began ($$.State.EnteredTime)
    deadline_seconds: int  # how long to wait for RUNNING or missing records after the Map
    map_error: NotRequired[dict[str, Any] | None]  # the Map's Catch output, when the Map itself stopped


class SummaryProgress(TypedDict):
    complete: bool
    total_files: int
    pending: int
    summary_key: NotRequired[str]
    zip_key: NotRequired[str]
    successful: NotRequired[int]
    failed: NotRequired[int]


class RowError(TypedDict):
    code: str
    message: str


class SummaryRow(TypedDict):
    filename: str
    status: Literal["success", "failed"]
    tampering_likelihood: float | None
    ai_likelihood: float | None
    verdict: str | None
    risk: str | None
    upload_id: str
    analysis_id: str
    report_key: NotRequired[str]
    error: NotRequired[RowError]


class BatchStatus(TypedDict):
    schema: str
    batch_id: str
    status: Literal["SUBMITTED", "RUNNING", "COMPLETED", "FAILED"]
    updated_at: str
    execution_arn: NotRequired[str]
    total_files: NotRequired[int]
    pending: NotRequired[int]
    successful: NotRequired[int]
    failed: NotRequired[int]
    summary_key: NotRequired[str]
    zip_key: NotRequired[str]
    error: NotRequired[dict[str, Any]]
    map_error: NotRequired[dict[str, Any]]


# --------------------------------------------------------------------------- for the API


def validate_batch_id(batch_id: str) -> str:
    """``batch_id`` if it is 1-64 letters, digits, ``-`` or ``_`` (it names keys and an execution)."""
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise BatchError(f"invalid batch id {batch_id!r}: 1-64 characters of A-Z a-z 0-9 - _, starting alphanumeric")
    return batch_id


def execution_name(batch_id: str) -> str:
    """The batch execution's name: one execution per batch id, so a repeated start cannot run it twice."""
    return f"batch-{validate_batch_id(batch_id)}"


def write_manifest(results_bucket: str, batch_id: str, items: list[BatchItem], max_items: int = MAX_ITEMS) -> str:
    """Write ``batches/<id>/manifest.json`` (the Distributed Map's ItemReader input); returns its key.

    Each item names one object version by its etag: the child analysis reads only that
    version, so an object replaced after the manifest was written is a failed row
    (``OBJECT_CHANGED``), not a silent analysis of other content.
    """
    validate_batch_id(batch_id)
    if not items:
        raise BatchError("a batch needs at least one item")
    if len(items) > max_items:
        raise BatchError(f"a batch holds at most {max_items} items, not {len(items)}")
    clean: list[BatchItem] = []
    for i, item in enumerate(items):
        fields: dict[str, Any] = dict(item)
        missing = [
            f for f in ("upload_id", "bucket", "key", "etag") if not isinstance(fields.get(f), str) or not fields[f]
        ]
        if missing:
            raise BatchError(f"item {i}: missing or empty {', '.join(missing)}")
        clean.append(
            {
                "upload_id": item["upload_id"],
                "bucket": item["bucket"],
                "key": item["key"],
                "etag": item["etag"].strip('"'),
                "file_name": item.get("file_name") or posixpath.basename(item["key"]) or item["key"],
            }
        )
    key = layout.batch_manifest_key(batch_id)
    aws.put_json(results_bucket, key, clean)
    return key


def manifest_items_from_prefix(bucket: str, prefix: str, max_items: int = MAX_ITEMS) -> list[BatchItem]:
    """Every object under ``prefix`` (with its current etag) as manifest items, ``upload_id`` = key.

    The caller must already know that it owns ``prefix``; folder placeholders (keys ending
    in ``/``) are left out. More than ``max_items`` objects is a ``BatchError``.
    """
    items: list[BatchItem] = []
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue
            if len(items) == max_items:
                raise BatchError(f"more than {max_items} objects under {prefix!r}")
            items.append(
                {
                    "upload_id": key,
                    "bucket": bucket,
                    "key": key,
                    "etag": obj["ETag"].strip('"'),
                    "file_name": posixpath.basename(key),
                }
            )
    if not items:
        raise BatchError(f"no objects under {prefix!r}")
    return items


def start_batch(state_machine_arn: str, batch_id: str, manifest_bucket: str, manifest_key: str) -> str:
    """Start the batch state machine for a written manifest; returns the execution ARN.

    The execution is named from the batch id (``execution_name``), so starting the same batch
    twice raises ``BatchAlreadyStarted`` instead of analysing it twice. Only the execution
    writes ``status.json`` (RUNNING as its first step, then the summary's progress), so its
    writes are ordered; until then ``batch_status`` reports SUBMITTED from the manifest.
    """
    name = execution_name(batch_id)
    payload = {"batch_id": batch_id, "manifest": {"bucket": manifest_bucket, "key": manifest_key}}
    try:
        arn: str = aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
        )["executionArn"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            raise BatchAlreadyStarted(f"batch {batch_id} has already been started") from exc
        raise
    return arn


def batch_status(results_bucket: str, batch_id: str) -> BatchStatus | None:
    """The batch's state: its ``status.json`` (RUNNING with progress, COMPLETED with counts and
    keys, or FAILED with the error); SUBMITTED while only the manifest exists (the execution
    has not written its first status yet); None for a batch id with neither."""
    validate_batch_id(batch_id)
    try:
        status: BatchStatus = aws.get_json(results_bucket, layout.batch_status_key(batch_id))
        return status
    except MediaRejected as exc:  # aws.get_object's answer for a missing key
        if exc.code != "NOT_FOUND":
            raise
    manifest = aws.head_object(results_bucket, layout.batch_manifest_key(batch_id))
    if manifest is None:
        return None
    submitted = manifest["LastModified"].astimezone(UTC).isoformat(timespec="seconds")
    return {"schema": BATCH_STATUS_SCHEMA, "batch_id": batch_id, "status": "SUBMITTED", "updated_at": submitted}


# --------------------------------------------------------------------------- the final step


def summarize_batch(request: SummaryRequest, settings: Settings, now: datetime | None = None) -> SummaryProgress:
    """One poll of the batch's last step.

    While some item's record is RUNNING or missing and the deadline has not passed, only
    ``status.json`` is updated (RUNNING, with the pending count) and ``complete`` is False:
    the state machine waits and calls again. Otherwise batch_summary.json and batch.zip are
    written, ``status.json`` becomes COMPLETED, and ``complete`` is True. Safe to repeat.
    """
    now = now or datetime.now(UTC)
    batch_id = validate_batch_id(request["batch_id"])
    manifest = request["manifest"]
    items: list[BatchItem] = aws.get_json(manifest["bucket"], manifest["key"])
    ids = [analysis_id_for(i["bucket"], i["key"], i["etag"]) for i in items]
    records = read_records(settings.table_name, ids)
    pending = sum(1 for aid in ids if records.get(aid, {}).get("status") not in _TERMINAL)
    deadline = _parse_time(request["waiting_since"]) + timedelta(seconds=int(request["deadline_seconds"]))
    bucket = manifest["bucket"]  # every batch output beside its manifest (the results bucket)
    head = {**_status_head(batch_id, "RUNNING", now), "execution_arn": request["execution_arn"]}
    if pending and now < deadline:
        _write_status(bucket, {**head, "total_files": len(items), "pending": pending})
        return {"complete": False, "total_files": len(items), "pending": pending}

    reports = settings.results_bucket
    rows = [_row(item, aid, records.get(aid), reports) for item, aid in zip(items, ids, strict=True)]
    successful = sum(1 for r in rows if r["status"] == "success")
    summary: dict[str, Any] = {
        "schema": BATCH_SUMMARY_SCHEMA,
        "batch_id": batch_id,
        "total_files": len(rows),
        "successful": successful,
        "failed": len(rows) - successful,
        "results": rows,
        "timestamp": now.isoformat(timespec="seconds"),
        "manifest_key": manifest["key"],
    }
    if map_error := request.get("map_error"):  # e.g. States.ExceedToleratedFailureThreshold
        summary["map_error"] = map_error
    zip_key = layout.batch_zip_key(batch_id)
    summary_key = layout.batch_summary_key(batch_id)
    with tempfile.TemporaryFile() as spool:
        summary["zip"] = write_batch_zip(spool, rows, summary, reports, zip_key, zip_max_bytes())
        spool.seek(0)
        aws.client("s3").upload_fileobj(spool, bucket, zip_key, ExtraArgs={"ContentType": "application/zip"})
    aws.put_json(bucket, summary_key, summary)
    failed = len(rows) - successful
    status = {**head, "status": "COMPLETED", "total_files": len(rows), "successful": successful, "failed": failed}
    status |= {"summary_key": summary_key, "zip_key": zip_key}
    if "map_error" in summary:
        status["map_error"] = summary["map_error"]
    _write_status(bucket, status)
    return {
        "complete": True,
        "total_files": len(rows),
        "pending": 0,
        "successful": successful,
        "failed": failed,
        "summary_key": summary_key,
        "zip_key": zip_key,
    }


def zip_max_bytes() -> int:
    """``VF_BATCH_ZIP_MAX_BYTES`` (the template's BatchZipMaxBytes), else ``ZIP_MAX_BYTES``."""
    value = os.environ.get("VF_BATCH_ZIP_MAX_BYTES", "").strip()
    return int(value) if value.isdigit() else ZIP_MAX_BYTES


def read_records(table: str, analysis_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The analysis records for ``analysis_ids`` (consistent reads, 100 keys a call), as plain values."""
    ddb = aws.client("dynamodb")
    found: dict[str, dict[str, Any]] = {}
    unique = list(dict.fromkeys(analysis_ids))
    for start in range(0, len(unique), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table: {
                "Keys": [{"analysis_id": {"S": a}} for a in unique[start : start + _BATCH_GET_LIMIT]],
                "ConsistentRead": True,
            }
        }
        for _ in range(20):  # unprocessed keys (throttling) are asked for again; boto3 retries with backoff
            response = ddb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                plain = {k: next(iter(v.values())) for k, v in item.items()}
                found[plain["analysis_id"]] = plain
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after 20 attempts")
    return found


def _row(item: BatchItem, analysis_id: str, record: dict[str, Any] | None, results_bucket: str) -> SummaryRow:
    row: SummaryRow = {
        "filename": item["file_name"],
        "status": "failed",
        "tampering_likelihood": None,
        "ai_likelihood": None,
        "verdict": None,
        "risk": None,
        "upload_id": item["upload_id"],
        "analysis_id": analysis_id,
    }
    status = (record or {}).get("status")
    if record is None:
        row["error"] = {
            "code": "NOT_ANALYSED",
            "message": "no analysis of this upload was recorded before the deadline",
        }
    elif status == "FAILED":
        row["error"] = _failure(record)
    elif status != "COMPLETED":
        row["error"] = {"code": "TIMEOUT", "message": f"the analysis was still {status} at the batch's deadline"}
    else:
        report_key = str(record.get("report_key") or layout.analysis_prefix(analysis_id) + layout.REPORT)
        try:
            report = aws.get_json(str(record.get("results_bucket") or results_bucket), report_key)
        except Exception as exc:  # expired or unreadable: this item's row, not the batch's end
            row["error"] = {
                "code": "REPORT_MISSING",
                "message": f"the completed analysis's report cannot be read: {exc}"[:500],
            }
            return row
        overall = report.get("overall", {})
        row.update(
            {
                "status": "success",
                "tampering_likelihood": overall.get("tampering_likelihood"),
                "ai_likelihood": overall.get("ai_likelihood"),
                "verdict": overall.get("verdict"),
                "risk": overall.get("risk"),
                "report_key": report_key,
            }
        )
    return row


def _failure(record: dict[str, Any]) -> RowError:
    """The stable code of a FAILED record: Prepare's ``CODE: reason`` for a refused file, else the error type."""
    error_type, reason = str(record.get("error_type") or "FAILED"), str(record.get("reason") or "")
    code, sep, message = reason.partition(": ")
    if error_type == "MediaRejected" and sep and re.fullmatch(r"[A-Z][A-Z0-9_]+", code):
        return {"code": code, "message": message[:500]}
    return {"code": error_type, "message": (reason or error_type)[:500]}


def item_folders(rows: list[SummaryRow]) -> list[str]:
    """A folder name per row for batch.zip: its position and a safe form of its file name, so two
    items with the same name never share a folder and no name can climb out of its folder."""
    width = max(4, len(str(len(rows))))
    return [f"{i + 1:0{width}d}_{_safe(r['filename'])}" for i, r in enumerate(rows)]


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", posixpath.basename(name.replace("\\", "/"))).strip("._")
    return cleaned[:100] or "file"


def write_batch_zip(
    out: IO[bytes], rows: list[SummaryRow], summary: dict[str, Any], bucket: str, zip_key: str, max_bytes: int
) -> dict[str, Any]:
    """Write batch.zip into ``out``: ``<nnnn>_<name>/report.json`` of every completed item, then
    its ``report.zip`` (maps, heatmaps, views), while the files added stay under ``max_bytes``;
    then ``batch_summary.json``. Returns what it holds: ``report_bytes``, ``max_bytes``,
    ``omitted`` (items left out entirely) and ``omitted_report_zips`` (items with report.json only).

    Every report.json comes first because it is what a reader of the summary needs (tens of KB
    each); a report.zip is megabytes (about 24 MB for a 1.3 MP photo with all its images), so
    those are added in manifest order until the limit, and the rest stay under analyses/.
    report.zip is stored (it is compressed already), report.json deflated.
    """
    total, omitted, omitted_zips = 0, [], []
    included: list[tuple[SummaryRow, str, str]] = []
    with zipfile.ZipFile(out, "w") as archive:
        for row, folder in zip(rows, item_folders(rows), strict=True):
            if row["status"] != "success":
                continue
            prefix = row["report_key"].rsplit("/", 1)[0] + "/"
            report = aws.get_object(bucket, prefix + layout.REPORT)
            if total + len(report) > max_bytes:
                omitted.append(row["filename"])
                continue
            total += len(report)
            archive.writestr(f"{folder}/{layout.REPORT}", report, compress_type=zipfile.ZIP_DEFLATED)
            included.append((row, folder, prefix))
        for row, folder, prefix in included:
            head = aws.head_object(bucket, prefix + layout.ZIP)
            if head is None:  # a report without its zip (expired) still belongs in the batch
                continue
            if total + int(head["ContentLength"]) > max_bytes:
                omitted_zips.append(row["filename"])
                continue
            report_zip = aws.get_object(bucket, prefix + layout.ZIP)
            total += len(report_zip)
            archive.writestr(f"{folder}/{layout.ZIP}", report_zip, compress_type=zipfile.ZIP_STORED)
        info = {
            "key": zip_key,
            "report_bytes": total,
            "max_bytes": max_bytes,
            "omitted": omitted,
            "omitted_report_zips": omitted_zips,
        }
        archive.writestr(
            layout.BATCH_SUMMARY, json.dumps({**summary, "zip": info}, indent=2), compress_type=zipfile.ZIP_DEFLATED
        )
    return info


# --------------------------------------------------------------------------- helpers


def _status_head(batch_id: str, status: str, now: datetime | None = None) -> dict[str, Any]:
    return {
        "schema": BATCH_STATUS_SCHEMA,
        "batch_id": batch_id,
        "status": status,
        "updated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
    }


def _write_status(bucket: str, status: dict[str, Any]) -> None:
    aws.put_json(bucket, layout.batch_status_key(status["batch_id"]), status)


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
