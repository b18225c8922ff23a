"""What the stream processor does to a batch of Kinesis records, without any AWS call.

Each record is validated (pipeline/validation.py: structurally broken records are quarantined
whole, out-of-range sensor values are set aside) and scored by every detector against its well's
state (pipeline/detector.py). A StreamScorer holds the states of the wells of one batch: loaded
before the batch, advanced record by record in arrival order (Kinesis keeps one partition key's
order within a shard, and the partition key is the well), and committed after delivery.

A batch's state is committed only together with its delivery: `states_to_commit(checkpoint)`
gives each well's state after exactly the records Lambda will not send again (those before the
first failed record), so a retried batch is scored from the same state as the first attempt, and
a stream's flags do not depend on its batch sizes. If an invocation fails after committing some
wells' states, its retry scores those wells' records as late; the lake keeps the first copy of a
reading, the one scored in order (pipeline/build.py).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic_core import to_json

from pipeline import schema
from pipeline.detector import Detector, WellState
from pipeline.validation import validate


@dataclass(frozen=True)
class StreamRecord:
    """The parts of a Kinesis event record the processor uses."""

    sequence_number: str
    partition_key: str
    arrival: datetime  # approximateArrivalTimestamp: the same on every retry of the record
    data: bytes


# What the scorer says about one record: (raw row, None) or (None, quarantine entry).
Verdict = tuple[dict[str, Any] | None, dict[str, Any] | None]


@dataclass
class BatchOutcome:
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (sequence number, raw row)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    anomalies: int = 0

    @classmethod
    def from_verdicts(cls, verdicts: Iterable[tuple[str, Verdict]]) -> BatchOutcome:
        """A batch's outcome from (sequence number, verdict) pairs judged elsewhere (the Lambda's
        record handler returns each verdict to Powertools' batch processor)."""
        outcome = cls()
        for sequence_number, verdict in verdicts:
            outcome.add_verdict(sequence_number, verdict)
        return outcome

    def add_verdict(self, sequence_number: str, verdict: Verdict) -> None:
        """Keep the verdict the scorer gave for the record with this sequence number."""
        row, quarantined = verdict
        if row is not None:
            self.rows.append((sequence_number, row))
            self.anomalies += row["anomaly_flag"]
        elif quarantined is not None:
            self.quarantined.append(quarantined)
        else:
            raise ValueError(
                f"verdict for record {sequence_number} holds neither a row nor a quarantine entry"
            )

    def alerts(self) -> list[dict[str, Any]]:
        """One alert per well and set of detectors, summarising the flagged rows of this batch.

        Late readings raise none: they are scored against a state that has moved past them (a
        replay, a re-driven batch), and the reading's own time has been alerted on, or is gone."""
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for _, row in self.rows:
            if not row["anomaly_flag"] or "late" in (row["quality_issues"] or "").split(","):
                continue
            key = (row["well_id"], row["anomaly_type"])
            alert = grouped.setdefault(
                key,
                {
                    "source": "stream-processor",
                    "well_id": row["well_id"],
                    "anomaly_type": row["anomaly_type"],
                    "count": 0,
                    "first_event_time": row["event_time"],
                    "last_event_time": row["event_time"],
                    "max_score": 0.0,
                    "run_id": row.get("run_id"),
                },
            )
            alert["count"] += 1
            alert["first_event_time"] = min(alert["first_event_time"], row["event_time"])
            alert["last_event_time"] = max(alert["last_event_time"], row["event_time"])
            alert["max_score"] = max(alert["max_score"], row["anomaly_score"])
        return list(grouped.values())


SEVERE_SCORE = 5.0  # an anomaly scored at five times a detector's threshold is critical


def alert_attributes(alert: dict[str, Any]) -> dict[str, str]:
    """What subscribers of the alert topics filter on (SNS message attributes): the kind of
    alert, the well, the detector or fault, and a severity."""
    if alert.get("source") == "data-quality":
        return {
            "kind": "data-quality",
            "well_id": alert["well_id"],
            "detector": alert["issue"],
            "severity": "warning",
        }
    severity = "critical" if alert["max_score"] >= SEVERE_SCORE else "warning"
    return {
        "kind": "anomaly",
        "well_id": alert["well_id"],
        "detector": alert["anomaly_type"],
        "severity": severity,
    }


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and Z: what DuckDB, Athena and pydantic all parse."""
    # isoformat is the C fast path (strftime cost far more per record: docs/performance.md);
    # in UTC it ends in "+00:00", which becomes "Z".
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


# Records of one PutRecords call share their arrival time, and the wells of one replay share
# their event times, so a batch of 1,000 formats a few dozen distinct values of each.
_arrival_iso = lru_cache(maxsize=1024)(iso)
_event_iso = lru_cache(maxsize=4096)(iso)
_SENSORS = tuple(f.name for f in schema.sensors())


def _quarantine(item: StreamRecord, reason: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    try:
        payload: dict[str, str] = {"payload": item.data.decode("utf-8")}
    except UnicodeDecodeError:
        payload = {"payload_base64": base64.b64encode(item.data).decode()}
    return {
        "reason": reason,
        "errors": errors,
        "sequence_number": item.sequence_number,
        "partition_key": item.partition_key,
        "arrival": iso(item.arrival),
        **payload,
    }


def _audit(aside: Mapping[str, float]) -> str:
    """Set-aside values as a JSON object; a non-finite value (1e400 on the wire) as its text."""
    return json.dumps({name: value if math.isfinite(value) else repr(value) for name, value in aside.items()})


def sequence_key(sequence_number: str) -> int:
    """Kinesis sequence numbers are decimal strings that grow within a shard: compare as integers."""
    return int(sequence_number)


@dataclass
class _Taken:
    """A valid record a well's state took in during this batch (applied, or late)."""

    sequence: int
    moment: float
    record: dict[str, Any]
    aside: dict[str, float]


class StreamScorer:
    """Validates and scores the records of one batch against their wells' states.

    states: the committed state of each well expected in the batch (by partition key); a well
    not in it is loaded through `load` when its first record arrives. commits=False (the landing
    loader, which never commits states) keeps no log of the records for `states_to_commit`."""

    def __init__(
        self,
        detector: Detector,
        states: Mapping[str, WellState] | None = None,
        load: Callable[[str], WellState] | None = None,
        commits: bool = True,
    ) -> None:
        self.detector = detector
        self._load = load or (lambda _well: WellState())
        self.states: dict[str, WellState] = dict(states or {})
        self._initial = {well: state.copy() for well, state in self.states.items()}
        self._commits = commits  # False: states_to_commit is never called, keep no replay log
        self._taken: dict[str, list[_Taken]] = {}
        self._failed: set[str] = set()  # wells whose scoring raised: their state is rebuilt
        self.faults: list[dict[str, Any]] = []  # sensor faults newly found in this batch (data quality)

    def state(self, well_id: str) -> WellState:
        if well_id not in self.states:
            self.states[well_id] = self._load(well_id)
            self._initial[well_id] = self.states[well_id].copy()
        return self.states[well_id]

    def process(self, item: StreamRecord) -> Verdict:
        """(raw row, None) for a valid record, (None, quarantine entry) for an invalid one."""
        record, aside, errors = validate(item.data)
        if record is None:
            return None, _quarantine(item, "invalid_record", errors)
        if not aside and all(record[name] is None for name in _SENSORS):
            return None, _quarantine(
                item,
                "no_sensor_values",
                [{"field": "<sensors>", "error": "missing", "message": "every sensor value is null or NaN"}],
            )
        well_id = record["well_id"]
        state = self.state(well_id)
        sequence = sequence_key(item.sequence_number)
        moment = record["event_time"].timestamp()
        try:
            score = self.detector.score(well_id, state, moment, record, aside)
        except Exception:
            self._failed.add(well_id)  # the state may be half updated: rebuild it before a commit
            raise
        if self._commits:
            self._taken.setdefault(well_id, []).append(_Taken(sequence, moment, record, aside))
        for fault, sensor in score.faults:
            self.faults.append(self._fault(fault, sensor, record, aside))
        row = {
            **record,
            "event_time": _event_iso(record["event_time"]),
            "ingested_at": _arrival_iso(item.arrival),
            "sequence_number": item.sequence_number,
            "quality_issues": ",".join(score.notes) or None,
            "set_aside": _audit(aside) if aside else None,
            "anomaly_flag": score.flag,
            "anomaly_type": ",".join(score.types) or None,
            "anomaly_score": score.score,
        }
        return row, None

    def _fault(
        self, fault: str, sensor: str, record: dict[str, Any], aside: Mapping[str, float]
    ) -> dict[str, Any]:
        """The data-quality alert of a sensor fault, raised once per sensor and well state."""
        well_id, p = record["well_id"], self.detector.p
        if fault == "implausible":
            value: Any = aside[sensor] if math.isfinite(aside[sensor]) else repr(aside[sensor])
            message = (
                f"{sensor} of {well_id} has been outside its physical range for "
                f"{p.implausible_seconds:g} s; its values are set aside"
            )
        else:
            value = record[sensor]
            message = f"{sensor} of {well_id} has not changed for {p.frozen_seconds:g} s"
        return {
            "source": "data-quality",
            "issue": f"{fault}_sensor",
            "well_id": well_id,
            "sensor": sensor,
            "value": value,
            "event_time": _event_iso(record["event_time"]),
            "run_id": record.get("run_id"),
            "message": message,
        }

    def states_to_commit(self, checkpoint: str | None = None) -> dict[str, WellState]:
        """The state of every well the batch advanced, after the records before `checkpoint` (the
        first record Lambda will deliver again; None: the whole batch was delivered)."""
        if not self._commits:
            raise RuntimeError("this scorer was made with commits=False: it kept no log to commit from")
        limit = None if checkpoint is None else sequence_key(checkpoint)
        committed = {}
        for well_id, taken in self._taken.items():
            if well_id not in self._failed and (limit is None or taken[-1].sequence < limit):
                committed[well_id] = self.states[well_id]
                continue
            kept = [t for t in taken if limit is None or t.sequence < limit]
            if not kept:
                continue
            state = self._initial[well_id].copy()
            for t in kept:
                self.detector.score(well_id, state, t.moment, t.record, t.aside)
            committed[well_id] = state
        return committed


def process_batch(items: Iterable[StreamRecord], scorer: StreamScorer | None = None) -> BatchOutcome:
    """Score a batch from fresh states (or the given scorer's): tests, benchmarks and the CLI."""
    scorer = scorer or StreamScorer(Detector())
    outcome = BatchOutcome()
    for item in items:
        outcome.add_verdict(item.sequence_number, scorer.process(item))
    return outcome


def ndjson_line(row: dict[str, Any]) -> bytes:
    """One JSON line, serialised by pydantic-core (much faster than json.dumps on these rows).
    Rows hold no NaN or infinity: validation maps NaN to missing, sets non-finite values aside
    (kept as text) and scores are capped."""
    return to_json(row) + b"\n"
