"""The end-to-end slice: records into Kinesis, through the Lambda and Firehose, counted back by DuckDB.

Each run tags its records with a fresh run id and counts only those, so running the demo again
on the same stack still expects exactly N.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from producer.kinesis_writer import put_records
from services import local_aws
from services.errors import PetroStreamError
from services.lake_sql import connect


@dataclass(frozen=True)
class ChainResult:
    run_id: str
    sent: int
    counted: int
    distinct: int
    seconds: float


def demo_records(count: int, wells: int, run_id: str) -> list[dict[str, object]]:
    """Minimal readings: enough to follow records through the chain (the real schema comes later)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "event_id": f"{run_id}-{i:07d}",
            "run_id": run_id,
            "well_id": f"WELL-{i % wells + 1:05d}",
            "event_time": (start + timedelta(seconds=i // wells)).isoformat(),
            "seq": i,
        }
        for i in range(count)
    ]


def count_in_raw(endpoint: str | None, region: str, bucket: str, raw_prefix: str, run_id: str) -> tuple[int, int]:
    """(rows, distinct event ids) of one run in the raw zone, read straight from S3 by DuckDB."""
    con = connect(endpoint, region)
    try:
        row = con.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM read_json(?, format='newline_delimited', "
            "columns={'event_id': 'VARCHAR', 'run_id': 'VARCHAR'}) WHERE run_id = ?",
            [f"s3://{bucket}/{raw_prefix}**", run_id],
        ).fetchone()
    except Exception as error:  # DuckDB raises IOException when no object exists yet
        if "No files found" in str(error):
            return 0, 0
        raise
    finally:
        con.close()
    return int(row[0]), int(row[1])


def run_chain(endpoint: str, region: str, outputs: dict, count: int = 1000, wells: int = 5, timeout: float = 180.0) -> ChainResult:
    run_id = uuid.uuid4().hex[:12]
    kinesis = local_aws.client("kinesis", endpoint, region)
    started = time.monotonic()
    summary = put_records(kinesis, outputs["stream_name"], demo_records(count, wells, run_id), "well_id")
    if summary.failed:
        raise PetroStreamError(f"{len(summary.failed)} records could not be put into Kinesis", "see the LocalStack log")
    deadline = started + timeout
    counted = distinct = 0
    while time.monotonic() < deadline:
        counted, distinct = count_in_raw(endpoint, region, outputs["lake_bucket"], outputs["raw_prefix"], run_id)
        if distinct >= count:
            break
        time.sleep(0.5)
    return ChainResult(run_id, count, counted, distinct, time.monotonic() - started)
