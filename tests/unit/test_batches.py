"""The parts of pipeline/batches.py that need no AWS: ids, manifest checks, row codes, zip folders.
The rest runs end to end in tests/pipeline/test_batches.py."""

import pytest

from vforensics.pipeline import batches


def test_batch_ids_are_short_safe_names_and_name_one_execution():
    assert batches.execution_name("b-1_x") == "batch-b-1_x"
    assert len(batches.execution_name("a" * 64)) <= 80  # Step Functions' limit on execution names
    for bad in ("", "-x", "a/b", "../x", "a" * 65, "ä", "a b"):
        with pytest.raises(batches.BatchError):
            batches.validate_batch_id(bad)


def test_a_manifest_is_refused_before_anything_is_written():
    item: batches.BatchItem = {"upload_id": "u", "bucket": "b", "key": "k.jpg", "etag": '"e"', "file_name": "k.jpg"}
    with pytest.raises(batches.BatchError, match="at least one"):
        batches.write_manifest("no-such-bucket", "b1", [])
    with pytest.raises(batches.BatchError, match="at most 2"):
        batches.write_manifest("no-such-bucket", "b1", [item] * 3, max_items=2)
    with pytest.raises(batches.BatchError, match="item 1: missing or empty etag"):
        batches.write_manifest("no-such-bucket", "b1", [item, {**item, "etag": ""}])
    with pytest.raises(batches.BatchError, match="invalid batch id"):
        batches.write_manifest("no-such-bucket", "../b", [item])


def test_a_refusal_keeps_its_stable_code_and_other_failures_their_error_type():
    refused = {"error_type": "MediaRejected", "reason": "UNSUPPORTED_FORMAT: not an image"}
    assert batches._failure(refused) == {"code": "UNSUPPORTED_FORMAT", "message": "not an image"}
    timed_out = {"error_type": "States.Timeout", "reason": "the analysis did not finish"}
    assert batches._failure(timed_out) == {"code": "States.Timeout", "message": "the analysis did not finish"}
    odd = {"error_type": "MediaRejected", "reason": "lower: case"}
    assert batches._failure(odd)["code"] == "MediaRejected"


def test_zip_folders_are_unique_and_cannot_leave_the_archive():
    names = ["a.jpg", "a.jpg", "../../etc/passwd", "C:\\x\\evil.png", "..", "spaced name .jpg", ""]
    rows = [{"filename": n} for n in names]
    folders = batches.item_folders(rows)  # type: ignore[arg-type]
    assert folders == [
        "0001_a.jpg",
        "0002_a.jpg",
        "0003_passwd",
        "0004_evil.png",
        "0005_file",
        "0006_spaced_name_.jpg",
        "0007_file",
    ]
    assert len(set(folders)) == len(folders) and not any("/" in f or f.startswith(".") for f in folders)
