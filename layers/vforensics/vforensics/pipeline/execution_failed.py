"""An analysis execution that stopped on its own (timed out, aborted, failed outside its failure
path): mark the analysis FAILED and announce it, as the state machine's failure path would.

Step Functions runs no state after an execution timeout or a stop, so an EventBridge rule on
"Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED) of the analysis state
machine invokes this. It only takes over a record that is missing or still this execution's
RUNNING claim: a record another execution owns, or one already COMPLETED or FAILED, is left
as it is (a FAILED one only gets its expiry if it lacks one, and its event if the state
machine ended with ``FailureNotAnnounced``: it wrote the record but could not send the event).
Safe to repeat.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from vforensics.pipeline import aws, records
from vforensics.pipeline.identity import analysis_id_for
from vforensics.pipeline.settings import Settings

STOPPED = ("FAILED", "TIMED_OUT", "ABORTED")
#: the Fail state's error when the FAILED record was written and its event could not be sent
UNANNOUNCED = "FailureNotAnnounced"
_ERRORS = {
    "TIMED_OUT": ("States.Timeout", "the analysis did not finish within the state machine's time limit"),
    "ABORTED": ("States.Aborted", "the analysis execution was stopped before it finished"),
    "FAILED": ("States.Runtime", "the analysis execution failed"),
}


def record_stopped_execution(detail: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Handle one status-change ``detail``; returns what was done (for logs and tests)."""
    status, arn = detail.get("status"), detail.get("executionArn", "")
    if status not in STOPPED:
        return {"action": "ignored", "reason": f"status {status}"}
    upload = _upload(_input(detail))
    if upload is None:
        return {"action": "ignored", "reason": "not an S3 Object Created execution"}
    bucket, key, etag = upload
    analysis_id = analysis_id_for(bucket, key, etag)
    error_type, reason = _ERRORS[status]
    if status == "FAILED" and detail.get("error"):
        error_type = str(detail["error"])
    reason = f"{reason} (execution {detail.get('name') or arn}, {status})"
    if status == "FAILED" and detail.get("cause"):
        reason += f": {str(detail['cause'])[:1000]}"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    table, ddb = settings.table_name, aws.client("dynamodb")
    names = {"#s": "status", "#b": "bucket", "#k": "key", "#ttl": records.TTL_ATTRIBUTE}
    expiry = {"N": str(records.expires_at(settings.retention_days))}
    try:
        ddb.update_item(
            TableName=table,
            Key={"analysis_id": {"S": analysis_id}},
            UpdateExpression="SET #s = :failed, error_type = :e, reason = :r, updated_at = :now, "
            "created_at = if_not_exists(created_at, :now), #b = :b, #k = :k, etag = :etag, "
            "execution_arn = :arn, #ttl = :exp",
            ConditionExpression="attribute_not_exists(analysis_id) OR (#s = :running AND execution_arn = :arn)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":failed": {"S": "FAILED"},
                ":running": {"S": "RUNNING"},
                ":e": {"S": error_type},
                ":r": {"S": reason},
                ":now": {"S": now},
                ":b": {"S": bucket},
                ":k": {"S": key},
                ":etag": {"S": etag},
                ":arn": {"S": arn},
                ":exp": expiry,
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        _stamp_expiry(table, analysis_id, arn, expiry)
        if detail.get("error") == UNANNOUNCED:
            return _announce(settings, analysis_id, arn)
        return {"action": "left", "analysis_id": analysis_id}
    detail_out = {
        "analysis_id": analysis_id,
        "status": "FAILED",
        "bucket": bucket,
        "key": key,
        "etag": etag,
        "error_type": error_type,
        "reason": reason,
    }
    records.publish(settings.event_bus_name, records.FAILED_EVENT, detail_out)
    return {"action": "recorded", **detail_out}


def _announce(settings: Settings, analysis_id: str, arn: str) -> dict[str, Any]:
    """The "Analysis Failed" event the state machine could not send, from its FAILED record."""
    item = (
        aws.client("dynamodb")
        .get_item(TableName=settings.table_name, Key={"analysis_id": {"S": analysis_id}}, ConsistentRead=True)
        .get("Item", {})
    )
    record = {k: next(iter(v.values())) for k, v in item.items()}
    if record.get("status") != "FAILED" or record.get("execution_arn") != arn:
        return {"action": "left", "analysis_id": analysis_id}
    fields = ("analysis_id", "status", "bucket", "key", "etag", "error_type", "reason")
    detail_out = {f: record.get(f) for f in fields}
    records.publish(settings.event_bus_name, records.FAILED_EVENT, detail_out)
    return {"action": "announced", **detail_out}


def _stamp_expiry(table: str, analysis_id: str, arn: str, expiry: dict[str, str]) -> None:
    """Give this execution's FAILED record (written by the state machine) its expiry."""
    try:
        aws.client("dynamodb").update_item(
            TableName=table,
            Key={"analysis_id": {"S": analysis_id}},
            UpdateExpression="SET #ttl = :exp",
            ConditionExpression="#s = :failed AND execution_arn = :arn AND attribute_not_exists(#ttl)",
            ExpressionAttributeNames={"#s": "status", "#ttl": records.TTL_ATTRIBUTE},
            ExpressionAttributeValues={":failed": {"S": "FAILED"}, ":arn": {"S": arn}, ":exp": expiry},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def _input(detail: dict[str, Any]) -> Any:
    """The execution input: in the event, or (when too large to be included) from Step Functions."""
    text = detail.get("input")
    if text is None and detail.get("executionArn"):
        text = aws.client("stepfunctions").describe_execution(executionArn=detail["executionArn"]).get("input")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _upload(event: Any) -> tuple[str, str, str] | None:
    """(bucket, key, etag) exactly as the state machine's Identify state reads them."""
    try:
        d = event["detail"]
        bucket, key, etag = d["bucket"]["name"], d["object"]["key"], d["object"]["etag"]
    except (KeyError, TypeError):
        return None
    if not all(isinstance(v, str) for v in (bucket, key, etag)):
        return None
    return bucket, key, etag
