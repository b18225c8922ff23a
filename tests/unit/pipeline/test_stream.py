"""The stream processor's logic: same rows whatever the batching; bad records quarantined with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline import schema
from pipeline.stream import StreamRecord, envelope_score, iso, ndjson_line, process_batch

from .helpers import ARRIVAL, stream_records


@pytest.fixture(scope="module")
def items(small_dataset):
    return stream_records(small_dataset)[:3000]


@pytest.mark.parametrize("batch_size", [1, 7, 100, 1000])
def test_rows_and_flags_do_not_depend_on_batch_size(items, batch_size):
    whole = process_batch(items)
    pieces = [process_batch(items[i : i + batch_size]) for i in range(0, len(items), batch_size)]
    assert [row for piece in pieces for row in piece.rows] == whole.rows
    assert sum(piece.anomalies for piece in pieces) == whole.anomalies


def test_raw_rows_carry_record_and_stream_fields(items):
    rows = process_batch(items[:10]).rows
    assert list(rows[0][1]) == [f.name for f in schema.raw_fields()]
    assert rows[0][0] == items[0].sequence_number


def test_invalid_and_empty_records_are_quarantined_with_reasons(items):
    good = json.loads(items[0].data)
    bad_type = StreamRecord("s1", "WELL-1", ARRIVAL, json.dumps({**good, "p_tpt": "high"}).encode())
    not_json = StreamRecord("s2", "WELL-1", ARRIVAL, b"\x00not json")
    empty = {**good, **{s.name: None for s in schema.sensors()}}
    no_values = StreamRecord("s3", "WELL-1", ARRIVAL, json.dumps(empty).encode())
    outcome = process_batch([items[0], bad_type, not_json, no_values])
    assert [seq for seq, _ in outcome.rows] == [items[0].sequence_number]
    reasons = {
        q["sequence_number"]: (q["reason"], [e["field"] for e in q["errors"]]) for q in outcome.quarantined
    }
    assert reasons == {
        "s1": ("invalid_record", ["p_tpt"]),
        "s2": ("invalid_record", ["<record>"]),
        "s3": ("no_sensor_values", ["<sensors>"]),
    }
    assert outcome.quarantined[1]["payload"] == "\x00not json"


def test_envelope_flags_only_readings_outside_it(items):
    record = json.loads(items[0].data)
    rule_sensor, rule = next(iter(schema.envelope().items()))
    inside = {**record, rule_sensor: rule.get("min", 0) * 1.5 or rule["max"] * 0.5}
    outside = {**record, rule_sensor: rule["min"] * 0.5 if "min" in rule else rule["max"] * 1.5}
    assert envelope_score(inside) <= 1.0 < envelope_score(outside)


def test_alerts_summarise_flagged_rows_per_well(items):
    record = json.loads(items[0].data)
    sensor, rule = next((n, r) for n, r in schema.envelope().items() if "min" in r)
    flagged = [
        StreamRecord(
            f"a{i}",
            record["well_id"],
            ARRIVAL,
            json.dumps({**record, "event_id": f"x{i}", sensor: rule["min"] / 2}).encode(),
        )
        for i in range(3)
    ]
    alerts = process_batch(flagged + items[1:2]).alerts()
    assert len(alerts) == 1 and alerts[0]["count"] == 3 and alerts[0]["anomaly_type"] == "envelope"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2017, 2, 1, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2017, 2, 1, 3, 4, 5, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2017, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=-3))),  # converted to UTC
    ],
)
def test_iso_is_utc_with_microseconds_and_z(moment):
    assert iso(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_ndjson_lines_read_back_as_the_rows(items):
    rows = [row for _, row in process_batch(items[:200]).rows]
    lines = [ndjson_line(row) for row in rows]
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert [json.loads(line) for line in lines] == rows
