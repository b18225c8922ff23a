"""Raw NDJSON -> new curated and gold files, committed per partition (pipeline/table.py).

A build takes new raw objects and stages their rows in DuckDB, keeping one copy of each event_id
(the earliest arrival). For each (date, hour) partition the rows fall in, it:

1. reads the partition's manifest;
2. drops the rows already committed. It reads the event ids of only those committed files whose
   span for a well overlaps the new rows' span for it; usually none, since a stream moves
   forward;
3. writes the remaining rows as one new immutable curated file, and their gold partial
   aggregates as one new file per gold table;
4. commits all three in the manifest with a conditional write.

If another build committed to the partition in between, the commit fails. The build deletes the
files it wrote, which no reader can know of, and goes back to step 1. Nothing is rewritten, so
the cost of a build depends on its own rows, not on the partition. Flags arrive with the rows:
the stream processor detects (pipeline/detector.py). `build_from_raw` moves files to and from a
LakeStore (pipeline/storage.py), so the same code runs in the builder Lambda, the CLI and the
unit tests.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline import duck, gold, layout, schema, table
from pipeline.relations import curated_relation, raw_relation
from pipeline.storage import CommitConflict, LakeStore
from pipeline.table import DataFile, Partition

MAX_ATTEMPTS = 10  # commits of one partition lost to concurrent builds before the build fails
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"  # event times in manifests: ISO strings compare like the times


class CommitFailed(Exception):
    """A partition's manifest kept changing under the build: it fails, and SQS retries it."""


@dataclass(frozen=True)
class BuildResult:
    """What one build committed."""

    partitions: list[Partition]  # partitions that received new rows
    curated_rows: int  # new rows committed (0 for a replay)
    keys: list[str]  # files committed (curated and gold)
    run_ids: list[str] = field(default_factory=list)  # producer runs merged (correlation ids)
    conflicts: int = 0  # commits lost to concurrent builds, and retried


def parquet_copy(
    con: duckdb.DuckDBPyConnection, query: str, target: Path, params: Sequence[Any] = ()
) -> None:
    """Write a query's rows as one zstd Parquet file (the lake's file settings, in one place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with duck.errors():
        con.execute(
            f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
            list(params),
        )


class CuratedBuild:
    """One build on one DuckDB connection: stage incoming raw rows, then commit each partition."""

    def __init__(self, con: duckdb.DuckDBPyConnection, store: LakeStore, scratch: Path):
        self.con, self.store, self.scratch = con, store, scratch

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with duck.errors():
            return self.con.execute(sql, list(params)).fetchall()

    def stage(self, raw_files: Sequence[str | Path]) -> list[Partition]:
        """Load new raw rows, one per event_id (earliest arrival); returns their partitions."""
        columns = ", ".join(f.name for f in schema.curated_fields())
        with duck.errors():
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT {columns} FROM ("
                "SELECT *, strftime(event_time, '%Y-%m-%d') AS date, "
                "CAST(hour(event_time) AS INTEGER) AS hour "
                f"FROM {raw_relation(raw_files)} WHERE event_id IS NOT NULL) "
                # the first arrival; of two copies of one record (a retried batch), the one scored in order
                "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, sequence_number, "
                "contains(coalesce(quality_issues, ''), 'late')) = 1"
            )
        return [(d, int(h)) for d, h in self._rows("SELECT DISTINCT date, hour FROM incoming ORDER BY 1, 2")]

    def run_ids(self) -> list[str]:
        """Producer runs of the staged rows: the correlation ids of this build."""
        rows = self._rows("SELECT DISTINCT run_id FROM incoming WHERE run_id IS NOT NULL ORDER BY 1")
        return [run_id for (run_id,) in rows]

    def _spans(self, relation: str, params: Sequence[Any] = ()) -> dict[str, tuple[str, str]]:
        rows = self._rows(
            f"SELECT well_id, strftime(min(event_time), '{ISO}'), strftime(max(event_time), '{ISO}') "
            f"FROM {relation} GROUP BY well_id",
            params,
        )
        return {well: (first, last) for well, first, last in rows}

    def _known_ids(self, files: Sequence[DataFile]) -> str:
        """A relation of the event ids of these committed files (fetched; usually there are none)."""
        if not files:
            return "(SELECT NULL::VARCHAR AS event_id WHERE false)"
        targets = table.fetch(self.store, files, self.scratch / "known")
        return f"(SELECT event_id FROM {curated_relation(targets)})"

    def commit_partition(self, date: str, hour: int) -> tuple[int, list[str], int]:
        """Commit the staged rows of one partition that it does not hold yet.

        Returns (rows committed, keys committed, commits lost to concurrent builds)."""
        where = "date = ? AND hour = ?"
        spans = self._spans(f"incoming WHERE {where}", [date, hour])
        for attempt in range(MAX_ATTEMPTS):
            manifest = table.read(self.store, date, hour)
            overlapping = [f for f in manifest.files("curated") if f.overlaps(spans)]
            with duck.errors():
                self.con.execute(
                    "CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM incoming "
                    f"WHERE {where} AND event_id NOT IN {self._known_ids(overlapping)} "
                    "ORDER BY well_id, event_time",
                    [date, hour],
                )
            (rows,) = self._rows("SELECT count(*) FROM fresh")[0]
            if not rows:
                return 0, [], attempt
            written = self._write_fresh(date, hour, int(rows))
            if self._commit(manifest, written):
                return int(rows), [entry.key for entry in written.values()], attempt
        raise CommitFailed(
            f"partition date={date}/hour={hour}: {MAX_ATTEMPTS} commits lost to concurrent builds"
        )

    def _commit(self, manifest: table.Manifest, written: dict[str, DataFile]) -> bool:
        """Add the written files to the manifest; False (and the files deleted) if another
        build committed first."""
        try:
            table.commit(
                self.store,
                manifest,
                {zone: (*manifest.files(zone), entry) for zone, entry in written.items()},
            )
        except CommitConflict:
            for entry in written.values():  # listed nowhere: no reader can have seen them
                self.store.delete(entry.key)
            return False
        return True

    def _write_fresh(self, date: str, hour: int, rows: int) -> dict[str, DataFile]:
        """The fresh rows as a curated file and their gold partial aggregates, put in the lake."""
        name = f"part-{uuid.uuid4().hex}"
        queries = {"curated": "SELECT * EXCLUDE (date, hour) FROM fresh"}
        queries |= {
            zone: f"SELECT * EXCLUDE (date, hour) FROM ({gold.zone_sql(zone, 'fresh')})"
            for zone in gold.ZONES
        }
        written: dict[str, DataFile] = {}
        for zone, query in queries.items():
            key = layout.data_key(zone, date, hour, name)
            target = self.scratch / "out" / key
            parquet_copy(self.con, query, target)
            self.store.put(key, target)
            if zone == "curated":
                written[zone] = DataFile(key, rows, self._spans("fresh"))
            else:
                (count,) = self._rows(f"SELECT count(*) FROM read_parquet('{target}')")[0]
                written[zone] = DataFile(key, int(count))
        return written


def build_from_raw(
    store: LakeStore, raw_keys: Iterable[str], work_dir: Path | None = None, threads: int = 8
) -> BuildResult:
    """The whole curated step: fetch the new raw objects, stage them, and commit each partition."""
    keys = sorted(set(raw_keys))
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        root = Path(scratch)
        targets = [root / "raw" / f"{i:06d}.json" for i in range(len(keys))]
        with ThreadPoolExecutor(threads) as pool:
            present = list(pool.map(store.fetch, keys, targets))
        files = [t for t, ok in zip(targets, present, strict=True) if ok and t.stat().st_size]
        if not files:
            return BuildResult([], 0, [])
        con = duck.connect(temp_directory=root / "spill")
        try:
            build = CuratedBuild(con, store, root)
            partitions = build.stage(files)
            run_ids = build.run_ids()
            written: list[Partition] = []
            committed: list[str] = []
            rows = conflicts = 0
            for date, hour in partitions:
                added, added_keys, lost = build.commit_partition(date, hour)
                conflicts += lost
                if added:
                    written.append((date, hour))
                    rows += added
                    committed += added_keys
        finally:
            con.close()
        return BuildResult(written, rows, sorted(committed), run_ids, conflicts)
