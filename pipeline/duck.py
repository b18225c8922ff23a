"""DuckDB access for the whole project: one connection factory, one translation of its errors.

Every DuckDB connection (the builder over local files, the CLI and the notebooks over S3) comes
from `connect`, and every caller that must tell an empty zone from a real failure uses the typed
errors below instead of matching DuckDB's message text.

Extensions cannot be downloaded at run time, so httpfs (for s3:// paths) is loaded from the file
the duckdb-extension-httpfs PyPI package ships; its version must equal DuckDB's. The package is
imported only when S3 access is asked for, so the builder's Lambda zip does not need it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb


class LakeQueryError(Exception):
    """A DuckDB statement over the lake failed; the message is DuckDB's."""


class NoFilesFound(LakeQueryError):
    """A glob over a lake zone matched nothing: the zone is empty (yet)."""


class ExtensionMissing(LakeQueryError):
    """The httpfs extension file for this DuckDB version is not installed."""


def translate(error: duckdb.Error) -> LakeQueryError:
    """The typed error for a DuckDB error (the one place that reads DuckDB's message text)."""
    if "No files found" in str(error):
        return NoFilesFound(str(error))
    return LakeQueryError(str(error))


@contextmanager
def errors() -> Iterator[None]:
    """Raise DuckDB errors of the block as typed LakeQueryErrors (the original chained)."""
    try:
        yield
    except duckdb.Error as error:
        raise translate(error) from error


@dataclass(frozen=True)
class S3Access:
    """Where s3:// paths are read from: LocalStack (``endpoint``) or AWS (``endpoint`` None)."""

    region: str
    endpoint: str | None = None
    access_key: str = "test"
    secret_key: str = "test"


def httpfs_path() -> Path:
    import duckdb_extension_httpfs

    package = Path(duckdb_extension_httpfs.__file__).parent
    path = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.exists():
        raise ExtensionMissing(
            f"no httpfs extension for DuckDB {duckdb.__version__} in {package}: "
            "pin duckdb-extension-httpfs to the same version as duckdb (pyproject.toml)"
        )
    return path


def connect(
    s3: S3Access | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that keeps insertion order; with ``s3``, it also reads s3:// paths.

    temp_directory: where it spills when memory runs short. DuckDB's default is `.tmp` under the
    working directory, which on Lambda is the read-only /var/task: functions pass a folder in /tmp."""
    config: dict[str, Any] = {"preserve_insertion_order": True}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    if s3 is None:
        return con
    con.execute(f"LOAD '{httpfs_path()}'")
    if s3.endpoint is None:
        con.execute(f"CREATE SECRET lake (TYPE s3, PROVIDER credential_chain, REGION '{s3.region}')")
        return con
    url = urlparse(s3.endpoint)
    con.execute(
        "CREATE SECRET lake (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
        [s3.access_key, s3.secret_key, s3.region, url.netloc, url.scheme == "https"],
    )
    return con


def sql_list(paths: Sequence[str | Path]) -> str:
    """A DuckDB list literal of file paths, quotes escaped."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def count(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> int:
    """The single number a count query returns; 0 when the zone it globs holds no object yet."""
    try:
        with errors():
            row = con.execute(sql, list(params or [])).fetchone()
    except NoFilesFound:
        return 0
    assert row is not None, "a count query returns one row"
    return int(row[0])
