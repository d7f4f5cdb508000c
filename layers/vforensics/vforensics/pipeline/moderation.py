"""The moderation action: tag and/or quarantine an upload the pipeline rated HIGH risk.

An EventBridge rule of the template (``ModerationRule``, pattern :data:`EVENT_PATTERN`) hands
each "Analysis Completed" event with ``detail.risk`` HIGH to the moderation function, which
calls :func:`moderate`. What it does is set at deploy time (docs/MODERATION.md):

- ``TagUploads``: the upload gets the tags ``vforensics:risk``, ``vforensics:verdict`` and
  ``vforensics:analysis-id`` (its other tags are kept), so bucket policies, lifecycle rules,
  S3 Batch Operations or a moderator's tools can act on them.
- ``QuarantinePrefix``: a copy of the upload is written to the *results* bucket under
  ``<prefix><analysis id>/<file name>``, beside the report. Not the uploads bucket: every
  object created there is announced to EventBridge and analysed, so the copy would be analysed
  again, rated HIGH again and copied again. The results bucket sends no such events, is private,
  encrypted and versioned, and its lifecycle expires only ``analyses/`` and ``work/``: a
  quarantined copy stays after the upload itself expires, until a moderator deletes it.

Only the upload the analysis was about is touched: the event's ETag must still be the
object's, else the object was replaced (its new version has its own analysis) and nothing is
done. Events this function cannot or should not act on (another detail-type, another risk,
another bucket, missing fields, an object that is gone or changed) are logged and skipped:
raising would only make Lambda retry an event that can never succeed, then park it in the
dead-letter queue. S3 errors that may pass (throttling, a 5xx, AccessDenied from a policy
being fixed) do raise: Lambda's asynchronous invocation retries twice, then the dead-letter
queue keeps the event, and an alarm fires.

Every action is idempotent (tags are set, the copy overwrites itself), so redelivery is safe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from vforensics.pipeline import aws, records

#: what the template's ModerationRule matches (tests/infra checks the template against it)
EVENT_PATTERN: dict[str, Any] = {
    "source": [records.EVENT_SOURCE],
    "detail-type": [records.COMPLETED_EVENT],
    "detail": {"risk": ["HIGH"]},
}
RISK_TAG = "vforensics:risk"
VERDICT_TAG = "vforensics:verdict"
ANALYSIS_TAG = "vforensics:analysis-id"
#: S3 object tags: at most 10 per object, values at most 256 characters
MAX_TAGS = 10
MAX_TAG_VALUE = 256
#: characters S3 accepts in tag values besides letters, digits and spaces
_TAG_PUNCTUATION = set("+-=._:/@")
#: S3 keys are at most 1024 bytes of UTF-8
MAX_KEY_BYTES = 1024
#: prefixes of the results bucket the pipeline owns (written by analyzers, expired by lifecycle)
RESERVED_PREFIXES = ("analyses/", "work/")

UPLOADS_ENV = "VF_UPLOADS_BUCKET"
TAG_ENV = "VF_MODERATION_TAG"
PREFIX_ENV = "VF_QUARANTINE_PREFIX"
_MISSING = ("NoSuchKey", "404", "NotFound")
_CHANGED = ("PreconditionFailed", "412")


@dataclass(frozen=True)
class ModerationSettings:
    """What the moderation function may touch, from its environment (template: ModerationFunction)."""

    uploads_bucket: str
    results_bucket: str
    tag_uploads: bool
    quarantine_prefix: str  # "": no copy

    def __post_init__(self) -> None:
        prefix = self.quarantine_prefix
        if prefix and (not prefix.endswith("/") or prefix.startswith("/")):
            raise RuntimeError(f"{PREFIX_ENV} must be empty or a folder such as 'quarantine/', not {prefix!r}")
        if any(prefix.startswith(r) or r.startswith(prefix) for r in RESERVED_PREFIXES if prefix):
            raise RuntimeError(f"{PREFIX_ENV} {prefix!r} overlaps the pipeline's own {RESERVED_PREFIXES} prefixes")

    @classmethod
    def from_env(cls) -> ModerationSettings:
        missing = [v for v in (UPLOADS_ENV, "VF_RESULTS_BUCKET") if not os.environ.get(v)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        tag = os.environ.get(TAG_ENV, "false").strip().lower()
        if tag not in ("true", "false"):
            raise RuntimeError(f"{TAG_ENV} must be 'true' or 'false', not {tag!r}")
        return cls(
            uploads_bucket=os.environ[UPLOADS_ENV],
            results_bucket=os.environ["VF_RESULTS_BUCKET"],
            tag_uploads=tag == "true",
            quarantine_prefix=os.environ.get(PREFIX_ENV, "").strip(),
        )


def tag_value(text: str) -> str:
    """``text`` as an S3 tag value: letters, digits, spaces and ``+ - = . _ : / @`` only (anything
    else becomes a space), whitespace runs collapsed, at most 256 characters."""
    kept = "".join(ch if ch.isalnum() or ch in _TAG_PUNCTUATION else " " for ch in text)
    return " ".join(kept.split())[:MAX_TAG_VALUE]


def quarantine_key(prefix: str, analysis_id: str, key: str) -> str:
    """``<prefix><analysis id>/<file name>``: one folder per analysed version (the id binds bucket,
    key and ETag), the upload's last path segment without control characters, cut so the whole
    key fits S3's 1024 bytes."""
    name = "".join("_" if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 else ch for ch in key.rsplit("/", 1)[-1])
    name = name if name not in ("", ".", "..") else "upload"
    head = f"{prefix}{analysis_id}/"
    room = MAX_KEY_BYTES - len(head.encode())
    return head + name.encode()[:room].decode(errors="ignore")


def moderate(event: Any, settings: ModerationSettings) -> dict[str, Any]:
    """Act on one EventBridge event; returns what was done (``action``: ``moderated``, ``ignored``
    or ``skipped``, with a ``reason``), for the logs and tests. Raises only for S3 errors that a
    retry may get past."""
    parsed = _parse(event)
    if isinstance(parsed, str):
        return {"action": "ignored", "reason": parsed}
    detail = parsed
    analysis_id, bucket, key, etag = detail["analysis_id"], detail["bucket"], detail["key"], detail["etag"]
    done: dict[str, Any] = {"analysis_id": analysis_id, "bucket": bucket, "key": key}
    if detail["risk"] != "HIGH":
        return {"action": "ignored", "reason": f"risk {detail['risk']}", **done}
    if bucket != settings.uploads_bucket:
        return {"action": "ignored", "reason": f"not the uploads bucket ({bucket})", **done}
    if not (settings.tag_uploads or settings.quarantine_prefix):
        return {"action": "ignored", "reason": "neither tagging nor quarantine is configured", **done}
    state = _current(bucket, key, etag)
    if state:
        return {"action": "skipped", "reason": state, **done}
    reasons = []
    if settings.tag_uploads:
        tags = {RISK_TAG: "HIGH", VERDICT_TAG: tag_value(detail["verdict"]), ANALYSIS_TAG: analysis_id}
        not_tagged = _tag(bucket, key, tags)
        done["tagged"] = not_tagged is None
        reasons += [f"not tagged: {not_tagged}"] if not_tagged else []
    if settings.quarantine_prefix:
        target = quarantine_key(settings.quarantine_prefix, analysis_id, key)
        not_copied = _copy(bucket, key, etag, settings.results_bucket, target)
        done["quarantine"] = None if not_copied else {"bucket": settings.results_bucket, "key": target}
        reasons += [f"not quarantined: {not_copied}"] if not_copied else []
    if reasons:
        done["reason"] = "; ".join(reasons)
    return {"action": "moderated" if done.get("tagged") or done.get("quarantine") else "skipped", **done}


def _parse(event: Any) -> dict[str, Any] | str:
    """The detail of an "Analysis Completed" event from the pipeline, or why it is not one."""
    if not isinstance(event, Mapping):
        return "not an EventBridge event"
    if event.get("source") != records.EVENT_SOURCE or event.get("detail-type") != records.COMPLETED_EVENT:
        return f"not a {records.COMPLETED_EVENT!r} event from {records.EVENT_SOURCE!r}"
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return "the event has no detail"
    fields = ("analysis_id", "bucket", "key", "etag", "risk", "verdict")
    bad = [f for f in fields if not isinstance(detail.get(f), str) or not detail.get(f)]
    if bad:
        return f"the detail lacks {', '.join(bad)}"
    return dict(detail)


def _not_actionable(exc: ClientError) -> str:
    """Why an S3 error means the upload cannot be acted on (gone, or replaced); re-raises the
    others, which a retry may fix."""
    if _code(exc) in _MISSING:
        return "the upload no longer exists"
    if _code(exc) in _CHANGED:
        return "the upload was replaced after the analysis (its new version has its own)"
    raise exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _current(bucket: str, key: str, etag: str) -> str | None:
    """None when ``key`` is still the analysed version, else why it cannot be acted on."""
    try:
        aws.client("s3").head_object(Bucket=bucket, Key=key, IfMatch=f'"{etag.strip(chr(34))}"')
    except ClientError as exc:
        return _not_actionable(exc)
    return None


def _tag(bucket: str, key: str, tags: dict[str, str]) -> str | None:
    """Set ``tags`` on the upload, keeping its other tags; None when done, else why not."""
    s3 = aws.client("s3")
    try:
        existing = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    except ClientError as exc:
        return _not_actionable(exc)
    kept = [t for t in existing if t["Key"] not in tags]
    if len(kept) + len(tags) > MAX_TAGS:
        return f"the upload already has {len(kept)} other tags (S3 allows {MAX_TAGS}); none were replaced"
    tag_set = [*kept, *({"Key": k, "Value": v} for k, v in tags.items())]
    try:
        s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tag_set})
    except ClientError as exc:
        return _not_actionable(exc)
    return None


def _copy(bucket: str, key: str, etag: str, target_bucket: str, target_key: str) -> str | None:
    """Server-side copy of the analysed version (its ETag) to the quarantine; None when done.

    ``TaggingDirective=REPLACE`` without tags: the copy carries no tags, so the role needs no
    tagging permission on the results bucket (its place names the analysis)."""
    try:
        aws.client("s3").copy_object(
            Bucket=target_bucket,
            Key=target_key,
            CopySource={"Bucket": bucket, "Key": key},
            CopySourceIfMatch=f'"{etag.strip(chr(34))}"',
            TaggingDirective="REPLACE",
        )
    except ClientError as exc:
        return _not_actionable(exc)
    return None
