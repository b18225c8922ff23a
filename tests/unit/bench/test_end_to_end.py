"""The end-to-end benchmark's reading of the functions' logs, and its pass-through processor."""

from __future__ import annotations

import base64
import importlib
import json

from bench.end_to_end import Builds, batches_from_log, builds_from_log


def _built(rows: int, seconds: float) -> str:
    return json.dumps(
        {"level": "INFO", "message": "built", "curated_rows": rows, "seconds": seconds, "partitions": []}
    )


def test_builds_add_up_the_built_lines_only():
    messages = [
        "START RequestId: 1 Version: $LATEST",
        _built(72_000, 1.25),
        json.dumps({"level": "INFO", "message": "batch", "curated_rows": 999}),  # another kind of line
        "[1, 2]",  # JSON, but not an object
        _built(1_500, 0.5),
        "REPORT RequestId: 1 Duration: 1750.00 ms",
    ]
    assert builds_from_log(messages) == Builds(builds=2, rows=73_500, seconds=1.75)


def test_no_built_line_is_no_build():
    assert builds_from_log(["START RequestId: 1", "END RequestId: 1"]) == Builds(0, 0, 0.0)


def _batch(started_at: str, oldest: str | None, seconds: float = 0.25, records: int = 500) -> str:
    line = {"message": "batch", "records": records, "started_at": started_at, "seconds": seconds}
    return json.dumps({**line, "oldest_arrival": oldest})


def test_batches_read_the_processor_timings_and_skip_empty_batches():
    messages = [
        _batch("2026-12-01T10:00:02.500Z", "2026-12-01T10:00:01Z"),
        _batch("2026-12-01T10:00:03Z", None, records=0),  # nothing arrived: no wait to measure
        json.dumps({"message": "built", "curated_rows": 1}),
    ]
    (batch,) = batches_from_log(messages)
    assert (batch.waited, batch.seconds, batch.records) == (1.5, 0.25, 500)


def test_the_passthrough_processor_forwards_records_and_reports_the_first_refused(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("DELIVERY_STREAM_NAME", "raw")
    passthrough = importlib.import_module("bench.passthrough")
    sent: list[list[bytes]] = []

    class Firehose:
        def put_record_batch(self, DeliveryStreamName, Records):  # boto3 names
            sent.append([r["Data"] for r in Records])
            answers = [{"RecordId": "x"}] * len(Records)
            if len(sent) == 2:  # the second call: its second record refused
                answers = [{"RecordId": "x"}, {"ErrorCode": "ServiceUnavailableException"}, *answers[2:]]
            return {"FailedPutCount": int(len(sent) == 2), "RequestResponses": answers}

    monkeypatch.setattr(passthrough, "firehose", Firehose())
    records = [
        {"kinesis": {"data": base64.b64encode(f'{{"n":{i}}}'.encode()).decode(), "sequenceNumber": str(i)}}
        for i in range(passthrough.MAX_RECORDS + 3)
    ]
    response = passthrough.handler({"Records": records}, None)
    assert sent[0][:2] == [b'{"n":0}\n', b'{"n":1}\n'] and len(sent[0]) == passthrough.MAX_RECORDS
    assert response == {"batchItemFailures": [{"itemIdentifier": str(passthrough.MAX_RECORDS + 1)}]}
