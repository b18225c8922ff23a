"""The stream processor's logic: the same rows and flags whatever the batching, cold starts and
retries; replays change nothing; bad records quarantined with a reason.

Each test runs the stream the way the Lambda does: per batch, a StreamScorer loads each well's
state from a store (a dict of JSON documents here, S3 objects in the Lambda: every batch is a
cold start as far as the state goes) and commits `states_to_commit` after the batch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline import schema
from pipeline.detector import Detector, WellState
from pipeline.stream import (
    SEVERE_SCORE,
    StreamRecord,
    StreamScorer,
    alert_attributes,
    iso,
    ndjson_line,
    process_batch,
)

from .helpers import ARRIVAL, stream_records


@pytest.fixture(scope="module")
def items(small_dataset) -> list[StreamRecord]:
    return stream_records(small_dataset)


@pytest.fixture(scope="module")
def whole(items) -> list[dict]:
    """Every row, from one pass over the whole stream with one scorer."""
    return [row for _, row in process_batch(items).rows]


class StateStore(dict[str, str]):
    """What S3 holds between invocations: each well's state as JSON text."""

    def scorer(self) -> StreamScorer:
        states = {well: WellState.from_json(json.loads(text)) for well, text in self.items()}
        return StreamScorer(Detector(), states)

    def commit(self, scorer: StreamScorer, checkpoint: str | None = None) -> None:
        for well, state in scorer.states_to_commit(checkpoint).items():
            self[well] = json.dumps(state.to_json())


def _run(items: list[StreamRecord], batch_size: int, store: StateStore | None = None) -> list[dict]:
    store = StateStore() if store is None else store
    rows = []
    for start in range(0, len(items), batch_size):
        scorer = store.scorer()
        rows += [row for _, row in process_batch(items[start : start + batch_size], scorer).rows]
        store.commit(scorer)
    return rows


def test_the_stream_is_flagged_at_all(whole):
    """The invariance tests below would pass on a detector that never fires."""
    flagged = sum(row["anomaly_flag"] for row in whole)
    assert 0 < flagged < len(whole)
    assert {t for row in whole if row["anomaly_type"] for t in row["anomaly_type"].split(",")} >= {
        "zscore",
        "rate_of_change",
    }


@pytest.mark.parametrize("batch_size", [1, 7, 100, 1000])
def test_rows_and_flags_do_not_depend_on_batch_size_or_cold_starts(items, whole, batch_size):
    assert _run(items, batch_size) == whole


def test_a_retry_after_a_partial_failure_scores_from_the_same_state(items, whole):
    """Lambda retries from the first failed record; the state committed holds only what came before it."""
    store, rows = StateStore(), []
    batch, fail_at = 500, 137
    start = 0
    while start < len(items):
        chunk = items[start : start + batch]
        scorer = store.scorer()
        outcome = process_batch(chunk, scorer)
        if len(chunk) > fail_at:  # the record at fail_at "failed delivery": retried from there
            checkpoint = chunk[fail_at].sequence_number
            rows += [row for sequence, row in outcome.rows if int(sequence) < int(checkpoint)]
            store.commit(scorer, checkpoint)
            start += fail_at
        else:
            rows += [row for _, row in outcome.rows]
            store.commit(scorer)
            start += len(chunk)
    assert rows == whole


def test_a_replayed_reading_changes_neither_the_state_nor_its_flags(items, whole):
    """A producer's replay: the same readings again, as new Kinesis records (higher sequence numbers)."""
    store = StateStore()
    _run(items[:2000], 500, store)
    before = dict(store)
    again = [
        replace(item, sequence_number=str(int(item.sequence_number) + 10**20)) for item in items[1500:2000]
    ]
    scorer = store.scorer()
    replayed = [row for _, row in process_batch(again, scorer).rows]
    store.commit(scorer)
    assert dict(store) == before  # nothing applied, nothing to commit
    assert len(replayed) == 500 and all("late" in row["quality_issues"].split(",") for row in replayed)
    # the lake keeps the first copy of an event_id (tests/unit/pipeline/test_build.py)
    assert [r["event_id"] for r in replayed] == [r["event_id"] for r in whole[1500:2000]]


def test_raw_rows_carry_record_and_stream_fields(items):
    rows = process_batch(items[:10]).rows
    assert list(rows[0][1]) == [f.name for f in schema.raw_fields()]
    assert rows[0][0] == items[0].sequence_number


def test_invalid_and_empty_records_are_quarantined_with_reasons(items):
    good = json.loads(items[0].data)
    bad_type = StreamRecord("1", "WELL-1", ARRIVAL, json.dumps({**good, "p_tpt": "high"}).encode())
    not_json = StreamRecord("2", "WELL-1", ARRIVAL, b"\x00not json")
    empty = {**good, **{s.name: None for s in schema.sensors()}}
    no_values = StreamRecord("3", "WELL-1", ARRIVAL, json.dumps(empty).encode())
    outcome = process_batch([items[0], bad_type, not_json, no_values])
    assert [seq for seq, _ in outcome.rows] == [items[0].sequence_number]
    reasons = {
        q["sequence_number"]: (q["reason"], [e["field"] for e in q["errors"]]) for q in outcome.quarantined
    }
    assert reasons == {
        "1": ("invalid_record", ["p_tpt"]),
        "2": ("invalid_record", ["<record>"]),
        "3": ("no_sensor_values", ["<sensors>"]),
    }
    assert outcome.quarantined[1]["payload"] == "\x00not json"


def test_an_out_of_range_sensor_is_set_aside_and_reported_once_per_well(items):
    good = json.loads(items[0].data)
    start = datetime.fromisoformat(good["event_time"])
    bad = [
        StreamRecord(
            str(i + 1),
            good["well_id"],
            ARRIVAL,
            json.dumps(
                {
                    **good,
                    "event_id": f"x{i}",
                    "event_time": iso(start + timedelta(seconds=i)),
                    "p_pdg": 3.08e9,
                }
            ).encode(),
        )
        for i in range(200)
    ]
    scorer = StreamScorer(Detector())
    outcome = process_batch(bad, scorer)
    assert len(outcome.rows) == 200 and not outcome.quarantined
    row = outcome.rows[0][1]
    assert row["p_pdg"] is None and json.loads(row["set_aside"]) == {"p_pdg": 3.08e9}
    assert "out_of_range:p_pdg" in row["quality_issues"].split(",")
    assert row["p_tpt"] == good["p_tpt"]  # the other sensors go on to the lake
    assert [(f["issue"], f["well_id"], f["sensor"]) for f in scorer.faults] == [
        ("implausible_sensor", good["well_id"], "p_pdg")
    ]


def test_alerts_summarise_flagged_rows_per_well_and_detectors(whole):
    outcome = process_batch([])
    for i, row in enumerate(whole):
        outcome.add_verdict(str(i), (row, None))
    alerts = outcome.alerts()
    flagged = [r for r in whole if r["anomaly_flag"]]
    assert sum(a["count"] for a in alerts) == len(flagged)
    assert {(a["well_id"], a["anomaly_type"]) for a in alerts} == {
        (r["well_id"], r["anomaly_type"]) for r in flagged
    }


def test_late_readings_raise_no_alert(whole):
    """A replay or a re-driven batch is scored against a state that has moved on: it pages nobody."""
    flagged = [row for row in whole if row["anomaly_flag"]][:50]
    late = [
        dict(row, quality_issues=",".join(filter(None, [row["quality_issues"], "late"]))) for row in flagged
    ]
    outcome = process_batch([])
    for i, row in enumerate(late + flagged):
        outcome.add_verdict(str(i), (row, None))
    assert sum(alert["count"] for alert in outcome.alerts()) == len(flagged) == 50


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


def test_alert_attributes_say_kind_well_detector_and_severity():
    anomaly = {"source": "stream-processor", "well_id": "WELL-00001", "anomaly_type": "envelope,zscore"}
    assert alert_attributes({**anomaly, "max_score": SEVERE_SCORE}) == {
        "kind": "anomaly",
        "well_id": "WELL-00001",
        "detector": "envelope,zscore",
        "severity": "critical",
    }
    assert alert_attributes({**anomaly, "max_score": 1.2})["severity"] == "warning"
    fault = {"source": "data-quality", "issue": "frozen_sensor", "well_id": "WELL-00002", "sensor": "t_tpt"}
    assert alert_attributes(fault) == {
        "kind": "data-quality",
        "well_id": "WELL-00002",
        "detector": "frozen_sensor",
        "severity": "warning",
    }


def test_a_scorer_without_commits_scores_alike_and_refuses_to_commit(items, whole) -> None:
    """The landing loader's scorer (commits=False) keeps no replay log, and gives the same rows."""
    scorer = StreamScorer(Detector(), commits=False)
    assert [row for _, row in process_batch(items, scorer).rows] == whole
    with pytest.raises(RuntimeError, match="commits=False"):
        scorer.states_to_commit()
