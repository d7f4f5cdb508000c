"""The API's records in the requests table: one item per upload or batch, naming its owner.

Every read of a caller's upload or batch goes through ``owned``, which answers an unknown id and
another caller's id with the same 404.
"""

from __future__ import annotations

from typing import Any

from vforensics.api import links
from vforensics.api.errors import not_found
from vforensics.api.settings import ApiSettings
from vforensics.pipeline import aws, records


def record(settings: ApiSettings, request_id: str, owner: str, attributes: dict[str, Any], now: float) -> None:
    """Write ``request_id``'s item (never over an existing one); it expires with the analyses."""
    aws.client("dynamodb").put_item(
        TableName=settings.requests_table,
        Item={
            "request_id": {"S": request_id},
            "kind": {"S": request_id.split("/", 1)[0]},
            "owner": {"S": owner},
            "created_at": {"S": links.iso(now)},
            records.TTL_ATTRIBUTE: {"N": str(records.expires_at(settings.pipeline.retention_days, now))},
            **attributes,
        },
        ConditionExpression="attribute_not_exists(request_id)",
    )


def owned(settings: ApiSettings, owner: str, request_id: str, what: str) -> dict[str, Any]:
    """``request_id``'s item when ``owner`` owns it; else 404 naming ``what``."""
    item: dict[str, Any] | None = (
        aws.client("dynamodb")
        .get_item(TableName=settings.requests_table, Key={"request_id": {"S": request_id}}, ConsistentRead=True)
        .get("Item")
    )
    if not item or item.get("owner", {}).get("S") != owner:
        raise not_found(what)
    return item
