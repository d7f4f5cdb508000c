"""API Lambda: API Gateway HTTP API (payload v2) -> the routes of ``vforensics.api.routes``.

Every route, its validation and its errors live in the library, where ``vforensics serve``
uses the same resolver; this handler only adds the Lambda context to logs and traces.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from vforensics.api.routes import app

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
