"""DuckDB over the lake in S3: the local stand-in for Athena.

Extensions cannot be downloaded at run time here, so httpfs is loaded from the file that the
duckdb-extension-httpfs PyPI package ships (its version must equal DuckDB's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import duckdb

from pipeline.curate import no_files
from services.errors import PetroStreamError

T = TypeVar("T")


def httpfs_path() -> Path:
    import duckdb_extension_httpfs

    package = Path(duckdb_extension_httpfs.__file__).parent
    path = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.exists():
        raise PetroStreamError(
            f"no httpfs extension for DuckDB {duckdb.__version__} in {package}",
            "pin duckdb-extension-httpfs to the same version as duckdb (pyproject.toml)",
        )
    return path


def connect(endpoint: str | None, region: str, access_key: str = "test", secret_key: str = "test") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads s3:// paths from LocalStack (``endpoint``) or from AWS (None)."""
    con = duckdb.connect()
    con.execute(f"LOAD '{httpfs_path()}'")
    if endpoint is None:
        con.execute(f"CREATE SECRET lake (TYPE s3, PROVIDER credential_chain, REGION '{region}')")
        return con
    url = urlparse(endpoint)
    con.execute(
        "CREATE SECRET lake (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL ?)",
        [access_key, secret_key, region, url.netloc, url.scheme == "https"],
    )
    return con


def lake_views(endpoint: str | None, region: str, bucket: str) -> duckdb.DuckDBPyConnection:
    """DuckDB over a deployed lake, with views named like the Glue tables (pipeline/queries.py)."""
    from pipeline.queries import create_views

    con = connect(endpoint, region)
    create_views(con, f"s3://{bucket}")
    return con


def read_settled(read: Callable[[], T], attempts: int = 5, pause: float = 0.5) -> T:
    """Run a read of the lake, again if a partition was replaced while DuckDB read it.

    The curated builder overwrites partition objects in place. A query that listed a file before
    the overwrite then reads ranges of the new object and fails: a DuckDB error, or a message so
    garbled it does not even decode (UnicodeDecodeError). Reading again sees the settled object.
    """
    for attempt in range(attempts):
        try:
            return read()
        except (duckdb.Error, UnicodeDecodeError):
            if attempt == attempts - 1:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    """The single number a count query returns; 0 when the zone it globs holds no object yet."""
    try:
        return int(con.execute(sql, params or []).fetchone()[0])
    except duckdb.Error as error:
        if no_files(error):
            return 0
        raise
