"""From a read 3W file to wire records: what the producer puts into Kinesis.

event_id is derived from the well and the timestamp only, so replaying a file again (or after
a crash) sends the same ids and the lake's deduplication makes the replay harmless.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipeline import schema

if TYPE_CHECKING:  # pandas only for type checks: the ingest API derives ids without loading it
    import pandas as pd

    from pipeline.threew import ThreeWFile

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_id(well_id: str, event_time: pd.Timestamp) -> str:
    """Deterministic idempotency key: the same reading always gets the same id."""
    return _reading_id(well_id, event_time.value)


def event_id_at(well_id: str, moment: datetime) -> str:
    """event_id of a reading whose time is a datetime (aware, or naive UTC), as the ingest API
    has it: the same id the producer gives the reading (microsecond times)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return _reading_id(well_id, (aware - EPOCH) // timedelta(microseconds=1) * 1000)


def _reading_id(well_id: str, nanoseconds: int) -> str:
    return hashlib.sha256(f"{well_id}|{nanoseconds}".encode()).hexdigest()[:32]


def _none_if_nan(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def to_records(file: ThreeWFile, run_id: str | None, source_file: str) -> list[dict[str, Any]]:
    """One record per row, with the schema's record-stage fields (see iter_records)."""
    return list(iter_records(file, run_id, source_file))


def iter_records(file: ThreeWFile, run_id: str | None, source_file: str) -> Iterator[dict[str, Any]]:
    """One record per row, made as they are asked for (the landing loader holds no list of them).

    event_class is the instance's class (its 3W folder), the same for every row of the file;
    label is the row's own label (0 before the event starts, 100 + class while it develops).
    """
    frame = file.frame
    labels = [None if math.isnan(v) else int(v) for v in frame["label"].to_numpy(dtype=float)]
    known = [v for v in labels if v is not None]
    file_class = file.event_class if file.event_class is not None else (max(known) % 100 if known else None)
    times = frame["event_time"]
    iso = times.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23) + "Z"
    sensor_columns = {s.name: frame[s.name].to_numpy(dtype=float) for s in schema.sensors()}
    for i, (moment, text) in enumerate(zip(times, iso, strict=True)):
        record: dict[str, Any] = {
            "event_id": event_id(file.well_id, moment),
            "event_time": text,
            "well_id": file.well_id,
            "source_file": source_file,
            "run_id": run_id,
            "label": labels[i],
            "event_class": file_class,
        }
        for name, values in sensor_columns.items():
            record[name] = _none_if_nan(values[i])
        yield record
