"""Where the lake's files live: S3, or a local folder in unit tests and benchmarks."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class LakeStore(Protocol):
    def fetch(self, key: str, destination: Path) -> bool:
        """Copy an object to a local file; False if it does not exist."""
        ...

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
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_FOUND:
                return False
            raise
        return True

    def put(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, key)

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
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
        return sorted(
            p.relative_to(self.root).as_posix() for p in (self.root / prefix).rglob("*") if p.is_file()
        )
