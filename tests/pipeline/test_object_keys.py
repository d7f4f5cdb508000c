"""Object keys with URL-escape look-alikes are the keys of those very objects.

EventBridge's "Object Created" carries the key as is (S3's SQS/SNS/Lambda notifications are the
ones that URL-encode it), so the pipeline never decodes it: each upload below has a decoy at the
key a decoding would give, and the report must be about the real object."""

import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from vforensics.local.events import object_created_event
from vforensics.pipeline import aws
from vforensics.pipeline.identity import analysis_id_for

pytestmark = pytest.mark.slow

#: (key uploaded, key a decoding would read, where a decoy is put)
KEYS = [
    ("t/keys/a%2Fb.jpg", "t/keys/a/b.jpg"),
    ("t/keys/100%25 sure.jpg", "t/keys/100% sure.jpg"),
    ("t/keys/c++ notes.jpg", "t/keys/c   notes.jpg"),
    ("t/keys/x+y%20z.jpg", "t/keys/x y z.jpg"),
]


def _jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(128, 30, (200, 260, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=88)
    return out.getvalue()


def test_keys_with_escapes_are_analysed_verbatim(engine):
    s3, bucket = aws.client("s3"), engine.resources.uploads_bucket
    runs = []
    for i, (key, decoded) in enumerate(KEYS):
        data = _jpeg(100 + i)
        s3.put_object(Bucket=bucket, Key=decoded, Body=_jpeg(200 + i))  # the object a decoding would find
        etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
        event = object_created_event(bucket, key, etag, len(data))
        assert event["detail"]["object"]["key"] == key  # not URL-encoded, as EventBridge sends it
        runs.append((key, data, etag, engine.start_execution(event, name=f"keys-{i}")))
    for key, data, etag, arn in runs:
        described = engine.wait(arn)
        analysis_id = analysis_id_for(bucket, key, etag)
        assert described["status"] == "SUCCEEDED", (key, engine.record(analysis_id))
        outcome = json.loads(described["output"])
        assert outcome["key"] == key and outcome["analysis_id"] == analysis_id
        report = aws.get_json(outcome["results_bucket"], outcome["report_key"])
        source = report["source"]
        assert (source["key"], source["file_name"]) == (key, key.rsplit("/", 1)[1])
        assert source["sha256"] == hashlib.sha256(data).hexdigest()  # the real object, not the decoy
        record = engine.record(analysis_id)
        assert (record["status"], record["key"]) == ("COMPLETED", key)
