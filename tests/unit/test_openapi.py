"""docs/openapi.json is the API's current, valid OpenAPI 3.1 document, and says what callers rely on."""

import json

from openapi_spec_validator import validate

from tools import write_openapi
from vforensics.api.routes import openapi_document


def test_the_committed_document_is_current():
    assert write_openapi.main(["--check"]) == 0, "run tools/write_openapi.py"


def test_the_document_is_valid_openapi_3_1_with_every_route_and_the_error_shape():
    document = json.loads(openapi_document())
    validate(document)
    assert document["openapi"] == "3.1.0"
    routes = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert {
        ("/health", "get"),
        ("/uploads", "post"),
        ("/uploads/{upload_id}", "get"),
        ("/analyses/{analysis_id}", "get"),
        ("/metadata", "post"),
        ("/compare", "post"),
        ("/analyze", "post"),
        ("/batches", "post"),
        ("/batches/{batch_id}", "get"),
    } <= routes
    error_ref = "#/components/schemas/ErrorBody"
    for path, method in routes - {("/health", "get")}:
        responses = document["paths"][path][method]["responses"]
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"] == error_ref, (path, method)
    upload = document["components"]["schemas"]["UploadRequest"]["properties"]["content_type"]
    assert "image/jpeg" in json.dumps(upload) and "image/heic" not in json.dumps(upload)
