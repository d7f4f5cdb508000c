"""Prepare Lambda: validate the uploaded file named by the S3 "Object Created" event.

Input: ``{"analysis_id": ..., "event": <EventBridge S3 Object Created event>}``.
Output: the job document (upload, results location, source facts) for later states.
Raises ``MediaRejected`` for files that cannot be analysed; the state machine records them.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.errors import MediaRejected
from vforensics.pipeline.prepare import prepare
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    s3_event = S3EventBridgeNotificationEvent(event["event"])
    request = {
        "analysis_id": event["analysis_id"],
        "bucket": s3_event.detail.bucket.name,
        "key": s3_event.detail.object.key,
        "etag": s3_event.detail.object.etag,
    }
    logger.append_keys(analysis_id=request["analysis_id"])
    try:
        job = prepare(request, Settings.from_env())
    except MediaRejected as exc:
        logger.warning("upload rejected", extra={"code": exc.code, "reason": exc.message, "key": request["key"]})
        metrics.add_metric(name="UploadsRejected", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="UploadsAccepted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name="UploadMegapixels", unit=MetricUnit.Count, value=job["source"]["width"] * job["source"]["height"] / 1e6
    )
    return job
