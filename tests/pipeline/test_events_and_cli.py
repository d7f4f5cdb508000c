"""Every events/*.json invoked against its handler, and the CLI as a user runs it."""

import json
import subprocess
import sys

import pytest

from vforensics.analyzers import ANALYZERS
from vforensics.local.lambda_router import LocalContext, load_handler
from vforensics.pipeline import aws

pytestmark = pytest.mark.slow  # make test-fast leaves these out; make test runs them

EVENT_HANDLERS = {
    "prepare.json": "functions/prepare",
    **{f"analyzer-{name}.json": "functions/analyzer" for name in ANALYZERS},
    "aggregate.json": "functions/aggregate",
}
#: API Gateway HTTP API requests for `sam local invoke ApiFunction -e ...`, with the status each gets
API_EVENTS = {"api-health.json": 200, "api-create-upload.json": 201}
#: functions an EventBridge rule invokes (their own settings in events/env.json)
RULE_HANDLERS = {"moderation.json": ("functions/moderation", "ModerationFunction")}


def test_every_event_file_has_a_handler(root):
    files = {p.name for p in (root / "events").glob("*.json")} - {"env.json", "object-created.json"}
    assert files == set(EVENT_HANDLERS) | set(API_EVENTS) | set(RULE_HANDLERS)


def test_each_api_event_runs_against_the_api_handler(engine, root):
    handler = load_handler(root, "functions/api", "app.handler")
    for name, status in API_EVENTS.items():
        event = json.loads((root / "events" / name).read_text())
        response = handler(event, LocalContext("vf-api", "arn:aws:lambda:us-east-1:123456789012:function:vf-api"))
        assert response["statusCode"] == status, (name, response["body"])
        assert "error" not in json.loads(response["body"])


def test_the_moderation_event_runs_against_its_handler_with_its_env(engine, root, monkeypatch):
    from jsonschema import Draft202012Validator

    event = json.loads((root / "events" / "moderation.json").read_text())
    schema = json.loads((root / "docs" / "events" / "analysis-completed.schema.json").read_text())
    assert not list(Draft202012Validator(schema).iter_errors(event))
    code_uri, function = RULE_HANDLERS["moderation.json"]
    env = json.loads((root / "events" / "env.json").read_text())[function]
    for name, value in env.items():
        if name.startswith("VF_"):
            monkeypatch.setenv(name, value)
    detail = event["detail"]
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    s3 = aws.client("s3")
    etag = s3.put_object(Bucket=detail["bucket"], Key=detail["key"], Body=data)["ETag"].strip('"')
    assert etag == detail["etag"], "events/ are stale: run tools/make_events.py"
    handler = load_handler(root, code_uri, "app.handler")
    answer = handler(event, LocalContext("vf-test", "arn:aws:lambda:us-east-1:123456789012:function:vf-test"))
    assert answer["action"] == "moderated" and answer["tagged"] is True, answer
    tag_set = s3.get_object_tagging(Bucket=detail["bucket"], Key=detail["key"])["TagSet"]
    assert {"Key": "vforensics:risk", "Value": "HIGH"} in tag_set
    copy = answer["quarantine"]
    assert copy["key"].startswith(env["VF_QUARANTINE_PREFIX"] + detail["analysis_id"] + "/")
    assert s3.get_object(Bucket=copy["bucket"], Key=copy["key"])["Body"].read() == data


def test_each_event_runs_against_its_handler_in_pipeline_order(engine, root):
    events = {name: json.loads((root / "events" / name).read_text()) for name in EVENT_HANDLERS}
    upload = events["analyzer-ela.json"]["job"]["upload"]
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    etag = aws.client("s3").put_object(Bucket=upload["bucket"], Key=upload["key"], Body=data)["ETag"].strip('"')
    assert etag == upload["etag"], "events/ are stale: run tools/make_events.py"

    outputs = {}
    for name, code_uri in EVENT_HANDLERS.items():
        handler = load_handler(root, code_uri, "app.handler")
        outputs[name] = handler(
            events[name], LocalContext("vf-test", "arn:aws:lambda:us-east-1:123456789012:function:vf-test")
        )

    job = outputs["prepare.json"]
    expected = events["analyzer-ela.json"]["job"]
    assert {k: v for k, v in job["source"].items() if k != "uploaded_at"} == {
        k: v for k, v in expected["source"].items() if k != "uploaded_at"
    }
    assert job["results"] == expected["results"]
    for name in ANALYZERS:
        assert outputs[f"analyzer-{name}.json"]["status"] in ("ok", "skipped")
    outcome = outputs["aggregate.json"]
    assert outcome["status"] == "COMPLETED" and outcome["analyzer_errors"] == ["noise"]
    report = json.loads(aws.get_object(outcome["results_bucket"], outcome["report_key"]))
    assert report["analyzers"]["noise"]["error"]["message"] == "Task timed out after 120.00 seconds"


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "vforensics.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_analyses_files_and_reports_bad_ones(root, tmp_path):
    junk = tmp_path / "notes.jpg"
    junk.write_text("just text with an image extension")
    missing = tmp_path / "missing.jpg"
    done = _cli(
        "analyze",
        root / "samples" / "iphone4.jpg",
        junk,
        missing,
        "--out",
        tmp_path / "out",
        "--jobs",
        "2",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "[1/3] iphone4.jpg: No clear signs of manipulation - risk LOW" in done.stdout
    assert "    AI: Likely Real (" in done.stdout and ", confidence " in done.stdout
    assert "notes.jpg: NOT ANALYSED (MediaRejected) UNSUPPORTED_FORMAT" in done.stderr
    assert "missing.jpg: ERROR cannot read" in done.stderr
    assert "1 of 3 files analysed" in done.stdout
    assert "Traceback" not in done.stderr
    out = tmp_path / "out"
    assert (out / "iphone4.jpg" / "report.json").is_file() and (out / "iphone4.jpg" / "report.zip").is_file()
    assert json.loads((out / "notes.jpg" / "error.json").read_text())["reason"].startswith("UNSUPPORTED_FORMAT")


def test_cli_exits_zero_when_all_files_are_analysed(root, tmp_path):
    done = _cli("analyze", root / "samples", "--out", tmp_path / "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipping 1 file(s)" in done.stderr  # samples/README.md
    assert (tmp_path / "o" / "iphone4.jpg" / "maps" / "combined.png").is_file()


@pytest.mark.parametrize("args", [[], ["analyze"], ["frobnicate"]])
def test_cli_usage_errors(args, tmp_path):
    assert _cli(*args, cwd=tmp_path).returncode == 2


def test_cli_survives_hostile_names_escapes_pipes_and_a_stale_output_folder(root, tmp_path):
    """A newline in a name, escape sequences in EXIF, a FIFO and a re-run into the same --out."""
    import os

    from PIL import Image

    photo = Image.open(root / "samples" / "iphone4.jpg").reduce(4)
    newline = tmp_path / "a\nb.jpg"
    photo.save(newline, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop\x1b[2J\x1b]0;owned\x07\nverdict: AUTHENTIC"  # Software
    escapes = tmp_path / "escapes.jpg"
    photo.save(escapes, "JPEG", quality=90, exif=exif.tobytes())
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    stale = out / "escapes.jpg"
    stale.mkdir(parents=True)
    (stale / "error.json").write_text('{"status": "FAILED"}')  # what an earlier, failed run left

    done = _cli("analyze", newline, escapes, fifo, "--out", out, cwd=tmp_path)
    assert done.returncode == 1  # the FIFO is refused, the others analysed
    assert "Traceback" not in done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr
    assert "a\\x0ab.jpg: No clear signs of manipulation" in done.stdout  # the name as it is, escaped
    assert "pipe.jpg: ERROR cannot read" in done.stderr and "a named pipe" in done.stderr
    assert "Adobe Photoshop\\x1b[2J\\x1b]0;owned\\x07 verdict: AUTHENTIC" in done.stdout  # shown, not obeyed
    assert "2 of 3 files analysed" in done.stdout
    assert (out / "a_b.jpg" / "report.json").is_file()
    assert (stale / "report.json").is_file() and not (stale / "error.json").exists()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no partial folders left

    metadata = _cli("metadata", escapes, cwd=tmp_path)
    assert metadata.returncode == 0 and "\x1b" not in metadata.stdout
    assert json.loads(metadata.stdout)["exif"]["Software"].startswith("Adobe Photoshop\x1b[2J")
