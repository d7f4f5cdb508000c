"""The fault injection of the embedded engine: what a fault matches, and VF_LOCAL_FAULTS."""

import json

import pytest

from vforensics.local import faults
from vforensics.pipeline.records import expires_at
from vforensics.pipeline.settings import RETENTION_ENV, Settings


@pytest.fixture(autouse=True)
def _no_faults():
    faults.clear()
    yield
    faults.clear()


def test_lambda_faults_answer_as_the_lambda_service_and_count_down():
    with faults.inject(function="vf-X", kind="timeout", seconds=120, times=1, contains='"ela"') as fault:
        assert faults.lambda_fault("vf-Y", b'{"analyzer": "ela"}') is None  # another function
        assert faults.lambda_fault("vf-X", b'{"analyzer": "noise"}') is None  # another payload
        error_type, message = faults.lambda_fault("vf-X", b'{"analyzer": "ela"}')
        assert error_type == "Sandbox.Timedout" and message.endswith("Task timed out after 120.00 seconds")
        assert faults.lambda_fault("vf-X", b'{"analyzer": "ela"}') is None  # times=1 used up
        assert fault.hits == 1
    assert faults.lambda_fault("vf-X", b"") is None


def test_faults_from_the_environment(monkeypatch):
    specs = [
        {"function": "vf-PrepareFunction", "kind": "oom"},
        {"service": "dynamodb", "operation": "UpdateItem", "kind": "ThrottlingException", "times": 3},
    ]
    monkeypatch.setenv(faults.ENV_VAR, json.dumps(specs))
    loaded = faults.load_env()
    assert [(f.function, f.service, f.kind, f.times) for f in loaded] == [
        ("vf-PrepareFunction", None, "oom", None),
        (None, "dynamodb", "ThrottlingException", 3),
    ]
    assert faults.lambda_fault("vf-PrepareFunction", b"{}")[0] == "Runtime.OutOfMemory"


@pytest.mark.parametrize(
    "spec",
    [{"kind": "oom"}, {"function": "f", "service": "s3", "kind": "oom"}, {"function": "f", "kind": "Throttling"}],
)
def test_malformed_faults_are_refused(spec):
    with pytest.raises(ValueError):
        faults.add(**spec)


def test_record_retention_from_the_environment(monkeypatch):
    monkeypatch.setenv("VF_RESULTS_BUCKET", "r")
    monkeypatch.setenv("VF_TABLE_NAME", "t")
    monkeypatch.delenv(RETENTION_ENV, raising=False)
    assert Settings.from_env().retention_days == 90
    monkeypatch.setenv(RETENTION_ENV, "30")
    assert Settings.from_env().retention_days == 30
    assert expires_at(30, now=1_000_000) == 1_000_000 + 30 * 86_400
    for bad in ("0", "-1", "ninety"):
        monkeypatch.setenv(RETENTION_ENV, bad)
        with pytest.raises(RuntimeError):
            Settings.from_env()
