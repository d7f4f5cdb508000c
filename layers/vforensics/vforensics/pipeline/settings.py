"""Deployment settings, read from the environment the template (or local engine) sets."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    results_bucket: str
    table_name: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> "Settings":
        missing = [v for v in ("VF_RESULTS_BUCKET", "VF_TABLE_NAME") if not os.environ.get(v)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            results_bucket=os.environ["VF_RESULTS_BUCKET"],
            table_name=os.environ["VF_TABLE_NAME"],
            event_bus_name=os.environ.get("VF_EVENT_BUS_NAME", "default"),
        )
