"""The lake's table format: immutable Parquet files, and per (date, hour) partition one manifest
listing the files each table has committed there (docs/decisions/0002-curated-table-format.md).

A file exists for readers only once a manifest lists it, and a manifest is replaced only by a
writer that read the version it replaces (LakeStore.write_if: S3 conditional writes). So a build
or a compaction commits all of its files in all tables of a partition at once, two concurrent
builds of one partition cannot both commit what they read, and a reader that lists files through
the manifests never sees a half-written partition or a file compaction has replaced. Files a
compaction replaces stay in the manifest as retired, with the time they were retired; the
janitor deletes them once that is longer ago than any read could last (pipeline/compaction.py).

Each curated file's entry records, per well, the event-time range of its rows. Event ids derive
from well and time (pipeline/records.py), so new rows can only repeat rows of files whose range
for their well overlaps theirs: the build reads the event ids of those files only (usually none:
a stream moves forward), never the whole partition.

After each commit the partition's file lists are also written in Athena's symlink format (one
s3:// URI per line), which the Glue tables read (infra/catalog.tf). They follow the manifest:
the writer reads the manifest again after writing them and rewrites them until the version it
wrote them from is still the current one, so a slow writer cannot leave an older list behind a
newer commit. A writer that stops between its commit and its lists leaves Athena one commit
behind until the partition's next commit or the janitor's next pass, which refreshes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.storage import CommitConflict, LakeStore

TABLES = ("curated", "gold_well_hourly", "gold_class_hourly")  # zones with a manifest entry
MANIFEST_VERSION = 1
Partition = tuple[str, int]  # (date YYYY-MM-DD, hour)


@dataclass(frozen=True)
class DataFile:
    """One committed Parquet file. wells: well -> (first, last) event time of its rows (curated only)."""

    key: str
    rows: int
    wells: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"key": self.key, "rows": self.rows}
        if self.wells:
            document["wells"] = {well: list(span) for well, span in sorted(self.wells.items())}
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> DataFile:
        wells = {well: (span[0], span[1]) for well, span in document.get("wells", {}).items()}
        return cls(document["key"], int(document["rows"]), wells)

    def overlaps(self, spans: Mapping[str, tuple[str, str]]) -> bool:
        """Whether any well's rows here fall in that well's (first, last) span in `spans`."""
        for well, (first, last) in spans.items():
            mine = self.wells.get(well)
            if mine is not None and mine[0] <= last and first <= mine[1]:
                return True
        return False


@dataclass(frozen=True)
class Manifest:
    """A partition's committed files per table, and the store's version of what was read."""

    date: str
    hour: int
    tables: Mapping[str, tuple[DataFile, ...]]
    version: str | None = None  # None: no manifest yet
    retired: tuple[tuple[str, float], ...] = ()  # (key, epoch seconds) of files no longer listed

    def files(self, zone: str) -> tuple[DataFile, ...]:
        return tuple(self.tables.get(zone, ()))

    def to_bytes(self) -> bytes:
        document = {
            "version": MANIFEST_VERSION,
            "date": self.date,
            "hour": self.hour,
            "tables": {zone: [f.to_json() for f in files] for zone, files in sorted(self.tables.items())},
            "retired": [list(item) for item in self.retired],
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, body: bytes, version: str) -> Manifest:
        document = json.loads(body)
        if document.get("version") != MANIFEST_VERSION:
            raise ValueError(f"manifest of version {document.get('version')!r}, expected {MANIFEST_VERSION}")
        tables = {
            zone: tuple(DataFile.from_json(f) for f in files) for zone, files in document["tables"].items()
        }
        retired = tuple((key, float(at)) for key, at in document.get("retired", []))
        return cls(document["date"], int(document["hour"]), tables, version, retired)


def read(store: LakeStore, date: str, hour: int) -> Manifest:
    """The partition's manifest as it stands (an empty one, version None, if it has none)."""
    found = store.read(layout.manifest_key(date, hour))
    if found is None:
        return Manifest(date, hour, {})
    body, version = found
    return Manifest.from_bytes(body, version)


def commit(
    store: LakeStore,
    read_as: Manifest,
    tables: Mapping[str, Iterable[DataFile]],
    retired: Iterable[tuple[str, float]] | None = None,
) -> Manifest:
    """Replace the manifest `read_as` was read from with these tables (the others kept as they
    were) and these retired files (None: those it had), unless another writer replaced it first:
    then CommitConflict, and nothing changed.

    A write the store retried after it had landed reads as a conflict (S3 answers the retry with
    412). The commit took place if the manifest now is the one it wrote, or lists every file it
    added (another writer committed on top of it); then the manifest as it now stands is returned."""
    merged = {**read_as.tables, **{zone: tuple(files) for zone, files in tables.items()}}
    kept = read_as.retired if retired is None else tuple(retired)
    body = Manifest(read_as.date, read_as.hour, merged, None, kept).to_bytes()
    key = layout.manifest_key(read_as.date, read_as.hour)
    try:
        version = store.write_if(key, body, read_as.version)
    except CommitConflict:
        found = store.read(key)
        if found is None:
            raise
        current = Manifest.from_bytes(*found)
        added = _keys(merged) - _keys(read_as.tables)
        if found[0] != body and not (added and added <= _keys(current.tables)):
            raise
        refresh_symlinks(store, current)
        return current
    committed = Manifest(read_as.date, read_as.hour, merged, version, kept)
    refresh_symlinks(store, committed)
    return committed


def _keys(tables: Mapping[str, Iterable[DataFile]]) -> set[str]:
    return {f.key for files in tables.values() for f in files}


def refresh_symlinks(store: LakeStore, manifest: Manifest, attempts: int = 5) -> None:
    """Write the partition's file lists as Athena's symlink tables read them, from `manifest`, and
    again from the current manifest until it is the one they were written from."""
    for _ in range(attempts):
        for zone in TABLES:
            lines = "".join(f"{store.url(f.key)}\n" for f in manifest.files(zone))
            store.write(layout.symlink_key(zone, manifest.date, manifest.hour), lines.encode())
        current = read(store, manifest.date, manifest.hour)
        if current.version == manifest.version:
            return
        manifest = current


def fetch(store: LakeStore, files: Iterable[DataFile], folder: Path, threads: int = 8) -> list[Path]:
    """Copy committed files under folder (keeping their keys, so the Hive columns stay readable);
    FileNotFoundError names any a manifest lists that the lake no longer holds."""
    chosen = list(files)
    targets = [folder / f.key for f in chosen]
    with ThreadPoolExecutor(threads) as pool:
        found = list(pool.map(store.fetch, [f.key for f in chosen], targets))
    missing = [f.key for f, ok in zip(chosen, found, strict=True) if not ok]
    if missing:
        raise FileNotFoundError(f"committed files missing from the lake: {missing}")
    return targets


def partitions(store: LakeStore) -> list[Partition]:
    """Every partition that has a manifest, sorted."""
    found = []
    for key in store.keys(layout.prefix("manifests")):
        if not key.endswith("/manifest.json"):
            continue
        date_part, hour_part = key.split("/")[-3:-1]
        found.append((date_part.removeprefix("date="), int(hour_part.removeprefix("hour="))))
    return sorted(found)


def manifests(store: LakeStore, threads: int = 8) -> list[Manifest]:
    """The manifest of every partition (read in parallel: one small object each)."""
    chosen = partitions(store)
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda p: read(store, *p), chosen))


def committed_keys(store: LakeStore) -> dict[str, list[str]]:
    """table zone -> keys of every committed file, over all partitions: what readers read."""
    keys: dict[str, list[str]] = {zone: [] for zone in TABLES}
    for manifest in manifests(store):
        for zone in TABLES:
            keys[zone] += [f.key for f in manifest.files(zone)]
    return keys
