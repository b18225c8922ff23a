"""End to end under sustained load, in host mode: records are offered to the deployed stream at a
fixed rate, and a watcher sees each one appear in curated.

The deployment is `make up`'s (petrostream.deployment.up) on a new host-mode LocalStack with its own state.
The replay is time-compressed: the dataset's event times are mapped linearly onto the wall clock
so that the whole dataset takes ``records / rate`` seconds, and each record is put once its
mapped time has passed, in batches of up to 500 (a buffering producer). A record's latency is
the time it became visible in curated (the first listing of curated, polled every second, whose
objects hold its event_id) minus its mapped event time, so a producer that falls behind shows up
as latency too. Sustained throughput is curated rows over the time from
the first put to the last row becoming visible.

At the end every record must be in curated or in quarantine (nothing lost); the report says how
many are where.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.cpu import CpuSampler
from bench.report import BenchResult, Measurement
from bench.workload import ROOT, WELLS, readings
from petrostream.deployment import up as deploy_up
from petrostream.status import function_log_events, json_log_lines
from pipeline import layout
from pipeline.duck import S3Access, connect, count
from pipeline.table import Manifest
from producer.kinesis_writer import put_records
from services import local_aws
from services.localstack.host import free_port
from services.settings import DEFAULT_REGION as REGION
from services.settings import Settings

TARGET_RATE = 5_000.0  # records per second, sustained
TARGET_P95 = 10.0  # seconds
POLL_SECONDS = 1.0
SETTLE_SECONDS = 120.0  # after the last put: how long curated may stay still before the run ends

# Kinesis records per processor invocation. LocalStack's event source mapping polls one shard at a
# time and invokes synchronously, so its fixed cost per invocation caps throughput: with infra/'s
# default of 500 a 100,000-record run sustained 987 records/s, with 5,000 it sustained 1,341 (both
# CPU-bound on 2 cores). 5,000 records (~4.6 MB) stay inside Lambda's 6 MB event limit on AWS.
PROCESSOR_BATCH_SIZE = 5_000


@dataclasses.dataclass
class Visibility:
    """Curated as a reader sees it: when each event_id first appeared, and its event time."""

    seen: set[str] = dataclasses.field(default_factory=set)
    event_times: list[np.ndarray] = dataclasses.field(default_factory=list)  # epoch seconds
    visible_at: list[np.ndarray] = dataclasses.field(default_factory=list)
    etags: dict[str, str] = dataclasses.field(default_factory=dict)  # manifest key -> ETag read
    files: set[str] = dataclasses.field(default_factory=set)  # committed files read
    last_change: float = 0.0

    def poll(self, s3: Any, bucket: str) -> None:
        """One look at curated as readers see it: the manifests that changed since the last look,
        and the committed files they list that were not read yet."""
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=layout.prefix("manifests"))
        changed = [
            (o["Key"], o["ETag"])
            for p in pages
            for o in p.get("Contents", [])
            if self.etags.get(o["Key"]) != o["ETag"]
        ]
        for key, etag in changed:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            manifest = Manifest.from_bytes(body, etag)
            for file in manifest.files("curated"):
                if file.key in self.files:
                    continue
                data = s3.get_object(Bucket=bucket, Key=file.key)["Body"].read()
                self.files.add(file.key)
                self._read(pq.read_table(io.BytesIO(data), columns=["event_id", "event_time"]))
            self.etags[key] = etag

    def _read(self, table: Any) -> None:
        now = time.time()
        ids = table.column("event_id").to_pylist()
        fresh = np.fromiter((i not in self.seen for i in ids), bool, len(ids))
        if fresh.any():
            times = (
                table.column("event_time").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
                / 1e6
            )
            self.seen.update(i for i, f in zip(ids, fresh, strict=True) if f)
            self.event_times.append(times[fresh])
            self.visible_at.append(np.full(int(fresh.sum()), now))
            self.last_change = now


def _epoch(event_time: str) -> float:
    return datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()


def _quarantined(endpoint: str, bucket: str) -> int:
    """Entries in the quarantine zone (the stack is this run's alone)."""

    con = connect(S3Access(REGION, endpoint))
    try:
        return count(
            con,
            f"SELECT count(*) FROM read_json('s3://{bucket}/{layout.prefix('quarantine')}**', "
            "format='newline_delimited', columns={'reason': 'VARCHAR'})",
        )
    finally:
        con.close()


@dataclasses.dataclass(frozen=True)
class Builds:
    """What the curated builder's "built" log lines add up to over the run."""

    builds: int
    rows: int  # curated rows written, summed over builds: each build rewrites whole partitions
    seconds: float


def builds_from_log(messages: Iterable[str]) -> Builds:
    """Add up the builder's "built" lines (Powertools JSON); other lines are skipped."""
    builds = rows = 0
    seconds = 0.0
    for line in json_log_lines(messages):
        if isinstance(line, dict) and line.get("message") == "built":
            builds, rows, seconds = (
                builds + 1,
                rows + int(line["curated_rows"]),
                seconds + float(line["seconds"]),
            )
    return Builds(builds, rows, seconds)


def _builds(endpoint: str, function: str) -> Builds:
    logs = local_aws.client("logs", endpoint, REGION)
    return builds_from_log(event["message"] for event in function_log_events(logs, function))


def run(
    records: int = 1_000_000,
    rate: float = TARGET_RATE,
    batch_size: int = PROCESSOR_BATCH_SIZE,
    builder_window: int | None = None,
) -> BenchResult:
    """builder_window: the builder's batching window in seconds (infra/'s default when None)."""
    started_run = time.monotonic()
    state = ROOT / "state-e2e"
    shutil.rmtree(state, ignore_errors=True)
    settings = dataclasses.replace(Settings.from_env(), state_dir=state, mode="host", port=free_port())
    data = readings(records, run_id="bench-e2e")
    event_seconds = np.array([_epoch(r["event_time"]) for r in data])
    # Event seconds per wall second such that the whole dataset takes records / rate seconds (wells'
    # instances do not all overlap, so an event second holds fewer than WELLS records on average).
    speed = (event_seconds[-1] - event_seconds[0]) * rate / max(len(data) - 1, 1)
    overrides = {"processor_batch_size": batch_size, "builder_batching_window_seconds": builder_window}
    up = deploy_up(settings, {name: str(value) for name, value in overrides.items() if value is not None})
    endpoint, bucket, stream = up.stack.endpoint, up.outputs.lake_bucket, up.outputs.stream_name
    visibility = Visibility()
    cpu = CpuSampler(up.stack.host)
    stop = threading.Event()

    def watch() -> None:
        s3 = local_aws.client("s3", endpoint, REGION)
        while not stop.is_set():
            try:
                visibility.poll(s3, bucket)
            except Exception as error:
                print(f"end to end: curated poll failed ({error}); looking again", flush=True)
            cpu.sample()
            stop.wait(POLL_SECONDS)

    watcher = threading.Thread(target=watch, name="curated-watcher", daemon=True)
    try:
        kinesis = local_aws.client("kinesis", endpoint, REGION)
        watcher.start()
        start_wall = time.time() + 1.0
        due = start_wall + (event_seconds - event_seconds[0]) / speed
        sent, lag, told = 0, [], time.time()
        while sent < len(data):
            now = time.time()
            if now - told >= 30:
                print(f"  {sent:,} put, {len(visibility.seen):,} visible in curated", flush=True)
                told = now
            ready = int(np.searchsorted(due, now, side="right"))
            if ready <= sent:
                time.sleep(min(0.05, due[sent] - now))
                continue
            lag.append(now - due[sent])
            summary = put_records(kinesis, stream, data[sent:ready], "well_id")
            if summary.failed:
                raise RuntimeError(f"end to end: {len(summary.failed)} records refused by Kinesis")
            sent = ready
        last_put = time.time()
        while len(visibility.seen) < len(data):
            if time.time() - max(visibility.last_change, last_put) >= SETTLE_SECONDS:
                break  # curated has not changed for SETTLE_SECONDS: stop waiting
            time.sleep(1.0)
        stop.set()
        watcher.join()
        quarantined = _quarantined(endpoint, bucket)
        builds = _builds(endpoint, up.outputs.curated_builder_function_name)
    finally:
        stop.set()
        up.stack.stop()
    result = _result(
        records,
        rate,
        batch_size,
        visibility,
        start_wall,
        last_put,
        speed,
        event_seconds[0],
        quarantined,
        lag,
        time.monotonic() - started_run,
    )
    result.setup["builder_batching_window_seconds"] = (
        builder_window if builder_window is not None else "infra default"
    )
    result.profile = [
        *cpu.shares(),
        f"curated builder: {builds.builds:,} builds, {builds.seconds:,.0f} s building; "
        f"they wrote {builds.rows:,} curated rows, {builds.rows / max(records, 1):.1f} per record "
        "(new rows only: a build commits the rows its partitions do not hold yet; compaction apart)",
    ]
    return result


def _result(
    records: int,
    rate: float,
    batch_size: int,
    visibility: Visibility,
    start_wall: float,
    last_put: float,
    speed: float,
    first_event: float,
    quarantined: int,
    lag: list[float],
    seconds: float,
) -> BenchResult:
    visible = np.concatenate(visibility.visible_at) if visibility.visible_at else np.array([])
    mapped = (
        start_wall + (np.concatenate(visibility.event_times) - first_event) / speed
        if visible.size
        else np.array([])
    )
    latency = visible - mapped
    curated = int(visible.size)
    span = (visible.max() - start_wall) if curated else float("nan")
    throughput = curated / span if curated else 0.0
    p50, p95, p99 = (np.percentile(latency, q) for q in (50, 95, 99)) if curated else (float("nan"),) * 3
    offered = records / (last_put - start_wall)
    lost = records - curated - quarantined
    notes = [
        f"offered {offered:,.0f} records/s for {last_put - start_wall:,.0f} s (asked for {rate:,.0f}); "
        f"the producer was at most {max(lag, default=0):.1f} s behind its schedule",
        f"{curated:,} of {records:,} records reached curated, {quarantined:,} are in quarantine, "
        f"{lost:,} are neither",
        f"latency p50 {p50:.1f} s, p95 {p95:.1f} s, p99 {p99:.1f} s, "
        f"max {latency.max() if curated else float('nan'):.1f} s "
        f"(visibility polled every {POLL_SECONDS:.0f} s)",
    ]
    measurements = [
        Measurement(
            "end to end: sustained throughput", throughput, "records/s", target=TARGET_RATE, notes=notes
        ),
        Measurement(
            "end to end: p95 latency, event time to visible in curated",
            float(p95),
            "s",
            higher_is_better=False,
            target=TARGET_P95,
        ),
        Measurement("end to end: p50 latency", float(p50), "s", higher_is_better=False),
        Measurement(
            "end to end: records neither in curated nor in quarantine",
            float(lost),
            "records",
            higher_is_better=False,
            target=0,
        ),
    ]
    setup = {
        "records": records,
        "wells": WELLS,
        "offered_rate": rate,
        "mode": "host",
        "poll_seconds": POLL_SECONDS,
        "processor_batch_size": batch_size,
    }
    return BenchResult("end to end", setup, measurements, seconds)
