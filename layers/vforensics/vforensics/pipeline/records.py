"""The analysis record in DynamoDB: its expiry (the table's TTL attribute) and failure events.

The record is claimed (RUNNING) by the state machine, then ends COMPLETED (Aggregate) or
FAILED (the state machine's failure path, or ``execution_failed`` when the execution itself
stopped). Every terminal write sets ``expires_at``, so DynamoDB deletes the record
``retention_days`` later.
"""

from __future__ import annotations

import json
import time
from typing import Any

from vforensics.pipeline import aws

#: the table's TimeToLiveSpecification AttributeName (template.yaml)
TTL_ATTRIBUTE = "expires_at"
COMPLETED_EVENT = "Analysis Completed"
FAILED_EVENT = "Analysis Failed"
EVENT_SOURCE = "vforensics"
_DAY_S = 86_400


def expires_at(retention_days: int, now: float | None = None) -> int:
    """Epoch seconds at which DynamoDB may delete a record written ``now``."""
    return int(now if now is not None else time.time()) + retention_days * _DAY_S


def publish(bus: str, detail_type: str, detail: dict[str, Any]) -> None:
    """One event from the pipeline on ``bus``; a rejected entry raises."""
    response = aws.client("events").put_events(
        Entries=[{"Source": EVENT_SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge rejected the {detail_type!r} event: {response['Entries']}")
