"""Where an upload's analysis stands: the object's etag names the analysis, its record the state.

The analysis id is ``sha256(bucket/key/etag)`` (``pipeline.identity``): it is derived from the
upload and guessable, so it is never enough to read anything. ``of_analysis`` goes from the
analysis record back to the upload that produced it and lets only that upload's owner in.
"""

from __future__ import annotations

import json
import time
from typing import Any

from vforensics.api import links, uploads
from vforensics.api.errors import not_found
from vforensics.api.models import AnalysisStatus, ErrorCause
from vforensics.api.settings import ApiSettings
from vforensics.api.uploads import Upload
from vforensics.pipeline import aws, layout
from vforensics.pipeline.identity import analysis_id_for

_DETAIL = {
    "RUNNING": "the analysis is running",
    "COMPLETED": "the analysis is complete: the report and its files are linked below",
    "FAILED": "the file could not be analysed: see error",
}


def of_upload(settings: ApiSettings, upload: Upload) -> AnalysisStatus:
    head = aws.head_object(settings.uploads_bucket, upload["key"])
    if head is None and time.time() > upload["form_expires_at"]:
        expired = _status(upload, None, "FAILED", "nothing was uploaded before the form expired")
        expired.error = ErrorCause(
            code="UPLOAD_EXPIRED",
            reason=f"the form expired at {links.iso(upload['form_expires_at'])}; ask POST /uploads for a new one",
        )
        return expired
    if head is None:
        return _status(upload, None, "PENDING", "waiting for the file: nothing has been uploaded with this form yet")
    analysis_id = analysis_id_for(settings.uploads_bucket, upload["key"], head["ETag"])
    return _with_record(settings, upload, analysis_id)


def of_analysis(settings: ApiSettings, owner: str, analysis_id: str) -> AnalysisStatus:
    record = _record(settings, analysis_id)
    upload_id = layout.upload_id_of(record.get("key", {}).get("S", "")) if record else None
    if record is None or upload_id is None or record.get("bucket", {}).get("S") != settings.uploads_bucket:
        raise not_found("analysis")
    return _with_record(settings, uploads.find(settings, owner, upload_id), analysis_id)


def _with_record(settings: ApiSettings, upload: Upload, analysis_id: str) -> AnalysisStatus:
    record = _record(settings, analysis_id)
    if record is None:
        return _status(upload, analysis_id, "PENDING", "uploaded; the analysis has not started yet")
    state = record.get("status", {}).get("S", "RUNNING")
    if state == "FAILED":
        status = _status(upload, analysis_id, "FAILED", _DETAIL["FAILED"])
        status.error = _cause(record)
        return status
    if state != "COMPLETED":
        return _status(upload, analysis_id, "RUNNING", _DETAIL["RUNNING"])
    status = _status(upload, analysis_id, "COMPLETED", _DETAIL["COMPLETED"])
    bucket = settings.pipeline.results_bucket
    prefix = layout.analysis_prefix(analysis_id)
    status.report = json.loads(aws.get_object(bucket, prefix + layout.REPORT))
    names = [layout.REPORT, layout.ZIP, *report_files(status.report)]
    status.links = {name: links.presigned_get(bucket, prefix + name, settings.link_ttl_s) for name in names}
    status.links_expire_at = links.iso(time.time() + settings.link_ttl_s)
    return status


def report_files(report: dict[str, Any]) -> list[str]:
    """Every map, heatmap and view a report names, once each, in the report's order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("map", "heatmap") and isinstance(value, str):
                    found.append(value)
                elif key == "views" and isinstance(value, dict):
                    found.extend(v for v in value.values() if isinstance(v, str))
                else:
                    walk(value)

    walk({"analyzers": report.get("analyzers", {}), "combined": report.get("combined", {})})
    return list(dict.fromkeys(found))


def _record(settings: ApiSettings, analysis_id: str) -> dict[str, Any] | None:
    return (
        aws.client("dynamodb")
        .get_item(TableName=settings.pipeline.table_name, Key={"analysis_id": {"S": analysis_id}}, ConsistentRead=True)
        .get("Item")
    )


def _cause(record: dict[str, Any]) -> ErrorCause:
    """The refusal code and reason; Prepare's reasons read ``CODE: message``."""
    reason = record.get("reason", {}).get("S", "")
    head, sep, rest = reason.partition(": ")
    if sep and head.replace("_", "").isalnum() and head.isupper():
        return ErrorCause(code=head, reason=rest)
    return ErrorCause(code="ANALYSIS_ERROR", reason=reason or record.get("error_type", {}).get("S", "unknown error"))


def _status(upload: Upload, analysis_id: str | None, state: str, detail: str) -> AnalysisStatus:
    return AnalysisStatus(
        upload_id=upload["upload_id"],
        analysis_id=analysis_id,
        file_name=upload["file_name"],
        status=state,  # type: ignore[arg-type]
        detail=detail,
        status_url=f"/uploads/{upload['upload_id']}",
    )
