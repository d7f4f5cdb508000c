"""Analyzer Lambda: one generic handler; the state machine's payload names the analyzer.

Input: ``{"analyzer": "ela", "job": <job from Prepare>}``.
Output: ``{"analyzer", "status", "score", "elapsed_ms", "result_key"}``; the full result
and maps are written to S3. An exception fails the invocation; the state machine's Catch
turns it into an "error" entry of the report. Each analyzer is its own Lambda function, so
CloudWatch's per-function Duration and Errors metrics are the per-analyzer metrics.
"""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline.analyze import run_analyzer

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    name = event["analyzer"]
    logger.append_keys(analysis_id=event["job"]["analysis_id"], analyzer=name)
    summary = run_analyzer(event["job"], name)
    logger.info("analyzer finished", extra={"status": summary["status"], "score": summary["score"]})
    return summary
