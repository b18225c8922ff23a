"""Reading a Kinesis shard back from TRIM_HORIZON, for integration tests that check what a stream holds."""

from __future__ import annotations

from typing import Any


def shard_records(kinesis: Any, stream: str, shard_id: str) -> list[dict[str, Any]]:
    """Every record of the shard, oldest first, until GetRecords reports nothing left behind."""
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        records += page["Records"]
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            break
        iterator = page.get("NextShardIterator")
    return records
