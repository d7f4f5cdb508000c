"""Regenerate events/*.json: sample inputs of every handler, for tests and `sam local invoke`.

Runs the real Prepare handler on samples/iphone4.jpg in the embedded engine so that the job
document in the analyzer and aggregate events is exactly what Prepare emits; the events of
each registered analyzer are then written by tools/generate_deployment.py. Usage:
    .venv/bin/python tools/make_events.py
"""

import json
from pathlib import Path

import generate_deployment  # beside this script

from vforensics.analyzers.registry import ANALYZER_SPECS
from vforensics.local.deployment import LocalResources
from vforensics.local.engine import LocalEngine
from vforensics.local.events import object_created_event
from vforensics.local.lambda_router import LocalContext, load_handler
from vforensics.pipeline import aws
from vforensics.pipeline.identity import analysis_id_for

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "iphone4.jpg"
SAMPLE_KEY = "samples/iphone4.jpg"
EVENTS = ROOT / "events"


def write(name: str, payload: dict) -> None:
    (EVENTS / name).write_text(json.dumps(payload, indent=2) + "\n")
    print("wrote", EVENTS / name)


def main() -> None:
    resources = LocalResources()
    with LocalEngine(ROOT, resources):
        data = SAMPLE.read_bytes()
        etag = (
            aws.client("s3").put_object(Bucket=resources.uploads_bucket, Key=SAMPLE_KEY, Body=data)["ETag"].strip('"')
        )
        event = object_created_event(resources.uploads_bucket, SAMPLE_KEY, etag, len(data))
        event |= {"id": "00000000-0000-0000-0000-000000000001", "time": "2026-11-23T12:00:00Z"}
        event["detail"] |= {"request-id": "SAMPLEREQUEST0001"}
        event["detail"]["object"]["sequencer"] = "04B2E8D842814830B2"  # fixed, so reruns change nothing
        write("object-created.json", event)
        prepare_event = {"analysis_id": analysis_id_for(resources.uploads_bucket, SAMPLE_KEY, etag), "event": event}
        write("prepare.json", prepare_event)
        prepare = load_handler(ROOT, "functions/prepare", "app.handler")
        job = prepare(prepare_event, LocalContext("vf-PrepareFunction", "local"))
        job["source"]["uploaded_at"] = "2026-11-23T12:00:00+00:00"
        # the job; generate_deployment writes the branches and each analyzer's event around it
        write("aggregate.json", {"job": job, "branches": []})
    env = {
        "Parameters": {
            "VF_RESULTS_BUCKET": resources.results_bucket,
            "VF_TABLE_NAME": resources.table_name,
            "VF_EVENT_BUS_NAME": resources.event_bus_name,
            "POWERTOOLS_SERVICE_NAME": "vforensics",
            "POWERTOOLS_METRICS_NAMESPACE": "VisualForensics",
        }
    }
    write("env.json", env)
    for name, text in generate_deployment.render_events(ANALYZER_SPECS, EVENTS).items():
        (EVENTS / name).write_text(text)
        print("wrote", EVENTS / name)


if __name__ == "__main__":
    main()
