"""boto3 clients and the few storage calls the steps share.

Clients honour ``AWS_ENDPOINT_URL`` (boto3's own setting), which is how the local engine
and tests point the same code at the embedded moto server.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from vforensics.errors import MediaRejected

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)


@cache
def client(service: str, signature_version: str | None = None) -> Any:
    """A boto3 client (one per service, signature version and process); typed loosely as the
    services vary. Presigned S3 forms and links ask for ``"s3v4"``, which every region accepts."""
    session: Any = boto3.session.Session()
    config = _CONFIG.merge(Config(signature_version=signature_version)) if signature_version else _CONFIG
    return session.client(service, config=config)


def get_object(bucket: str, key: str, etag: str | None = None, byte_range: str | None = None) -> bytes:
    """Object bytes; with ``etag``, only the version the event was about (else OBJECT_CHANGED)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if etag:
        kwargs["IfMatch"] = etag if etag.startswith('"') else f'"{etag}"'
    if byte_range:
        kwargs["Range"] = byte_range
    try:
        return client("s3").get_object(**kwargs)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise MediaRejected("NOT_FOUND", f"s3://{bucket}/{key} does not exist (deleted before analysis?)") from exc
        if code in ("PreconditionFailed", "412"):
            raise MediaRejected(
                "OBJECT_CHANGED",
                f"s3://{bucket}/{key} was replaced after upload; the new version is analysed by its own event",
            ) from exc
        raise


def head_object(bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def put_bytes(bucket: str, key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def put_json(bucket: str, key: str, payload: Any) -> None:
    put_bytes(bucket, key, json.dumps(payload, allow_nan=False).encode(), "application/json")


def get_json(bucket: str, key: str) -> Any:
    return json.loads(get_object(bucket, key))
