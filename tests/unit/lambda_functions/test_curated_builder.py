"""lambda/curated_builder/handler.py against moto's S3: raw NDJSON objects announced by the SQS
event fixture become curated and gold Parquet."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus

import pyarrow.parquet as pq
import pytest

from pipeline import gold, layout, table
from pipeline.build import build_from_raw
from pipeline.kinesis_writer import encode
from pipeline.storage import S3Store
from pipeline.stream import StreamRecord, ndjson_line, process_batch
from producer.replay import load, merged_records
from producer.synthetic import SyntheticSpec, generate, write_dataset
from tests.unit.lambda_functions.support import LAKE_BUCKET, LoadFunction, emitted, invoke, load_event

EVENT = "sqsS3NotificationEvent.json"
ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)
OVERLAP = 100  # rows the second raw object repeats from the first, as a Firehose retry would


def notified_raw_keys() -> list[str]:
    """The raw keys the event fixture announces, in its order (see tests/events/README.md)."""
    keys = []
    for message in load_event(EVENT)["Records"]:
        for record in json.loads(message["body"]).get("Records", []):
            key = record["s3"]["object"]["key"]
            if key.startswith(layout.prefix("raw")):
                keys.append(key)
    return keys


@pytest.fixture(scope="module")
def raw_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Raw rows as the stream processor makes them from the producer's records of a synthetic
    3W dataset (every fifth reading: three hours of four wells)."""
    root = tmp_path_factory.mktemp("dataset")
    write_dataset(generate(SyntheticSpec(wells=4, instances_per_well=3, instance_minutes=20)), root)
    records = list(merged_records(load(root), root, "run-test-builder"))[::5]
    items = [
        StreamRecord(f"{i:056d}", r["well_id"], ARRIVAL + timedelta(milliseconds=i), encode(r))
        for i, r in enumerate(records)
    ]
    return [row for _, row in process_batch(items).rows]


@pytest.fixture
def raw_objects(s3: Any, raw_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows put into the lake as the two raw objects the event announces; returns them all."""
    first, second = notified_raw_keys()
    half = len(raw_rows) // 2
    for key, rows in ((first, raw_rows[:half]), (second, raw_rows[half - OVERLAP :])):
        s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=b"".join(ndjson_line(row) for row in rows))
    return raw_rows


@pytest.fixture
def builder(load_function: LoadFunction, s3: Any, tmp_path: Path) -> ModuleType:
    return load_function("curated_builder", {"LAKE_BUCKET": LAKE_BUCKET, "TMPDIR": str(tmp_path)})


def parquet(s3: Any, key: str) -> dict[str, list[Any]]:
    body = s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read()
    table: dict[str, list[Any]] = pq.read_table(io.BytesIO(body)).to_pydict()
    return table


def keys_under(s3: Any, prefix: str) -> list[str]:
    return sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix).get("Contents", [])
    )


def committed(s3: Any) -> dict[str, list[str]]:
    return table.committed_keys(S3Store(s3, LAKE_BUCKET))


def test_raw_notifications_commit_curated_and_gold_files(
    builder: ModuleType, s3: Any, raw_objects: list[dict[str, Any]], capsys: Any
) -> None:
    partitions = sorted({(row["event_time"][:10], int(row["event_time"][11:13])) for row in raw_objects})
    assert len(partitions) > 1  # the data spans several hours

    result = invoke(builder, load_event(EVENT))

    assert result == {"raw_objects": 2, "partitions": len(partitions), "curated_rows": len(raw_objects)}
    files = committed(s3)
    for zone in ("curated", *gold.ZONES):  # one new file per table and partition
        folders = sorted(key.rsplit("/", 1)[0] + "/" for key in files[zone])
        assert folders == sorted(layout.prefix(zone) + layout.partition_path(d, h) for d, h in partitions)
    curated = [parquet(s3, key) for key in files["curated"]]
    assert sorted(e for t in curated for e in t["event_id"]) == sorted(row["event_id"] for row in raw_objects)
    for zone in gold.ZONES:
        assert sum(sum(parquet(s3, key)["readings"]) for key in files[zone]) == len(raw_objects)
    [built] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"message":"built"' in line
    ]
    assert built["correlation_id"] == "run-test-builder"
    assert built["partitions"] == [list(partition) for partition in partitions]


def test_a_repeated_notification_commits_nothing_more(
    builder: ModuleType, s3: Any, raw_objects: list[dict[str, Any]]
) -> None:
    invoke(builder, load_event(EVENT))
    before = committed(s3)
    objects = keys_under(s3, "")

    assert invoke(builder, load_event(EVENT)) == {"raw_objects": 2, "partitions": 0, "curated_rows": 0}
    assert committed(s3) == before
    assert keys_under(s3, "") == objects


def test_test_events_and_keys_outside_the_raw_zone_are_ignored(
    builder: ModuleType, s3: Any, raw_rows: list[dict[str, Any]]
) -> None:
    event = load_event(EVENT)
    event["Records"] = [m for m in event["Records"] if not any(k in m["body"] for k in notified_raw_keys())]
    assert len(event["Records"]) == 2  # the s3:TestEvent and the quarantine object
    # Were the quarantine object taken for raw data, it would build partitions.
    [quarantine_key] = [
        unquote_plus(json.loads(m["body"])["Records"][0]["s3"]["object"]["key"])
        for m in event["Records"]
        if "Records" in json.loads(m["body"])
    ]
    s3.put_object(
        Bucket=LAKE_BUCKET, Key=quarantine_key, Body=b"".join(ndjson_line(r) for r in raw_rows[:10])
    )

    assert invoke(builder, event) == {"raw_objects": 0, "partitions": 0, "curated_rows": 0}
    assert keys_under(s3, layout.prefix("curated")) == []


def test_raw_keys_are_url_decoded_and_filtered(builder: ModuleType) -> None:
    event = load_event(EVENT)
    body = json.loads(event["Records"][1]["body"])
    body["Records"][0]["s3"]["object"]["key"] = "raw/2026/01/01/00/late+object%3D1"
    event["Records"][1]["body"] = json.dumps(body)

    assert builder.raw_keys(event) == ["raw/2026/01/01/00/late object=1", notified_raw_keys()[1]]


def test_missing_lake_bucket_is_named_when_the_function_loads(load_function: LoadFunction, s3: Any) -> None:
    with pytest.raises(RuntimeError, match=r"^LAKE_BUCKET is not set: the curated builder needs"):
        load_function("curated_builder", {})


def test_scratch_space_defaults_to_tmp(load_function: LoadFunction, s3: Any) -> None:
    builder = load_function("curated_builder", {"LAKE_BUCKET": LAKE_BUCKET})

    assert builder.config == builder.BuilderConfig(lake_bucket=LAKE_BUCKET, work_dir=Path("/tmp"))


def test_the_scheduled_compaction_merges_a_full_tier_of_every_partition(
    builder: ModuleType, s3: Any, raw_rows: list[dict[str, Any]], capsys: Any
) -> None:
    """Eight builds that were never compacted (as CLI builds, or builds whose compaction failed,
    leave them) hold a full tier 0; the schedule's event merges it."""
    hour = raw_rows[0]["event_time"][:13]
    rows = [row for row in raw_rows if row["event_time"][:13] == hour]
    store = S3Store(s3, LAKE_BUCKET)
    for part in range(8):  # eight files in one partition
        key = f"{layout.prefix('raw')}2026/01/01/00/part-{part}"
        s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=b"".join(ndjson_line(row) for row in rows[part::8]))
        build_from_raw(store, [key])
    assert len(committed(s3)["curated"]) == 8
    capsys.readouterr()

    result = invoke(builder, {"job": "compact"})  # what infra/schedules.tf's rule sends

    assert result["job"] == "compact" and result["partitions"] == 1
    assert [merged for _, _, merged in result["compacted"]] == [8]
    after = committed(s3)["curated"]
    assert len(after) == 1 and len(parquet(s3, after[0])["event_id"]) == len(rows)
    lines, _ = emitted(capsys.readouterr().out)
    assert [line["message"] for line in lines if line.get("message") == "compacted"] == ["compacted"]
