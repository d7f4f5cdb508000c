"""The EventBridge events the local engine sends itself, in the shapes AWS sends them.

moto does not fire S3 -> EventBridge -> Step Functions, so the local runner builds the S3
"Object Created" event and starts the execution with it, exactly as the rule would; nor does
it send Step Functions' "Execution Status Change", which the engine builds for the
ExecutionFailed handler when an execution stops.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from vforensics.local.deployment import ACCOUNT, REGION


def object_created_event(
    bucket: str, key: str, etag: str, size: int, region: str = REGION, account: str = ACCOUNT
) -> dict:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": now,
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag.strip('"'), "sequencer": uuid.uuid4().hex[:18].upper()},
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def execution_status_change_event(described: dict[str, Any], account: str = ACCOUNT, region: str = REGION) -> dict:
    """Step Functions' "Execution Status Change" event for ``describe_execution``'s answer."""

    def millis(value: Any) -> int | None:
        return int(value.timestamp() * 1000) if isinstance(value, datetime) else None

    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [described["executionArn"]],
        "detail": {
            "executionArn": described["executionArn"],
            "stateMachineArn": described["stateMachineArn"],
            "name": described.get("name"),
            "status": described["status"],
            "startDate": millis(described.get("startDate")),
            "stopDate": millis(described.get("stopDate")),
            "input": described.get("input"),
            "output": described.get("output"),
            "inputDetails": {"included": described.get("input") is not None},
            "outputDetails": {"included": described.get("output") is not None},
            "error": described.get("error"),
            "cause": described.get("cause"),
        },
    }


def http_api_event(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload format 2.0) event for one request.

    ``authorizer`` is what API Gateway's authorizer would add (``{"jwt": {"claims": ...}}``,
    ``{"iam": {...}}`` or ``{"lambda": {...}}``); without one the API refuses the request.
    """
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    text_body = not body or lowered.get("content-type", "").startswith(("application/json", "text/"))
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": "local",
        "domainName": lowered.get("host", "localhost"),
        "domainPrefix": "local",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": lowered.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer:
        context["authorizer"] = authorizer
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": context,
        "body": body.decode("utf-8", errors="replace") if text_body else base64.b64encode(body).decode(),
        "isBase64Encoded": not text_body,
    }
