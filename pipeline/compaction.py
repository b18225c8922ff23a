"""Compaction of a partition's small files, and the janitor of files no manifest lists.

Every build adds one curated file per partition, and one gold file per gold table. Compaction
merges curated files in tiers, as in size-tiered compaction: a file of fewer than BASE_ROWS rows
is of tier 0, one of BASE_ROWS x FAN_IN^(k-1) rows or more of tier k. When FAN_IN files of one
tier exist, they merge into one file of a higher tier. Each row is rewritten once per tier it
climbs, a logarithmic number of times, never once per build. Gold's partial aggregates (one row
per well or class) are merged whenever a partition is compacted or holds FAN_IN gold files.

A compaction commits through the manifest like a build (pipeline/table.py); running it again
finds nothing to merge. Concurrent builds are kept: a lost commit is retried against the new
manifest. The inputs it replaces stay in the lake, listed in the manifest as retired with the
time they were retired, until the janitor (`sweep`) deletes those retired longer ago than any
read lasts (SWEEP_GRACE_SECONDS). The janitor also deletes files no manifest knows that a build
wrote but never committed, once they are older than that; it touches only files with the names
builds and compactions give, never another file a user put there.
"""

from __future__ import annotations

import contextlib
import math
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import duck, gold, layout, table
from pipeline.build import MAX_ATTEMPTS, CommitFailed, parquet_copy
from pipeline.relations import curated_relation
from pipeline.storage import CommitConflict, LakeStore
from pipeline.table import DataFile, Manifest

FAN_IN = 8  # files of one tier merged at once
BASE_ROWS = 1_000  # files under this many rows are all of tier 0
SWEEP_GRACE_SECONDS = 3600.0  # unlisted files younger than this may still be read, or committed
OURS = re.compile(r"/(part|compact)-[0-9a-f]{32}\.parquet$")  # names builds and compactions give


def tier(rows: int) -> int:
    return 0 if rows < BASE_ROWS else int(math.log(rows / BASE_ROWS, FAN_IN)) + 1


@dataclass(frozen=True)
class Compacted:
    date: str
    hour: int
    merged: int  # curated files merged (0: nothing to do)
    rows_rewritten: int  # curated rows rewritten


def _choose(files: tuple[DataFile, ...], everything: bool) -> list[DataFile]:
    """The curated files to merge: the lowest tier holding FAN_IN files (all files if everything)."""
    if everything:
        return list(files) if len(files) > 1 else []
    by_tier: dict[int, list[DataFile]] = {}
    for f in files:
        by_tier.setdefault(tier(f.rows), []).append(f)
    for level in sorted(by_tier):
        if len(by_tier[level]) >= FAN_IN:
            return by_tier[level]
    return []


def _name() -> str:
    return f"compact-{uuid.uuid4().hex}"


def compact_partition(
    store: LakeStore, date: str, hour: int, everything: bool = False, work_dir: Path | None = None
) -> Compacted:
    """Merge one partition's curated files of a full tier (or all of them) and its gold partials."""
    for _ in range(MAX_ATTEMPTS):
        manifest = table.read(store, date, hour)
        chosen = _choose(manifest.files("curated"), everything)
        gold_files = {zone: manifest.files(zone) for zone in gold.ZONES}
        merge_gold = max(len(files) for files in gold_files.values()) >= (2 if everything else FAN_IN)
        if not chosen and not merge_gold:
            return Compacted(date, hour, 0, 0)
        try:
            return _merge(store, manifest, chosen, gold_files, work_dir)
        except CommitConflict:
            continue  # its output files stay unlisted: the janitor deletes them
    raise CommitFailed(f"partition date={date}/hour={hour}: compaction lost {MAX_ATTEMPTS} commits")


def _merge(
    store: LakeStore,
    manifest: Manifest,
    chosen: list[DataFile],
    gold_files: dict[str, tuple[DataFile, ...]],
    work_dir: Path | None,
) -> Compacted:
    date, hour = manifest.date, manifest.hour
    tables: dict[str, tuple[DataFile, ...]] = {}
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        root = Path(scratch)
        con = duck.connect(temp_directory=root / "spill")
        try:
            if chosen:
                merged = _merge_curated(store, con, root, date, hour, chosen)
                tables["curated"] = (*(f for f in manifest.files("curated") if f not in chosen), merged)
            for zone, files in gold_files.items():
                if len(files) > 1:
                    tables[zone] = (_merge_gold(store, con, root, zone, date, hour, list(files)),)
        finally:
            con.close()
    now = time.time()
    replaced = [f.key for zone, files in tables.items() for f in manifest.files(zone) if f not in files]
    table.commit(store, manifest, tables, [*manifest.retired, *((key, now) for key in replaced)])
    return Compacted(date, hour, len(chosen), sum(f.rows for f in chosen))


def _merge_curated(
    store: LakeStore, con: duckdb.DuckDBPyConnection, root: Path, date: str, hour: int, files: list[DataFile]
) -> DataFile:
    key = layout.data_key("curated", date, hour, _name())
    target = root / "out" / key
    relation = curated_relation(table.fetch(store, files, root / "in"))
    parquet_copy(con, f"SELECT * EXCLUDE (date, hour) FROM {relation} ORDER BY well_id, event_time", target)
    store.put(key, target)
    wells: dict[str, tuple[str, str]] = {}
    for f in files:
        for well, (first, last) in f.wells.items():
            known = wells.get(well)
            wells[well] = (min(first, known[0]), max(last, known[1])) if known else (first, last)
    return DataFile(key, sum(f.rows for f in files), wells)


def _merge_gold(
    store: LakeStore,
    con: duckdb.DuckDBPyConnection,
    root: Path,
    zone: str,
    date: str,
    hour: int,
    files: list[DataFile],
) -> DataFile:
    key = layout.data_key(zone, date, hour, _name())
    target = root / "out" / key
    relation = curated_relation(table.fetch(store, files, root / "in"))
    with duck.errors():
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    parquet_copy(
        con, f"SELECT * EXCLUDE (date, hour) FROM ({gold.merge_sql(zone, relation, columns)})", target
    )
    store.put(key, target)
    with duck.errors():
        (rows,) = con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone() or (0,)
    return DataFile(key, int(rows))


def sweep(
    store: LakeStore,
    grace_seconds: float = SWEEP_GRACE_SECONDS,
    partitions: list[table.Partition] | None = None,
) -> list[str]:
    """Delete what no reader can need any more, in every partition or only the given ones: files
    retired by a compaction more than grace_seconds ago, and files a build or compaction wrote
    but never committed, once older than that. Refreshes the partitions' symlink lists first."""
    deleted: list[str] = []
    for date, hour in table.partitions(store) if partitions is None else partitions:
        deleted += _sweep_partition(store, date, hour, grace_seconds)
    return sorted(deleted)


def _sweep_partition(store: LakeStore, date: str, hour: int, grace_seconds: float) -> list[str]:
    manifest = table.read(store, date, hour)
    table.refresh_symlinks(store, manifest)
    now = time.time()
    expired = [key for key, at in manifest.retired if now - at >= grace_seconds]
    known = {f.key for zone in table.TABLES for f in manifest.files(zone)} | {
        key for key, _ in manifest.retired
    }
    orphans = [
        key
        for zone in table.TABLES
        for key, age in store.ages(layout.prefix(zone) + layout.partition_path(date, hour)).items()
        if OURS.search(key) and key not in known and age >= grace_seconds
    ]
    for key in expired + orphans:
        store.delete(key)
    if expired:
        kept = [(key, at) for key, at in manifest.retired if key not in set(expired)]
        # if another writer moved on meanwhile, the next pass forgets them (deleting twice is harmless)
        with contextlib.suppress(CommitConflict):
            table.commit(store, manifest, {}, kept)
    return expired + orphans


@dataclass(frozen=True)
class LakeCompaction:
    """What one pass over the whole lake did (the scheduled job's and `petrostream compact`'s)."""

    partitions: int  # partitions looked at
    merged: list[Compacted]  # those where files were merged
    deleted: list[str]  # files the janitor deleted

    @property
    def rows_rewritten(self) -> int:
        return sum(c.rows_rewritten for c in self.merged)


def compact_lake(
    store: LakeStore,
    everything: bool = False,
    grace_seconds: float = SWEEP_GRACE_SECONDS,
    work_dir: Path | None = None,
) -> LakeCompaction:
    """Compact every partition (full tiers, or everything), then sweep the whole lake: catches
    the partitions no build touches any more, whose last tier never filled."""
    done = [
        compact_partition(store, date, hour, everything, work_dir=work_dir)
        for date, hour in table.partitions(store)
    ]
    return LakeCompaction(len(done), [c for c in done if c.merged], sweep(store, grace_seconds))
