"""Where each zone lives in the lake bucket (from lake.json, which Terraform reads too)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

LAKE_FILE = Path(__file__).with_name("lake.json")


@cache
def _document() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(LAKE_FILE.read_text()))


def zones() -> dict[str, str]:
    return cast(dict[str, str], _document()["zones"])


def prefix(zone: str) -> str:
    return zones()[zone]


def partition_path(date: str, hour: int) -> str:
    """The Hive-style folder of a (date, hour) partition: DuckDB and Athena read the two columns from it."""
    return f"date={date}/hour={hour}/"


def data_key(zone: str, date: str, hour: int, name: str) -> str:
    """Key of one immutable Parquet file of a table's partition."""
    return f"{prefix(zone)}{partition_path(date, hour)}{name}.parquet"


def manifest_key(date: str, hour: int) -> str:
    """Key of a partition's manifest: the committed files of every table in that partition."""
    return f"{prefix('manifests')}{partition_path(date, hour)}manifest.json"


def symlink_key(zone: str, date: str, hour: int) -> str:
    """Key of a table partition's file list in Athena's symlink format (one s3:// URI per line)."""
    return f"{prefix(zone)}{_document()['symlink_folder']}{partition_path(date, hour)}manifest"


def symlink_prefix(zone: str) -> str:
    return f"{prefix(zone)}{_document()['symlink_folder']}"


def landing_paths(landing_key: str, content: str) -> tuple[str, str, str]:
    """(raw object prefix, discard key, report key) of a landing object.

    Raw objects and the discard object carry an id of the content (the loader's SHA-256 of the
    bytes, the first 32 hex digits), so a retry or a re-upload of the same bytes writes the same
    keys and changed bytes their own; the report is the file's latest."""
    relative = landing_key.removeprefix(prefix("landing"))
    tag = content.strip('"')[:32]
    return (
        f"{prefix('raw')}landing/{relative}/{tag}-",
        f"{prefix('discard')}{relative}/{tag}.ndjson",
        report_key(landing_key),
    )


def report_key(landing_key: str) -> str:
    """Key of a landing object's quality report: what `petrostream backfill` waits for."""
    return f"{prefix('landing_reports')}{landing_key.removeprefix(prefix('landing'))}.json"


def ingest_api() -> dict[str, Any]:
    """The HTTP ingestion API's limits, stage and path (lake.json, read by infra/api.tf too)."""
    return cast(dict[str, Any], _document()["ingest_api"])
