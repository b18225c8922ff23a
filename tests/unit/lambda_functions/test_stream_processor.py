"""lambda/stream_processor/handler.py against moto's S3, SQS and Firehose (a Stubber where Firehose
has to reject entries, which moto never does)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from botocore.stub import Stubber

from pipeline import layout
from pipeline.detector import Detector, WellState
from pipeline.stream import SEVERE_SCORE
from tests.unit.lambda_functions.support import (
    LAKE_BUCKET,
    RAW_PREFIX,
    Alerting,
    LoadFunction,
    emitted,
    invoke,
    kinesis_event,
    load_event,
    metric_values,
)

QUARANTINE_PREFIX = "quarantine/"
STATE_PREFIX = layout.prefix("detector_state")
# What each record of tests/events/kinesisStreamEvent.json is (see tests/events/README.md).
VALID = (0, 1, 2)
FLAGGED = 3  # flagged once its well has learned a lower p_tpt (seed_state)
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


def learned_state(reading: dict[str, Any], p_tpt_scale: float = 1 / 1.3, seconds: int = 900) -> WellState:
    """The state of a well that ran quietly at the reading's values (p_tpt scaled) until just before it."""
    detector, state = Detector(), WellState()
    moment = datetime.fromisoformat(reading["event_time"]).timestamp()
    sensors = {name: reading[name] for name in detector.p.monitored}
    for i in range(seconds, 0, -1):
        wobble = 1 + 1e-4 * (i % 7 - 3)
        values = {k: None if v is None else v * wobble for k, v in sensors.items()}
        values["p_tpt"] = reading["p_tpt"] * p_tpt_scale * wobble
        detector.score(reading["well_id"], state, moment - i, values)
    return state


def seed_state(s3: Any, reading: dict[str, Any], **kwargs: Any) -> WellState:
    """Put a learned state of the reading's well where the function reads it."""
    state = learned_state(reading, **kwargs)
    key = f"{STATE_PREFIX}{reading['well_id']}.json"
    s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=json.dumps(state.to_json()).encode())
    return state


def stored_state(s3: Any, well_id: str) -> WellState:
    body = s3.get_object(Bucket=LAKE_BUCKET, Key=f"{STATE_PREFIX}{well_id}.json")["Body"].read()
    return WellState.from_json(json.loads(body))


@pytest.fixture
def environment(s3: Any, alerting: Alerting, delivery_stream: str) -> dict[str, str]:
    return {
        "DELIVERY_STREAM_NAME": delivery_stream,
        "LAKE_BUCKET": LAKE_BUCKET,
        "QUARANTINE_PREFIX": QUARANTINE_PREFIX,
        "STATE_PREFIX": STATE_PREFIX,
        "ALERTS_TOPIC_ARN": alerting.alerts_topic,
        "QUALITY_TOPIC_ARN": alerting.quality_topic,
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


def test_a_flagged_record_raises_an_alert_on_the_topic(
    processor: ModuleType, s3: Any, alerting: Alerting, capsys: Any
) -> None:
    event = fixture_event((0, FLAGGED))
    flagged = payload(event, 1)
    seed_state(s3, flagged)

    assert invoke(processor, event) == {"batchItemFailures": []}

    [message] = alerting.received()
    alert = json.loads(message["Body"])
    attributes = {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}
    assert attributes == {
        "kind": "anomaly",
        "well_id": flagged["well_id"],
        "detector": alert["anomaly_type"],
        "severity": "critical" if alert["max_score"] >= SEVERE_SCORE else "warning",
    }
    assert (alert["well_id"], alert["count"]) == (flagged["well_id"], 1)
    assert "zscore" in alert["anomaly_type"].split(",")
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


def test_alerts_are_published_in_batches_of_ten(processor: ModuleType, s3: Any, alerting: Alerting) -> None:
    flagged = payload(fixture_event(), FLAGGED)
    wells = [f"WELL-{i:05d}" for i in range(101, 113)]  # one alert per well: 12, more than one batch
    readings = [{**flagged, "well_id": well, "event_id": f"{i:032x}"} for i, well in enumerate(wells)]
    for reading in readings:
        seed_state(s3, reading)
    event = kinesis_event([json.dumps(reading).encode() for reading in readings])

    invoke(processor, event)

    received = [json.loads(message["Body"])["well_id"] for message in alerting.received()]
    assert sorted(received) == wells


def test_without_an_alerts_topic_alerts_are_only_logged(
    load_function: LoadFunction, environment: dict[str, str], s3: Any, alerting: Alerting, capsys: Any
) -> None:
    processor = load_function(
        "stream_processor", {k: v for k, v in environment.items() if k != "ALERTS_TOPIC_ARN"}
    )
    seed_state(s3, payload(fixture_event(), FLAGGED))

    assert processor.config.alerts_topic_arn is None
    assert invoke(processor, fixture_event((FLAGGED,))) == {"batchItemFailures": []}
    assert alerting.received() == []
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


@pytest.mark.parametrize(
    "missing", ["DELIVERY_STREAM_NAME", "LAKE_BUCKET", "QUARANTINE_PREFIX", "STATE_PREFIX"]
)
def test_a_missing_variable_is_named_when_the_function_loads(
    load_function: LoadFunction, environment: dict[str, str], missing: str
) -> None:
    with pytest.raises(RuntimeError, match=f"^{missing} is not set: the stream processor needs"):
        load_function("stream_processor", {k: v for k, v in environment.items() if k != missing})


def _row(processor: ModuleType, event: dict[str, Any], index: int) -> dict[str, Any]:
    """The raw row the handler makes of the event's record at `index` (from a well with no state)."""
    processor.scorer = processor.StreamScorer(processor.detector)
    row, _ = processor.record_handler(KinesisStreamRecord(event["Records"][index]))
    assert row is not None
    return dict(row)


def _series(count: int, step_at: int | None = None) -> list[bytes]:
    """`count` readings of one well a second apart, built on fixture record 0; p_tpt 20% up from step_at."""
    first = payload(fixture_event(), 0)
    start = datetime.fromisoformat(first["event_time"]).timestamp()
    readings = []
    for i in range(count):
        moment = datetime.fromtimestamp(start + i).isoformat().replace("+00:00", "Z")
        scale = 1.2 if step_at is not None and i >= step_at else 1 + 1e-4 * (i % 5)
        readings.append(
            json.dumps(
                {**first, "event_id": f"{i:032x}", "event_time": moment, "p_tpt": first["p_tpt"] * scale}
            ).encode()
        )
    return readings


def _flags(s3: Any) -> dict[str, tuple[bool, str | None]]:
    return {row["event_id"]: (row["anomaly_flag"], row["anomaly_type"]) for row in ndjson(s3, RAW_PREFIX)}


def test_state_carries_across_invocations_and_cold_starts(
    load_function: LoadFunction, environment: dict[str, str], s3: Any
) -> None:
    """One invocation of 700 readings flags what three invocations of three cold functions flag."""
    readings = _series(700, step_at=650)
    invoke(load_function("stream_processor", environment), kinesis_event(readings))
    whole = _flags(s3)
    assert sum(flag for flag, _ in whole.values()) == 50  # the step, and nothing before it
    s3.delete_objects(
        Bucket=LAKE_BUCKET,
        Delete={"Objects": [{"Key": k} for k in [*objects(s3, RAW_PREFIX), *objects(s3, STATE_PREFIX)]]},
    )

    for start in (0, 300, 600):
        cold = load_function("stream_processor", environment)
        invoke(cold, kinesis_event(readings[start : start + 300], first_sequence=10**20 + start))

    assert _flags(s3) == whole
    well = payload(fixture_event(), 0)["well_id"]
    assert stored_state(s3, well).applied == 700


def test_a_partial_failure_commits_the_state_of_the_records_before_it_only(
    processor: ModuleType, firehose: Stubber, s3: Any
) -> None:
    readings = _series(10)
    event = kinesis_event(readings)
    firehose.add_response("put_record_batch", rejecting(10, {6}))
    for _ in range(processor.ATTEMPTS - 1):
        firehose.add_response("put_record_batch", rejecting(1, {0}))

    response = invoke(processor, event)

    assert response == {"batchItemFailures": [{"itemIdentifier": sequences(event)[6]}]}
    well = payload(fixture_event(), 0)["well_id"]
    state = stored_state(s3, well)
    assert state.applied == 6
    assert state.watermark == datetime.fromisoformat(json.loads(readings[5])["event_time"]).timestamp()


def test_a_replayed_batch_changes_no_state_and_is_marked_late(processor: ModuleType, s3: Any) -> None:
    """The producer sends the same readings again: new records, later in the stream."""
    invoke(processor, kinesis_event(_series(5)))
    well = payload(fixture_event(), 0)["well_id"]
    before = s3.get_object(Bucket=LAKE_BUCKET, Key=f"{STATE_PREFIX}{well}.json")["Body"].read()

    later = 49668419147018213539128464729463018392837120745236627458 + 10**6
    invoke(processor, kinesis_event(_series(5), first_sequence=later))

    assert s3.get_object(Bucket=LAKE_BUCKET, Key=f"{STATE_PREFIX}{well}.json")["Body"].read() == before
    second = [row for row in ndjson(s3, RAW_PREFIX) if int(row["sequence_number"]) >= later]
    assert len(second) == 5 and all("late" in row["quality_issues"] for row in second)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_state_replaced_by_another_writer_fails_the_invocation(
    processor: ModuleType, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    well = payload(fixture_event(), 0)["well_id"]
    key = f"{STATE_PREFIX}{well}.json"
    s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=json.dumps(WellState().to_json()).encode())
    original_load = processor.StateStore.load

    def load_then_race(store: Any, well_id: str) -> WellState:
        state = original_load(store, well_id)
        s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=b'{"written": "by another invocation"}')
        return state

    monkeypatch.setattr(processor.StateStore, "load", load_then_race)

    with pytest.raises(processor.StateConflict, match=well):
        invoke(processor, kinesis_event(_series(3)))
    assert (
        s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read() == b'{"written": "by another invocation"}'
    )
