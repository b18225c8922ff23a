"""Restarts: with persistence on, LocalStack stopped in the middle of a stream and started again
loses nothing the producer had acknowledged.

Tested in host mode, on an instance of its own. LocalStack's free edition persists only the
Kinesis streams (kinesis-mock's file); the rest of the stack is re-created by the next apply, and
the new event source mapping reads the stream from TRIM_HORIZON, so the acknowledged readings
reach the lake again and deduplication keeps each once.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petrostream.lake import lake_store
from pipeline.duck import S3Access, connect
from pipeline.kinesis_writer import put_records
from pipeline.queries import create_views
from producer.replay import load, merged_records
from producer.synthetic import SyntheticSpec, generate, write_dataset
from services import local_aws
from services.localstack.host import HostLocalStack, free_port
from services.settings import DEFAULT_REGION as REGION
from services.terraform import LocalDeployment
from tests.shard_reads import shard_records

pytestmark = pytest.mark.integration


@pytest.fixture
def persistent(settings, tmp_path) -> Iterator[HostLocalStack]:
    host = HostLocalStack(
        dataclasses.replace(settings, state_dir=tmp_path), tmp_path / "ls", free_port(), persistence=True
    )
    yield host
    host.stop()


def _readings(tmp_path: Path) -> list[dict]:
    root = tmp_path / "dataset"
    write_dataset(generate(SyntheticSpec(wells=2, instances_per_well=1, instance_minutes=10)), root)
    return list(merged_records(load(root), root, run_id="restart"))


def _event_ids_in_stream(endpoint: str, stream: str) -> set[str]:
    """Every event_id the stream holds, read from TRIM_HORIZON on each shard."""
    kinesis = local_aws.client("kinesis", endpoint, REGION)
    found: set[str] = set()
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        found |= {
            json.loads(record["Data"])["event_id"]
            for record in shard_records(kinesis, stream, shard["ShardId"])
        }
    return found


def _curated(endpoint: str, bucket: str, event_ids: set[str]) -> tuple[int, int]:
    """(rows, distinct event_ids) in curated among these readings; (0, 0) before curated exists."""
    con = connect(S3Access(REGION, endpoint))
    try:
        if "curated_readings" not in create_views(con, lake_store(endpoint, REGION, bucket)):
            return 0, 0
        con.execute(
            "CREATE TEMP TABLE wanted AS SELECT unnest(?::VARCHAR[]) AS event_id", [sorted(event_ids)]
        )
        rows, distinct = con.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM curated_readings "
            "WHERE event_id IN (SELECT event_id FROM wanted)"
        ).fetchone()
    finally:
        con.close()
    return int(rows), int(distinct)


def test_restart_mid_stream_loses_nothing_acknowledged(persistent, artifacts_dir, tmp_path):
    readings = _readings(tmp_path)
    before, after = readings[: len(readings) // 2], readings[len(readings) // 2 :]
    deployment = LocalDeployment(persistent.settings, persistent.start(), instance="restart")
    outputs = deployment.apply(artifacts_dir)

    acknowledged = put_records(
        local_aws.client("kinesis", persistent.endpoint, REGION), outputs.stream_name, before, "well_id"
    )
    assert acknowledged.failed == [] and acknowledged.records == len(before)
    persistent.stop()  # at once: the processor is still working through the batch

    persistent.start()
    kept = _event_ids_in_stream(persistent.endpoint, outputs.stream_name)
    assert {r["event_id"] for r in before} <= kept, (
        f"{len(before) - len(kept)} acknowledged records lost in the restart"
    )
    outputs = deployment.apply(artifacts_dir)  # the rest of the stack, re-created around the kept stream

    second = put_records(
        local_aws.client("kinesis", persistent.endpoint, REGION), outputs.stream_name, after, "well_id"
    )
    assert second.failed == []
    wanted = {r["event_id"] for r in readings}
    deadline = time.monotonic() + 300
    while (counts := _curated(persistent.endpoint, outputs.lake_bucket, wanted))[1] < len(wanted):
        if time.monotonic() >= deadline:
            break
        time.sleep(2.0)
    assert counts == (len(wanted), len(wanted)), "every acknowledged reading in curated exactly once"
