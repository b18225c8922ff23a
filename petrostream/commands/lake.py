"""Commands over the lake: rebuild curated and gold, run named or ad-hoc queries."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from petrostream.commands.context import settings_of
from petrostream.deployment import deployed
from pipeline import duck
from services import local_aws
from services.errors import PetroStreamError


def build_lake_command(ctx: typer.Context) -> None:
    """Rebuild curated and gold from every raw object (idempotent: a rebuild changes nothing)."""
    from pipeline import layout
    from pipeline.build import build_from_raw
    from pipeline.storage import S3Store

    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    store = S3Store(local_aws.client("s3", stack.endpoint, settings.region), outputs.lake_bucket)
    keys = store.keys(layout.prefix("raw"))
    started = time.monotonic()
    result = build_from_raw(store, keys)
    print(
        f"build-lake: {len(keys)} raw objects -> {result.curated_rows} curated rows "
        f"in {len(result.partitions)} partitions in {time.monotonic() - started:.1f} s"
    )


def query_command(
    ctx: typer.Context,
    sql: Annotated[
        str | None,
        typer.Argument(help="a named query (pipeline/sql/) or Athena SQL; omit to list the named queries"),
    ] = None,
) -> None:
    """Run a named query or ad-hoc Athena (Trino) SQL on the local lake with DuckDB."""
    from petrostream.lake import lake_views
    from petrostream.tables import render
    from pipeline.queries import athena_sql, names, run

    if not sql:
        for name in names():
            print(f"{name:32} {athena_sql(name).splitlines()[0].lstrip('- ')}")
        return
    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    try:
        con = lake_views(stack.endpoint, settings.region, outputs.lake_bucket)
        with duck.errors():
            print(render(run(con, sql)))
    except duck.LakeQueryError as error:
        raise PetroStreamError(
            f"query failed: {error}",
            "`petrostream query` lists the named queries; tables: curated_readings, gold_well_hourly, "
            "gold_class_hourly, raw_readings",
        ) from error


def register(app: typer.Typer) -> None:
    app.command("build-lake")(build_lake_command)
    app.command("query")(query_command)
