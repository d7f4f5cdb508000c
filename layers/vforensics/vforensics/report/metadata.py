"""The metadata-only report (the API's /metadata response; ``vforensics metadata FILE``).

Validates the file exactly as the pipeline's Prepare step does (size, type, header,
decompression bombs), then runs only the metadata analyzer. Refused files give
``{"error": {"code", "message"}}`` with the codes of the full pipeline.
"""

from __future__ import annotations

from typing import Any

from vforensics.analyzers import metadata
from vforensics.errors import MediaRejected
from vforensics.media.image import Media


def metadata_report(data: bytes, filename: str = "") -> dict[str, Any]:
    try:
        media = Media.from_bytes(data, filename)
    except MediaRejected as rejected:
        return {"error": {"code": rejected.code, "message": rejected.message}, "file_name": filename}
    result = metadata.analyze(media)
    d = result.details
    return {
        "file_name": filename,
        "file": d["file"],
        "hashes": {"md5": d["file"]["md5"], "sha256": d["file"]["sha256"]},
        "score": result.score,
        "level": d["level"],
        "interpretation": result.interpretation,
        "flags": d["flags"],
        "flag_evidence": d["flag_evidence"],
        **{k: v for k, v in d.items() if k not in ("file", "flags", "flag_evidence", "level", "metadata_score")},
    }
