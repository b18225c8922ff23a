"""Shared by the pipeline unit tests: a dataset turned into Kinesis records and raw files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.kinesis_writer import encode
from pipeline.stream import StreamRecord, ndjson_line, process_batch
from producer.replay import load, merged_records

ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)


def stream_records(dataset: Path, run_id: str = "test-run") -> list[StreamRecord]:
    """The dataset as the stream processor receives it (sequence numbers and arrival times fixed)."""
    records = merged_records(load(dataset), dataset, run_id)
    return [
        StreamRecord(f"{i:056d}", r["well_id"], ARRIVAL + timedelta(milliseconds=i), encode(r))
        for i, r in enumerate(records)
    ]


def write_raw(rows: list[dict], folder: Path, per_file: int) -> list[Path]:
    """Raw NDJSON objects as Firehose would write them, per_file rows each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(rows), per_file):
        path = folder / f"object-{start:08d}.json"
        path.write_bytes(b"".join(ndjson_line(row) for row in rows[start : start + per_file]))
        paths.append(path)
    return paths


def raw_rows(items: list[StreamRecord]) -> list[dict]:
    return [row for _, row in process_batch(items).rows]
