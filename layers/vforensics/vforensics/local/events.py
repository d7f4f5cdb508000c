"""The EventBridge event S3 sends for a new object (what the template's rule matches).

moto does not fire S3 -> EventBridge -> Step Functions, so the local runner builds this
event itself and starts the execution with it, exactly as the rule would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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
