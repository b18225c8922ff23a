"""Named queries (sql/*.sql, written for Athena's Trino dialect) run on DuckDB through sqlglot.

The same files are deployed as Athena named queries by Terraform (infra/catalog.tf), so a query
is written once and runs on both engines. Locally the tables are DuckDB views over the files the
lake's manifests list (pipeline/table.py), with the names the Glue tables have on AWS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlglot

from pipeline import duck, layout, table
from pipeline.relations import curated_relation, raw_relation
from pipeline.storage import LakeStore

SQL_DIR = Path(__file__).with_name("sql")
TABLES = {
    "curated_readings": "curated",
    "gold_well_hourly": "gold_well_hourly",
    "gold_class_hourly": "gold_class_hourly",
}


class UnknownQuery(KeyError):
    """No sql/<name>.sql file."""


class QuerySyntaxError(duck.LakeQueryError):
    """The SQL does not parse as Trino (Athena) SQL; the message is sqlglot's."""


def names() -> list[str]:
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


def athena_sql(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise UnknownQuery(f"no named query {name!r}; known: {', '.join(names())}")
    return path.read_text()


def to_duckdb(sql: str) -> str:
    """Trino (Athena) SQL -> DuckDB SQL."""
    try:
        return ";\n".join(sqlglot.transpile(sql, read="trino", write="duckdb", pretty=True))
    except sqlglot.errors.SqlglotError as error:
        raise QuerySyntaxError(str(error)) from error


def create_views(con: Any, store: LakeStore, committed: dict[str, list[str]] | None = None) -> list[str]:
    """Views named like the Glue tables over the lake in `store`, as its manifests stand now: a
    consistent snapshot (files are never rewritten, and the janitor deletes a replaced file only
    an hour after compaction replaced it). `committed` (zone -> keys, table.committed_keys) pins
    the snapshot to one read of the manifests.

    A zone without files yet gets no view; the names of the views made are returned.
    """
    committed = table.committed_keys(store) if committed is None else committed
    relations = {
        view: curated_relation([store.url(key) for key in committed[zone]])
        for view, zone in TABLES.items()
        if committed[zone]
    }
    relations["raw_readings"] = raw_relation([store.url(layout.prefix("raw")) + "**"])
    made = []
    for view, relation in relations.items():
        try:
            with duck.errors():
                con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {relation}")
            made.append(view)
        except duck.NoFilesFound:
            continue
    return made


def run(con: Any, name_or_sql: str) -> Any:
    """Run a named query (by name) or ad-hoc Trino SQL; returns a DuckDB relation result."""
    sql = athena_sql(name_or_sql) if name_or_sql in names() else name_or_sql
    return con.execute(to_duckdb(sql))
