"""Aggregate step: one report from all analyzer branches, stored, indexed and announced."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from vforensics.media.image import decode_preview
from vforensics.pipeline import aws, layout, records
from vforensics.pipeline.contracts import Branch, Job, Outcome, Source
from vforensics.pipeline.settings import Settings
from vforensics.report import document as report
from vforensics.report import maps
from vforensics.scoring import tampering as scoring

COMPLETED_EVENT = records.COMPLETED_EVENT
EVENT_SOURCE = records.EVENT_SOURCE


def aggregate(job: Job, branches: list[Branch], settings: Settings) -> Outcome:
    """Build and store report.json, combined maps and report.zip; mark the record COMPLETED;
    publish the completion event. Safe to retry: every write is an overwrite."""
    analysis_id, res = job["analysis_id"], job["results"]
    bucket, prefix = res["bucket"], res["prefix"]
    results = {b["analyzer"]: _load_result(bucket, b) for b in branches}

    files: dict[str, bytes] = {}
    for entry in results.values():
        views = [entry, *entry.get("extra_maps", {}).values()]
        for rel in (v.get(k) for v in views for k in ("map", "heatmap")):
            if rel:
                files[rel] = aws.get_object(bucket, prefix + rel)
        for rel in entry.get("views", {}).values():
            files[rel] = aws.get_object(bucket, prefix + rel)
    combined_files = _combined_maps(job, results, files)

    doc = report.build_report(analysis_id, dict(job["source"]), results, combined_files)
    files[layout.REPORT] = report.to_json(doc)
    for rel, data in files.items():
        if rel.startswith("maps/combined") or rel.startswith("heatmaps/combined") or rel == layout.REPORT:
            aws.put_bytes(bucket, prefix + rel, data, "application/json" if rel.endswith(".json") else "image/png")
    aws.put_bytes(bucket, prefix + layout.ZIP, report.build_zip(files), "application/zip")

    overall = doc["overall"]
    outcome: Outcome = {
        "analysis_id": analysis_id,
        "status": "COMPLETED",
        "bucket": job["upload"]["bucket"],
        "key": job["upload"]["key"],
        "etag": job["upload"]["etag"],
        "verdict": overall["verdict"],
        "risk": overall["risk"],
        "tampering_likelihood": overall["tampering_likelihood"],
        "confidence": overall["confidence"],
        "results_bucket": bucket,
        "report_key": prefix + layout.REPORT,
        "zip_key": prefix + layout.ZIP,
        "analyzer_errors": sorted(n for n, r in results.items() if r["status"] == "error"),
    }
    _record_completed(settings, outcome, job["source"])
    _publish(settings.event_bus_name, outcome)
    return outcome


def _load_result(bucket: str, branch: Branch) -> dict[str, Any]:
    key = branch.get("result_key")
    if branch.get("status") == "error" or not isinstance(key, str):
        message, error_type = _error_message(branch)
        return {
            "status": "error",
            "score": None,
            "interpretation": f"The analyzer failed and was left out of the verdict: {message}",
            "details": {},
            "error": {"type": error_type, "message": message},
            "elapsed_ms": None,
            "map": None,
            "heatmap": None,
        }
    return aws.get_json(bucket, key)


def _error_message(branch: Branch) -> tuple[str, str]:
    """Readable message from a Step Functions Catch output (Error + Cause JSON)."""
    error_type = str(branch.get("error") or "Unknown")
    cause = str(branch.get("cause") or "")
    try:
        parsed = json.loads(cause)
        message = parsed.get("errorMessage") or cause
        error_type = parsed.get("errorType") or error_type
    except (TypeError, ValueError):
        message = cause or error_type
    return str(message)[:500], str(error_type)


def _combined_maps(job: Job, results: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    loaded = {
        name: maps.decode_png_map(files[r["map"]])
        for name, r in results.items()
        if r.get("status") == "ok" and r.get("map")
    }
    source = job["source"]
    combined = maps.combine_weighted(loaded, source["width"], source["height"])
    if combined is None:
        return {}
    upload = job["upload"]
    preview = decode_preview(aws.get_object(upload["bucket"], upload["key"], upload.get("etag")), maps.HEATMAP_MAX_SIDE)
    files["maps/combined.png"] = maps.gray_png(combined, source["width"], source["height"])
    files["heatmaps/combined.png"] = maps.heatmap_png(combined, preview)
    return {
        "map": "maps/combined.png",
        "heatmap": "heatmaps/combined.png",
        "weights": {n: w for n, w in scoring.MAP_WEIGHTS.items() if n in loaded},
        "overlays": [n for n in scoring.MAP_OVERLAYS if n in loaded],
    }


def _record_completed(settings: Settings, outcome: Outcome, source: Source) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    likelihood = outcome["tampering_likelihood"]
    values = {
        ":s": {"S": "COMPLETED"},
        ":v": {"S": outcome["verdict"]},
        ":r": {"S": outcome["risk"]},
        ":c": {"S": outcome["confidence"]},
        ":rk": {"S": outcome["report_key"]},
        ":zk": {"S": outcome["zip_key"]},
        ":rb": {"S": outcome["results_bucket"]},
        ":t": {"S": now},
        ":sha": {"S": source["sha256"]},
        ":exp": {"N": str(records.expires_at(settings.retention_days))},
        ":tl": {"N": str(Decimal(str(likelihood)))} if likelihood is not None else {"NULL": True},
    }
    aws.client("dynamodb").update_item(
        TableName=settings.table_name,
        Key={"analysis_id": {"S": outcome["analysis_id"]}},
        UpdateExpression="SET #s = :s, verdict = :v, risk = :r, confidence = :c, report_key = :rk, zip_key = :zk, "
        "results_bucket = :rb, completed_at = :t, updated_at = :t, sha256 = :sha, "
        "tampering_likelihood = :tl, #ttl = :exp",
        ExpressionAttributeNames={"#s": "status", "#ttl": records.TTL_ATTRIBUTE},
        ExpressionAttributeValues=values,
    )


def _publish(bus: str, outcome: Outcome) -> None:
    response = aws.client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": COMPLETED_EVENT,
                "Detail": json.dumps(outcome),
                "EventBusName": bus,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge rejected the completion event: {response['Entries']}")
