"""Presigned uploads: a random id, a server-chosen key, and the record of who asked for it.

The upload id is 128 random bits (``secrets``), never derived from the caller's input; the
record (``upload/<id>`` in the requests table) names its owner, and every read goes through
``find``, which answers a foreign id exactly as an unknown one. The form is a presigned POST
(not PUT), so S3 itself enforces the key, the Content-Type and the size range (1 byte to the
upload limit) whatever the client sends.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import TypedDict

from vforensics.api import links, ownership
from vforensics.api.models import UploadRequest, UploadTicket
from vforensics.api.settings import ApiSettings
from vforensics.media.image import check_type
from vforensics.media.sniff import HEADER_BYTES
from vforensics.pipeline import aws, layout

UPLOAD_ID_BYTES = 16


class Upload(TypedDict):
    upload_id: str
    owner: str
    key: str
    file_name: str
    content_type: str
    created_at: str
    #: when the presigned form stops working (epoch seconds; the moment of upload for POST /analyze)
    form_expires_at: int


def new_upload_id() -> str:
    return secrets.token_urlsafe(UPLOAD_ID_BYTES)


def create(settings: ApiSettings, owner: str, request: UploadRequest, status_url: str) -> UploadTicket:
    """Record the upload for ``owner`` and sign a POST form for its key."""
    upload_id = new_upload_id()
    key = layout.upload_key(upload_id, request.file_name)
    now = time.time()
    _record(settings, owner, upload_id, key, request.file_name, request.content_type, now, settings.upload_ttl_s)
    form = aws.client("s3", signature_version="s3v4").generate_presigned_post(
        Bucket=settings.uploads_bucket,
        Key=key,
        Fields={"Content-Type": request.content_type},
        Conditions=[{"Content-Type": request.content_type}, ["content-length-range", 1, settings.max_bytes]],
        ExpiresIn=settings.upload_ttl_s,
    )
    return UploadTicket(
        upload_id=upload_id,
        key=key,
        url=form["url"],
        fields=form["fields"],
        expires_at=links.iso(now + settings.upload_ttl_s),
        max_bytes=settings.max_bytes,
        status_url=status_url.format(upload_id=upload_id),
    )


def store(settings: ApiSettings, owner: str, file_name: str, data: bytes) -> Upload:
    """Record an upload for ``owner`` and put ``data`` at its key ourselves (``POST /analyze``):
    its analysis then starts as for a presigned upload. The type is read from the bytes."""
    content_type = check_type(data[:HEADER_BYTES]).mime
    upload_id = new_upload_id()
    key = layout.upload_key(upload_id, file_name)
    now = time.time()
    _record(settings, owner, upload_id, key, file_name, content_type, now, form_ttl_s=0)
    aws.put_bytes(settings.uploads_bucket, key, data, content_type)
    return Upload(upload_id=upload_id, owner=owner, key=key, file_name=file_name, content_type=content_type,
                  created_at=links.iso(now), form_expires_at=int(now))  # fmt: skip


def _record(
    settings: ApiSettings,
    owner: str,
    upload_id: str,
    key: str,
    file_name: str,
    content_type: str,
    now: float,
    form_ttl_s: int,
) -> None:
    attributes = {
        "key": {"S": key},
        "file_name": {"S": file_name},
        "content_type": {"S": content_type},
        "form_expires_at": {"N": str(math.ceil(now) + form_ttl_s)},
    }
    ownership.record(settings, f"upload/{upload_id}", owner, attributes, now)


def find(settings: ApiSettings, owner: str, upload_id: str) -> Upload:
    """The caller's upload, or 404 for an unknown id and for another caller's alike."""
    item = ownership.owned(settings, owner, f"upload/{upload_id}", "upload")
    return Upload(
        upload_id=upload_id,
        owner=owner,
        key=item["key"]["S"],
        file_name=item["file_name"]["S"],
        content_type=item["content_type"]["S"],
        created_at=item["created_at"]["S"],
        form_expires_at=int(item["form_expires_at"]["N"]),
    )
