"""SQL relations over the lake's files, typed by the schema: raw NDJSON and partitioned Parquet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline import schema
from pipeline.duck import sql_list


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


def raw_relation(paths: Sequence[str | Path]) -> str:
    """SQL reading raw NDJSON files with the schema's raw column types (unknown keys ignored)."""
    return (
        f"read_json({sql_list(paths)}, format='newline_delimited', "
        f"columns={_struct(schema.duckdb_columns(schema.raw_fields()))})"
    )


def curated_relation(paths: Sequence[str | Path] | str) -> str:
    """SQL reading Parquet files of a table laid out as .../date=YYYY-MM-DD/hour=H/<name>.parquet."""
    target = f"'{paths}'" if isinstance(paths, str) else sql_list(paths)
    return (
        f"read_parquet({target}, hive_partitioning = true, "
        "hive_types = {'date': 'VARCHAR', 'hour': 'INTEGER'})"
    )
