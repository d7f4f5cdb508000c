"""The real ASL, executed end to end on the embedded engine, with the project's handlers."""

import io
import json
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from vforensics import REPORT_SCHEMA
from vforensics.analyzers import ANALYZERS
from vforensics.analyzers.registry import SPECS
from vforensics.local import lambda_router
from vforensics.local.deployment import FUNCTIONS
from vforensics.local.events import object_created_event
from vforensics.local.runner import analyze_one
from vforensics.pipeline import aws
from vforensics.pipeline.identity import analysis_id_for
from vforensics.scoring.tampering import MAP_WEIGHTS

from ..unit.images import png_bomb
from .conftest import received_events

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them


def _history(engine, execution_arn: str) -> list[dict]:
    return aws.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def _entered(history: list[dict], state: str) -> int:
    return sum(1 for e in history if e.get("stateEnteredEventDetails", {}).get("name") == state)


#: the maps a camera JPEG gets: one per localising analyzer, the jpeg ghost view, the combination
MAPPED = (
    "ela", "noise", "noise_level", "noise_cooccurrence", "jpeg", "jpeg_ghost", "copy_move", "ai_frequency", "combined"
)  # fmt: skip
#: analyzers that need traces most camera JPEGs no longer carry (demosaicing survives only
#: near-lossless compression): "skipped" with the reason on these photos
NEEDS_TRACES = ("cfa",)
VIEWS = tuple(f"views/enhance_{view}.png" for view in ("dct", "edges", "equalized", "gradient", "pca"))


def test_camera_jpeg_produces_the_full_report_record_and_event(engine, moderation_queue, root, tmp_path):
    outcome = analyze_one(engine, root / "samples" / "iphone4.jpg", tmp_path / "out", key="t/happy/iphone4.jpg")
    assert outcome.status == "COMPLETED", outcome.reason
    out = tmp_path / "out"
    expected = {
        "report.json",
        "report.zip",
        *(f"{kind}/{name}.png" for kind in ("maps", "heatmaps") for name in MAPPED),
        *VIEWS,
    }
    assert {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} == expected

    report = json.loads((out / "report.json").read_text())
    assert report["schema"] == REPORT_SCHEMA
    assert (
        report["id"]
        == outcome.analysis_id
        == analysis_id_for(engine.resources.uploads_bucket, "t/happy/iphone4.jpg", report["source"]["etag"])
    )
    src = report["source"]
    assert (src["file_name"], src["media_type"], src["format"], src["width"], src["height"]) == (
        "iphone4.jpg",
        "image/jpeg",
        "JPEG",
        1296,
        968,
    )
    assert src["bytes"] == (root / "samples" / "iphone4.jpg").stat().st_size and len(src["sha256"]) == 64
    assert set(report["analyzers"]) == set(ANALYZERS)
    for name in ANALYZERS:
        entry = report["analyzers"][name]
        if name in NEEDS_TRACES:
            assert entry["status"] == "skipped" and "Not applicable" in entry["interpretation"], name
            continue
        scored = SPECS[name].scores
        assert entry["status"] == "ok" and entry["elapsed_ms"] > 0
        assert (0 <= entry["score"] <= 100) if scored else entry["score"] is None
    assert report["analyzers"]["ela"]["map"] == "maps/ela.png"
    assert set(report["analyzers"]["enhance"]["views"].values()) == set(VIEWS)
    overall = report["overall"]
    assert overall["risk"] == "LOW" and 0 <= overall["tampering_likelihood"] < 35
    assert {"verdict", "confidence", "ai_likelihood"} <= set(overall)
    assert overall["ai_status"] == "ok" and 0 <= overall["ai_likelihood"] <= 100
    assert overall["ai_evidence"]["pixels"]["detector"] == pytest.approx(
        report["analyzers"]["ai_model"]["score"], abs=0.06
    )
    assert overall["ai_evidence"]["metadata"] is None and report["summary"]["ai"]["indicators"]
    summary = report["summary"]
    assert summary["status"] == "complete" and summary["recommendation"] and summary["positive_findings"]

    gray = cv2.imread(str(out / "maps" / "combined.png"), cv2.IMREAD_UNCHANGED)
    assert gray.dtype == np.uint8 and gray.ndim == 2 and gray.shape == (968, 1296)
    heat = cv2.imread(str(out / "heatmaps" / "combined.png"), cv2.IMREAD_UNCHANGED)
    assert heat.shape == (956, 1280, 3)
    with zipfile.ZipFile(out / "report.zip") as zf:
        assert set(zf.namelist()) == expected - {"report.zip"}
        assert json.loads(zf.read("report.json"))["id"] == report["id"]

    record = engine.record(outcome.analysis_id)
    assert record["status"] == "COMPLETED" and record["risk"] == "LOW"
    assert record["report_key"] == f"analyses/{outcome.analysis_id}/report.json"
    events = received_events(moderation_queue, outcome.analysis_id)
    assert [e["detail-type"] for e in events] == ["Analysis Completed"]
    assert events[0]["detail"]["verdict"] == overall["verdict"]


@pytest.mark.slow
def test_twelve_megapixel_camera_jpeg(engine, bench, tmp_path):
    path = bench / "camera" / "mdx__Nikon_D90.jpg"  # 4288 x 2848
    outcome = analyze_one(engine, path, tmp_path / "d90", key="t/12mp/d90.jpg")
    assert outcome.status == "COMPLETED"
    report = outcome.report
    assert report["source"]["width"] * report["source"]["height"] > 12e6
    assert all(a["status"] == "ok" for n, a in report["analyzers"].items() if n not in NEEDS_TRACES)
    assert max(cv2.imread(str(tmp_path / "d90" / "maps" / "ela.png"), cv2.IMREAD_GRAYSCALE).shape) == 2048


def test_png_runs_with_ela_not_applicable(engine, tmp_path, root):
    png = io.BytesIO()
    Image.open(root / "samples" / "iphone4.jpg").save(png, "PNG")
    path = tmp_path / "screenshot.png"
    path.write_bytes(png.getvalue())
    outcome = analyze_one(engine, path, tmp_path / "png", key="t/png/screenshot.png")
    assert outcome.status == "COMPLETED"
    ela = outcome.report["analyzers"]["ela"]
    assert ela["status"] == "skipped" and ela["score"] is None and "Not applicable" in ela["interpretation"]
    assert not (tmp_path / "png" / "maps" / "ela.png").exists()
    assert outcome.report["overall"]["confidence_factors"]["caps"]


def _crash(event, context):
    raise MemoryError("Runtime exited with error: signal: killed")


def test_a_crashing_analyzer_becomes_an_error_entry(engine, moderation_queue, root, tmp_path):
    """Fault injection: the noise Lambda dies; the report is still produced without it."""
    noise_fn = next(f for f in FUNCTIONS if f.logical_id == "AnalyzerNoiseFunction")
    lambda_router.register(noise_fn.name, _crash)
    try:
        outcome = analyze_one(engine, root / "samples" / "iphone4.jpg", tmp_path / "crash", key="t/crash/a.jpg")
    finally:
        lambda_router.register(noise_fn.name, lambda_router.load_handler(root, noise_fn.code_uri, noise_fn.handler))
    assert outcome.status == "COMPLETED"
    noise = outcome.report["analyzers"]["noise"]
    assert noise["status"] == "error" and noise["error"]["type"] == "MemoryError"
    assert "signal: killed" in noise["error"]["message"]
    assert outcome.report["analyzers"]["ela"]["status"] == "ok"
    assert outcome.report["summary"]["status"] == "complete with analyzer errors"
    assert any("noise" in e for e in outcome.report["summary"]["errors"])
    weights = {n: MAP_WEIGHTS[n] for n in ("ela", "jpeg")}
    assert outcome.report["combined"]["weights"] == weights  # noise's is gone
    events = received_events(moderation_queue, outcome.analysis_id)
    assert events[0]["detail"]["analyzer_errors"] == ["noise"]


@pytest.mark.parametrize(
    "content,code",
    [
        (b"", "EMPTY_FILE"),
        (b"<html>not a photo</html>" * 10, "UNSUPPORTED_FORMAT"),
        ("truncated", "CORRUPT_FILE"),
        ("bomb", "DECOMPRESSION_BOMB"),
        ("too-large", "FILE_TOO_LARGE"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "UNSUPPORTED_MEDIA"),
    ],
)
def test_bad_uploads_end_as_failed_records_without_retry(
    engine, moderation_queue, root, tmp_path, monkeypatch, content, code
):
    photo = (root / "samples" / "iphone4.jpg").read_bytes()
    if content == "truncated":
        content = photo[:20_000]
    elif content == "bomb":
        content = png_bomb(60_000, 60_000)
    elif content == "too-large":
        monkeypatch.setenv("VF_MAX_BYTES", str(len(photo) - 1))  # as the template's MaxUploadBytes does
        content = photo
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    outcome = analyze_one(engine, path, tmp_path / "bad", key=f"t/bad/{code}.jpg")
    assert outcome.status == "FAILED"
    assert outcome.error_type == "MediaRejected" and outcome.reason.startswith(code + ": ")
    record = engine.record(outcome.analysis_id)
    assert record["status"] == "FAILED" and record["reason"] == outcome.reason
    error_json = json.loads((tmp_path / "bad" / "error.json").read_text())
    assert error_json["reason"] == outcome.reason
    execution = aws.client("stepfunctions").list_executions(
        stateMachineArn=engine.state_machine_arn, statusFilter="FAILED"
    )["executions"]
    history = _history(engine, execution[0]["executionArn"])
    assert _entered(history, "Prepare") == 1 and _entered(history, "Analyze") == 0
    events = received_events(moderation_queue, outcome.analysis_id)
    assert [e["detail-type"] for e in events] == ["Analysis Failed"]
    assert events[0]["detail"]["reason"] == outcome.reason


def test_duplicate_events_start_exactly_one_analysis(engine, moderation_queue, root):
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    bucket, key = engine.resources.uploads_bucket, "t/dup/photo.jpg"
    etag = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    event = object_created_event(bucket, key, etag, len(data))
    arns = [engine.start_execution(event, name=f"dup-{i}") for i in range(3)]  # EventBridge delivered it 3 times
    results = [engine.wait(arn) for arn in arns]
    assert all(r["status"] == "SUCCEEDED" for r in results)
    outputs = [json.loads(r["output"]) for r in results]
    analysed = [o for o in outputs if "report_key" in o]
    assert len(analysed) == 1
    prepared = sum(_entered(_history(engine, arn), "Prepare") for arn in arns)
    claimed_twice = sum(_entered(_history(engine, arn), "AlreadyClaimed") for arn in arns)
    assert (prepared, claimed_twice) == (1, 2)
    analysis_id = analysis_id_for(bucket, key, etag)
    events = received_events(moderation_queue, analysis_id)
    assert [e["detail-type"] for e in events] == ["Analysis Completed"]


def test_replaced_object_is_not_analysed_as_the_old_version(engine, root):
    """The event names an etag; if the object was overwritten meanwhile, that version is gone."""
    bucket, key = engine.resources.uploads_bucket, "t/changed/photo.jpg"
    s3 = aws.client("s3")
    old = s3.put_object(Bucket=bucket, Key=key, Body=(root / "samples" / "iphone4.jpg").read_bytes())["ETag"]
    s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xd8\xff" + b"\x00" * 100)
    result = engine.wait(engine.start_execution(object_created_event(bucket, key, old, 1), name="changed"))
    assert result["status"] == "FAILED"
    record = engine.record(analysis_id_for(bucket, key, old))
    assert record["status"] == "FAILED" and record["reason"].startswith("OBJECT_CHANGED")
