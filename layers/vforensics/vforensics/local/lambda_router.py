"""Route moto's Lambda invocations to the project's handlers, in this process.

moto's "simple" Lambda backend (no Docker) normally echoes the payload. Its ``invoke`` is
patched here, and only here, to call the real handler for the function name and to answer
as the Lambda service does: the handler's JSON result, or, when it raises, an
``X-Amz-Function-Error: Unhandled`` response whose body carries ``errorType`` (the
exception class name) and ``errorMessage``, which Step Functions' Retry/Catch match on.
A fault injected for the function (``faults``: timeout, out of memory) is answered the way
the Lambda service answers it, without running the handler.
"""

from __future__ import annotations

import importlib.util
import json
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vforensics.local import faults

Handler = Callable[[dict, Any], Any]

_routes: dict[str, Handler] = {}
_installed = False


class LocalContext:
    """The attributes of a Lambda context object that handlers and Powertools read."""

    def __init__(self, function_name: str, arn: str, memory_mb: int = 1024):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


def load_handler(root: Path, code_uri: str, handler: str) -> Handler:
    """Import ``handler`` ("module.function") from the folder ``root/code_uri``."""
    module_name, func_name = handler.rsplit(".", 1)
    path = root / code_uri / f"{module_name}.py"
    unique = "vf_fn_" + code_uri.strip("/").replace("/", "_") + "_" + module_name
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load handler {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, func_name)


def register(function_name: str, handler: Handler) -> None:
    """Send invocations of ``function_name`` to ``handler``.

    Invocations run concurrently in moto's request threads, as Parallel branches do on AWS
    (where each has its own process): handlers keep no per-invocation module state.
    """
    _routes[function_name] = handler


def install() -> None:
    """Patch moto's simple Lambda backend once per process."""
    global _installed
    if _installed:
        return
    from moto.awslambda_simple.models import LambdaSimpleBackend

    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
    _installed = True


def _invoke(
    self, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: dict[str, str]
) -> bytes:
    name = function_name.split(":function:")[-1].split(":")[0]
    handler = _routes.get(name)
    if handler is None:
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error_body("ResourceNotFoundException", f"no local handler for function {name}")
    payload = body if isinstance(body, bytes) else (body or "").encode()
    if injected := faults.lambda_fault(name, payload):
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error_body(*injected)
    try:
        event = json.loads(body) if body else {}
        result = handler(event, LocalContext(name, function_name))
        return json.dumps(result).encode()
    except Exception as exc:  # the Lambda service reports any exception this way
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error_body(type(exc).__name__, str(exc), traceback.format_exception(exc))


def _error_body(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    body: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if stack is not None:  # the runtime's answer for an exception; none for a timeout or a kill
        body["stackTrace"] = [line.rstrip() for line in stack][-10:]
    return json.dumps(body).encode()
