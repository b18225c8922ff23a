"""producer/api_writer.py against a scripted API: batches within the API's limits, 429s retried
(only the readings the function names, or the whole request when the gateway throttled), other
refusals raised with the API's answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from pipeline.ingest import MAX_READINGS
from producer import api_writer
from producer.api_writer import ApiRefused, ApiTarget, post_records


class Timeout:
    """Scripted in place of an answer: the request times out (requests raises)."""


class Answer:
    def __init__(self, status: int, body: Any = None) -> None:
        self.status_code, self._body = status, body
        self.text = json.dumps(body) if body is not None else ""

    def json(self) -> Any:
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class ScriptedApi:
    """A requests-like session answering from a script; records what each request carried."""

    def __init__(self, answers: list[Answer | type[Timeout]]) -> None:
        self.answers, self.sent = list(answers), []

    def post(self, url: str, data: str, headers: dict[str, str], timeout: float) -> Answer:
        assert headers["x-api-key"] == "k" and url == "https://api/v1/readings"
        readings = json.loads(data)["readings"]
        self.sent.append([r["event_id"] for r in readings])
        answer = self.answers.pop(0) if self.answers else Answer(202, {"accepted": len(readings)})
        if answer is Timeout:
            raise requests.Timeout("read timed out")
        assert isinstance(answer, Answer)
        return answer


def _records(n: int) -> list[dict[str, Any]]:
    return [{"event_id": f"id-{i}", "well_id": "WELL-00001"} for i in range(n)]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_writer.time, "sleep", lambda _seconds: None)


def _target(api: ScriptedApi) -> ApiTarget:
    return ApiTarget("https://api/v1/readings", "k", api)


def test_records_go_in_requests_within_the_apis_limits() -> None:
    api = ScriptedApi([])
    batches: list[int] = []
    summary = post_records(_target(api), _records(MAX_READINGS + 3), on_batch=batches.append)
    assert [len(sent) for sent in api.sent] == [MAX_READINGS, 3] == batches
    assert summary.records == MAX_READINGS + 3 and summary.calls == 2 and not summary.failed


def test_only_the_readings_the_function_names_are_sent_again() -> None:
    api = ScriptedApi([Answer(429, {"event_ids": ["id-0"], "not_sent": ["id-1"]})])
    summary = post_records(_target(api), _records(3))
    assert api.sent == [["id-0", "id-1", "id-2"], ["id-1"]]
    assert summary.retried_entries == 1 and summary.records == 3


def test_a_gateway_throttle_is_retried_whole_and_gives_up_after_the_attempts() -> None:
    api = ScriptedApi([Answer(429)] * 3)
    summary = post_records(_target(api), _records(2), max_attempts=3)
    assert len(api.sent) == 3 and [r["event_id"] for r in summary.failed] == ["id-0", "id-1"]
    assert summary.records == 0


def test_another_refusal_is_raised_with_the_apis_answer() -> None:
    api = ScriptedApi([Answer(400, {"message": "1 of 2 readings are invalid"})])
    with pytest.raises(ApiRefused, match=r"answered 400: .*1 of 2 readings are invalid"):
        post_records(_target(api), _records(2))


def test_a_server_error_or_a_timeout_sends_the_whole_request_again() -> None:
    api = ScriptedApi([Answer(502, {"message": "Internal server error"}), Timeout, Answer(503)])
    summary = post_records(_target(api), _records(2))
    assert api.sent == [["id-0", "id-1"]] * 4 and summary.records == 2 and not summary.failed
