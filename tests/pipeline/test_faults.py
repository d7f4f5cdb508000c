"""Faults injected at the service edge of the embedded engine (``vforensics.local.faults``):
Lambda timeouts and out-of-memory kills as the Lambda service reports them, DynamoDB throttling
and S3 errors as the services answer them. The real ASL's Retry/Catch and the handlers deal with
them; each run ends with a report (degraded, naming what is missing) or a FAILED record and an
"Analysis Failed" event, never silence. A FAILED upload can be analysed again."""

import io
import json
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from vforensics.local import faults
from vforensics.local.deployment import FUNCTIONS
from vforensics.local.events import execution_status_change_event, object_created_event
from vforensics.pipeline import aws
from vforensics.pipeline.execution_failed import record_stopped_execution
from vforensics.pipeline.identity import analysis_id_for
from vforensics.pipeline.settings import DEFAULT_RETENTION_DAYS, RETENTION_ENV, Settings

from .conftest import received_events

pytestmark = pytest.mark.slow

DAY = 86_400
#: attempts of the handlers' boto3 clients before an error reaches the code (max_attempts counts retries)
BOTO_ATTEMPTS = aws._CONFIG.retries["max_attempts"] + 1
#: every "Analysis Failed" these faults provoke (state machine, ExecutionFailed, its re-announcement)
FAILED_SCHEMA = Draft202012Validator(
    json.loads((Path(__file__).parents[2] / "docs" / "events" / "analysis-failed.schema.json").read_text())
)


def _function(logical_id: str) -> str:
    return next(f.name for f in FUNCTIONS if f.logical_id == logical_id)


def _photo(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small camera-like JPEG (smooth scene plus sensor noise), different for each seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    scene = np.stack([xx * 200 / w, yy * 200 / h, (xx + yy) * 100 / (w + h)], axis=-1) + 30
    pixels = np.clip(scene + rng.normal(0, 6, scene.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def _upload(engine, key: str, data: bytes) -> dict:
    bucket = engine.resources.uploads_bucket
    etag = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    return object_created_event(bucket, key, etag, len(data))


def _run(engine, event: dict, state_machine_arn: str | None = None) -> tuple[dict, str]:
    """Start one execution for ``event``, wait for it; (describe_execution, analysis id)."""
    arn = engine.start_execution(event, name=f"fault-{uuid.uuid4().hex}", state_machine_arn=state_machine_arn)
    described = engine.wait(arn)
    d = event["detail"]
    return described, analysis_id_for(d["bucket"]["name"], d["object"]["key"], d["object"]["etag"])


def _report(described: dict) -> dict:
    outcome = json.loads(described["output"])
    return aws.get_json(outcome["results_bucket"], outcome["report_key"])


def _assert_expires(record: dict, days: int = DEFAULT_RETENTION_DAYS) -> None:
    """The table's TTL attribute (template.yaml: expires_at), epoch seconds ``days`` from now."""
    assert abs(int(record["expires_at"]) - (time.time() + days * DAY)) < 600, record


def _assert_failed(engine, queue, analysis_id: str, error_type: str) -> dict:
    record = engine.record(analysis_id)
    assert record is not None and record["status"] == "FAILED", record
    assert record["error_type"] == error_type, record
    _assert_expires(record)
    events = received_events(queue, analysis_id)
    assert events and {e["detail-type"] for e in events} == {"Analysis Failed"}
    assert all(e["detail"]["error_type"] == error_type for e in events)
    for e in events:
        assert not [err.message for err in FAILED_SCHEMA.iter_errors(e)], e
    return record


# ---- Claim ----------------------------------------------------------------------------------


def test_claim_throttled_briefly_is_retried_and_completes(engine, moderation_queue):
    event = _upload(engine, "t/faults/claim-throttled.jpg", _photo(1))
    with faults.inject(
        service="dynamodb", operation="UpdateItem", kind="ProvisionedThroughputExceededException",
        contains="attempts", times=2,
    ) as fault:  # fmt: skip
        described, analysis_id = _run(engine, event)
    assert fault.hits == 2
    assert described["status"] == "SUCCEEDED", described.get("cause")
    record = engine.record(analysis_id)
    assert record["status"] == "COMPLETED" and record["attempts"] == "1"
    _assert_expires(record)
    assert [e["detail-type"] for e in received_events(moderation_queue, analysis_id)] == ["Analysis Completed"]


def test_claim_failing_for_good_ends_failed_and_the_upload_can_be_analysed_again(engine, moderation_queue):
    """Claim throttled past its retries: a FAILED record and event; the next event for the same
    object (a re-upload of the same bytes, a redrive) takes the FAILED record over and completes."""
    event = _upload(engine, "t/faults/claim-down.jpg", _photo(2))
    with faults.inject(
        service="dynamodb", operation="UpdateItem", kind="ProvisionedThroughputExceededException",
        contains="attempts",
    ) as fault:  # fmt: skip
        first, analysis_id = _run(engine, event)
    assert first["status"] == "FAILED" and fault.hits >= 4  # the first try and its retries
    _assert_failed(engine, moderation_queue, analysis_id, "DynamoDB.ProvisionedThroughputExceededException")

    second, same_id = _run(engine, event)
    assert same_id == analysis_id
    assert second["status"] == "SUCCEEDED" and "report_key" in json.loads(second["output"])
    record = engine.record(analysis_id)
    assert record["status"] == "COMPLETED" and "error_type" not in record and "reason" not in record
    assert [e["detail-type"] for e in received_events(moderation_queue, analysis_id)] == ["Analysis Completed"]

    third, _ = _run(engine, event)  # a duplicate of a COMPLETED analysis stays a duplicate
    assert third["status"] == "SUCCEEDED" and "report_key" not in json.loads(third["output"])
    assert engine.record(analysis_id)["execution_arn"] == second["executionArn"]


def test_a_running_analysis_is_not_taken_over(engine):
    """Only FAILED records can be claimed again: a duplicate while RUNNING stays a duplicate."""
    event = _upload(engine, "t/faults/running.jpg", _photo(3))
    d = event["detail"]
    analysis_id = analysis_id_for(d["bucket"]["name"], d["object"]["key"], d["object"]["etag"])
    aws.client("dynamodb").put_item(
        TableName=engine.resources.table_name,
        Item={"analysis_id": {"S": analysis_id}, "status": {"S": "RUNNING"}, "execution_arn": {"S": "other"}},
    )
    described, _ = _run(engine, event)
    assert described["status"] == "SUCCEEDED" and "report_key" not in json.loads(described["output"])
    assert engine.record(analysis_id) == {"analysis_id": analysis_id, "status": "RUNNING", "execution_arn": "other"}


# ---- RecordFailure ----------------------------------------------------------------------------


def test_prepare_killed_and_the_failure_record_unwritable_still_ends_failed(engine, moderation_queue):
    """Prepare dies (out of memory) and RecordFailure hits an unexpected DynamoDB error: the event
    still goes out (last resort) and the ExecutionFailed handler writes the FAILED record."""
    event = _upload(engine, "t/faults/record-down.jpg", _photo(4))
    with (
        faults.inject(function=_function("PrepareFunction"), kind="oom") as killed,
        faults.inject(service="dynamodb", operation="UpdateItem", kind="AccessDeniedException", contains=":error_type"),
    ):
        described, analysis_id = _run(engine, event)
    assert killed.hits == 1 and described["status"] == "FAILED"
    assert described["error"] == "Runtime.OutOfMemory"
    record = _assert_failed(engine, moderation_queue, analysis_id, "Runtime.OutOfMemory")
    assert "Runtime exited with error: signal: killed" in record["reason"]
    assert record["execution_arn"] == described["executionArn"]


# ---- analyzers --------------------------------------------------------------------------------


def test_analyzer_timeout_and_out_of_memory_give_a_report_naming_them(engine, moderation_queue):
    event = _upload(engine, "t/faults/analyzers.jpg", _photo(5))
    with (
        faults.inject(function=_function("AnalyzerNoiseFunction"), kind="timeout", seconds=120) as timed_out,
        faults.inject(function=_function("AnalyzerElaFunction"), kind="oom") as killed,
    ):
        described, analysis_id = _run(engine, event)
    assert (timed_out.hits, killed.hits) == (1, 1)  # neither is retried
    assert described["status"] == "SUCCEEDED", described.get("cause")
    report = _report(described)
    noise, ela = report["analyzers"]["noise"], report["analyzers"]["ela"]
    assert noise["status"] == "error" and noise["error"]["type"] == "Sandbox.Timedout"
    assert "Task timed out after 120.00 seconds" in noise["error"]["message"]
    assert ela["status"] == "error" and ela["error"]["type"] == "Runtime.OutOfMemory"
    assert report["summary"]["status"] == "complete with analyzer errors"
    assert report["analyzers"]["jpeg"]["status"] == "ok"
    events = received_events(moderation_queue, analysis_id)
    assert events[0]["detail-type"] == "Analysis Completed"
    assert events[0]["detail"]["analyzer_errors"] == ["ela", "noise"]
    _assert_expires(engine.record(analysis_id))


# ---- S3 -----------------------------------------------------------------------------------------


def test_s3_read_error_in_prepare_ends_failed(engine, moderation_queue):
    key = "t/faults/s3-denied.jpg"
    event = _upload(engine, key, _photo(6))
    with faults.inject(service="s3", operation="GET", kind="AccessDenied", contains=key) as denied:
        described, analysis_id = _run(engine, event)
    assert denied.hits >= 1 and described["status"] == "FAILED"
    record = _assert_failed(engine, moderation_queue, analysis_id, "AccessDenied")  # boto3's error class
    assert "GetObject operation: Access Denied" in record["reason"]


# ---- Aggregate ----------------------------------------------------------------------------------


def test_aggregate_throttled_past_the_sdk_retries_is_retried_by_the_state_machine(
    engine, moderation_queue, monkeypatch
):
    monkeypatch.setenv(RETENTION_ENV, "7")
    event = _upload(engine, "t/faults/aggregate-throttled.jpg", _photo(7))
    with faults.inject(
        service="dynamodb", operation="UpdateItem", kind="ProvisionedThroughputExceededException",
        contains='"COMPLETED"', times=BOTO_ATTEMPTS,
    ) as fault:  # fmt: skip
        described, analysis_id = _run(engine, event)
    assert fault.hits == BOTO_ATTEMPTS
    assert described["status"] == "SUCCEEDED", described.get("cause")
    record = engine.record(analysis_id)
    assert record["status"] == "COMPLETED"
    _assert_expires(record, days=7)
    assert [e["detail-type"] for e in received_events(moderation_queue, analysis_id)] == ["Analysis Completed"]


# ---- execution timeout --------------------------------------------------------------------------


def test_timed_out_execution_ends_failed_through_the_status_change_handler(engine, moderation_queue):
    """The real ASL with a 3 s TimeoutSeconds (the deployed one is too long to wait for)."""
    machine = engine.create_state_machine(f"vf-local-timeout-{uuid.uuid4().hex[:6]}", timeout_seconds=3)
    event = _upload(engine, "t/faults/timeout.jpg", _photo(8))
    with faults.inject(function=_function("PrepareFunction"), kind="hang", seconds=6, times=1):
        described, analysis_id = _run(engine, event, state_machine_arn=machine)
    assert described["status"] == "TIMED_OUT"
    record = _assert_failed(engine, moderation_queue, analysis_id, "States.Timeout")
    assert record["execution_arn"] == described["executionArn"] and "TIMED_OUT" in record["reason"]

    # the rule delivers at least once: the same event again changes nothing and sends nothing
    status_change = execution_status_change_event(described)
    status_change["detail"]["input"] = None  # too large to include: the handler asks Step Functions
    status_change["detail"]["inputDetails"] = {"included": False}
    again = record_stopped_execution(status_change["detail"], Settings.from_env())
    assert again == {"action": "left", "analysis_id": analysis_id}
    assert engine.record(analysis_id) == record
    assert received_events(moderation_queue, analysis_id, wait_s=1.0) == []

    second, _ = _run(engine, event)  # and the upload can be analysed again
    assert second["status"] == "SUCCEEDED" and "report_key" in json.loads(second["output"])
    assert engine.record(analysis_id)["attempts"] == "2"


def test_status_change_handler_leaves_records_it_does_not_own(engine):
    event = _upload(engine, "t/faults/not-mine.jpg", _photo(9))
    d = event["detail"]
    analysis_id = analysis_id_for(d["bucket"]["name"], d["object"]["key"], d["object"]["etag"])
    table = engine.resources.table_name
    owned = {"analysis_id": {"S": analysis_id}, "status": {"S": "RUNNING"}, "execution_arn": {"S": "arn:other"}}
    aws.client("dynamodb").put_item(TableName=table, Item=owned)
    detail = {
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:vf-local-analysis:dup",
        "stateMachineArn": engine.state_machine_arn,
        "name": "dup",
        "status": "ABORTED",
        "input": json.dumps(event),
    }
    assert record_stopped_execution(detail, Settings.from_env())["action"] == "left"
    assert engine.record(analysis_id) == {k: next(iter(v.values())) for k, v in owned.items()}
    assert record_stopped_execution(detail | {"status": "SUCCEEDED"}, Settings.from_env())["action"] == "ignored"


def test_failure_event_unsendable_is_sent_by_the_status_change_handler(engine, moderation_queue):
    """PublishFailure exhausts its retries: the execution ends FailureNotAnnounced, and the
    ExecutionFailed handler sends the event from the FAILED record."""
    key = "t/faults/unannounced.jpg"
    event = _upload(engine, key, b"<html>not a photo</html>" * 10)
    attempts = 4  # PublishFailure's first try and its three retries
    with faults.inject(
        service="events", operation="PutEvents", kind="InternalServerError", contains="Analysis Failed", times=attempts
    ) as down:
        described, analysis_id = _run(engine, event)
    assert down.hits == attempts and described["status"] == "FAILED"
    assert described["error"] == "FailureNotAnnounced"
    record = _assert_failed(engine, moderation_queue, analysis_id, "MediaRejected")
    assert record["reason"].startswith("UNSUPPORTED_FORMAT: ")
