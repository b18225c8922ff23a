"""Compaction of a partition's small files, and the janitor of files no manifest lists.

Every build adds one curated file per partition, and one gold file per gold table. Compaction
merges curated files in tiers, as in size-tiered compaction: a file of fewer than BASE_ROWS rows
is of tier 0, one of BASE_ROWS x FAN_IN^(k-1) rows or more of tier k. When FAN_IN files of one
tier exist, they merge into one file of a higher tier. Each row is rewritten once per tier it
climbs, a logarithmic number of times, never once per build. Gold's partial aggregates (one row
per well or class) are merged whenever a partition is compacted or holds FAN_IN gold files.

A compaction commits through the manifest like a build (pipeline/table.py). Its output file is
named by a hash of its inputs, so running it again, or twice at once, commits one result.
Concurrent builds are kept: a lost commit is retried against the new manifest. The inputs it
replaces stay in the lake, unlisted, until the janitor (`sweep`) deletes files no manifest lists
that are older than a grace period longer than any read.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
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


def _name(files: list[DataFile]) -> str:
    return "compact-" + hashlib.sha256("\n".join(sorted(f.key for f in files)).encode()).hexdigest()[:24]


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
            continue
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
        con = duck.connect()
        try:
            if chosen:
                merged = _merge_curated(store, con, root, date, hour, chosen)
                tables["curated"] = (*(f for f in manifest.files("curated") if f not in chosen), merged)
            for zone, files in gold_files.items():
                if len(files) > 1:
                    tables[zone] = (_merge_gold(store, con, root, zone, date, hour, list(files)),)
        finally:
            con.close()
    table.commit(store, manifest, tables)
    return Compacted(date, hour, len(chosen), sum(f.rows for f in chosen))


def _fetch(store: LakeStore, root: Path, files: list[DataFile]) -> list[Path]:
    targets = []
    for f in files:
        target = root / "in" / f.key
        if not store.fetch(f.key, target):
            raise FileNotFoundError(f"committed file missing from the lake: {f.key}")
        targets.append(target)
    return targets


def _merge_curated(
    store: LakeStore, con: duckdb.DuckDBPyConnection, root: Path, date: str, hour: int, files: list[DataFile]
) -> DataFile:
    key = layout.data_key("curated", date, hour, _name(files))
    target = root / "out" / key
    relation = curated_relation(_fetch(store, root, files))
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
    key = layout.data_key(zone, date, hour, _name(files))
    target = root / "out" / key
    relation = curated_relation(_fetch(store, root, files))
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
    """Delete the tables' files that no manifest lists and that are older than the grace period:
    inputs compaction replaced, files of a build that stopped before its commit. Over every
    partition, or only the given ones (what the builder does after compacting)."""
    if partitions is None:
        listed = {key for keys in table.committed_keys(store).values() for key in keys}
        prefixes = [layout.prefix(zone) for zone in table.TABLES]
    else:
        manifests = [table.read(store, date, hour) for date, hour in partitions]
        listed = {f.key for m in manifests for zone in table.TABLES for f in m.files(zone)}
        prefixes = [
            layout.prefix(zone) + layout.partition_path(date, hour)
            for zone in table.TABLES
            for date, hour in partitions
        ]
    symlinks = tuple(layout.symlink_prefix(zone) for zone in table.TABLES)
    deleted = []
    for prefix in prefixes:
        for key, age in store.ages(prefix).items():
            if key.startswith(symlinks) or key in listed or age < grace_seconds:
                continue
            store.delete(key)
            deleted.append(key)
    return sorted(deleted)
