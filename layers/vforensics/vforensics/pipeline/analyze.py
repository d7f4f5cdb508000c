"""Analyze step: run one analyzer on the prepared upload and store its result and maps."""

from __future__ import annotations

import time

import numpy as np

from vforensics.analyzers import get_analyzer
from vforensics.media.image import ImageInfo, Media
from vforensics.pipeline import aws, layout
from vforensics.pipeline.contracts import BranchSummary, Job, ResultsLocation
from vforensics.report import maps


def run_analyzer(job: Job, name: str) -> BranchSummary:
    """Run analyzer ``name`` and return the small summary the state machine carries.

    The full result goes to ``work/<id>/<name>.json``; maps go to ``maps/<name>.png`` and
    ``heatmaps/<name>.png``, views to ``views/<name>_<view>.png`` under the analysis prefix.
    """
    analyze = get_analyzer(name)
    upload, results = job["upload"], job["results"]
    data = aws.get_object(upload["bucket"], upload["key"], upload.get("etag"))
    media = Media(data, ImageInfo.from_dict(dict(job["source"])), job["source"].get("file_name", ""))

    started = time.perf_counter()
    result = analyze(media)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)

    entry = result.to_dict() | {"elapsed_ms": elapsed_ms, "map": None, "heatmap": None}
    if result.map is not None:
        entry["map"], entry["heatmap"] = _store_map(results, name, result.map, media)
    if result.extra_maps:
        entry["extra_maps"] = {
            extra: dict(zip(("map", "heatmap"), _store_map(results, extra, suspicion, media), strict=True))
            for extra, suspicion in result.extra_maps.items()
        }
    if result.views:
        entry["views"] = {view: _store_view(results, name, view, image) for view, image in result.views.items()}
    key = layout.result_key(job["analysis_id"], name)
    aws.put_json(results["bucket"], key, entry)
    return {
        "analyzer": name,
        "status": result.status,
        "score": entry["score"],
        "elapsed_ms": elapsed_ms,
        "result_key": key,
    }


def _store_map(results: ResultsLocation, name: str, suspicion: np.ndarray, media: Media) -> tuple[str, str]:
    """Write ``maps/<name>.png`` and ``heatmaps/<name>.png``; return their relative names."""
    map_name, heatmap_name = layout.map_name(name), layout.heatmap_name(name)
    info = media.info
    aws.put_bytes(
        results["bucket"], results["prefix"] + map_name, maps.gray_png(suspicion, info.width, info.height), "image/png"
    )
    aws.put_bytes(
        results["bucket"], results["prefix"] + heatmap_name, maps.heatmap_png(suspicion, media.rgb), "image/png"
    )
    return map_name, heatmap_name


def _store_view(results: ResultsLocation, name: str, view: str, image: np.ndarray) -> str:
    """Write ``views/<name>_<view>.png``; return its relative name."""
    rel = layout.view_name(name, view)
    aws.put_bytes(results["bucket"], results["prefix"] + rel, maps.view_png(image), "image/png")
    return rel
