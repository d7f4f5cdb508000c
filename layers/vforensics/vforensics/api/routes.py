"""The routes of the HTTP API (Powertools ``APIGatewayHttpResolver``, payload v2, validated by Pydantic).

The same resolver answers API Gateway in ``functions/api`` and ``vforensics serve`` locally; the
OpenAPI 3.1 document is generated from it (``openapi_document``, committed as docs/openapi.json).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from vforensics import __version__
from vforensics.api import batches, callers, files, status, uploads
from vforensics.api.errors import ApiError
from vforensics.api.models import (
    ANALYSIS_ID_PATTERN,
    BATCH_ID_PATTERN,
    UPLOAD_ID_PATTERN,
    AnalysisStatus,
    AnalyzeRequest,
    BatchAccepted,
    BatchRequest,
    BatchState,
    CompareRequest,
    ErrorBody,
    FileRef,
    Health,
    MetadataRequest,
    UploadRequest,
    UploadTicket,
)
from vforensics.api.settings import ApiSettings
from vforensics.errors import MediaRejected

TITLE = "Visual Forensics API"
logger = Logger(child=True)
app = APIGatewayHttpResolver(enable_validation=True)


@cache
def settings() -> ApiSettings:
    return ApiSettings.from_env()


def _errors(*codes: int) -> dict[int, OpenAPIResponse]:
    words = {400: "refused input", 401: "no caller identity", 404: "unknown, or not this caller's",
             409: "not uploaded yet", 413: "too large for this route", 422: "invalid request body or path",
             500: "the analysis failed"}  # fmt: skip
    return {code: {"description": words[code], "content": {"application/json": {"model": ErrorBody}}} for code in codes}


def _owner() -> str:
    return callers.caller_of(app.current_event.raw_event)


@app.get("/health", summary="Liveness (no authorization)", tags=["service"], responses=_errors(500), security=[{}])
def health() -> Health:
    return Health(status="ok", version=__version__)


@app.post(
    "/uploads",
    summary="A presigned POST form for one file",
    description="The file goes straight to S3 with the returned form; its analysis starts when it lands.",
    tags=["uploads"],
    responses={
        201: {"description": "the form", "content": {"application/json": {"model": UploadTicket}}},
        **_errors(401, 422),
    },
)
def create_upload(request: Annotated[UploadRequest, Body()]) -> Response[UploadTicket]:
    ticket = uploads.create(settings(), _owner(), request, status_url="/uploads/{upload_id}")
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=ticket)


@app.post(
    "/analyze",
    summary="Analyse a small file sent in the body",
    description=(
        "The file (base64, up to 4 MB) is stored as an upload and analysed like one; poll status_url. "
        "Larger files: POST /uploads."
    ),
    tags=["uploads"],
    responses={
        202: {"description": "stored; the analysis starts", "content": {"application/json": {"model": AnalysisStatus}}},
        **_errors(400, 401, 413, 422),
    },
)
def post_analyze(request: Annotated[AnalyzeRequest, Body()]) -> Response[AnalysisStatus]:
    name, data = files.load(settings(), _owner(), FileRef(file=request.file))
    upload = uploads.store(settings(), _owner(), name, data)
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=status.of_upload(settings(), upload)
    )


@app.get(
    "/uploads/<upload_id>",
    summary="The analysis of an upload",
    tags=["uploads"],
    responses=_errors(401, 404, 422),
)
def get_upload(upload_id: Annotated[str, Path(pattern=UPLOAD_ID_PATTERN)]) -> AnalysisStatus:
    return status.of_upload(settings(), uploads.find(settings(), _owner(), upload_id))


@app.get(
    "/analyses/<analysis_id>",
    summary="An analysis by its id",
    description="Only the owner of the upload that produced the analysis may read it.",
    tags=["analyses"],
    responses=_errors(401, 404, 422),
)
def get_analysis(analysis_id: Annotated[str, Path(pattern=ANALYSIS_ID_PATTERN)]) -> AnalysisStatus:
    return status.of_analysis(settings(), _owner(), analysis_id)


@app.post(
    "/metadata",
    summary="The metadata-only report of one file (synchronous)",
    tags=["analyses"],
    responses=_errors(400, 401, 404, 409, 413, 422, 500),
)
def post_metadata(request: Annotated[MetadataRequest, Body()]) -> dict[str, Any]:
    from vforensics.report.metadata import metadata_report

    name, data = files.load(settings(), _owner(), request)
    report = metadata_report(data, name)
    if "error" in report:
        raise files.refusal(MediaRejected(report["error"]["code"], report["error"]["message"]))
    return report


@app.post(
    "/compare",
    summary="Compare two images (synchronous)",
    tags=["analyses"],
    responses=_errors(400, 401, 404, 409, 413, 422, 500),
)
def post_compare(request: Annotated[CompareRequest, Body()]) -> dict[str, Any]:
    from vforensics.media.image import Media
    from vforensics.report.comparison import compare

    loaded = [files.load(settings(), _owner(), ref) for ref in (request.a, request.b)]
    return compare(*(Media.from_bytes(data, name) for name, data in loaded)).report


@app.post(
    "/batches",
    summary="Analyse many uploads as one batch",
    description=(
        "Every upload must be this caller's and its file must have arrived. The batch runs the same analysis "
        "for each (an upload already analysed is not analysed twice) and ends with batch_summary.json and "
        "batch.zip; a file that cannot be analysed is a failed row, never a failed batch."
    ),
    tags=["batches"],
    responses={
        202: {"description": "the batch started", "content": {"application/json": {"model": BatchAccepted}}},
        **_errors(401, 404, 409, 422, 500),
    },
)
def post_batch(request: Annotated[BatchRequest, Body()]) -> Response[BatchAccepted]:
    accepted = batches.create(settings(), _owner(), request)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@app.get(
    "/batches/<batch_id>",
    summary="A batch's progress, and its summary when done",
    tags=["batches"],
    responses=_errors(401, 404, 422),
)
def get_batch(batch_id: Annotated[str, Path(pattern=BATCH_ID_PATTERN)]) -> BatchState:
    return batches.state(settings(), _owner(), batch_id)


@app.exception_handler(ApiError)
def _api_error(error: ApiError) -> Response:
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON, body=error.body())


@app.exception_handler(MediaRejected)
def _rejected(rejected: MediaRejected) -> Response:
    return _api_error(files.refusal(rejected))


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response:
    # the locations and messages only: the rejected input came from the caller and is not echoed
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in error.errors()[:10]
    )
    return _api_error(ApiError("VALIDATION_ERROR", problems or "invalid request"))


@app.not_found
def _no_route(_: Exception) -> Response:
    return _api_error(ApiError("NOT_FOUND", "no such route"))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response:
    logger.exception("unhandled error in the API")
    return _api_error(ApiError("ANALYSIS_ERROR", "the request failed inside the service; it has been logged"))


DESCRIPTION = (
    "Presigned uploads, analysis status and reports, metadata and comparison (docs/API.md). Every error is "
    '{"error": {"code", "message"}}. Authorization is chosen at deployment: a JWT (bearer token) or IAM '
    "(SigV4-signed requests); a caller reads only what its own uploads produced."
)
SECURITY_SCHEMES = {
    "jwt": HTTPBearer(bearerFormat="JWT", description="ApiAuth=JWT: a token from the configured issuer"),
    "sigv4": APIKey.model_validate(
        {
            "name": "Authorization",
            "in": APIKeyIn.header,
            "description": "ApiAuth=IAM: an AWS Signature Version 4 header",
        }
    ),
}
OPENAPI = {
    "title": TITLE,
    "version": __version__,
    "openapi_version": "3.1.0",
    "description": DESCRIPTION,
    "security_schemes": SECURITY_SCHEMES,
    "security": [{"jwt": []}, {"sigv4": []}],
}
# Swagger UI with Powertools' bundled copy inlined in the page: it works with no network
app.enable_swagger(path="/docs", **OPENAPI)  # type: ignore[arg-type]


def openapi_document() -> str:
    """The OpenAPI 3.1 document of these routes, as committed in docs/openapi.json."""
    return app.get_openapi_json_schema(**OPENAPI)  # type: ignore[arg-type]
