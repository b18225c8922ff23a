"""Replay a 3W dataset into Kinesis: at real time times a speed-up factor, or as fast as it takes.

Records go to Kinesis directly (PutRecords), or through the HTTP ingestion API when an
ApiTarget is given (producer/api_writer.py), as a gateway that speaks HTTPS would send them.

All files are merged into one stream ordered by event time (wells interleave as they would in
the field); the partition key is the well id, so each well's readings stay in order in their
shard. Paced replay sends each second of event time when its moment comes; unpaced replay
streams full 500-record batches.
"""

from __future__ import annotations

import heapq
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from pipeline.kinesis_writer import PutSummary, put_records
from pipeline.records import to_records
from pipeline.threew import ThreeWFile, discover, read_file
from producer.api_writer import ApiTarget, post_records


@dataclass
class ReplayResult:
    run_id: str
    files: int
    summary: PutSummary
    seconds: float
    warnings: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.summary.records / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        s = self.summary
        return (
            f"replay {self.run_id}: {s.records} records from {self.files} files, {s.bytes / 1e6:.2f} MB "
            f"in {self.seconds:.1f} s ({self.rate:,.0f} records/s), {s.calls} PutRecords calls, "
            f"{s.retried_entries} entries retried, {len(s.failed)} failed"
        )


def load(root: Path) -> list[ThreeWFile]:
    return [read_file(path) for path in discover(root)]


def merged_records(files: list[ThreeWFile], root: Path, run_id: str) -> Iterator[dict[str, Any]]:
    """Every file's records, merged by event time (then well) across files."""
    streams = []
    for file in files:
        source = file.path.relative_to(root).as_posix() if file.path.is_relative_to(root) else file.path.name
        streams.append(to_records(file, run_id, source))
    return heapq.merge(*streams, key=lambda r: (r["event_time"], r["well_id"]))


def paced(
    records: Iterable[dict[str, Any]],
    speed: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[dict[str, Any]]]:
    """Groups of one event-time second, released when (event time - first) / speed has passed."""
    started = clock()
    first: float | None = None
    for second, group in groupby(records, key=lambda r: r["event_time"][:19]):
        moment = datetime.fromisoformat(second).timestamp()
        first = moment if first is None else first
        delay = started + (moment - first) / speed - clock()
        if delay > 0:
            sleep(delay)
        yield list(group)


def replay(
    kinesis: Any,
    stream_name: str,
    root: Path,
    speed: float | None = None,
    run_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    api: ApiTarget | None = None,
) -> ReplayResult:
    """Put every record of the dataset at ``root`` into the stream; speed None = as fast as possible.
    With ``api``, POST them to the ingestion API instead of calling Kinesis."""
    run_id = run_id or uuid.uuid4().hex[:12]
    files = load(root)
    records = list(merged_records(files, root, run_id))
    if on_start is not None:
        on_start(len(records))
    summary = PutSummary()
    started = time.monotonic()

    def send(group: list[dict[str, Any]]) -> None:
        if api is not None:
            post_records(api, group, on_batch=progress, summary=summary)
        else:
            put_records(kinesis, stream_name, group, "well_id", on_batch=progress, summary=summary)

    for group in [records] if speed is None else paced(records, speed):
        send(group)
    warnings = [w for f in files for w in f.warnings]
    return ReplayResult(
        run_id, len(files), summary, time.monotonic() - started, warnings, [r["event_id"] for r in records]
    )
