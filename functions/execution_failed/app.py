"""ExecutionFailed Lambda: an analysis execution stopped without reaching its own failure path.

Input: the EventBridge "Step Functions Execution Status Change" event (FAILED, TIMED_OUT,
ABORTED) of the analysis state machine. Marks the analysis FAILED and publishes "Analysis
Failed" when its record is missing or still this execution's RUNNING claim.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.execution_failed import record_stopped_execution
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail", {})
    result = record_stopped_execution(detail, Settings.from_env())
    metrics.add_metric(name="ExecutionStatusChanges", unit=MetricUnit.Count, value=1)
    if result["action"] in ("recorded", "announced"):
        dimensioned.count("ExecutionsStopped", status=str(detail.get("status")))
    logger.info("execution status change", extra={"status": detail.get("status"), **result})
    return result
