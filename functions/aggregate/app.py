"""Aggregate Lambda: report.json, combined maps, report.zip, DynamoDB record, completion event.

Input: ``{"job": <job from Prepare>, "branches": [<one entry per analyzer branch>]}``.
Output: the outcome also published as the "Analysis Completed" event.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline.aggregate import aggregate
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    logger.append_keys(analysis_id=event["job"]["analysis_id"])
    outcome = aggregate(event["job"], event["branches"], Settings.from_env())
    metrics.add_metric(name=f"Risk{outcome['risk'].title()}", unit=MetricUnit.Count, value=1)
    if outcome["analyzer_errors"]:
        metrics.add_metric(name="AnalyzerErrors", unit=MetricUnit.Count, value=len(outcome["analyzer_errors"]))
    logger.info("analysis completed", extra={"risk": outcome["risk"], "verdict": outcome["verdict"]})
    return outcome
