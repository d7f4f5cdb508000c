"""Deployment settings, read from the environment the template (or local engine) sets."""

import os
from dataclasses import dataclass

#: days an analysis record is kept (DynamoDB TTL); the template's RecordRetentionDays parameter
RETENTION_ENV = "VF_RECORD_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90


@dataclass(frozen=True)
class Settings:
    results_bucket: str
    table_name: str
    event_bus_name: str
    retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls) -> "Settings":
        missing = [v for v in ("VF_RESULTS_BUCKET", "VF_TABLE_NAME") if not os.environ.get(v)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        days = os.environ.get(RETENTION_ENV, "").strip() or str(DEFAULT_RETENTION_DAYS)
        if not days.isdigit() or int(days) < 1:
            raise RuntimeError(f"{RETENTION_ENV} must be a whole number of days (1 or more), not {days!r}")
        return cls(
            results_bucket=os.environ["VF_RESULTS_BUCKET"],
            table_name=os.environ["VF_TABLE_NAME"],
            event_bus_name=os.environ.get("VF_EVENT_BUS_NAME", "default"),
            retention_days=int(days),
        )
