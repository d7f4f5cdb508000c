"""Fault injection for the embedded engine: failures as AWS reports them, at the service edge.

Two kinds, both outside the project's code, so that the ASL's Retry/Catch and the handlers
are what deal with them:

* a Lambda fault (``function``): the Lambda service's answer for an invocation that timed
  out (``Sandbox.Timedout``), was killed for memory (``Runtime.OutOfMemory``), or a delay
  before the real handler runs (``hang``, for execution timeouts). ``lambda_router`` asks here
  before calling a handler.
* a service fault (``service``): the moto server answers a matching HTTP request with the
  error response the real service sends (DynamoDB throttling, S3 500/503/403, ...), seen by
  the handlers' boto3 clients and by the state machine's own DynamoDB / EventBridge tasks.

Faults come from ``inject()`` (tests) or the ``VF_LOCAL_FAULTS`` environment variable (a JSON
list of the same keyword arguments, read when the engine starts). ``times`` limits how many
calls a fault hits (default: all); ``contains`` limits it to requests whose body holds that text.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ENV_VAR = "VF_LOCAL_FAULTS"

#: Lambda faults: the error type and message the Lambda service returns (FunctionError Unhandled)
LAMBDA_FAULTS = {
    "timeout": ("Sandbox.Timedout", "RequestId: {id} Error: Task timed out after {seconds:.2f} seconds"),
    "oom": ("Runtime.OutOfMemory", "RequestId: {id} Error: Runtime exited with error: signal: killed"),
}

#: service faults: (HTTP status, error code, message) as each service sends them
SERVICE_ERRORS = {
    "ProvisionedThroughputExceededException": (
        400,
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "ThrottlingException": (400, "Throughput exceeds the current capacity for one or more global secondary indexes."),
    "RequestLimitExceeded": (400, "Throughput exceeds the current throughput limit for your account."),
    "InternalServerError": (500, "Internal server error"),  # DynamoDB (InternalServerError), EventBridge
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "SlowDown": (503, "Please reduce your request rate."),
    "AccessDenied": (403, "Access Denied"),  # S3
    "AccessDeniedException": (400, "User is not authorized to perform this action on this resource"),
}


@dataclass
class Fault:
    function: str | None = None  # Lambda function name (vf-...), or
    service: str | None = None  # "dynamodb" | "s3" | "events" | "lambda" ...
    kind: str = ""  # Lambda: timeout | oom | hang; service: an error code of SERVICE_ERRORS
    operation: str | None = None  # DynamoDB/EventBridge X-Amz-Target action (PutItem) or HTTP method (GET)
    contains: str | None = None  # only requests whose path or body holds this text
    times: int | None = None  # None: every matching call
    seconds: float = 120.0  # the reported timeout, or a hang's delay
    hits: int = 0

    def __post_init__(self) -> None:
        if (self.function is None) == (self.service is None):
            raise ValueError("a fault names either a function or a service")
        known = (*LAMBDA_FAULTS, "hang") if self.function else tuple(SERVICE_ERRORS)
        if self.kind not in known:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(known)}")

    def take(self) -> bool:
        """Count one hit if the fault still applies."""
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


_faults: list[Fault] = []
_lock = threading.Lock()


def add(**kwargs: Any) -> Fault:
    fault = Fault(**kwargs)
    with _lock:
        _faults.append(fault)
    return fault


def remove(fault: Fault) -> None:
    with _lock:
        if fault in _faults:
            _faults.remove(fault)


def clear() -> None:
    with _lock:
        _faults.clear()


@contextmanager
def inject(**kwargs: Any) -> Iterator[Fault]:
    """``with inject(service="dynamodb", operation="UpdateItem", kind="ThrottlingException", times=2):``"""
    fault = add(**kwargs)
    try:
        yield fault
    finally:
        remove(fault)


def load_env() -> list[Fault]:
    """Faults listed in ``VF_LOCAL_FAULTS`` (JSON list of keyword objects)."""
    text = os.environ.get(ENV_VAR, "").strip()
    return [add(**spec) for spec in json.loads(text)] if text else []


def _match(candidates: Iterable[Fault], test: Callable[[Fault], bool]) -> Fault | None:
    with _lock:
        for fault in candidates:
            if test(fault) and fault.take():
                return fault
    return None


# ---- Lambda --------------------------------------------------------------------------------


def lambda_fault(function_name: str, payload: bytes) -> tuple[str, str] | None:
    """For an invocation of ``function_name``: the (errorType, errorMessage) Lambda would return,
    or None to run the handler (after sleeping, for a ``hang``)."""
    text = payload.decode(errors="replace") if payload else ""
    fault = _match(
        list(_faults),
        lambda f: f.function == function_name and (f.contains is None or f.contains in text),
    )
    if fault is None:
        return None
    if fault.kind == "hang":
        time.sleep(fault.seconds)
        return None
    error_type, message = LAMBDA_FAULTS[fault.kind]
    return error_type, message.format(id=uuid.uuid4(), seconds=fault.seconds)


# ---- HTTP (moto server) ----------------------------------------------------------------------


class FaultMiddleware:
    """WSGI wrapper of the moto server: answers a matching request with the service's error."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        if not _faults:
            return self.app(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service = _service_of(environ, target)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        text = environ.get("PATH_INFO", "") + " " + body.decode(errors="replace")
        action = target.rsplit(".", 1)[-1] if target else environ.get("REQUEST_METHOD", "")
        fault = _match(
            list(_faults),
            lambda f: (
                f.service == service
                and (f.operation is None or f.operation == action)
                and (f.contains is None or f.contains in text)
            ),
        )
        if fault is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        status, message = SERVICE_ERRORS[fault.kind]
        response = _error_response(service, fault.kind, status, message, start_response)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else response


def _service_of(environ: dict, target: str) -> str:
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    if target.startswith("AWSEvents."):
        return "events"
    if target.startswith("AWSStepFunctions."):
        return "stepfunctions"
    auth = environ.get("HTTP_AUTHORIZATION", "")  # .../<date>/<region>/<service>/aws4_request
    parts = auth.split("Credential=")[-1].split(",")[0].split("/")
    return parts[3] if len(parts) > 3 else ""


def _error_response(service: str, code: str, status: int, message: str, start_response: Callable[..., Any]) -> list:
    reason = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}
    request_id = uuid.uuid4().hex.upper()
    if service == "s3":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    else:  # the JSON protocols (DynamoDB, EventBridge, Step Functions)
        prefix = "com.amazonaws.dynamodb.v20120810#" if service == "dynamodb" else ""
        body = json.dumps({"__type": prefix + code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {reason.get(status, 'Error')}", headers)
    return [body]
