"""Kinesis as host mode runs it (kinesis-mock with services/localstack/kinesis_mock_patch.py): the
patched PutRecords still keeps each shard's records in put order, with the sequence numbers and
shard ids its responses promised, across calls that land on a shard already holding records."""

from __future__ import annotations

import pytest

from tests.shard_reads import shard_records

pytestmark = pytest.mark.integration


def test_put_records_keep_order_sequence_numbers_and_shards(aws):
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="patched-put-records", ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(
        StreamName="patched-put-records", WaiterConfig={"Delay": 0.5, "MaxAttempts": 60}
    )
    promised: dict[str, list[tuple[str, bytes]]] = {}
    for call in range(3):  # the second and third calls land on shards that already hold records
        entries = [{"Data": f"{call}-{i}".encode(), "PartitionKey": f"well-{i % 7}"} for i in range(500)]
        answer = kinesis.put_records(StreamName="patched-put-records", Records=entries)
        assert answer["FailedRecordCount"] == 0
        for entry, result in zip(entries, answer["Records"], strict=True):
            promised.setdefault(result["ShardId"], []).append((result["SequenceNumber"], entry["Data"]))

    assert len(promised) == 2 and sum(len(v) for v in promised.values()) == 1_500
    for shard_id, expected in promised.items():
        stored = [
            (r["SequenceNumber"], r["Data"]) for r in shard_records(kinesis, "patched-put-records", shard_id)
        ]
        assert stored == expected, f"{shard_id}: records differ from what PutRecords acknowledged"
        numbers = [int(sequence) for sequence, _ in stored]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
