"""What the API reads from its environment (the template's function, or ``vforensics serve``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from vforensics.media import limits
from vforensics.pipeline.settings import Settings


def _seconds(name: str, default: int, most: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise RuntimeError(f"{name} must be a whole number of seconds from 1 to {most}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class ApiSettings:
    pipeline: Settings
    uploads_bucket: str
    requests_table: str
    #: how long a presigned upload form is valid (``VF_UPLOAD_URL_TTL_S``, at most 1 hour)
    upload_ttl_s: int = 900
    #: how long a presigned link to a report file is valid (``VF_LINK_TTL_S``, at most 1 hour)
    link_ttl_s: int = 300
    #: the most bytes a file sent inline to /metadata or /compare may have: Lambda's 6 MB
    #: synchronous payload holds about 4.4 MB as base64
    inline_max_bytes: int = 4 * limits.MB
    #: the batch state machine (``VF_BATCH_STATE_MACHINE_ARN``); empty when batches are not deployed
    batch_state_machine_arn: str = ""

    @property
    def max_bytes(self) -> int:
        return limits.max_bytes()

    @classmethod
    def from_env(cls) -> ApiSettings:
        missing = [v for v in ("VF_UPLOADS_BUCKET", "VF_REQUESTS_TABLE") if not os.environ.get(v)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            pipeline=Settings.from_env(),
            uploads_bucket=os.environ["VF_UPLOADS_BUCKET"],
            requests_table=os.environ["VF_REQUESTS_TABLE"],
            upload_ttl_s=_seconds("VF_UPLOAD_URL_TTL_S", 900, 3600),
            link_ttl_s=_seconds("VF_LINK_TTL_S", 300, 3600),
            batch_state_machine_arn=os.environ.get("VF_BATCH_STATE_MACHINE_ARN", ""),
        )
