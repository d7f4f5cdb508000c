"""Where an analysis's files live in the results bucket (and in a local output folder).

``analyses/<id>/`` holds what users get (report.json, report.zip, maps/, heatmaps/, views/);
``work/<id>/`` holds per-analyzer intermediate results and expires after a week;
``batches/<batch id>/`` holds a batch's manifest, status, summary and zip (pipeline/batches.py).
In the uploads bucket, the API's presigned uploads go to ``uploads/<upload id>/<safe name>``.
"""

REPORT = "report.json"
ZIP = "report.zip"


def analysis_prefix(analysis_id: str) -> str:
    return f"analyses/{analysis_id}/"


def work_prefix(analysis_id: str) -> str:
    return f"work/{analysis_id}/"


def map_name(analyzer: str) -> str:
    return f"maps/{analyzer}.png"


def heatmap_name(analyzer: str) -> str:
    return f"heatmaps/{analyzer}.png"


def view_name(analyzer: str, view: str) -> str:
    return f"views/{analyzer}_{view}.png"


def result_key(analysis_id: str, analyzer: str) -> str:
    return f"{work_prefix(analysis_id)}{analyzer}.json"


BATCH_MANIFEST = "manifest.json"
BATCH_STATUS = "status.json"
BATCH_SUMMARY = "batch_summary.json"
BATCH_ZIP = "batch.zip"


def batch_prefix(batch_id: str) -> str:
    return f"batches/{batch_id}/"


def batch_manifest_key(batch_id: str) -> str:
    return batch_prefix(batch_id) + BATCH_MANIFEST


def batch_status_key(batch_id: str) -> str:
    return batch_prefix(batch_id) + BATCH_STATUS


def batch_summary_key(batch_id: str) -> str:
    return batch_prefix(batch_id) + BATCH_SUMMARY


def batch_zip_key(batch_id: str) -> str:
    return batch_prefix(batch_id) + BATCH_ZIP


def safe_name(name: str) -> str:
    """``name`` without control characters or separators, for folder names and object keys."""
    cleaned = "".join("_" if (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "/\\") else ch for ch in name)
    return "_" + cleaned if cleaned in (".", "..") else cleaned


UPLOADS_PREFIX = "uploads/"


def upload_key(upload_id: str, file_name: str) -> str:
    """The server-chosen key of an API upload: the random id, then the caller's name made safe."""
    return f"{UPLOADS_PREFIX}{upload_id}/{safe_name(file_name)}"


def upload_id_of(key: str) -> str | None:
    """The upload id in an API upload's key, ``None`` for any other key."""
    if not key.startswith(UPLOADS_PREFIX):
        return None
    upload_id, slash, _ = key[len(UPLOADS_PREFIX) :].partition("/")
    return upload_id if slash and upload_id else None
