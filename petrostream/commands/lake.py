"""Commands over the lake: build curated and gold, compact them, run named or ad-hoc queries."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from petrostream.commands.context import settings_of
from petrostream.deployment import deployed
from pipeline import duck
from services.errors import PetroStreamError


def _store(ctx: typer.Context) -> Any:
    from petrostream.lake import lake_store

    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    return lake_store(stack.endpoint, settings.region, outputs.lake_bucket)


def build_lake_command(ctx: typer.Context) -> None:
    """Commit every raw object's readings that curated does not hold yet (idempotent: running it
    again commits nothing), the way the builder does."""
    from pipeline import layout
    from pipeline.build import build_from_raw

    store = _store(ctx)
    keys = store.keys(layout.prefix("raw"))
    started = time.monotonic()
    result = build_from_raw(store, keys)
    print(
        f"build-lake: {len(keys)} raw objects -> {result.curated_rows} new curated rows "
        f"in {len(result.partitions)} partitions in {time.monotonic() - started:.1f} s"
    )


def compact_command(
    ctx: typer.Context,
    everything: Annotated[
        bool, typer.Option("--all", help="merge each partition's files into one (e.g. once its hour is over)")
    ] = False,
    grace: Annotated[
        float,
        typer.Option(
            help="delete files compaction retired more than GRACE seconds ago, and uncommitted ones that old"
        ),
    ] = 3600.0,
) -> None:
    """Compact every partition (full tiers of small files, or --all), then delete the files that
    compaction replaced and no reader can still be reading."""
    from pipeline.compaction import compact_lake

    store = _store(ctx)
    started = time.monotonic()
    done = compact_lake(store, everything, grace)
    print(
        f"compact: {done.partitions} partitions, {sum(c.merged for c in done.merged)} files merged in "
        f"{len(done.merged)} ({done.rows_rewritten} rows rewritten), {len(done.deleted)} unlisted files "
        f"deleted in {time.monotonic() - started:.1f} s"
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
    app.command("compact")(compact_command)
    app.command("query")(query_command)
