"""The documents the state machine passes between steps, as types.

They travel as JSON through Step Functions (256 KB limit; arrays and images go through S3),
so they are ``TypedDict``s: plain dicts at run time, checked by mypy where they are built and
read. ``Job`` is what Prepare returns and every later step receives; each analyzer branch
ends with a ``BranchSummary``, or with a ``BranchFailure`` when the branch's Catch turned an
error into an entry (statemachine/analysis.asl.json); Aggregate returns the ``Outcome`` that
is also the "Analysis Completed" event's detail.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from vforensics.media.image import ImageFacts


class PrepareRequest(TypedDict):
    analysis_id: str
    bucket: str
    key: str
    etag: str | None


class Upload(TypedDict):
    bucket: str
    key: str
    etag: str


class ResultsLocation(TypedDict):
    bucket: str
    prefix: str  # analyses/<id>/: what users get
    work_prefix: str  # work/<id>/: per-analyzer results, expiring


class Source(ImageFacts):
    """What is known of the uploaded file: report.json's ``source``."""

    file_name: str
    bucket: str
    key: str
    etag: str
    uploaded_at: str | None
    bytes: int
    md5: str
    sha256: str


class Job(TypedDict):
    analysis_id: str
    upload: Upload
    results: ResultsLocation
    source: Source


class AnalyzerRequest(TypedDict):
    analyzer: str
    job: Job


class BranchSummary(TypedDict):
    analyzer: str
    status: Literal["ok", "skipped", "error"]
    score: float | None
    elapsed_ms: float
    result_key: str


class BranchFailure(TypedDict):
    """A branch whose Lambda failed: the Catch's ``Error`` and ``Cause``, as the ASL passes them."""

    analyzer: str
    status: Literal["error"]
    error: NotRequired[str]
    cause: NotRequired[str]


Branch = BranchSummary | BranchFailure


class AggregateRequest(TypedDict):
    job: Job
    branches: list[Branch]


class Outcome(TypedDict):
    analysis_id: str
    status: Literal["COMPLETED"]
    bucket: str
    key: str
    etag: str
    verdict: str
    risk: Literal["LOW", "MEDIUM", "HIGH", "UNKNOWN"]  # UNKNOWN: no analyzer scored (likelihood None)
    tampering_likelihood: float | None
    confidence: str
    results_bucket: str
    report_key: str
    zip_key: str
    analyzer_errors: list[str]
