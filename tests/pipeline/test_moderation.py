"""The moderation hook on the embedded engine: real uploads through the real ASL, the events
Aggregate and the failure paths really publish validated against docs/events/*.schema.json, and
the rule (its real pattern, evaluated by moto's EventBridge) handing HIGH-risk events to the
moderation handler, which tags the upload and copies it under the quarantine prefix."""

import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from vforensics.local.events import object_created_event
from vforensics.pipeline import aws, moderation
from vforensics.pipeline.identity import analysis_id_for

from .conftest import received_events

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them

QUARANTINE = "quarantine/"
SCHEMAS = {
    "Analysis Completed": "analysis-completed.schema.json",
    "Analysis Failed": "analysis-failed.schema.json",
}


def validators(root: Path) -> dict[str, Draft202012Validator]:
    out = {}
    for detail_type, name in SCHEMAS.items():
        schema = json.loads((root / "docs" / "events" / name).read_text())
        Draft202012Validator.check_schema(schema)
        out[detail_type] = Draft202012Validator(schema)
    return out


def edited_jpeg(root: Path, path: Path) -> Path:
    """README's edited.jpg: samples/iphone4.jpg with a 203x163 patch copied from (900, 601) to
    (200, 301), re-saved at quality 90 by "Photoshop" with a later modification date."""
    with Image.open(root / "samples" / "iphone4.jpg") as photo:
        exif = photo.getexif()
        image = photo.copy()
    image.paste(image.crop((900, 601, 900 + 203, 601 + 163)), (200, 301))
    exif[0x0131] = "Adobe Photoshop 25.0 (Windows)"  # Software
    exif[0x0132] = "2024:05:01 10:00:00"  # DateTime
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def upload_and_wait(engine, data: bytes, key: str, tagging: str | None = None) -> tuple[str, str]:
    """Upload as a user would (optionally with tags), run the execution the rule would start."""
    bucket = engine.resources.uploads_bucket
    extra = {"Tagging": tagging} if tagging else {}
    etag = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data, **extra)["ETag"].strip('"')
    described = engine.wait(
        engine.start_execution(object_created_event(bucket, key, etag, len(data)), f"mod-{uuid.uuid4().hex}")
    )
    return analysis_id_for(bucket, key, etag), described["status"]


def tags(engine, key: str) -> dict[str, str]:
    tag_set = aws.client("s3").get_object_tagging(Bucket=engine.resources.uploads_bucket, Key=key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tag_set}


def quarantined(engine, analysis_id: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(
        Bucket=engine.resources.results_bucket, Prefix=f"{QUARANTINE}{analysis_id}/"
    )
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.fixture(scope="module")
def runs(engine, moderation_queue, root, tmp_path_factory):
    """One HIGH-risk and one LOW-risk upload, an empty and a text file, with the hook enabled."""
    engine.enable_moderation(tag_uploads=True, quarantine_prefix=QUARANTINE)
    folder = tmp_path_factory.mktemp("moderation")
    try:
        high = edited_jpeg(root, folder / "edited.jpg").read_bytes()
        files = {
            "high": ("t/moderation/edited.jpg", high, "owner=newsroom&case=42"),
            "low": ("t/moderation/iphone4.jpg", (root / "samples" / "iphone4.jpg").read_bytes(), None),
            "empty": ("t/moderation/empty.jpg", b"", None),
            "text": ("t/moderation/notes.jpg", b"just text with an image extension", None),
        }
        out = {}
        for name, (key, data, tagging) in files.items():
            routed = len(engine.moderation_answers)
            analysis_id, status = upload_and_wait(engine, data, key, tagging)
            out[name] = {"key": key, "analysis_id": analysis_id, "status": status}
            out[name]["routed"] = engine.moderation_answers[routed:]  # what the rule handed the handler
            out[name]["events"] = received_events(moderation_queue, analysis_id)
        yield out
    finally:
        engine.disable_moderation()


def test_the_schemas_are_valid_draft_2020_12(root):
    assert set(validators(root)) == set(SCHEMAS)


def test_real_events_validate_against_their_schemas(runs, root):
    check = validators(root)
    expected = {
        "high": "Analysis Completed",
        "low": "Analysis Completed",
        "empty": "Analysis Failed",
        "text": "Analysis Failed",
    }
    for name, detail_type in expected.items():
        events = runs[name]["events"]
        assert [e["detail-type"] for e in events] == [detail_type], name
        errors = [e.message for e in check[detail_type].iter_errors(events[0])]
        assert not errors, (name, errors)
    assert runs["high"]["events"][0]["detail"]["risk"] == "HIGH"
    assert runs["low"]["events"][0]["detail"]["risk"] == "LOW"
    assert runs["empty"]["events"][0]["detail"]["reason"].startswith("EMPTY_FILE: ")
    assert runs["text"]["events"][0]["detail"]["reason"].startswith("UNSUPPORTED_FORMAT: ")


def _broken(event: dict, **changes) -> dict:
    broken = json.loads(json.dumps(event))
    for field, value in changes.items():
        if value is None:
            broken["detail"].pop(field)
        else:
            broken["detail"][field] = value
    return broken


def test_the_schemas_reject_broken_events_and_accept_added_fields(runs, root):
    check = validators(root)
    completed, failed = runs["high"]["events"][0], runs["text"]["events"][0]
    completed_schema, failed_schema = check["Analysis Completed"], check["Analysis Failed"]
    for changes in (
        {"risk": "SEVERE"},
        {"risk": "high"},
        {"analysis_id": None},
        {"report_key": None},
        {"tampering_likelihood": "99"},
        {"tampering_likelihood": 140},
        {"status": "FAILED"},
        {"analyzer_errors": "noise"},
        {"confidence": "certain"},
    ):
        assert not completed_schema.is_valid(_broken(completed, **changes)), changes
    null_likelihood = json.loads(json.dumps(completed))
    null_likelihood["detail"]["tampering_likelihood"] = None  # only UNKNOWN has no likelihood
    assert not completed_schema.is_valid(null_likelihood)
    null_likelihood["detail"]["risk"] = "UNKNOWN"
    assert completed_schema.is_valid(null_likelihood)
    assert not completed_schema.is_valid({**completed, "detail-type": "Analysis Failed"})
    assert not completed_schema.is_valid({**completed, "source": "aws.s3"})
    assert not completed_schema.is_valid(failed)  # the wrong schema
    for changes in ({"reason": "it was not an image"}, {"error_type": None}, {"status": "COMPLETED"}, {"etag": ""}):
        assert not failed_schema.is_valid(_broken(failed, **changes)), changes
    # Fields may be added later: consumers are told to ignore them, and the schemas allow them.
    assert completed_schema.is_valid(_broken(completed, ai_likelihood=12.5))
    assert failed_schema.is_valid({**failed, "replay-name": "x"})


def test_a_high_risk_upload_is_tagged_and_quarantined(engine, runs):
    run = runs["high"]
    assert run["status"] == "SUCCEEDED"
    detail = run["events"][0]["detail"]
    (answer,) = run["routed"]  # the rule routed the event, the handler acted on it
    assert answer["action"] == "moderated" and answer["analysis_id"] == run["analysis_id"], answer
    assert tags(engine, run["key"]) == {
        "owner": "newsroom",  # the user's own tags are kept
        "case": "42",
        moderation.RISK_TAG: "HIGH",
        moderation.VERDICT_TAG: "Likely manipulated",
        moderation.ANALYSIS_TAG: run["analysis_id"],
    }
    assert detail["verdict"] == "Likely manipulated"
    (copy_key,) = quarantined(engine, run["analysis_id"])
    assert copy_key == moderation.quarantine_key(QUARANTINE, run["analysis_id"], run["key"])
    assert copy_key == f"{QUARANTINE}{run['analysis_id']}/edited.jpg"
    s3 = aws.client("s3")
    original = s3.get_object(Bucket=engine.resources.uploads_bucket, Key=run["key"])["Body"].read()
    assert s3.get_object(Bucket=engine.resources.results_bucket, Key=copy_key)["Body"].read() == original
    assert s3.get_object_tagging(Bucket=engine.resources.results_bucket, Key=copy_key)["TagSet"] == []


def test_redelivery_of_the_high_risk_event_changes_nothing_more(engine, runs):
    run = runs["high"]
    before = tags(engine, run["key"])
    answer = engine.moderate(run["events"][0])
    assert answer["action"] == "moderated" and answer["tagged"] is True, answer
    assert tags(engine, run["key"]) == before
    assert len(quarantined(engine, run["analysis_id"])) == 1


def test_a_low_risk_upload_is_left_alone(engine, runs):
    run = runs["low"]
    assert run["status"] == "SUCCEEDED"
    # the rule's pattern did not route it (moto's EventBridge evaluated it) ...
    assert run["routed"] == []
    assert tags(engine, run["key"]) == {} and quarantined(engine, run["analysis_id"]) == []
    # ... and handed to the handler anyway (a rule edited by hand), it is ignored
    answer = engine.moderate(run["events"][0])
    assert answer == {
        "action": "ignored",
        "reason": "risk LOW",
        "analysis_id": run["analysis_id"],
        "bucket": engine.resources.uploads_bucket,
        "key": run["key"],
    }
    assert tags(engine, run["key"]) == {} and quarantined(engine, run["analysis_id"]) == []


def test_failed_analyses_are_not_moderated(engine, runs):
    for name in ("empty", "text"):
        run = runs[name]
        assert run["status"] == "FAILED" and run["routed"] == []
        assert tags(engine, run["key"]) == {} and quarantined(engine, run["analysis_id"]) == []
        answer = engine.moderate(run["events"][0])
        assert answer["action"] == "ignored" and "Analysis Completed" in answer["reason"], answer


def test_bad_or_stale_events_are_skipped_not_retried(engine, runs):
    """What the handler cannot act on is logged and answered, never raised (Lambda would retry)."""
    high = runs["high"]["events"][0]
    detail = high["detail"]
    cases = {
        "not an event": ([], "ignored"),
        "no detail": ({k: v for k, v in high.items() if k != "detail"}, "ignored"),
        "missing fields": (_broken(high, etag=None, key=None), "ignored"),
        "another bucket": (_broken(high, bucket="someone-elses-bucket"), "ignored"),
        "deleted upload": (_broken(high, key="t/moderation/never-uploaded.jpg"), "skipped"),
        "replaced upload": (_broken(high, etag="0" * 32), "skipped"),
    }
    for name, (event, action) in cases.items():
        answer = engine.moderate(event)
        assert isinstance(answer, dict) and answer.get("action") == action, (name, answer)
    assert engine.moderate(cases["deleted upload"][0])["reason"] == "the upload no longer exists"
    assert "replaced" in engine.moderate(cases["replaced upload"][0])["reason"]
    assert tags(engine, detail["key"])[moderation.RISK_TAG] == "HIGH"  # the real upload is as it was
