"""Batches end to end: the real batch ASL (Distributed Map over an S3 manifest, STANDARD child
executions of the real analysis ASL) on the embedded engine, then batch_summary.json and batch.zip.

The uploads are analysed first, as the uploads rule does on AWS, so the batch's children are
duplicates: the summary must take each item's outcome from its record and report.
"""

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime

import pytest

from vforensics.local import faults
from vforensics.local.deployment import BATCH_FUNCTIONS, BatchSettings
from vforensics.local.runner import analyze_one
from vforensics.pipeline import aws, batches, layout
from vforensics.pipeline.identity import analysis_id_for

from ..unit.images import encode, natural_rgb

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them


def _upload(engine, key: str, data: bytes, name: str) -> batches.BatchItem:
    bucket = engine.resources.uploads_bucket
    etag = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    return {"upload_id": f"u-{uuid.uuid4().hex[:8]}", "bucket": bucket, "key": key, "etag": etag, "file_name": name}


def _item_for(engine, key: str, name: str) -> batches.BatchItem:
    bucket = engine.resources.uploads_bucket
    etag = aws.client("s3").head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    return {"upload_id": f"u-{uuid.uuid4().hex[:8]}", "bucket": bucket, "key": key, "etag": etag, "file_name": name}


def _json(engine, key: str) -> dict:
    return aws.get_json(engine.resources.results_bucket, key)


def test_batch_summarises_analysed_and_refused_uploads_with_a_zip_of_the_reports(engine, root, tmp_path):
    run = uuid.uuid4().hex[:8]
    photo = root / "samples" / "iphone4.jpg"
    png = tmp_path / "scene.png"
    png.write_bytes(encode(natural_rgb(320, 240, seed=3), "PNG"))
    notes = tmp_path / "notes.jpg"
    notes.write_text("minutes of the meeting, not a picture\n")
    files = [(photo, "iphone4.jpg"), (png, "scene.png"), (notes, "notes.jpg")]
    items = []
    for i, (path, name) in enumerate(files):  # analysed first, as the uploads rule would
        key = f"t/batch/{run}/{i}/{name}"
        outcome = analyze_one(engine, path, tmp_path / "out" / name, key=key)
        assert outcome.status == ("FAILED" if name == "notes.jpg" else "COMPLETED"), outcome.reason
        items.append(_item_for(engine, key, name))

    batch_id = f"b{run}"
    described = engine.run_batch(batch_id, items)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["complete"] is True and (output["successful"], output["failed"]) == (2, 1)

    summary = _json(engine, layout.batch_summary_key(batch_id))
    assert summary["schema"] == batches.BATCH_SUMMARY_SCHEMA
    assert (summary["batch_id"], summary["total_files"], summary["successful"], summary["failed"]) == (
        batch_id,
        3,
        2,
        1,
    )
    assert datetime.fromisoformat(summary["timestamp"]).tzinfo is not None
    rows = summary["results"]
    assert [r["filename"] for r in rows] == ["iphone4.jpg", "scene.png", "notes.jpg"]
    for row, item in zip(rows, items, strict=True):
        assert row["upload_id"] == item["upload_id"]
        assert row["analysis_id"] == analysis_id_for(item["bucket"], item["key"], item["etag"])
    for row in rows[:2]:
        report = _json(engine, layout.analysis_prefix(row["analysis_id"]) + layout.REPORT)
        assert row["status"] == "success" and "error" not in row
        overall = report["overall"]
        assert row["verdict"] == overall["verdict"] and row["risk"] == overall["risk"]
        assert row["tampering_likelihood"] == overall["tampering_likelihood"]
        assert row["ai_likelihood"] == overall["ai_likelihood"]
    refused = rows[2]
    assert refused["status"] == "failed" and refused["error"]["code"] == "UNSUPPORTED_FORMAT", refused
    assert refused["verdict"] is None and refused["tampering_likelihood"] is None

    data = aws.get_object(engine.resources.results_bucket, layout.batch_zip_key(batch_id))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert names == {
            "batch_summary.json",
            "0001_iphone4.jpg/report.json",
            "0001_iphone4.jpg/report.zip",
            "0002_scene.png/report.json",
            "0002_scene.png/report.zip",
        }
        for folder, row in (("0001_iphone4.jpg", rows[0]), ("0002_scene.png", rows[1])):
            prefix = layout.analysis_prefix(row["analysis_id"])
            assert archive.read(f"{folder}/report.json") == aws.get_object(
                engine.resources.results_bucket, prefix + layout.REPORT
            )
            with zipfile.ZipFile(io.BytesIO(archive.read(f"{folder}/report.zip"))) as inner:
                assert "report.json" in inner.namelist()
        inside = json.loads(archive.read("batch_summary.json"))
        assert inside["results"] == rows and inside["zip"]["omitted"] == inside["zip"]["omitted_report_zips"] == []
        assert inside == summary

    status = batches.batch_status(engine.resources.results_bucket, batch_id)
    assert status is not None and status["status"] == "COMPLETED"
    assert (status["total_files"], status["successful"], status["failed"]) == (3, 2, 1)
    assert status["summary_key"] == layout.batch_summary_key(batch_id)
    assert status["execution_arn"] == described["executionArn"]
    with pytest.raises(batches.BatchAlreadyStarted):  # one execution per batch id
        batches.start_batch(
            engine.batch_state_machine_arn,
            batch_id,
            engine.resources.results_bucket,
            layout.batch_manifest_key(batch_id),
        )
    history = aws.client("stepfunctions").get_execution_history(
        executionArn=described["executionArn"], maxResults=1000
    )["events"]
    assert not [e for e in history if "Failed" in e["type"]], "a state of the batch failed (caught or not)"
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered[:4] == ["Configure", "DescribeRunning", "RecordRunning", "AnalyseItems"]

    results = engine.resources.results_bucket
    assert batches.batch_status(results, f"n{run}") is None  # never submitted
    batches.write_manifest(results, f"s{run}", items[:1])  # written, not started (yet)
    submitted = batches.batch_status(results, f"s{run}")
    assert submitted is not None and submitted["status"] == "SUBMITTED"


def test_an_analysis_that_never_ends_is_a_timeout_row_not_a_failed_batch(engine, tmp_path):
    """One upload's record stays RUNNING (its execution was lost: the state the ExecutionFailed
    dead-letter queue warns of), so its child ends as a duplicate and no analysis ever completes.
    The batch waits until its deadline, then reports that item as failed with TIMEOUT. The other
    item, not analysed before the batch, is analysed by its own child execution."""
    run = uuid.uuid4().hex[:8]
    fresh = _upload(engine, f"t/batch/{run}/fresh.png", encode(natural_rgb(256, 192, seed=5), "PNG"), "fresh.png")
    stuck = _upload(engine, f"t/batch/{run}/stuck.png", encode(natural_rgb(256, 192, seed=6), "PNG"), "same.png")
    stuck_id = analysis_id_for(stuck["bucket"], stuck["key"], stuck["etag"])
    listed = batches.manifest_items_from_prefix(engine.resources.uploads_bucket, f"t/batch/{run}/")
    assert [(i["key"], i["etag"], i["file_name"]) for i in listed] == [
        (fresh["key"], fresh["etag"], "fresh.png"),
        (stuck["key"], stuck["etag"], "stuck.png"),
    ]
    with pytest.raises(batches.BatchError, match="no objects"):
        batches.manifest_items_from_prefix(engine.resources.uploads_bucket, f"t/batch/{run}/none/")
    aws.client("dynamodb").put_item(  # what Claim writes for an execution that then vanished
        TableName=engine.resources.table_name,
        Item={
            "analysis_id": {"S": stuck_id},
            "status": {"S": "RUNNING"},
            "bucket": {"S": stuck["bucket"]},
            "key": {"S": stuck["key"]},
            "etag": {"S": stuck["etag"]},
            "execution_arn": {"S": "arn:aws:states:us-east-1:123456789012:execution:vf-local-analysis:lost"},
            "created_at": {"S": datetime.now(UTC).isoformat()},
        },
    )
    short = engine.create_batch_state_machine(
        f"vf-local-batch-{run}", BatchSettings(poll_seconds=1, deadline_seconds=3)
    )
    batch_id = f"b{run}"
    # the same file name twice: each item keeps its own row and zip folder
    twin = {**fresh, "upload_id": "u-twin", "file_name": "same.png"}
    described = engine.run_batch(batch_id, [fresh, stuck, twin], state_machine_arn=short)
    assert described["status"] == "SUCCEEDED", described

    summary = _json(engine, layout.batch_summary_key(batch_id))
    assert (summary["total_files"], summary["successful"], summary["failed"]) == (3, 2, 1)
    ok, timed_out, again = summary["results"]
    assert ok["status"] == "success" and ok["verdict"], ok
    assert engine.record(ok["analysis_id"])["status"] == "COMPLETED"  # analysed by the batch's own child
    assert timed_out["status"] == "failed" and timed_out["error"]["code"] == "TIMEOUT", timed_out
    assert timed_out["analysis_id"] == stuck_id and timed_out["verdict"] is None
    assert again["status"] == "success" and again["analysis_id"] == ok["analysis_id"]
    data = aws.get_object(engine.resources.results_bucket, layout.batch_zip_key(batch_id))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        folders = {n.split("/")[0] for n in archive.namelist() if "/" in n}
    assert folders == {"0001_fresh.png", "0003_same.png"}
    status = batches.batch_status(engine.resources.results_bucket, batch_id)
    assert status is not None and (status["status"], status["failed"]) == ("COMPLETED", 1)


def test_the_zip_takes_every_report_first_then_report_zips_up_to_its_limit(engine, tmp_path):
    run = uuid.uuid4().hex[:8]
    png = tmp_path / "small.png"
    png.write_bytes(encode(natural_rgb(200, 150, seed=7), "PNG"))
    outcome = analyze_one(engine, png, tmp_path / "out", key=f"t/batch/{run}/small.png")
    assert outcome.status == "COMPLETED", outcome.reason
    prefix = layout.analysis_prefix(outcome.analysis_id)
    bucket = engine.resources.results_bucket
    report, report_zip = (len(aws.get_object(bucket, prefix + name)) for name in (layout.REPORT, layout.ZIP))
    row: batches.SummaryRow = {
        "filename": "small.png",
        "status": "success",
        "tampering_likelihood": 1.0,
        "ai_likelihood": 1.0,
        "verdict": "v",
        "risk": "LOW",
        "upload_id": "u",
        "analysis_id": outcome.analysis_id,
        "report_key": prefix + layout.REPORT,
    }
    rows = [row, {**row, "filename": "../../second.png"}, {**row, "filename": "third.png"}]

    def zipped(limit: int) -> tuple[dict, list[str]]:
        spool = io.BytesIO()
        info = batches.write_batch_zip(spool, rows, {"results": rows}, bucket, "batches/x/batch.zip", limit)  # type: ignore[arg-type]
        with zipfile.ZipFile(spool) as archive:
            return info, sorted(archive.namelist())

    info, names = zipped(3 * report + report_zip)  # every report.json, one report.zip
    assert names == [
        "0001_small.png/report.json",
        "0001_small.png/report.zip",
        "0002_second.png/report.json",  # a name cannot climb out of its folder
        "0003_third.png/report.json",
        "batch_summary.json",
    ]
    assert info["omitted"] == [] and info["omitted_report_zips"] == ["../../second.png", "third.png"]
    assert info["report_bytes"] == 3 * report + report_zip
    info, names = zipped(2 * report)  # not even every report.json
    assert info["omitted"] == ["third.png"] and len(info["omitted_report_zips"]) == 2
    assert names == ["0001_small.png/report.json", "0002_second.png/report.json", "batch_summary.json"]


def test_a_summary_that_cannot_be_written_fails_the_batch_with_a_failed_status(engine):
    """The one way a batch fails: its last step keeps failing (here killed for memory on every
    try). status.json then says FAILED with the error, written by the state machine itself."""
    run = uuid.uuid4().hex[:8]
    item = _upload(engine, f"t/batch/{run}/one.png", encode(natural_rgb(160, 120, seed=8), "PNG"), "one.png")
    batch_id = f"b{run}"
    with faults.inject(function=BATCH_FUNCTIONS[0].name, kind="oom") as killed:
        described = engine.run_batch(batch_id, [item])
    assert described["status"] == "FAILED" and described["error"] == "Runtime.OutOfMemory", described
    assert killed.hits == 3  # the first try and the two retries of States.ALL
    status = batches.batch_status(engine.resources.results_bucket, batch_id)
    assert status is not None and status["status"] == "FAILED", status
    assert status["error"]["code"] == "Runtime.OutOfMemory" and status["execution_arn"] == described["executionArn"]
    assert aws.head_object(engine.resources.results_bucket, layout.batch_summary_key(batch_id)) is None
