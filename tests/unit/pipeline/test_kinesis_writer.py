"""Batching within Kinesis limits, and retrying only the entries a PutRecords call rejected."""

from __future__ import annotations

import pytest

from pipeline import kinesis_writer
from pipeline.kinesis_writer import RecordTooLarge, batches, put_records


class ThrottlingStream:
    """A stand-in for Kinesis that rejects every other entry on the first attempt it sees."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.accepted: list[bytes] = []
        self._seen: set[bytes] = set()

    def put_records(self, StreamName: str, Records: list[dict]) -> dict:
        self.calls.append(len(Records))
        results = []
        for index, entry in enumerate(Records):
            if index % 2 == 1 and entry["Data"] not in self._seen:
                self._seen.add(entry["Data"])
                results.append({"ErrorCode": "ProvisionedThroughputExceededException"})
            else:
                self.accepted.append(entry["Data"])
                results.append({"SequenceNumber": "1"})
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


def test_batches_respect_count_and_size_limits():
    entries = [{"Data": b"x" * 20_000, "PartitionKey": "k"} for _ in range(1200)]
    sizes = [len(b) for b in batches(entries)]
    assert sum(sizes) == 1200
    assert max(sizes) <= kinesis_writer.MAX_RECORDS
    for batch in batches(entries):
        assert sum(len(e["Data"]) + 1 for e in batch) <= kinesis_writer.MAX_BYTES


def test_oversized_record_is_refused_with_its_partition_key():
    with pytest.raises(RecordTooLarge, match="WELL-7"):
        list(batches([{"Data": b"x" * (1024 * 1024), "PartitionKey": "WELL-7"}]))


def test_only_failed_entries_are_retried_and_none_are_lost():
    stream = ThrottlingStream()
    records = [{"well_id": f"W{i % 3}", "seq": i} for i in range(700)]
    summary = put_records(stream, "s", records, "well_id", base_delay=0)
    assert summary.records == 700 and summary.failed == []
    assert sorted(stream.accepted) == sorted(kinesis_writer.encode(r) for r in records)
    assert stream.calls == [500, 250, 200, 100]
    assert summary.retried_entries == 350
