"""The re-drive's invocation: a state conflict is sent again, any other failure is reported."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from petrostream import dlq_replay

CONFLICT = {"errorType": "StateConflict", "errorMessage": "state of WELL-00001 was replaced"}
BROKEN = {"errorType": "KeyError", "errorMessage": "'data'"}


class StubLambda:
    """Answers invocations from a script: (payload, function error or None), one per call."""

    def __init__(self, answers: list[tuple[dict[str, Any], str | None]]) -> None:
        self.answers, self.calls = list(answers), 0

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.calls += 1
        payload, error = self.answers.pop(0)
        response: dict[str, Any] = {"Payload": io.BytesIO(json.dumps(payload).encode())}
        if error:
            response["FunctionError"] = error
        return response


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dlq_replay, "CONFLICT_BACKOFF_SECONDS", 0.0)


def test_a_conflict_is_sent_again_until_it_succeeds() -> None:
    stub = StubLambda([(CONFLICT, "Unhandled"), (CONFLICT, "Unhandled"), ({"batchItemFailures": []}, None)])
    assert dlq_replay.invoke(stub, "processor", {"Records": []}) == (False, {"batchItemFailures": []})
    assert stub.calls == 3


def test_conflicts_stop_after_the_attempts() -> None:
    stub = StubLambda([(CONFLICT, "Unhandled")] * dlq_replay.CONFLICT_ATTEMPTS)
    assert dlq_replay.invoke(stub, "processor", {"Records": []}) == (True, CONFLICT)
    assert stub.calls == dlq_replay.CONFLICT_ATTEMPTS


@pytest.mark.parametrize(
    ("payload", "error"),
    [(BROKEN, "Unhandled"), ({"batchItemFailures": [{"itemIdentifier": "49"}]}, None)],
)
def test_other_failures_are_not_sent_again(payload: dict[str, Any], error: str | None) -> None:
    stub = StubLambda([(payload, error)])
    assert dlq_replay.invoke(stub, "processor", {"Records": []}) == (True, payload)
    assert stub.calls == 1
