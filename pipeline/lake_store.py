"""Where the lake's files live (S3, or a local folder in unit tests) and one build over them.

build_from_raw is the whole curated step: fetch the new raw objects, stage them, fetch the
current curated file of every partition they touch, write, and put the new files back. The
builder Lambda and the `petrostream build-lake` command both call it with an S3Store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pipeline import layout
from pipeline.curate import CuratedBuild, Partition, connect


class LakeStore(Protocol):
    def fetch(self, key: str, destination: Path) -> bool:
        """Copy an object to a local file; False if it does not exist."""

    def put(self, key: str, source: Path) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...


@dataclass
class S3Store:
    client: Any  # boto3 S3 client
    bucket: str

    def fetch(self, key: str, destination: Path) -> bool:
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, key, str(destination))
        except Exception as error:  # botocore ClientError 404 / NoSuchKey
            if "404" in str(error) or "NoSuchKey" in str(error) or "Not Found" in str(error):
                return False
            raise
        return True

    def put(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, key)

    def keys(self, prefix: str) -> list[str]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)


@dataclass
class DirectoryStore:
    root: Path

    def fetch(self, key: str, destination: Path) -> bool:
        source = self.root / key
        if not source.exists():
            return False
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return True

    def put(self, key: str, source: Path) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)

    def keys(self, prefix: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in (self.root / prefix).rglob("*") if p.is_file())


@dataclass(frozen=True)
class BuildResult:
    partitions: list[Partition]
    curated_rows: int
    keys: list[str]  # objects written (curated and gold)
    run_ids: list[str] = field(default_factory=list)  # producer runs merged (correlation ids)


def build_from_raw(store: LakeStore, raw_keys: Iterable[str], work_dir: Path | None = None, threads: int = 8) -> BuildResult:
    """Merge raw objects into curated and gold; returns what was written."""
    raw_keys = sorted(set(raw_keys))
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        root = Path(scratch)
        targets = [root / "raw" / f"{i:06d}.json" for i in range(len(raw_keys))]
        with ThreadPoolExecutor(threads) as pool:
            present = list(pool.map(store.fetch, raw_keys, targets))
        files = [t for t, ok in zip(targets, present) if ok and t.stat().st_size]
        if not files:
            return BuildResult([], 0, [])
        con = connect()
        try:
            build = CuratedBuild(con)
            partitions = build.stage(files)
            run_ids = build.run_ids()
            existing_keys = [layout.partition_key("curated", date, hour) for date, hour in partitions]
            existing_targets = [root / "existing" / key for key in existing_keys]  # keeps date=/hour= for DuckDB
            with ThreadPoolExecutor(threads) as pool:
                found = list(pool.map(store.fetch, existing_keys, existing_targets))
            output = build.write([t for t, ok in zip(existing_targets, found) if ok], root / "out")
        finally:
            con.close()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(store.put, output.files, output.files.values()))
        return BuildResult(output.partitions, output.curated_rows, sorted(output.files), run_ids)
