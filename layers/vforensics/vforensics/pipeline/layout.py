"""Where an analysis's files live in the results bucket (and in a local output folder).

``analyses/<id>/`` holds what users get (report.json, report.zip, maps/, heatmaps/, views/);
``work/<id>/`` holds per-analyzer intermediate results and expires after a week.
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
