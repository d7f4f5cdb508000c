"""BatchSummary Lambda: the batch state machine's last step, called until every item is terminal.

Input: ``{"batch_id", "manifest": {"bucket", "key"}, "execution_arn", "waiting_since",
"deadline_seconds", "map_error"}`` (statemachine/batch.asl.json, StartWaiting).
Output: ``{"complete": bool, "pending", "total_files", ...}``; when complete, batch_summary.json,
batch.zip and status.json are written (vforensics.pipeline.batches.summarize_batch).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.batches import SummaryProgress, SummaryRequest, summarize_batch
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: SummaryRequest, context: LambdaContext) -> SummaryProgress:
    logger.append_keys(batch_id=event["batch_id"])
    tracer.put_annotation(key="batch_id", value=event["batch_id"])
    progress = summarize_batch(event, Settings.from_env())
    if progress["complete"]:
        metrics.add_metric(name="BatchesCompleted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="BatchItemsFailed", unit=MetricUnit.Count, value=progress.get("failed", 0))
    logger.info("batch summary", extra=dict(progress))
    return progress
