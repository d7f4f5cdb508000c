"""Request and response bodies of the HTTP API (Pydantic), from which the OpenAPI document is made."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: the types a presigned upload may declare: the images the pipeline analyses (media.sniff)
UploadContentType = Literal["image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"]
#: 22 characters of URL-safe base64: 128 random bits (secrets.token_urlsafe(16))
UPLOAD_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"
ANALYSIS_ID_PATTERN = r"^[0-9a-f]{64}$"
#: 32 hex digits: 128 random bits (secrets.token_hex(16)); batch ids also name keys and an execution
BATCH_ID_PATTERN = r"^[0-9a-f]{32}$"
#: the most uploads one batch request may name (the manifest itself holds up to 10,000)
MAX_BATCH_UPLOADS = 1_000
Status = Literal["PENDING", "RUNNING", "COMPLETED", "FAILED"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str


class ErrorBody(BaseModel):
    """Every error the API returns, whatever the route."""

    error: ErrorDetail


class UploadRequest(_Strict):
    file_name: str = Field(
        min_length=1, max_length=200, description="the file's name; kept (made safe) as the last part of its key"
    )
    content_type: UploadContentType = Field(description="the file's type; the upload must send the same Content-Type")


class UploadTicket(BaseModel):
    """A presigned POST: send ``fields`` and then the file as multipart/form-data to ``url``."""

    upload_id: str = Field(pattern=UPLOAD_ID_PATTERN)
    key: str
    url: str
    fields: dict[str, str]
    expires_at: str = Field(description="ISO 8601 UTC; after it the form is refused by S3")
    max_bytes: int
    status_url: str = Field(description="GET it for the analysis of this upload")


class ErrorCause(BaseModel):
    code: str
    reason: str


class AnalysisStatus(BaseModel):
    """Where one upload's analysis stands, with the report and short-lived links when it is done."""

    upload_id: str | None = None
    analysis_id: str | None = None
    file_name: str | None = None
    status: Status
    detail: str = Field(description="what the status means for this upload, in words")
    error: ErrorCause | None = None
    report: dict[str, Any] | None = None
    links: dict[str, str] = Field(
        default_factory=dict,
        description="presigned GET URLs by file (report.json, report.zip, maps/..., heatmaps/..., views/...)",
    )
    links_expire_at: str | None = None
    status_url: str | None = Field(default=None, description="where to poll this upload's analysis")


class StoredFile(_Strict):
    """A file already uploaded through ``POST /uploads``."""

    upload_id: str = Field(pattern=UPLOAD_ID_PATTERN)


class InlineFile(_Strict):
    """A small file sent in the request body (base64); larger files go through ``POST /uploads``."""

    file_name: str = Field(max_length=200)
    content_base64: str


class FileRef(_Strict):
    upload_id: str | None = Field(default=None, pattern=UPLOAD_ID_PATTERN)
    file: InlineFile | None = None


class AnalyzeRequest(_Strict):
    file: InlineFile


class MetadataRequest(FileRef):
    pass


class CompareRequest(_Strict):
    a: FileRef
    b: FileRef


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class BatchRequest(_Strict):
    upload_ids: list[Annotated[str, Field(pattern=UPLOAD_ID_PATTERN)]] = Field(
        min_length=1,
        max_length=MAX_BATCH_UPLOADS,
        description="uploads of this caller whose files have arrived; repeated ids count once",
    )


class BatchAccepted(BaseModel):
    batch_id: str = Field(pattern=BATCH_ID_PATTERN)
    status: Literal["SUBMITTED"]
    total_files: int
    status_url: str


class BatchState(BaseModel):
    """A batch's progress, and when COMPLETED its batch_summary.json with links to it and batch.zip."""

    batch_id: str
    status: Literal["SUBMITTED", "RUNNING", "COMPLETED", "FAILED"]
    total_files: int
    pending: int | None = None
    successful: int | None = None
    failed: int | None = None
    updated_at: str
    error: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    links: dict[str, str] = Field(default_factory=dict)
    links_expire_at: str | None = None
