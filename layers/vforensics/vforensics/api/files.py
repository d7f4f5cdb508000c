"""The bytes a synchronous route works on: an uploaded file by id, or a small one sent inline."""

from __future__ import annotations

import base64
import binascii

from vforensics.api import uploads
from vforensics.api.errors import ApiError
from vforensics.api.models import FileRef
from vforensics.api.settings import ApiSettings
from vforensics.errors import MediaRejected
from vforensics.pipeline import aws


def load(settings: ApiSettings, owner: str, ref: FileRef) -> tuple[str, bytes]:
    """``(file name, bytes)`` of ``ref``; the caller must own an uploaded file."""
    if ref.upload_id and ref.file:
        raise ApiError("VALIDATION_ERROR", "give either upload_id or file, not both")
    if ref.upload_id:
        upload = uploads.find(settings, owner, ref.upload_id)
        try:
            return upload["file_name"], aws.get_object(settings.uploads_bucket, upload["key"])
        except MediaRejected as exc:
            raise ApiError("NOT_UPLOADED", f"upload {ref.upload_id} has no file yet: post the form first") from exc
    if ref.file is None:
        raise ApiError("NO_FILE", "no file: give the upload_id of a file sent through POST /uploads, or a file inline")
    if not ref.file.file_name.strip():
        raise ApiError("EMPTY_FILENAME", "the inline file has an empty file_name")
    encoded = ref.file.content_base64
    if len(encoded) // 4 * 3 > settings.inline_max_bytes:
        raise ApiError(
            "FILE_TOO_LARGE",
            f"inline files may have at most {settings.inline_max_bytes // (1024 * 1024)} MB; "
            "upload larger ones with POST /uploads and pass their upload_id",
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError("VALIDATION_ERROR", "file.content_base64 is not valid base64") from exc
    if not data:
        raise ApiError("NO_FILE", "the inline file is empty (0 bytes)")
    return ref.file.file_name, data


def refusal(rejected: MediaRejected) -> ApiError:
    """The API's answer to a file the pipeline refuses: the spec's INVALID_FORMAT for the wrong type."""
    if rejected.code in ("UNSUPPORTED_FORMAT", "UNSUPPORTED_MEDIA"):
        return ApiError("INVALID_FORMAT", rejected.message)
    if rejected.code == "FILE_TOO_LARGE":
        return ApiError("FILE_TOO_LARGE", rejected.message)
    return ApiError(rejected.code, rejected.message, status=400)
