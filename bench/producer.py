"""Producer throughput into Kinesis against the raw limit of the same LocalStack: a plain boto3
loop of 500-record PutRecords calls over pre-encoded records.

Both write the same records into a fresh stream each, with the shard count infra/ deploys, on one
host-mode LocalStack started for the run (so neither side inherits the other's records: before
services/localstack/kinesis_mock_patch.py, kinesis-mock got slower with every record a shard held).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from bench.kinesis_profile import profile
from bench.report import BenchResult, Measurement
from bench.workload import ROOT, readings
from pipeline.kinesis_writer import encode, put_records
from services import local_aws
from services.localstack.host import HostLocalStack, free_port
from services.settings import DEFAULT_REGION as REGION
from services.settings import Settings

TARGET_RATIO = 0.8
SHARDS = 4


def _stream(kinesis: Any, name: str) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=SHARDS)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.5, "MaxAttempts": 120})


def raw_loop(kinesis: Any, stream: str, entries: list[dict[str, Any]]) -> float:
    """Records per second of back-to-back PutRecords calls of 500 ready entries."""
    started = time.perf_counter()
    for start in range(0, len(entries), 500):
        response = kinesis.put_records(StreamName=stream, Records=entries[start : start + 500])
        if response.get("FailedRecordCount"):
            raise RuntimeError(f"raw loop: {response['FailedRecordCount']} records refused")
    return len(entries) / (time.perf_counter() - started)


def producer_rate(kinesis: Any, stream: str, records: list[dict[str, Any]]) -> float:
    """Records per second of the producer's writer (encoding, batching, retries included)."""
    started = time.perf_counter()
    summary = put_records(kinesis, stream, records, "well_id")
    if summary.failed:
        raise RuntimeError(f"producer: {len(summary.failed)} records refused")
    return summary.records / (time.perf_counter() - started)


def run(records: int = 20_000) -> BenchResult:
    started = time.monotonic()
    settings = dataclasses.replace(Settings.from_env(), state_dir=ROOT / "state")
    host = HostLocalStack(settings, ROOT / "state" / "localstack-producer", free_port())
    data = readings(records)
    entries = [{"Data": encode(r), "PartitionKey": r["well_id"]} for r in data]
    try:
        kinesis = local_aws.client("kinesis", host.start(), REGION)
        _stream(kinesis, "bench-raw")
        _stream(kinesis, "bench-producer")
        raw = raw_loop(kinesis, "bench-raw", entries)
        ours = producer_rate(kinesis, "bench-producer", data)
    finally:
        host.stop()
    measurement = Measurement(
        "producer throughput",
        ours,
        "records/s",
        reference=raw,
        reference_name="plain boto3 PutRecords loop",
        target_ratio=TARGET_RATIO,
    )
    setup = {"records": records, "shards": SHARDS, "LocalStack": "host mode"}
    return BenchResult("producer", setup, [measurement], time.monotonic() - started, profile=profile())
