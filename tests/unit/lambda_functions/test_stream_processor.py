"""lambda/stream_processor/handler.py against moto's S3, SQS and Firehose (a Stubber where Firehose
has to reject entries, which moto never does)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from botocore.stub import Stubber

from tests.unit.lambda_functions.support import (
    LAKE_BUCKET,
    RAW_PREFIX,
    LoadFunction,
    emitted,
    invoke,
    kinesis_event,
    load_event,
    metric_values,
)

QUARANTINE_PREFIX = "quarantine/"
# What each record of tests/events/kinesisStreamEvent.json is (see tests/events/README.md).
VALID = (0, 1, 2)
FLAGGED = 3  # qgl below the envelope's minimum
NOT_JSON = 4  # a truncated record
WRONG_TYPE = 5  # p_pdg is a string
ALL = (*VALID, FLAGGED, NOT_JSON, WRONG_TYPE)


def fixture_event(indices: tuple[int, ...] = ALL) -> dict[str, Any]:
    records = load_event("kinesisStreamEvent.json")["Records"]
    return {"Records": [records[i] for i in indices]}


def payload(event: dict[str, Any], index: int) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(event["Records"][index]["kinesis"]["data"]))
    return decoded


def sequences(event: dict[str, Any]) -> list[str]:
    return [record["kinesis"]["sequenceNumber"] for record in event["Records"]]


def objects(s3: Any, prefix: str) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=LAKE_BUCKET, Key=item["Key"])["Body"].read() for item in listing
    }


def ndjson(s3: Any, prefix: str) -> list[dict[str, Any]]:
    return [json.loads(line) for body in objects(s3, prefix).values() for line in body.splitlines()]


def log_lines(out: str, message: str) -> list[dict[str, Any]]:
    return [line for line in emitted(out)[0] if line["message"] == message]


@pytest.fixture
def environment(s3: Any, alerts_queue_url: str, delivery_stream: str) -> dict[str, str]:
    return {
        "DELIVERY_STREAM_NAME": delivery_stream,
        "LAKE_BUCKET": LAKE_BUCKET,
        "QUARANTINE_PREFIX": QUARANTINE_PREFIX,
        "ALERTS_QUEUE_URL": alerts_queue_url,
    }


@pytest.fixture
def processor(
    load_function: LoadFunction, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    module = load_function("stream_processor", environment)
    monkeypatch.setattr(module, "RETRY_DELAY_SECONDS", 0.0)  # retries without waiting
    return module


@pytest.fixture
def firehose(processor: ModuleType) -> Iterator[Stubber]:
    """The handler's Firehose client, stubbed: each test queues the responses it needs."""
    with Stubber(processor.clients.firehose) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def rejecting(count: int, rejected: set[int]) -> dict[str, Any]:
    """A PutRecordBatch response for `count` entries, those at the `rejected` positions refused."""
    responses = [
        {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
        if i in rejected
        else {"RecordId": f"record-{i}"}
        for i in range(count)
    ]
    return {"FailedPutCount": len(rejected), "Encrypted": False, "RequestResponses": responses}


def test_valid_records_reach_firehose_and_nothing_fails(processor: ModuleType, s3: Any, capsys: Any) -> None:
    event = fixture_event(VALID)

    response = invoke(processor, event)

    assert response == {"batchItemFailures": []}
    rows = ndjson(s3, RAW_PREFIX)
    assert sorted(row["event_id"] for row in rows) == sorted(payload(event, i)["event_id"] for i in range(3))
    assert sorted(row["sequence_number"] for row in rows) == sorted(sequences(event))
    assert all(row["ingested_at"].startswith("2026-01-01T00:00:00.1") for row in rows)
    assert objects(s3, QUARANTINE_PREFIX) == {}
    out = capsys.readouterr().out
    [batch] = log_lines(out, "batch")
    counts = {name: batch[name] for name in ("records", "valid", "quarantined", "delivery_failures")}
    assert counts == {"records": 3, "valid": 3, "quarantined": 0, "delivery_failures": 0}
    assert batch["correlation_id"] == payload(event, 0)["run_id"]
    metrics = metric_values(emitted(out)[1])
    assert {
        name: metrics[name]
        for name in ("RecordsIn", "RecordsValid", "RecordsQuarantined", "DeliveryFailures")
    } == {
        "RecordsIn": 3.0,
        "RecordsValid": 3.0,
        "RecordsQuarantined": 0.0,
        "DeliveryFailures": 0.0,
    }
    assert metrics["IteratorLagMs"] > 0


def test_invalid_records_are_quarantined_with_their_reason_not_failed(
    processor: ModuleType, s3: Any, capsys: Any
) -> None:
    event = fixture_event()

    response = invoke(processor, event)

    assert response == {"batchItemFailures": []}
    first_invalid = sequences(event)[NOT_JSON]
    [(key, body)] = objects(s3, QUARANTINE_PREFIX).items()
    assert key == f"{QUARANTINE_PREFIX}date=2026-01-01/shardId-000000000000-{first_invalid}.ndjson"
    entries = [json.loads(line) for line in body.splitlines()]
    assert [(e["sequence_number"], e["reason"]) for e in entries] == [
        (sequences(event)[NOT_JSON], "invalid_record"),
        (sequences(event)[WRONG_TYPE], "invalid_record"),
    ]
    assert any(error["field"] == "p_pdg" for error in entries[1]["errors"])
    assert entries[0]["payload"] == base64.b64decode(event["Records"][NOT_JSON]["kinesis"]["data"]).decode()
    assert len(ndjson(s3, RAW_PREFIX)) == len(VALID) + 1  # the flagged record is valid
    out = capsys.readouterr().out
    [quarantined] = log_lines(out, "quarantined")
    assert (quarantined["count"], quarantined["key"], quarantined["reasons"]) == (2, key, ["invalid_record"])
    assert metric_values(emitted(out)[1])["RecordsQuarantined"] == 2.0


def test_a_retried_batch_overwrites_its_quarantine_object(processor: ModuleType, s3: Any) -> None:
    invoke(processor, fixture_event())
    invoke(processor, fixture_event())

    assert len(objects(s3, QUARANTINE_PREFIX)) == 1


def test_a_flagged_record_raises_an_alert_on_the_queue(
    processor: ModuleType, s3: Any, alerts_queue_url: str, capsys: Any
) -> None:
    event = fixture_event((0, FLAGGED))
    flagged = payload(event, 1)

    assert invoke(processor, event) == {"batchItemFailures": []}

    messages = processor.clients.sqs.receive_message(QueueUrl=alerts_queue_url, MaxNumberOfMessages=10)[
        "Messages"
    ]
    [alert] = [json.loads(message["Body"]) for message in messages]
    assert (alert["well_id"], alert["anomaly_type"], alert["count"]) == (flagged["well_id"], "envelope", 1)
    assert (
        alert["first_event_time"]
        == alert["last_event_time"]
        == flagged["event_time"].replace(".000Z", ".000000Z")
    )
    assert alert["max_score"] > 1.0
    flagged_rows = [row for row in ndjson(s3, RAW_PREFIX) if row["anomaly_flag"]]
    assert [row["event_id"] for row in flagged_rows] == [flagged["event_id"]]
    out = capsys.readouterr().out
    [logged] = log_lines(out, "anomaly")
    assert logged["level"] == "WARNING" and logged["alert"] == alert
    assert metric_values(emitted(out)[1])["Anomalies"] == 1.0


def test_alerts_go_to_the_queue_in_batches_of_ten(processor: ModuleType, alerts_queue_url: str) -> None:
    flagged = payload(fixture_event(), FLAGGED)
    wells = [f"WELL-{i:05d}" for i in range(101, 113)]  # one alert per well: 12, more than one batch
    event = kinesis_event(
        [
            json.dumps({**flagged, "well_id": well, "event_id": f"{i:032x}"}).encode()
            for i, well in enumerate(wells)
        ]
    )

    invoke(processor, event)

    received: list[str] = []
    while batch := processor.clients.sqs.receive_message(
        QueueUrl=alerts_queue_url, MaxNumberOfMessages=10
    ).get("Messages", []):
        received += [json.loads(message["Body"])["well_id"] for message in batch]
    assert sorted(received) == wells


def test_without_an_alerts_queue_alerts_are_only_logged(
    load_function: LoadFunction, environment: dict[str, str], alerts_queue_url: str, capsys: Any
) -> None:
    processor = load_function(
        "stream_processor", {k: v for k, v in environment.items() if k != "ALERTS_QUEUE_URL"}
    )

    assert processor.config.alerts_queue_url is None
    assert invoke(processor, fixture_event((FLAGGED,))) == {"batchItemFailures": []}
    assert "Messages" not in processor.clients.sqs.receive_message(QueueUrl=alerts_queue_url)
    assert len(log_lines(capsys.readouterr().out, "anomaly")) == 1


def test_a_record_firehose_rejects_on_every_attempt_is_a_batch_item_failure(
    processor: ModuleType, firehose: Stubber, capsys: Any
) -> None:
    event = fixture_event(VALID)
    stream = processor.config.delivery_stream_name
    firehose.add_response("put_record_batch", rejecting(3, {1}))
    for _ in range(processor.ATTEMPTS - 1):  # then only the rejected entry, again and again
        firehose.add_response(
            "put_record_batch",
            rejecting(1, {0}),
            {
                "DeliveryStreamName": stream,
                "Records": [{"Data": processor.ndjson_line(_row(processor, event, 1))}],
            },
        )

    response = invoke(processor, event)

    assert response == {"batchItemFailures": [{"itemIdentifier": sequences(event)[1]}]}
    out = capsys.readouterr().out
    assert log_lines(out, "batch")[0]["delivery_failures"] == 1
    assert metric_values(emitted(out)[1])["DeliveryFailures"] == 1.0


def test_an_entry_accepted_on_retry_is_not_a_failure(processor: ModuleType, firehose: Stubber) -> None:
    event = fixture_event(VALID)
    firehose.add_response("put_record_batch", rejecting(3, {0, 2}))
    resent = [{"Data": processor.ndjson_line(_row(processor, event, i))} for i in (0, 2)]
    firehose.add_response(
        "put_record_batch",
        rejecting(2, set()),
        {"DeliveryStreamName": processor.config.delivery_stream_name, "Records": resent},
    )

    assert invoke(processor, event) == {"batchItemFailures": []}


def test_a_batch_firehose_rejects_entirely_is_reported_item_by_item(
    processor: ModuleType, firehose: Stubber
) -> None:
    event = fixture_event(VALID)
    for _ in range(processor.ATTEMPTS):
        firehose.add_response("put_record_batch", rejecting(3, {0, 1, 2}))

    response = invoke(processor, event)

    assert response == {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sequences(event)]}


def test_a_record_the_handler_cannot_read_is_a_batch_item_failure(processor: ModuleType, s3: Any) -> None:
    event = fixture_event(VALID)
    event["Records"][1]["kinesis"]["data"] = "a"  # not base64: data_as_bytes raises

    response = invoke(processor, event)

    assert response == {"batchItemFailures": [{"itemIdentifier": sequences(event)[1]}]}
    assert len(ndjson(s3, RAW_PREFIX)) == 2


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # it fails before any
def test_a_batch_no_record_of_which_can_be_read_fails_the_invocation(processor: ModuleType, s3: Any) -> None:
    event = fixture_event(VALID)
    for record in event["Records"]:
        record["kinesis"]["data"] = "a"

    with pytest.raises(BatchProcessingError, match="All 3 records failed"):
        invoke(processor, event)
    assert ndjson(s3, RAW_PREFIX) == []


def test_invocations_share_no_state(processor: ModuleType, firehose: Stubber, capsys: Any) -> None:
    first = fixture_event(VALID)
    for _ in range(processor.ATTEMPTS):
        firehose.add_response("put_record_batch", rejecting(3, {0, 1, 2}))
    assert len(invoke(processor, first)["batchItemFailures"]) == 3
    firehose.add_response("put_record_batch", rejecting(1, set()))

    second = invoke(processor, fixture_event((0,)))

    assert second == {"batchItemFailures": []}
    assert [line["records"] for line in log_lines(capsys.readouterr().out, "batch")] == [3, 1]


@pytest.mark.parametrize("missing", ["DELIVERY_STREAM_NAME", "LAKE_BUCKET", "QUARANTINE_PREFIX"])
def test_a_missing_variable_is_named_when_the_function_loads(
    load_function: LoadFunction, environment: dict[str, str], missing: str
) -> None:
    with pytest.raises(RuntimeError, match=f"^{missing} is not set: the stream processor needs"):
        load_function("stream_processor", {k: v for k, v in environment.items() if k != missing})


def _row(processor: ModuleType, event: dict[str, Any], index: int) -> dict[str, Any]:
    """The raw row the handler makes of the event's record at `index`."""
    row, _ = processor.record_handler(KinesisStreamRecord(event["Records"][index]))
    assert row is not None
    return dict(row)
