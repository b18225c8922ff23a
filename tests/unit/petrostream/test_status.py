"""`petrostream status` reads what a function last did from its own log lines."""

from __future__ import annotations

import json

from petrostream.status import function_activity

NOW = 1_800_000_000.0


class FakeLogs:
    """The part of a CloudWatch Logs client that function_log_events uses."""

    class exceptions:
        ResourceNotFoundException = KeyError

    def __init__(self, events: list[dict]):
        self.events = events

    def get_paginator(self, name: str):
        assert name == "filter_log_events"
        return self

    def paginate(self, logGroupName: str, startTime: int):
        return [{"events": [e for e in self.events if e["timestamp"] >= startTime]}]


def _event(seconds_ago: float, message: str | dict) -> dict:
    text = message if isinstance(message, str) else json.dumps(message)
    return {"timestamp": int((NOW - seconds_ago) * 1000), "message": text}


def test_the_newest_batch_line_is_the_last_result():
    logs = FakeLogs(
        [
            _event(
                30,
                {"level": "INFO", "message": "batch", "records": 7, "quarantined": 1, "delivery_failures": 0},
            ),
            _event(
                12,
                {
                    "level": "INFO",
                    "message": "batch",
                    "records": 500,
                    "quarantined": 0,
                    "delivery_failures": 2,
                },
            ),
            _event(11, "END RequestId: 1"),
        ]
    )
    activity = function_activity(logs, "processor", now=NOW)
    assert activity.last_result == "OK 12 s ago: 500 records, 0 quarantined, 2 delivery failures"
    assert activity.errors == []


def test_an_error_newer_than_the_last_batch_is_the_last_result():
    logs = FakeLogs(
        [
            _event(40, {"level": "INFO", "message": "built", "raw_objects": 3, "curated_rows": 900}),
            _event(5, "[ERROR] RuntimeError: boom"),
        ]
    )
    activity = function_activity(logs, "builder", now=NOW)
    assert activity.last_result == "ERROR 5 s ago"
    assert [text for _, text in activity.errors] == ["builder: [ERROR] RuntimeError: boom"]


def test_a_function_without_batches_says_so():
    assert function_activity(FakeLogs([]), "idle", now=NOW).last_result == "no batch in the last hour"
