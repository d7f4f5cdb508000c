"""Aggregate Lambda: report.json, combined maps, report.zip, DynamoDB record, completion event.

Input: ``{"job": <job from Prepare>, "branches": [<one entry per analyzer branch>]}``.
Output: the outcome also published as the "Analysis Completed" event.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.aggregate import aggregate
from vforensics.pipeline.contracts import AggregateRequest, Outcome
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: AggregateRequest, context: LambdaContext) -> Outcome:
    logger.append_keys(analysis_id=event["job"]["analysis_id"])
    tracer.put_annotation(key="analysis_id", value=event["job"]["analysis_id"])
    outcome = aggregate(event["job"], event["branches"], Settings.from_env())
    dimensioned.count("AnalysesCompleted", risk=outcome["risk"])
    metrics.add_metric(name="AnalyzerErrors", unit=MetricUnit.Count, value=len(outcome["analyzer_errors"]))
    tracer.put_annotation(key="risk", value=outcome["risk"])
    logger.info("analysis completed", extra={"risk": outcome["risk"], "verdict": outcome["verdict"]})
    return outcome
