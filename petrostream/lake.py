"""DuckDB over a deployed lake, with views named like the Glue tables (the local Athena)."""

from __future__ import annotations

import duckdb

from pipeline.duck import ExtensionMissing, S3Access, connect
from pipeline.queries import create_views
from pipeline.storage import S3Store
from services import local_aws
from services.errors import PetroStreamError
from services.settings import Settings


def lake_store(endpoint: str | None, region: str, bucket: str) -> S3Store:
    """The lake bucket on LocalStack (``endpoint``) or AWS (None), as the pipeline's code reads it."""
    return S3Store(local_aws.client("s3", endpoint, region), bucket)


def lake_views(endpoint: str | None, region: str, bucket: str) -> duckdb.DuckDBPyConnection:
    """DuckDB over s3://bucket on LocalStack (``endpoint``) or AWS (None), views made for each
    table over the files its manifests list now (a consistent snapshot of the lake)."""
    try:
        con = connect(S3Access(region, endpoint))
    except ExtensionMissing as error:
        raise PetroStreamError(str(error), "reinstall the project environment: `make clean setup`") from error
    create_views(con, lake_store(endpoint, region, bucket))
    return con


def notebook_connection(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """The lake the notebooks explore: PETROSTREAM_LAKE_ENDPOINT/_BUCKET (the test suite's),
    or else the one `make demo` deployed."""
    from petrostream.deployment import deployed

    settings = settings or Settings.from_env()
    if settings.lake_bucket:
        return lake_views(settings.lake_endpoint, settings.region, settings.lake_bucket)
    stack, outputs = deployed(settings)
    return lake_views(stack.endpoint, settings.region, outputs.lake_bucket)
