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


def partition_key(zone: str, date: str, hour: int) -> str:
    """Key of the one file of a (date, hour) partition (Hive style): rewriting it replaces it."""
    return f"{prefix(zone)}date={date}/hour={hour}/{_document()['partition_file']}"
