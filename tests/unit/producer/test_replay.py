"""Replaying a dataset: every reading once, wells in time order, keyed by well, paced on request."""

from __future__ import annotations

import json

from producer.replay import paced, replay


class RecordingStream:
    """Accepts everything and remembers what was put, in order."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.calls = 0

    def put_records(self, StreamName: str, Records: list[dict]) -> dict:
        self.calls += 1
        self.entries += Records
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1"} for _ in Records]}


def test_every_reading_is_put_once_keyed_by_well_in_time_order(small_dataset):
    stream = RecordingStream()
    seen: list[int] = []
    result = replay(stream, "readings", small_dataset, run_id="r1", progress=seen.append)
    records = [json.loads(e["Data"]) for e in stream.entries]
    assert result.summary.records == len(records) == len({r["event_id"] for r in records}) == sum(seen)
    assert all(e["PartitionKey"] == r["well_id"] for e, r in zip(stream.entries, records, strict=True))
    assert [r["event_time"] for r in records] == sorted(r["event_time"] for r in records)
    assert all(
        len(batch) <= 500 for batch in [stream.entries[i : i + 500] for i in range(0, len(records), 500)]
    )
    assert {r["run_id"] for r in records} == {"r1"} and result.summary.failed == []
    assert "records from 12 files" in result.describe()


def test_replaying_again_sends_the_same_event_ids(small_dataset):
    first, second = RecordingStream(), RecordingStream()
    replay(first, "readings", small_dataset)
    replay(second, "readings", small_dataset)
    ids = [[json.loads(e["Data"])["event_id"] for e in s.entries] for s in (first, second)]
    assert ids[0] == ids[1]


def test_paced_replay_releases_each_second_at_its_moment():
    """Event seconds 0, 1, 1, 3 at speed 2 are released at 0, 0.5 and 1.5 s on the replay's clock."""
    now = [100.0]
    released: list[tuple[float, int]] = []
    records = [{"event_time": f"2025-06-01T00:00:0{s}.000Z"} for s in (0, 1, 1, 3)]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    for group in paced(records, 2.0, clock=lambda: now[0], sleep=sleep):
        released.append((now[0] - 100.0, len(group)))
    assert released == [(0.0, 1), (0.5, 2), (1.5, 1)]


def test_a_bad_file_stops_the_replay_before_anything_is_sent(small_dataset, tmp_path):
    """Every file is read and checked first: a broken one is reported, nothing goes half-way."""
    import shutil

    import pytest

    from pipeline.threew import InputFileError

    dataset = tmp_path / "dataset"
    shutil.copytree(small_dataset, dataset)
    broken = dataset / "9" / "WELL-00099_20250601000000.parquet"
    broken.write_bytes(b"PAR1 truncated")
    stream = RecordingStream()
    with pytest.raises(InputFileError, match=r"WELL-00099_20250601000000\.parquet: cannot be read"):
        replay(stream, "readings", dataset)
    assert stream.calls == 0
