"""Backfill at scale: a synthetic dataset shaped like the 3W release, through the landing zone.

One host-mode deployment (petrostream.deployment.up, on a LocalStack of its own). The dataset is
the synthetic generator's, with as many 1 Hz instances as the 3W release has (about 2,000 by
default; `--records` scales it down). Measured in the same run:

- the reference: DuckDB's plain copy of the same files into one Parquet file (read, write, no
  validation, no detection), in rows per second;
- the backfill: `petrostream backfill` of the folder (upload, the landing loader on every file,
  the curated builder) until curated holds every reading, in rows per second, and its ratio to
  the reference (issue 15's goal: at least 0.5);
- the landing loader's peak memory (each report's `max_rss_mb`) and its own rows per second;
- a named query (`anomalies_per_hour`) over the backfilled lake, through DuckDB.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from bench.report import BenchResult, Measurement
from bench.workload import ROOT
from petrostream.backfill import backfill
from petrostream.chain import ensure_dataset, folder_event_ids, wait_for_curated
from petrostream.deployment import up as deploy_up
from petrostream.lake import lake_views
from pipeline.duck import sql_list
from pipeline.queries import run as run_query
from pipeline.threew import discover
from producer.synthetic import SyntheticSpec
from services.localstack.host import free_port
from services.localstack.stack import select
from services.settings import DEFAULT_REGION as REGION
from services.settings import Settings

RELEASE_INSTANCES = 2_000  # about as many as 3W 2.0 holds
INSTANCE_MINUTES = 15  # 900 readings an instance: 1.8 million readings for the whole release
WELLS = 40
TARGET_RATIO = 0.5  # issue 15: backfill rows/s at least half DuckDB's plain copy
QUERY = "anomalies_per_hour"


def _dataset(records: int) -> tuple[Path, SyntheticSpec]:
    instances = max(WELLS, min(RELEASE_INSTANCES, records // (INSTANCE_MINUTES * 60)))
    spec = SyntheticSpec(
        wells=WELLS, instances_per_well=max(1, instances // WELLS), instance_minutes=INSTANCE_MINUTES
    )
    return ensure_dataset(ROOT / f"backfill-{spec.wells}w-{spec.instances_per_well}i", spec), spec


def _duckdb_copy(files: list[Path]) -> tuple[float, int]:
    """Seconds and rows of DuckDB's plain copy of the files into one Parquet file."""
    with tempfile.TemporaryDirectory() as scratch:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        started = time.monotonic()
        con.execute(
            f"COPY (SELECT * FROM read_parquet({sql_list(files)}, union_by_name=true)) "
            f"TO '{Path(scratch) / 'copy.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
        )
        seconds = time.monotonic() - started
        (rows,) = con.execute(f"SELECT count(*) FROM '{Path(scratch) / 'copy.parquet'}'").fetchone() or (0,)
        con.close()
    return seconds, int(rows)


def run(records: int = RELEASE_INSTANCES * INSTANCE_MINUTES * 60) -> BenchResult:
    """records: readings of the dataset (the 3W release's shape by default)."""
    started_run = time.monotonic()
    root, spec = _dataset(records)
    files = discover(root)
    event_ids = folder_event_ids(root)
    print(f"backfill: {len(files)} files, {len(event_ids):,} readings under {root}", flush=True)
    copy_seconds, copy_rows = _duckdb_copy(files)
    reference = copy_rows / copy_seconds

    state = ROOT / "state-backfill"
    shutil.rmtree(state, ignore_errors=True)
    settings = dataclasses.replace(Settings.from_env(), state_dir=state, mode="host", port=free_port())
    try:
        deployed = deploy_up(settings)
    except BaseException:
        select(settings).stop()
        raise
    endpoint, outputs = deployed.stack.endpoint, deployed.outputs
    try:
        from services import local_aws

        s3 = local_aws.client("s3", endpoint, REGION)
        started = time.monotonic()
        result = backfill(s3, outputs.lake_bucket, root, timeout=3600.0)
        uploaded_and_loaded = time.monotonic() - started
        _, curated = wait_for_curated(
            endpoint, REGION, outputs.lake_bucket, result.run_id, event_ids, 0, timeout=3600.0
        )
        seconds = time.monotonic() - started
        con = lake_views(endpoint, REGION, outputs.lake_bucket)
        query_started = time.monotonic()
        answer = run_query(con, QUERY).fetchall()
        query_seconds = time.monotonic() - query_started
    finally:
        deployed.stack.stop()
    if result.failed or curated < len(event_ids):
        # a rate over a lake that never filled would flatter the backfill: no figure, the reason
        raise RuntimeError(
            f"backfill incomplete: {result.describe()}; {curated:,} of {len(event_ids):,} readings in curated"
        )
    reports = list(result.reports.values())
    loader_seconds = sum(float(r.get("seconds") or 0) for r in reports)
    peak = max((float(r.get("max_rss_mb") or 0) for r in reports), default=0.0)
    rate = curated / seconds if seconds else 0.0
    notes = [
        f"{len(files)} files, {len(result.reports)} reported, {len(result.refused)} refused, "
        f"{len(result.missing)} without a report; {curated:,} of {len(event_ids):,} readings in curated",
        f"upload and every file's report took {uploaded_and_loaded:.1f} s; curated complete after "
        f"{seconds:.1f} s",
        "the reference copies the files and nothing else; the backfill also uploads them, reads each "
        "with the 3W reader, validates and scores every reading in Python, writes raw NDJSON, and "
        "the curated builder deduplicates and commits them with their gold aggregates",
    ]
    measurements = [
        Measurement(
            "backfill: readings per second, upload to curated",
            rate,
            "rows/s",
            reference=reference,
            reference_name="DuckDB's plain copy of the same files",
            target_ratio=TARGET_RATIO,
            notes=notes,
        ),
        Measurement(
            "backfill: landing loader's own rows per second (sum of its files' seconds)",
            sum(int(r.get("rows") or 0) for r in reports) / loader_seconds if loader_seconds else 0.0,
            "rows/s",
        ),
        Measurement("backfill: landing loader's peak memory", peak, "MB", higher_is_better=False),
        Measurement(
            f"backfill: named query {QUERY} over the backfilled lake",
            query_seconds,
            "s",
            higher_is_better=False,
            notes=[f"{len(answer)} result rows"],
        ),
    ]
    setup = {
        "files": len(files),
        "readings": len(event_ids),
        "wells": spec.wells,
        "instance_minutes": spec.instance_minutes,
        "mode": "host",
    }
    return BenchResult("backfill", setup, measurements, time.monotonic() - started_run)
