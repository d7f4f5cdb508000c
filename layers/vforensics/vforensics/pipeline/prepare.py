"""Prepare step: validate the upload and describe it, before any analyzer runs.

Order of checks (cheapest first): object exists and its size is within the limit (HEAD),
file type by magic bytes (a 32-byte range read), then the full read with a header
dimension check (decompression-bomb guard) and a complete decode. Any refusal raises
``MediaRejected``; the state machine records it as a FAILED analysis without retrying.
"""

from __future__ import annotations

import hashlib
import posixpath

from vforensics.errors import MediaRejected
from vforensics.media.image import check_size, check_type, inspect_image
from vforensics.media.sniff import HEADER_BYTES
from vforensics.pipeline import aws, layout
from vforensics.pipeline.contracts import Job, PrepareRequest, Source
from vforensics.pipeline.settings import Settings


def prepare(request: PrepareRequest, settings: Settings) -> Job:
    """Validate ``s3://bucket/key`` and return the job every later step receives.

    ``request`` has ``analysis_id``, ``bucket``, ``key`` and ``etag`` from the EventBridge
    "Object Created" event. Its key is the object's key as is (EventBridge, unlike S3's
    SQS/SNS/Lambda notifications, does not URL-encode it) and is never decoded here: a key
    holding ``%2F``, ``%25`` or ``+`` names that very object, and the analysis id hashes it.
    """
    bucket, key, etag = request["bucket"], request["key"], request.get("etag")
    head = aws.head_object(bucket, key)
    if head is None:
        raise MediaRejected("NOT_FOUND", f"s3://{bucket}/{key} does not exist (deleted before analysis?)")
    check_size(int(head["ContentLength"]))
    check_type(aws.get_object(bucket, key, etag, byte_range=f"bytes=0-{HEADER_BYTES - 1}"))
    data = aws.get_object(bucket, key, etag)
    info = inspect_image(data)
    analysis_id = request["analysis_id"]
    source: Source = {
        "file_name": posixpath.basename(key),
        "bucket": bucket,
        "key": key,
        "etag": (etag or head.get("ETag", "")).strip('"'),
        "uploaded_at": head["LastModified"].isoformat() if head.get("LastModified") else None,
        "bytes": len(data),
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        **info.to_dict(),
    }
    return {
        "analysis_id": analysis_id,
        "upload": {"bucket": bucket, "key": key, "etag": source["etag"]},
        "results": {
            "bucket": settings.results_bucket,
            "prefix": layout.analysis_prefix(analysis_id),
            "work_prefix": layout.work_prefix(analysis_id),
        },
        "source": source,
    }
