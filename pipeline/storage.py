"""Where the lake's files live: S3, or a local folder in unit tests and benchmarks.

Besides copying files in and out, a store can replace a small object only if nobody replaced it
since it was read (`write_if`): the commit of the lake's table format (pipeline/table.py). On S3
that is a conditional PutObject (If-Match on the ETag read, If-None-Match: * for a new object),
which AWS and LocalStack 4.14 both enforce; the folder store does the same under a file lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class CommitConflict(Exception):
    """An object was replaced (or created) by another writer since it was read."""


class LakeStore(Protocol):
    def fetch(self, key: str, destination: Path) -> bool:
        """Copy an object to a local file; False if it does not exist."""
        ...

    def put(self, key: str, source: Path) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...

    def ages(self, prefix: str) -> dict[str, float]:
        """key -> seconds since it was last written, for every object under prefix."""
        ...

    def read(self, key: str) -> tuple[bytes, str] | None:
        """(body, version) of a small object, None if it does not exist."""
        ...

    def write_if(self, key: str, body: bytes, version: str | None) -> str:
        """Write the object if its version is still `version` (None: if it does not exist);
        returns the new version, or raises CommitConflict."""
        ...

    def write(self, key: str, body: bytes) -> None:
        """Write a small object unconditionally."""
        ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """What DuckDB reads the object as: s3://bucket/key, or a local path."""
        ...


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

    def ages(self, prefix: str) -> dict[str, float]:
        now = time.time()
        found: dict[str, float] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.update(
                {item["Key"]: now - item["LastModified"].timestamp() for item in page.get("Contents", [])}
            )
        return found

    def read(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_FOUND:
                return None
            raise
        return response["Body"].read(), response["ETag"]

    def write_if(self, key: str, body: bytes, version: str | None) -> str:
        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **condition)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in CONFLICT:
                raise CommitConflict(
                    f"s3://{self.bucket}/{key} was replaced by another writer ({code})"
                ) from error
            raise
        return str(response["ETag"])

    def write(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


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

    def ages(self, prefix: str) -> dict[str, float]:
        now = time.time()
        return {key: now - (self.root / key).stat().st_mtime for key in self.keys(prefix)}

    def read(self, key: str) -> tuple[bytes, str] | None:
        path = self.root / key
        if not path.exists():
            return None
        body = path.read_bytes()
        return body, hashlib.sha256(body).hexdigest()

    def write_if(self, key: str, body: bytes, version: str | None) -> str:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".commit.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one commit at a time, as S3 orders conditional writes
            current = self.read(key)
            if (current[1] if current else None) != version:
                raise CommitConflict(f"{target} was replaced by another writer")
            staged = target.with_name(target.name + ".tmp")
            staged.write_bytes(body)
            staged.replace(target)  # atomic: a reader sees the old body or the new one
        return hashlib.sha256(body).hexdigest()

    def write(self, key: str, body: bytes) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".tmp")
        staged.write_bytes(body)
        staged.replace(target)

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return str(self.root / key)
