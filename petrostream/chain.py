"""The end-to-end run: a synthetic 3W dataset replayed through the deployed pipeline into the lake.

Producer -> Kinesis -> stream processor -> Firehose -> raw -> curated builder -> curated + gold,
then checked with DuckDB: every reading of the dataset must be in curated exactly once. The
dataset is deterministic and event ids derive from well and time, so running it again on the
same stack re-sends the same readings and the lake still holds each one once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from petrostream.backfill import BackfillResult, backfill
from petrostream.lake import lake_store
from pipeline import layout, table
from pipeline.duck import S3Access, connect, count, sql_list
from pipeline.records import to_records
from pipeline.threew import discover, read_file
from producer.replay import ReplayResult, replay
from producer.synthetic import SyntheticSpec, generate, write_dataset
from services import local_aws
from services.errors import PetroStreamError
from services.outputs import StackOutputs


@dataclass(frozen=True)
class LandingResult:
    backfill: BackfillResult
    expected: int  # distinct readings of the files
    curated_rows: int  # of those, in curated
    seconds: float

    @property
    def complete(self) -> bool:
        return not self.backfill.failed and self.curated_rows == self.expected

    def describe(self) -> str:
        return (
            f"{self.backfill.describe()}\n"
            f"landing: {self.curated_rows} of {self.expected} readings of the files in curated "
            f"{self.seconds:.1f} s after the upload began"
        )


@dataclass(frozen=True)
class ChainResult:
    replay: ReplayResult
    raw_rows: int  # rows of this run in raw (a retried batch can add more than one per reading)
    curated_rows: int  # distinct readings of the dataset in curated
    seconds: float


def ensure_dataset(root: Path, spec: SyntheticSpec) -> Path:
    """Write the synthetic dataset once (it is deterministic: same spec, same files)."""
    marker = root / f".spec-{hashlib.sha256(repr(spec).encode()).hexdigest()[:12]}"
    if not marker.exists():
        write_dataset(generate(spec), root)
        marker.write_text(repr(spec))
    return root


def lake_counts(
    endpoint: str | None, region: str, bucket: str, run_id: str, event_ids: list[str]
) -> tuple[int, int]:
    """(rows of run_id in raw, distinct event_ids of the dataset in curated), read by DuckDB from S3:
    curated through its manifests, so a half-built lake reads as fewer rows, never as an error."""
    store = lake_store(endpoint, region, bucket)
    committed = [store.url(key) for key in table.committed_keys(store)["curated"]]
    con = connect(S3Access(region, endpoint))
    try:
        con.execute("CREATE TEMP TABLE wanted (event_id VARCHAR)")
        con.execute("INSERT INTO wanted SELECT unnest(?::VARCHAR[])", [event_ids])
        raw = count(
            con,
            f"SELECT count(*) FROM read_json('s3://{bucket}/{layout.prefix('raw')}**', "
            "format='newline_delimited', "
            f"columns={{'run_id': 'VARCHAR'}}) WHERE run_id = ?",
            [run_id],
        )
        curated = (
            count(
                con,
                f"SELECT count(DISTINCT event_id) FROM read_parquet({sql_list(committed)}) "
                "WHERE event_id IN (SELECT event_id FROM wanted)",
            )
            if committed
            else 0
        )
    finally:
        con.close()
    return raw, curated


def run_chain(
    endpoint: str,
    region: str,
    outputs: StackOutputs,
    dataset: Path,
    timeout: float = 300.0,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ChainResult:
    kinesis = local_aws.client("kinesis", endpoint, region)
    started = time.monotonic()
    result = replay(kinesis, outputs.stream_name, dataset, progress=progress, on_start=on_start)
    if result.summary.failed:
        raise PetroStreamError(
            f"{len(result.summary.failed)} records could not be put into Kinesis", "see the LocalStack log"
        )
    raw, curated = wait_for_curated(
        endpoint,
        region,
        outputs.lake_bucket,
        result.run_id,
        result.event_ids,
        result.summary.records,
        timeout,
    )
    return ChainResult(result, raw, curated, time.monotonic() - started)


def wait_for_curated(
    endpoint: str, region: str, bucket: str, run_id: str, event_ids: list[str], rows: int, timeout: float
) -> tuple[int, int]:
    """Poll lake_counts until curated holds every event id and raw `rows` rows of the run, or the deadline."""
    deadline = time.monotonic() + timeout
    expected = len(set(event_ids))
    while True:
        raw, curated = lake_counts(endpoint, region, bucket, run_id, event_ids)
        if (curated >= expected and raw >= rows) or time.monotonic() > deadline:
            return raw, curated
        time.sleep(1.0)


def folder_event_ids(folder: Path) -> list[str]:
    """The event ids of a 3W folder's readable rows: what curated should hold once it is landed."""
    return sorted(
        {
            record["event_id"]
            for path in discover(folder)
            for record in to_records(read_file(path, rejects=True), None, "")
        }
    )


def land_in_lake(
    endpoint: str, region: str, outputs: StackOutputs, folder: Path, timeout: float = 300.0
) -> LandingResult:
    """A 3W folder through the landing zone (petrostream backfill), then wait for curated."""
    started = time.monotonic()
    event_ids = folder_event_ids(folder)
    s3 = local_aws.client("s3", endpoint, region)
    result = backfill(s3, outputs.lake_bucket, folder, timeout=timeout)
    _, curated = wait_for_curated(endpoint, region, outputs.lake_bucket, result.run_id, event_ids, 0, timeout)
    return LandingResult(result, len(event_ids), curated, time.monotonic() - started)
