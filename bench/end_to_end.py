"""End to end in host mode, measured against the emulator's own ceiling in the same run.

One deployment (`make up`'s, petrostream.deployment.up, on a new host-mode LocalStack with its
own state) runs three phases over consecutive slices of the synthetic dataset (distinct readings,
so no phase's rows deduplicate another's):

1. ceiling: the processor function runs bench/passthrough.py (Kinesis records to Firehose as
   they are) and the builder's event source mapping is disabled. Records are offered as fast as
   the producer can put them; throughput is records in raw over the time from the first put to
   the last record's arrival in raw. This is what LocalStack's Kinesis, event source mapping,
   Lambda executor, Firehose and S3 sustain on this machine with no work of ours.
2. chain: the real processor and builder are restored (raw notifications of phase 1 are drained
   first) and the next slice is offered as fast as possible; throughput is records visible in
   curated over the time from the first put to the last one visible. Reported as a ratio to 1.
3. latency: the next slice is offered at LATENCY_LOAD of the ceiling, time-compressed: event
   times are mapped linearly onto the wall clock, and each record is put once its mapped time
   has passed. A reading's latency to curated is the time it became visible (the first poll of
   the manifests, every POLL_SECONDS, listing a file that holds it) minus its mapped event time;
   an alert's latency is when the alerts queue gave it to us minus the mapped time of the first
   reading it reports. A producer that falls behind shows up as latency too.

At the end every record of phases 2 and 3 must be in curated or in quarantine (nothing lost);
the report says how many are where.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from bench.cpu import CpuSampler
from bench.report import BenchResult, Measurement
from bench.workload import ROOT, WELLS, readings
from petrostream.deployment import up as deploy_up
from petrostream.status import function_log_events, json_log_lines
from pipeline import layout
from pipeline.duck import S3Access, connect, count
from pipeline.kinesis_writer import put_records
from pipeline.table import Manifest
from services import local_aws
from services.localstack.host import free_port
from services.localstack.stack import HostStack, select
from services.settings import DEFAULT_REGION as REGION
from services.settings import Settings

TARGET_RATIO = 0.8  # chain throughput / ceiling
LATENCY_LOAD = 0.8  # of the ceiling, for the latency phase
TARGET_ALERT_P95 = 5.0  # seconds, event time to alert
TARGET_CURATED_P95 = 30.0  # seconds, event time to visible in curated
POLL_SECONDS = 1.0
SETTLE_SECONDS = 120.0  # after the last put: how long a zone may stay still before a phase ends
PUT_CHUNK = 5_000  # records per put_records call of the producer loop (it chunks by 500 itself)
PASSTHROUGH = Path(__file__).with_name("passthrough.py")

# Kinesis records per processor invocation. LocalStack's event source mapping polls one shard at a
# time and invokes synchronously, so its fixed cost per invocation caps throughput: with infra/'s
# default of 500 a 100,000-record run sustained 987 records/s, with 5,000 it sustained 1,341 (both
# CPU-bound on 2 cores). 5,000 records (~4.6 MB) stay inside Lambda's 6 MB event limit on AWS.
PROCESSOR_BATCH_SIZE = 5_000


@dataclasses.dataclass
class Visibility:
    """Curated as a reader sees it: when each event_id first appeared."""

    visible: dict[str, float] = dataclasses.field(default_factory=dict)  # event_id -> wall time
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
                self._read(
                    pq.read_table(io.BytesIO(data), columns=["event_id"]).column("event_id").to_pylist()
                )
            self.etags[key] = etag

    def _read(self, ids: list[str]) -> None:
        now = time.time()
        fresh = [i for i in ids if i not in self.visible]
        if fresh:
            self.visible.update(dict.fromkeys(fresh, now))
            self.last_change = now

    def count(self) -> int:
        return len(self.visible)


@dataclasses.dataclass
class RawArrivals:
    """Records in the raw zone: the newlines of every raw object not counted yet (Firehose writes
    one NDJSON line per record), and when the count last grew."""

    records: int = 0
    keys: set[str] = dataclasses.field(default_factory=set)
    last_change: float = 0.0

    def poll(self, s3: Any, bucket: str) -> None:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=layout.prefix("raw"))
        for key in [o["Key"] for p in pages for o in p.get("Contents", []) if o["Key"] not in self.keys]:
            self.records += s3.get_object(Bucket=bucket, Key=key)["Body"].read().count(b"\n")
            self.keys.add(key)
            self.last_change = time.time()

    def count(self) -> int:
        return self.records


@dataclasses.dataclass
class Alerts:
    """Alerts as a subscriber of the alerts queue receives them: (wall time received, alert)."""

    received: list[tuple[float, dict[str, Any]]] = dataclasses.field(default_factory=list)

    def poll(self, sqs: Any, queue: str) -> None:
        """Receive until the queue is empty, the first receive a long poll (so an alert is taken
        as soon as it is sent, not at the next look)."""
        wait = 1
        while True:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
                "Messages", []
            )
            wait = 0
            if not messages:
                return
            now = time.time()
            self.received += [(now, json.loads(m["Body"])) for m in messages]
            delete_messages(sqs, queue, messages)


def delete_messages(sqs: Any, queue: str, messages: list[dict[str, Any]]) -> None:
    """Delete what one receive_message returned (ten at most: one DeleteMessageBatch)."""
    sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
    )


class Watcher:
    """A thread that calls ``look`` every ``interval`` seconds until stopped (and samples the CPU)."""

    def __init__(
        self, look: Callable[[], None], cpu: CpuSampler | None = None, interval: float = POLL_SECONDS
    ) -> None:
        self.look, self.cpu, self.interval = look, cpu, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-watcher", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.look()
            except Exception as error:
                print(f"end to end: a poll failed ({error}); looking again", flush=True)
            if self.cpu is not None:
                self.cpu.sample()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.look()  # a last look, after the thread's


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


@dataclasses.dataclass(frozen=True)
class Batch:
    """One stream processor invocation, from its "batch" log line."""

    started: float  # epoch seconds
    seconds: float  # the invocation's own time
    waited: float  # from the batch's earliest Kinesis arrival to the invocation's start
    records: int


def batches_from_log(messages: Iterable[str]) -> list[Batch]:
    """The processor's "batch" lines (Powertools JSON) that carry their timings; others skipped."""
    found = []
    for line in json_log_lines(messages):
        if isinstance(line, dict) and line.get("message") == "batch" and line.get("oldest_arrival"):
            started = _epoch(line["started_at"])
            found.append(
                Batch(
                    started,
                    float(line["seconds"]),
                    started - _epoch(line["oldest_arrival"]),
                    int(line["records"]),
                )
            )
    return found


def _batches(endpoint: str, function: str, since: float) -> list[Batch]:
    logs = local_aws.client("logs", endpoint, REGION)
    found = batches_from_log(event["message"] for event in function_log_events(logs, function))
    return [batch for batch in found if batch.started >= since]


def _builds(endpoint: str, function: str) -> Builds:
    logs = local_aws.client("logs", endpoint, REGION)
    return builds_from_log(event["message"] for event in function_log_events(logs, function))


@dataclasses.dataclass(frozen=True)
class Offered:
    """What the producer loop did: when it started and ended, and how far it fell behind."""

    start: float  # wall time of the schedule's start (the first put, for an unscheduled phase)
    last_put: float
    lag: float  # seconds the producer was behind its schedule at worst

    def rate(self, records: int) -> float:
        return records / max(self.last_put - self.start, 1e-9)


def offer(kinesis: Any, stream: str, data: list[dict[str, Any]], due: np.ndarray | None = None) -> Offered:
    """Put ``data`` into the stream, each record once its due wall time has passed (all at once,
    as fast as put_records goes, when ``due`` is None)."""
    start = time.time() + (1.0 if due is not None else 0.0)
    due = np.full(len(data), start) if due is None else start + due
    sent, lag, told = 0, 0.0, time.time()
    while sent < len(data):
        now = time.time()
        if now - told >= 30:
            print(f"  {sent:,} of {len(data):,} put", flush=True)
            told = now
        ready = min(int(np.searchsorted(due, now, side="right")), sent + PUT_CHUNK)
        if ready <= sent:
            time.sleep(min(0.05, float(due[sent]) - now))
            continue
        lag = max(lag, now - float(due[sent]))
        summary = put_records(kinesis, stream, data[sent:ready], "well_id")
        if summary.failed:
            raise RuntimeError(f"end to end: {len(summary.failed)} records refused by Kinesis")
        sent = ready
    return Offered(start, time.time(), lag)


def settle(zone: Visibility | RawArrivals, arrived: Callable[[], int], wanted: int, last_put: float) -> None:
    """Wait until ``arrived()`` reaches ``wanted`` or the zone has not changed for SETTLE_SECONDS."""
    while arrived() < wanted and time.time() - max(zone.last_change, last_put) < SETTLE_SECONDS:
        time.sleep(POLL_SECONDS)


def _wait_updated(lambda_: Any, function: str) -> None:
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=function)


def set_processor_code(lambda_: Any, function: str, zip_bytes: bytes, handler: str) -> None:
    """Deploy other code into the processor function (the bench's stack is thrown away after)."""
    lambda_.update_function_code(FunctionName=function, ZipFile=zip_bytes)
    _wait_updated(lambda_, function)
    lambda_.update_function_configuration(FunctionName=function, Handler=handler)
    _wait_updated(lambda_, function)


def passthrough_zip(processor_zip: bytes) -> bytes:
    """The processor's own zip (same dependencies, same cold start) with bench/passthrough.py added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(processor_zip)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped,
    ):
        for item in source.infolist():
            zipped.writestr(item, source.read(item))
        zipped.write(PASSTHROUGH, "passthrough.py")
    return out.getvalue()


def set_builder_mapping(lambda_: Any, function: str, enabled: bool) -> None:
    """Enable or disable the builder's event source mapping, and wait until it says so."""
    (mapping,) = lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=enabled)
    wanted, deadline = ("Enabled" if enabled else "Disabled"), time.monotonic() + 60
    while lambda_.get_event_source_mapping(UUID=mapping["UUID"])["State"] != wanted:
        if time.monotonic() > deadline:
            raise RuntimeError(f"end to end: the builder's mapping never became {wanted}")
        time.sleep(0.5)


def drain(sqs: Any, queue: str, expected: int, timeout: float = 120.0) -> int:
    """Delete the ``expected`` messages of a queue (S3 sends one notification per raw object, some
    after the object is listed), then whatever else a last long poll finds."""
    drained, deadline = 0, time.monotonic() + timeout
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2).get(
            "Messages", []
        )
        if messages:
            delete_messages(sqs, queue, messages)
            drained += len(messages)
        elif drained >= expected or time.monotonic() > deadline:
            return drained


def relabel(data: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    return [{**record, "run_id": run_id} for record in data]


def run(
    records: int = 100_000,
    batch_size: int = PROCESSOR_BATCH_SIZE,
    builder_window: int | None = None,
    processor_window: int | None = None,
) -> BenchResult:
    """records: per phase. builder_window, processor_window: the batching windows of the builder's
    and the processor's event source mappings in seconds (infra/'s defaults when None)."""
    started_run = time.monotonic()
    state = ROOT / "state-e2e"
    shutil.rmtree(state, ignore_errors=True)
    settings = dataclasses.replace(Settings.from_env(), state_dir=state, mode="host", port=free_port())
    data = readings(3 * records, run_id="bench-e2e")
    phases = {
        name: relabel(data[i * records : (i + 1) * records], f"bench-{name}")
        for i, name in enumerate(("ceiling", "chain", "latency"))
    }
    overrides = {
        "processor_batch_size": batch_size,
        "builder_batching_window_seconds": builder_window,
        "processor_batching_window_seconds": processor_window,
    }
    try:
        up = deploy_up(settings, {name: str(value) for name, value in overrides.items() if value is not None})
    except BaseException:
        select(settings).stop()  # a failed deployment leaves its LocalStack running otherwise
        raise
    endpoint, outputs = up.stack.endpoint, up.outputs
    if not isinstance(up.stack, HostStack):
        up.stack.stop()
        raise RuntimeError("end to end: the benchmark runs LocalStack in host mode")
    aws = {name: local_aws.client(name, endpoint, REGION) for name in ("kinesis", "lambda", "s3", "sqs")}
    notes: list[str] = []
    try:
        print("end to end: 1. ceiling (pass-through processor, no builder)", flush=True)
        processor_zip = (settings.build_dir / "lambda" / "stream_processor.zip").read_bytes()
        set_processor_code(
            aws["lambda"],
            outputs.stream_processor_function_name,
            passthrough_zip(processor_zip),
            "passthrough.handler",
        )
        set_builder_mapping(aws["lambda"], outputs.curated_builder_function_name, enabled=False)
        raw = RawArrivals()
        cpu = CpuSampler(up.stack.host)
        watcher = Watcher(lambda: raw.poll(aws["s3"], outputs.lake_bucket), cpu)
        offered = offer(aws["kinesis"], outputs.stream_name, phases["ceiling"])
        settle(raw, raw.count, records, offered.last_put)
        watcher.stop()
        profile = ["ceiling phase:", *cpu.shares()]
        if not raw.records:
            raise RuntimeError("end to end: nothing reached raw in the ceiling phase; see the stack's logs")
        took = raw.last_change - offered.start
        ceiling = raw.records / max(took, 1e-9)
        notes.append(
            f"ceiling: {raw.records:,} of {records:,} records in raw {took:,.1f} s after the first put; "
            f"the producer put them at {offered.rate(records):,.0f} records/s"
        )

        print("end to end: 2. chain (the real processor and builder)", flush=True)
        set_processor_code(
            aws["lambda"], outputs.stream_processor_function_name, processor_zip, "handler.handler"
        )
        drained = drain(aws["sqs"], outputs.raw_objects_queue_url, len(raw.keys))
        notes.append(
            f"{drained:,} raw-object notifications of the ceiling phase ({len(raw.keys):,} raw objects) "
            "drained before the builder's mapping was enabled again"
        )
        set_builder_mapping(aws["lambda"], outputs.curated_builder_function_name, enabled=True)
        curated = Visibility()
        cpu = CpuSampler(up.stack.host)
        watcher = Watcher(lambda: curated.poll(aws["s3"], outputs.lake_bucket), cpu)
        offered = offer(aws["kinesis"], outputs.stream_name, phases["chain"])
        chain_ids = [r["event_id"] for r in phases["chain"]]
        settle(curated, lambda: sum(i in curated.visible for i in chain_ids), records, offered.last_put)
        chain_visible = [curated.visible[i] for i in chain_ids if i in curated.visible]
        took = max(chain_visible, default=offered.start) - offered.start
        chain = len(chain_visible) / max(took, 1e-9)
        notes.append(
            f"chain: {len(chain_visible):,} of {records:,} records visible in curated {took:,.1f} s after "
            f"the first put; the producer put them at {offered.rate(records):,.0f} records/s"
        )
        watcher.stop()
        profile += ["chain phase:", *cpu.shares()]
        cpu = CpuSampler(up.stack.host)
        watcher = Watcher(lambda: curated.poll(aws["s3"], outputs.lake_bucket), cpu)

        rate = LATENCY_LOAD * ceiling
        print(
            f"end to end: 3. latency at {rate:,.0f} records/s ({LATENCY_LOAD:.0%} of the ceiling)", flush=True
        )
        alerts = Alerts()
        alert_watcher = Watcher(lambda: alerts.poll(aws["sqs"], outputs.alerts_queue_url), interval=0.0)
        event_seconds = np.array([_epoch(r["event_time"]) for r in phases["latency"]])
        speed = (event_seconds[-1] - event_seconds[0]) * rate / max(records - 1, 1)  # event s per wall s
        mapped_offset = (event_seconds - event_seconds[0]) / speed
        offered_latency = offer(aws["kinesis"], outputs.stream_name, phases["latency"], mapped_offset)
        latency_ids = [r["event_id"] for r in phases["latency"]]
        settle(
            curated, lambda: sum(i in curated.visible for i in latency_ids), records, offered_latency.last_put
        )
        watcher.stop()
        alert_watcher.stop()
        profile += ["latency phase:", *cpu.shares()]
        quarantined = _quarantined(endpoint, outputs.lake_bucket)
        builds = _builds(endpoint, outputs.curated_builder_function_name)
        invocations = _batches(endpoint, outputs.stream_processor_function_name, offered_latency.start)
    finally:
        up.stack.stop()
    mapped = dict(
        zip((r["event_id"] for r in phases["latency"]), offered_latency.start + mapped_offset, strict=True)
    )
    to_curated = np.array([curated.visible[i] - t for i, t in mapped.items() if i in curated.visible])

    def mapped_time(event_time: str) -> float:
        return offered_latency.start + (_epoch(event_time) - event_seconds[0]) / speed

    ours = [
        (at, a) for at, a in alerts.received if a.get("run_id") == "bench-latency" and "first_event_time" in a
    ]
    to_alert = np.array([at - mapped_time(alert["first_event_time"]) for at, alert in ours])
    from_last = np.array([at - mapped_time(alert["last_event_time"]) for at, alert in ours])
    expected = {r["event_id"] for phase in ("chain", "latency") for r in phases[phase]}
    found = expected & curated.visible.keys()
    stray = curated.count() - len(found)  # readings of the ceiling phase built after all
    lost = len(expected) - len(found) - quarantined
    notes += [
        f"latency phase: offered {offered_latency.rate(records):,.0f} records/s "
        f"(asked for {rate:,.0f}); the producer was at most {offered_latency.lag:.1f} s behind its schedule",
        f"latency to curated over {to_curated.size:,} readings: {_percentiles(to_curated)} "
        f"(curated polled every {POLL_SECONDS:.0f} s)",
        f"latency to alert over {to_alert.size:,} alerts, from the first reading each reports: "
        f"{_percentiles(to_alert)}; from the last: {_percentiles(from_last)}",
        f"{len(found):,} of {len(expected):,} records of phases 2 and 3 reached curated, "
        f"{quarantined:,} are in quarantine, {lost:,} are neither"
        + (
            f"; {stray:,} readings of the ceiling phase were built too (a late notification)" if stray else ""
        ),
    ]
    profile.append(
        f"stream processor in the latency phase: {len(invocations):,} invocations of "
        f"{np.median([b.records for b in invocations]) if invocations else 0:,.0f} records (median); "
        f"the invocation itself: {_percentiles(np.array([b.seconds for b in invocations]))}; "
        f"a batch's first record waited in Kinesis before it: "
        f"{_percentiles(np.array([b.waited for b in invocations]))}"
    )
    profile.append(
        f"curated builder: {builds.builds:,} builds, {builds.seconds:,.0f} s building; they wrote "
        f"{builds.rows:,} curated rows for {2 * records:,} records (compaction apart)"
    )
    measurements = [
        Measurement(
            "end to end: chain throughput",
            chain,
            "records/s",
            reference=ceiling,
            reference_name="the emulator's ceiling: pass-through processor, no builder",
            target_ratio=TARGET_RATIO,
            notes=notes,
        ),
        _latency("end to end: latency to alert", to_alert, TARGET_ALERT_P95),
        _latency("end to end: latency to curated", to_curated, TARGET_CURATED_P95),
        Measurement(
            "end to end: records neither in curated nor in quarantine",
            float(lost),
            "records",
            higher_is_better=False,
            target=0,
        ),
    ]
    setup = {
        "records_per_phase": records,
        "wells": WELLS,
        "mode": "host",
        "poll_seconds": POLL_SECONDS,
        "processor_batch_size": batch_size,
        "latency_load": LATENCY_LOAD,
        "builder_batching_window_seconds": builder_window if builder_window is not None else "infra default",
        "processor_batching_window_seconds": processor_window
        if processor_window is not None
        else "infra default",
    }
    return BenchResult("end to end", setup, measurements, time.monotonic() - started_run, profile)


def _percentiles(values: np.ndarray) -> str:
    if not values.size:
        return "none"
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"p50 {p50:.1f} s, p95 {p95:.1f} s, p99 {p99:.1f} s, max {values.max():.1f} s"


def _latency(name: str, values: np.ndarray, target_p95: float) -> Measurement:
    """p95 against its target, with p50 beside it (nan when nothing arrived)."""
    p50, p95 = np.percentile(values, [50, 95]) if values.size else (float("nan"),) * 2
    return Measurement(
        f"{name}, p95 (p50 {p50:.1f} s)", float(p95), "s", higher_is_better=False, target=target_p95
    )
