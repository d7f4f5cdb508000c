"""Short-lived presigned GET links (Signature Version 4) and the times the API writes."""

from __future__ import annotations

from datetime import UTC, datetime

from vforensics.pipeline import aws


def presigned_get(bucket: str, key: str, ttl_s: int) -> str:
    return str(
        aws.client("s3", signature_version="s3v4").generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=ttl_s
        )
    )


def iso(epoch: float) -> str:
    """ISO 8601 UTC, to the second."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
