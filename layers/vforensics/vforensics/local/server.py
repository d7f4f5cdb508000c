"""``vforensics serve``: the HTTP API on this machine, answered by the API Lambda's own handler.

Each request becomes the API Gateway HTTP API event (payload 2.0, ``events.http_api_event``)
for the handler of functions/api, on the embedded engine (moto: S3, DynamoDB, the real state
machine). Presigned forms point at the engine's S3 endpoint, as on AWS they point at S3.
Two things AWS does are done here by this module instead:
- the uploads bucket's EventBridge rule: a watcher lists ``uploads/`` and starts the analysis
  of each new object with the event the rule would send (moto sends no S3 events);
- the authorizer: there is none. Every request is the one local caller (``lambda:local``), so
  the server binds to loopback unless told otherwise, and says so when it is not.
API Gateway's and Lambda's body limit is kept: a body over 6 MB is refused (413) unread.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vforensics.local import lambda_router
from vforensics.local.deployment import API_FUNCTION
from vforensics.local.engine import LocalEngine
from vforensics.local.events import http_api_event
from vforensics.local.runner import analyze_stored_object
from vforensics.local.terminal import safe_text
from vforensics.pipeline import aws, layout

#: Lambda's synchronous invocation payload limit (API Gateway's own is 10 MB)
MAX_BODY_BYTES = 6 * 1024 * 1024
LOCAL_CALLER = {"lambda": {"caller": "local"}}
_log = logging.getLogger(__name__)


class ApiServer:
    """The API on ``host:port`` (0: a free port) with the uploads watcher; a context manager."""

    def __init__(self, engine: LocalEngine, host: str = "127.0.0.1", port: int = 8000, poll_s: float = 0.5):
        self.engine = engine
        self.poll_s = poll_s
        self.handler = lambda_router.load_handler(engine.root, API_FUNCTION.code_uri, API_FUNCTION.handler)
        self.context = lambda_router.LocalContext(API_FUNCTION.name, API_FUNCTION.arn)
        self._httpd = ThreadingHTTPServer((host, port), _request_handler(self))
        self._stop = threading.Event()
        self._seen: set[tuple[str, str]] = set()
        self._analyses = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vf-analysis")
        self._threads = [
            threading.Thread(target=self._httpd.serve_forever, name="vf-http", daemon=True),
            threading.Thread(target=self._watch_uploads, name="vf-uploads-rule", daemon=True),
        ]

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://{host.decode()}:{port}"

    def __enter__(self) -> ApiServer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._analyses.shutdown(wait=True, cancel_futures=True)

    def respond(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        event = http_api_event(method, path, body, headers, query=query, authorizer=LOCAL_CALLER)
        return self.handler(event, self.context)

    def _watch_uploads(self) -> None:
        bucket = self.engine.resources.uploads_bucket
        while not self._stop.wait(self.poll_s):
            try:
                pages = (
                    aws.client("s3")
                    .get_paginator("list_objects_v2")
                    .paginate(Bucket=bucket, Prefix=layout.UPLOADS_PREFIX)
                )
                for obj in (o for page in pages for o in page.get("Contents", [])):
                    seen = (obj["Key"], obj["ETag"])
                    if seen not in self._seen:
                        self._seen.add(seen)
                        self._analyses.submit(analyze_stored_object, self.engine, bucket, obj["Key"])
            except Exception:  # the watcher outlives one failed listing, as the rule outlives one event
                _log.exception("listing the uploads failed")


def _request_handler(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's names
            self._answer()

        def do_POST(self) -> None:  # noqa: N802
            self._answer()

        def _answer(self) -> None:
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.close_connection = True
                return self._send(413, {"error": {"code": "FILE_TOO_LARGE", "message": _too_large()}})
            body = self.rfile.read(int(length))
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = server.respond(self.command, path, query, headers, body)
            raw = response.get("body") or ""
            data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
            self._send(response["statusCode"], data, response.get("headers") or {})

        def _send(self, status: int, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            self.send_response(status)
            for name, value in (headers or {"Content-Type": "application/json"}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            _log.info("%s %s", self.address_string(), safe_text(format % args))

    return Handler


def _too_large() -> str:
    return (
        f"request bodies may have at most {MAX_BODY_BYTES // (1024 * 1024)} MB; "
        "upload files with POST /uploads and pass their upload_id"
    )
