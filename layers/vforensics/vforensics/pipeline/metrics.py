"""Metrics with dimensions of their own, for the handlers.

Powertools' ``Metrics`` objects share one metric set per process, and so share dimensions: the
embedded engine runs analyzer invocations as threads of one process, where one analyzer's
dimension would overwrite another's. Each metric here is its own set (``EphemeralMetrics``),
published at once, and off when ``POWERTOOLS_METRICS_DISABLED`` is set (the local engine
sets it; Powertools' ``single_metric`` and cold-start metric would print regardless).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled


def capture_cold_start() -> bool:
    """Whether the handlers should publish Powertools' cold-start metric: not where metrics are
    off, which Powertools' own cold-start metric does not check."""
    return not is_metrics_disabled()


def count(name: str, **dimensions: str) -> None:
    """Publish ``name`` = 1 (Count) with ``dimensions``."""
    metric = EphemeralMetrics()
    for key, value in dimensions.items():
        metric.add_dimension(name=key, value=value)
    metric.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metric.flush_metrics()
