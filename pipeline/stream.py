"""What the stream processor does to a batch of Kinesis records, without any AWS call.

Each record is judged on its own: validation, data-quality notes and the fixed operating
envelope. Nothing here looks at a neighbouring record, so the output for a record is the same
whatever batch it arrives in (batch sizes 1, 7, 100 or 1,000 give identical rows). The checks
that need history (rate of change, rolling z-score, frozen sensors) run in the curated builder,
which sees a whole (date, hour) partition at once: see pipeline/detection.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic_core import to_json

from pipeline import schema
from pipeline.validation import validate

SCORE_CAP = 10.0


@dataclass(frozen=True)
class StreamRecord:
    """The parts of a Kinesis event record the processor uses."""

    sequence_number: str
    partition_key: str
    arrival: datetime  # approximateArrivalTimestamp: the same on every retry of the record
    data: bytes


# What process_record says about one record: (raw row, None) or (None, quarantine entry).
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

    def add(self, item: StreamRecord) -> None:
        """Judge one record and keep the verdict: a raw row, or a quarantine entry."""
        self.add_verdict(item.sequence_number, process_record(item))

    def add_verdict(self, sequence_number: str, verdict: Verdict) -> None:
        """Keep the verdict process_record gave for the record with this sequence number."""
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
        """One alert per well and detector, summarising the flagged rows of this batch."""
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for _, row in self.rows:
            if not row["anomaly_flag"]:
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


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and Z: what DuckDB, Athena and pydantic all parse."""
    # isoformat is the C fast path (strftime cost far more per record: docs/performance.md);
    # in UTC it ends in "+00:00", which becomes "Z".
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


# Records of one PutRecords call share their arrival time, and the wells of one replay share
# their event times, so a batch of 1,000 formats a few dozen distinct values of each.
_arrival_iso = lru_cache(maxsize=1024)(iso)
_event_iso = lru_cache(maxsize=4096)(iso)

# The envelope and the sensor names as plain tuples: read once, used for every record.
_RULES = tuple(
    (name, rule.get("max") if rule.get("max", 0) > 0 else None, rule.get("min"))
    for name, rule in schema.envelope().items()
)
_MISSING = tuple((f.name, f"missing:{f.name}") for f in schema.sensors())


def envelope_score(record: dict[str, Any]) -> float:
    """Largest breach of the fixed operating envelope; above 1.0 means outside it."""
    score = 0.0
    for name, high, low in _RULES:
        value = record.get(name)
        if value is None:
            continue
        if high is not None:
            score = max(score, value / high)
        if low is not None:
            score = max(score, SCORE_CAP if value <= 0 else low / value)
    return min(score, SCORE_CAP)


def quality_issues(record: dict[str, Any]) -> list[str]:
    return [note for name, note in _MISSING if record.get(name) is None]


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


def process_record(item: StreamRecord) -> Verdict:
    """(raw row, None) for a valid record, (None, quarantine entry) for an invalid one."""
    record, errors = validate(item.data)
    if record is None:
        return None, _quarantine(item, "invalid_record", errors)
    issues = quality_issues(record)
    if len(issues) == len(_MISSING):
        return None, _quarantine(
            item,
            "no_sensor_values",
            [{"field": "<sensors>", "error": "missing", "message": "every sensor value is null or NaN"}],
        )
    score = envelope_score(record)
    flagged = score > 1.0
    row = {
        **record,
        "event_time": _event_iso(record["event_time"]),
        "ingested_at": _arrival_iso(item.arrival),
        "sequence_number": item.sequence_number,
        "quality_issues": ",".join(issues) or None,
        "anomaly_flag": flagged,
        "anomaly_type": "envelope" if flagged else None,
        "anomaly_score": round(score, 6),
    }
    return row, None


def process_batch(items: Iterable[StreamRecord]) -> BatchOutcome:
    outcome = BatchOutcome()
    for item in items:
        outcome.add(item)
    return outcome


def ndjson_line(row: dict[str, Any]) -> bytes:
    """One JSON line, serialised by pydantic-core (much faster than json.dumps on these rows).
    Rows hold no NaN or infinity: validation maps NaN to missing and scores are capped."""
    return to_json(row) + b"\n"
