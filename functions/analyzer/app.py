"""Analyzer Lambda: one generic handler; the state machine's payload names the analyzer.

Input: ``{"analyzer": "ela", "job": <job from Prepare>}``.
Output: ``{"analyzer", "status", "score", "elapsed_ms", "result_key"}``; the full result
and maps are written to S3. An exception fails the invocation; the state machine's Catch
turns it into an "error" entry of the report. Each analyzer is its own Lambda function, so
CloudWatch's per-function Duration and Errors metrics are per analyzer too; the handler adds
the analyzer's own compute time, and its outcome with the analyzer and status as dimensions.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.analyze import run_analyzer
from vforensics.pipeline.contracts import AnalyzerRequest, BranchSummary

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: AnalyzerRequest, context: LambdaContext) -> BranchSummary:
    name = event["analyzer"]
    logger.append_keys(analysis_id=event["job"]["analysis_id"], analyzer=name)
    tracer.put_annotation(key="analyzer", value=name)
    tracer.put_annotation(key="analysis_id", value=event["job"]["analysis_id"])
    summary = run_analyzer(event["job"], name)
    metrics.add_metric(name="AnalyzerComputeTime", unit=MetricUnit.Milliseconds, value=summary["elapsed_ms"])
    dimensioned.count("AnalyzerRuns", analyzer=name, status=summary["status"])
    logger.info("analyzer finished", extra={"status": summary["status"], "score": summary["score"]})
    return summary
