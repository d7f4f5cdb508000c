"""report.json (schema ``vforensics.report/1``) and report.zip."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from vforensics import REPORT_SCHEMA, __version__
from vforensics.report.summary import summarize
from vforensics.scoring.tampering import assess


def build_report(
    analysis_id: str,
    source: dict[str, Any],
    results: dict[str, dict[str, Any]],
    combined_files: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Assemble the report from the source facts and per-analyzer results (report form)."""
    overall = assess(results, source)
    return {
        "schema": REPORT_SCHEMA,
        "id": analysis_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": f"vforensics {__version__}",
        "source": source,
        "analyzers": results,
        "overall": overall.to_dict(),
        "combined": combined_files or {},
        "summary": summarize(results, overall, source),
    }


def to_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def build_zip(files: dict[str, bytes]) -> bytes:
    """A zip of ``{relative path: bytes}`` (report.json, maps/, heatmaps/)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if path.endswith(".png") else zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    return buf.getvalue()
