"""The Lambda Runtime API (version 2018-06-01), served to one execution environment.

AWS's runtime interface client long-polls ``GET /runtime/invocation/next`` and answers each
invocation with ``POST .../response`` or ``POST .../error``. This module keeps that state
(the queued invocation and a future per request id) apart from the HTTP layer, and depends on
the standard library only, so it is unit-tested without LocalStack.
"""

from __future__ import annotations

import queue
import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2018-06-01"
_RESULT_PATH = re.compile(rf"^/{API_VERSION}/runtime/invocation/(?P<rid>[^/]+)/(?P<kind>response|error)$")
_NEXT_PATH = f"/{API_VERSION}/runtime/invocation/next"
_INIT_ERROR_PATH = f"/{API_VERSION}/runtime/init/error"


@dataclass(frozen=True)
class Invocation:
    """One event handed to the runtime, with the headers AWS sends alongside it."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    deadline_ms: int
    trace_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the runtime answered: a result, or an error document (``errorType``/``errorMessage``)."""

    payload: bytes
    is_error: bool
    error_type: str | None = None


class RuntimeGone(Exception):
    """The runtime process ended or the environment was stopped while a request was pending."""


class RuntimeApi:
    """State of one environment's Runtime API and the HTTP server that exposes it."""

    def __init__(self) -> None:
        self._invocations: queue.Queue[Invocation | None] = queue.Queue()
        self._pending: dict[str, Future[Outcome]] = {}
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.init_error: Outcome | None = None
        self._server: ThreadingHTTPServer | None = None
        self._closed = False

    # -- state -------------------------------------------------------------------------------
    def submit(self, invocation: Invocation) -> Future[Outcome]:
        """Queue an invocation for the runtime's next poll; the future resolves with its outcome."""
        future: Future[Outcome] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeGone("runtime API is closed")
            self._pending[invocation.request_id] = future
        self._invocations.put(invocation)
        return future

    def next_invocation(self) -> Invocation | None:
        """Block until an invocation is queued; ``None`` means the environment is shutting down."""
        self.ready.set()
        return self._invocations.get()

    def complete(self, request_id: str, outcome: Outcome) -> bool:
        with self._lock:
            future = self._pending.pop(request_id, None)
        if future is None:
            return False
        future.set_result(outcome)
        return True

    def fail_init(self, outcome: Outcome) -> None:
        self.init_error = outcome
        self.ready.set()

    def abort(self, reason: str) -> None:
        """Fail every pending request, e.g. because the runtime process exited."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(RuntimeGone(reason))

    # -- HTTP --------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1") -> int:
        """Serve on an ephemeral port and return it."""
        api = self

        class Handler(_RuntimeApiHandler):
            runtime_api = api

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="lambda-runtime-api", daemon=True).start()
        return self._server.server_address[1]

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.abort("execution environment stopped")
        self._invocations.put(None)  # release a poll in progress
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    runtime_api: RuntimeApi
    protocol_version = "HTTP/1.1"
    # The runtime client sends small requests and waits for each answer: without this the
    # delayed ACK of the peer adds about 40 ms to every invocation.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging; the function's own logs are what users need."""

    def _reply(self, status: HTTPStatus, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        if self.path != _NEXT_PATH:
            self._reply(HTTPStatus.NOT_FOUND)
            return
        invocation = self.runtime_api.next_invocation()
        if invocation is None:
            self._reply(HTTPStatus.GONE)
            self.close_connection = True
            return
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_function_arn,
        }
        if invocation.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = invocation.trace_id
        self._reply(HTTPStatus.OK, invocation.payload, headers)

    def do_POST(self) -> None:
        body = self._body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if self.path == _INIT_ERROR_PATH:
            self.runtime_api.fail_init(Outcome(body, True, error_type))
            self._reply(HTTPStatus.ACCEPTED, b'{"status":"OK"}')
            return
        match = _RESULT_PATH.match(self.path)
        if match is None:
            self._reply(HTTPStatus.NOT_FOUND)
            return
        is_error = match["kind"] == "error"
        if self.runtime_api.complete(match["rid"], Outcome(body, is_error, error_type if is_error else None)):
            self._reply(HTTPStatus.ACCEPTED, b'{"status":"OK"}')
        else:
            self._reply(
                HTTPStatus.BAD_REQUEST,
                b'{"errorType":"InvalidRequestID","errorMessage":"unknown or completed request id"}',
            )
