"""Prepare Lambda: validate the uploaded file named by the S3 "Object Created" event.

Input: ``{"analysis_id": ..., "event": <EventBridge S3 Object Created event>}``.
Output: the job document (upload, results location, source facts) for later states.
Raises ``MediaRejected`` for files that cannot be analysed; the state machine records them.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.errors import MediaRejected
from vforensics.pipeline import metrics as dimensioned
from vforensics.pipeline.contracts import Job, PrepareRequest
from vforensics.pipeline.prepare import prepare
from vforensics.pipeline.settings import Settings

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=dimensioned.capture_cold_start())
def handler(event: dict[str, Any], context: LambdaContext) -> Job:
    s3_event = S3EventBridgeNotificationEvent(event["event"])
    request: PrepareRequest = {
        "analysis_id": event["analysis_id"],
        "bucket": s3_event.detail.bucket.name,
        # verbatim: EventBridge sends the key not URL-encoded (Powertools' .key would decode it)
        "key": s3_event.detail.object.raw_event["key"],
        "etag": s3_event.detail.object.etag,
    }
    logger.append_keys(analysis_id=request["analysis_id"])
    tracer.put_annotation(key="analysis_id", value=request["analysis_id"])
    metrics.add_metric(name="Uploads", unit=MetricUnit.Count, value=1)
    try:
        job = prepare(request, Settings.from_env())
    except MediaRejected as exc:
        logger.warning("upload rejected", extra={"code": exc.code, "reason": exc.message, "key": request["key"]})
        dimensioned.count("UploadsRejected", code=exc.code)
        raise
    source = job["source"]
    dimensioned.count("UploadsAccepted", format=source["format"])
    metrics.add_metric(name="UploadBytes", unit=MetricUnit.Bytes, value=source["bytes"])
    metrics.add_metric(name="UploadPixels", unit=MetricUnit.Count, value=source["width"] * source["height"])
    return job
