"""The executor's Lambda Runtime API, spoken to over HTTP the way awslambdaric speaks to it."""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from petrostream_lambda_executor.runtime_api import Invocation, RuntimeApi, RuntimeGone


@pytest.fixture
def api():
    runtime_api = RuntimeApi()
    port = runtime_api.start()
    yield runtime_api, port
    runtime_api.close()


def _request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def _poll_next(port: int, results: list) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: results.append(_request(port, "GET", "/2018-06-01/runtime/invocation/next"))
    )
    thread.start()
    return thread


def test_next_delivers_the_event_with_lambda_headers_and_response_resolves(api):
    runtime_api, port = api
    results: list = []
    poller = _poll_next(port, results)
    future = runtime_api.submit(
        Invocation("req-1", b'{"a": 1}', "arn:aws:lambda:us-east-1:0:function:f", 1234, "Root=1")
    )
    poller.join(5)
    status, headers, body = results[0]
    assert status == 200 and json.loads(body) == {"a": 1}
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1234"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"].endswith(":function:f")
    assert runtime_api.ready.is_set()
    assert _request(port, "POST", "/2018-06-01/runtime/invocation/req-1/response", b'"done"')[0] == 202
    outcome = future.result(5)
    assert (outcome.payload, outcome.is_error) == (b'"done"', False)


def test_error_carries_the_error_type_header(api):
    runtime_api, port = api
    future = runtime_api.submit(Invocation("req-2", b"{}", "arn", 1))
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.Unhandled"}
    assert (
        _request(port, "POST", "/2018-06-01/runtime/invocation/req-2/error", b'{"errorType":"X"}', headers)[0]
        == 202
    )
    outcome = future.result(5)
    assert outcome.is_error and outcome.error_type == "Runtime.Unhandled"


def test_unknown_request_id_is_rejected(api):
    _, port = api
    status, _, body = _request(port, "POST", "/2018-06-01/runtime/invocation/nope/response", b"1")
    assert status == 400 and b"InvalidRequestID" in body


def test_init_error_marks_the_environment_ready_with_the_error(api):
    runtime_api, port = api
    assert (
        _request(
            port, "POST", "/2018-06-01/runtime/init/error", b'{"errorType":"Runtime.ImportModuleError"}'
        )[0]
        == 202
    )
    assert runtime_api.ready.is_set()
    assert runtime_api.init_error is not None and b"ImportModuleError" in runtime_api.init_error.payload


def test_abort_fails_pending_invocations(api):
    runtime_api, _ = api
    future = runtime_api.submit(Invocation("req-3", b"{}", "arn", 1))
    runtime_api.abort("Runtime exited with error: exit status 1")
    with pytest.raises(RuntimeGone, match="exit status 1"):
        future.result(1)
