"""Moderation Lambda: tag and/or quarantine an upload whose analysis came out HIGH risk.

Input: the EventBridge "Analysis Completed" event (source ``vforensics``) that the template's
``ModerationRule`` matches (``detail.risk`` HIGH). What it does (tags, a quarantine copy) is set
by the ``TagUploads`` and ``QuarantinePrefix`` parameters; the logic is
``vforensics.pipeline.moderation``. Events it cannot act on are logged and skipped, not raised.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.moderation import ModerationSettings, moderate

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = moderate(event, ModerationSettings.from_env())
    dimensioned.count("ModerationEvents", action=result["action"])
    if result["action"] == "moderated":
        logger.info("upload moderated", extra=result)
    else:
        logger.warning("event not acted on", extra=result)
    return result
