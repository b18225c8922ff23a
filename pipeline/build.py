"""Raw NDJSON -> curated Parquet -> gold aggregates, with DuckDB over local files.

A build takes new raw objects, finds the (date, hour) partitions they touch, merges them with
those partitions' current curated files, deduplicates by event_id (the earliest arrival wins)
and writes one sorted, zstd-compressed file per partition, then the gold aggregates of the same
partitions. Flags arrive with the rows: the stream processor detects (pipeline/detector.py).
The output is a function of the set of readings only, so rebuilding is idempotent and a replay
adds nothing. `build_from_raw` moves the files to and from a LakeStore (pipeline/storage.py),
so the same code runs in the builder Lambda, the CLI and the unit tests.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline import duck, gold, layout, schema
from pipeline.relations import curated_relation, raw_relation
from pipeline.storage import LakeStore

Partition = tuple[str, int]  # (date YYYY-MM-DD, hour)


@dataclass(frozen=True)
class BuildResult:
    """What one build wrote."""

    partitions: list[Partition]
    curated_rows: int
    keys: list[str]  # objects written (curated and gold)
    run_ids: list[str] = field(default_factory=list)  # producer runs merged (correlation ids)


class CuratedBuild:
    """One build on one DuckDB connection: stage incoming raw rows, then write the partitions they touch."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        with duck.errors():
            return self.con.execute(sql).fetchall()

    def _partitions(self, table: str) -> list[Partition]:
        """The (date, hour) partitions a staged table's rows fall in, sorted."""
        return [(d, int(h)) for d, h in self._rows(f"SELECT DISTINCT date, hour FROM {table} ORDER BY 1, 2")]

    def stage(self, raw_files: Sequence[str | Path]) -> list[Partition]:
        """Load new raw rows; returns the partitions they touch (sorted)."""
        with duck.errors():
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE incoming AS SELECT *, "
                "strftime(event_time, '%Y-%m-%d') AS date, CAST(hour(event_time) AS INTEGER) AS hour "
                f"FROM {raw_relation(raw_files)} "
                "WHERE event_id IS NOT NULL"
            )
        return self._partitions("incoming")

    def run_ids(self) -> list[str]:
        """Producer runs of the staged rows: the correlation ids of this build."""
        rows = self._rows("SELECT DISTINCT run_id FROM incoming WHERE run_id IS NOT NULL ORDER BY 1")
        return [run_id for (run_id,) in rows]

    def write(
        self, existing_curated: Sequence[str | Path], out_dir: Path
    ) -> tuple[list[Partition], int, dict[str, Path]]:
        """Merge with existing curated files, deduplicate, write curated and gold.

        Returns (partitions, curated rows, lake key -> local file written for it)."""
        keep = ", ".join(f.name for f in schema.curated_fields())
        union = f"SELECT {keep} FROM incoming"
        if existing_curated:
            union += f" UNION ALL SELECT {keep} FROM {curated_relation(existing_curated)}"
        with duck.errors():
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE merged AS SELECT * FROM ({union}) "
                "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, sequence_number) = 1"
            )
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE curated AS SELECT * FROM merged "
                "ORDER BY date, hour, well_id, event_time"
            )
        partitions = self._partitions("curated")
        files: dict[str, Path] = {}
        queries = {
            "curated": "SELECT * FROM curated",
            **{zone: gold.zone_sql(zone, "curated") for zone in gold.ZONES},
        }
        for zone, query in queries.items():
            with duck.errors():
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE zone_out AS {query}")
            for date, hour in partitions:
                key = layout.partition_key(zone, date, hour)
                target = out_dir / key
                target.parent.mkdir(parents=True, exist_ok=True)
                with duck.errors():
                    self.con.execute(
                        "COPY (SELECT * EXCLUDE (date, hour) FROM zone_out WHERE date = ? AND hour = ?) "
                        f"TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                        [date, hour],
                    )
                files[key] = target
        (rows,) = self._rows("SELECT count(*) FROM curated")[0]
        return partitions, int(rows), files


def build_from_raw(
    store: LakeStore, raw_keys: Iterable[str], work_dir: Path | None = None, threads: int = 8
) -> BuildResult:
    """The whole curated step: fetch the new raw objects, stage them, fetch the current curated
    file of every partition they touch, write, and put the new files back."""
    keys = sorted(set(raw_keys))
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        root = Path(scratch)
        targets = [root / "raw" / f"{i:06d}.json" for i in range(len(keys))]
        with ThreadPoolExecutor(threads) as pool:
            present = list(pool.map(store.fetch, keys, targets))
        files = [t for t, ok in zip(targets, present, strict=True) if ok and t.stat().st_size]
        if not files:
            return BuildResult([], 0, [])
        con = duck.connect()
        try:
            build = CuratedBuild(con)
            partitions = build.stage(files)
            run_ids = build.run_ids()
            existing_keys = [layout.partition_key("curated", date, hour) for date, hour in partitions]
            # under existing/ with their date=/hour= folders, which DuckDB reads as partition columns
            existing_targets = [root / "existing" / key for key in existing_keys]
            with ThreadPoolExecutor(threads) as pool:
                found = list(pool.map(store.fetch, existing_keys, existing_targets))
            existing = [t for t, ok in zip(existing_targets, found, strict=True) if ok]
            written, rows, outputs = build.write(existing, root / "out")
        finally:
            con.close()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(store.put, outputs, outputs.values()))
        return BuildResult(written, rows, sorted(outputs), run_ids)
