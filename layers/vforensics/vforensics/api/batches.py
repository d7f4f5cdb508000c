"""Batches through the API: the caller's uploads as one manifest, one Distributed Map run.

The batch id is 128 random bits (hex, as batch ids name keys and an execution); its record
(``batch/<id>`` in the requests table) names the owner, and ``GET /batches/{id}`` answers a
foreign id as an unknown one. Every item must be an upload of the caller whose file has
arrived; the manifest pins each file's etag, so a file replaced later is a failed row.
"""

from __future__ import annotations

import secrets
import time

from vforensics.api import links, ownership, uploads
from vforensics.api.errors import ApiError, not_found
from vforensics.api.models import BatchAccepted, BatchRequest, BatchState
from vforensics.api.settings import ApiSettings
from vforensics.pipeline import aws, batches

BATCH_ID_BYTES = 16


def new_batch_id() -> str:
    return secrets.token_hex(BATCH_ID_BYTES)


def create(settings: ApiSettings, owner: str, request: BatchRequest) -> BatchAccepted:
    """Check every upload is the caller's and has its file, write the manifest, start the batch."""
    if not settings.batch_state_machine_arn:
        raise ApiError("ANALYSIS_ERROR", "batches are not deployed here (no batch state machine)")
    items: list[batches.BatchItem] = []
    missing: list[str] = []
    for upload_id in dict.fromkeys(request.upload_ids):
        upload = uploads.find(settings, owner, upload_id)
        head = aws.head_object(settings.uploads_bucket, upload["key"])
        if head is None:
            missing.append(upload_id)
            continue
        items.append(
            {
                "upload_id": upload_id,
                "bucket": settings.uploads_bucket,
                "key": upload["key"],
                "etag": head["ETag"].strip('"'),
                "file_name": upload["file_name"],
            }
        )
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ApiError("NOT_UPLOADED", f"{len(missing)} upload(s) have no file yet: {shown}")
    batch_id = new_batch_id()
    now = time.time()
    ownership.record(settings, f"batch/{batch_id}", owner, {"total_files": {"N": str(len(items))}}, now)
    bucket = settings.pipeline.results_bucket
    manifest_key = batches.write_manifest(bucket, batch_id, items)
    batches.start_batch(settings.batch_state_machine_arn, batch_id, bucket, manifest_key)
    return BatchAccepted(
        batch_id=batch_id, status="SUBMITTED", total_files=len(items), status_url=f"/batches/{batch_id}"
    )


def state(settings: ApiSettings, owner: str, batch_id: str) -> BatchState:
    item = ownership.owned(settings, owner, f"batch/{batch_id}", "batch")
    bucket = settings.pipeline.results_bucket
    current = batches.batch_status(bucket, batch_id)
    if current is None:
        raise not_found("batch")
    answer = BatchState(
        batch_id=batch_id,
        status=current["status"],
        total_files=current.get("total_files", int(item["total_files"]["N"])),
        pending=current.get("pending"),
        successful=current.get("successful"),
        failed=current.get("failed"),
        updated_at=current["updated_at"],
        error=current.get("error"),
    )
    if current["status"] == "COMPLETED":
        answer.summary = aws.get_json(bucket, current["summary_key"])
        keys = {"batch_summary.json": current["summary_key"], "batch.zip": current["zip_key"]}
        answer.links = {name: links.presigned_get(bucket, key, settings.link_ttl_s) for name, key in keys.items()}
        answer.links_expire_at = links.iso(time.time() + settings.link_ttl_s)
    return answer
