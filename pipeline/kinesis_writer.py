"""PutRecords within Kinesis limits, retrying only the entries that failed.

Kinesis accepts at most 500 records and 5 MiB per PutRecords call (1 MiB per record, partition
key included). A call can succeed while some entries fail (throttling): those, and only those,
are sent again with exponential backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.batching import chunks

MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024


class RecordTooLarge(ValueError):
    """A single record (data plus partition key) exceeds Kinesis's 1 MiB limit."""


@dataclass
class PutSummary:
    records: int = 0
    bytes: int = 0
    calls: int = 0
    retried_entries: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode()


def _entry_size(entry: dict[str, Any]) -> int:
    """What counts against Kinesis's limits: data plus partition key; over 1 MiB is refused."""
    size = len(entry["Data"]) + len(entry["PartitionKey"].encode())
    if size > MAX_RECORD_BYTES:
        raise RecordTooLarge(f"record for partition {entry['PartitionKey']!r} is {size} bytes (limit 1 MiB)")
    return size


def batches(entries: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group PutRecords entries ({Data, PartitionKey}) under the count and size limits."""
    return chunks(entries, MAX_RECORDS, MAX_BYTES, _entry_size)


def put_records(
    client: Any,
    stream_name: str,
    records: Iterable[dict[str, Any]],
    partition_key: str,
    max_attempts: int = 8,
    base_delay: float = 0.05,
    on_batch: Callable[[int], None] | None = None,
    summary: PutSummary | None = None,
) -> PutSummary:
    """Send records (dicts, JSON-encoded) keyed by ``record[partition_key]``.

    ``on_batch`` is told how many records each PutRecords batch carried (for a progress bar);
    passing ``summary`` accumulates several calls into one.
    """
    summary = summary if summary is not None else PutSummary()
    entries = ({"Data": encode(r), "PartitionKey": str(r[partition_key])} for r in records)
    for batch in batches(entries):
        pending = batch
        for attempt in range(max_attempts):
            response = client.put_records(StreamName=stream_name, Records=pending)
            summary.calls += 1
            if response.get("FailedRecordCount", 0) == 0:
                pending = []
                break
            pending = [e for e, r in zip(pending, response["Records"], strict=True) if "ErrorCode" in r]
            summary.retried_entries += len(pending)
            if attempt + 1 < max_attempts:  # no wait after the last attempt: the caller decides
                time.sleep(min(base_delay * 2**attempt, 2.0))
        summary.failed += pending
        summary.records += len(batch) - len(pending)
        summary.bytes += sum(len(e["Data"]) for e in batch)
        if on_batch is not None:
            on_batch(len(batch))
    return summary
