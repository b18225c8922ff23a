"""Query results as text a person reads: integer columns print as integers, not 5905.0."""

from __future__ import annotations

from typing import Any

# DuckDB hands HUGEINT (what sum() of BIGINT gives) to pandas as float64; these stay integers.
INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


def render(result: Any) -> str:
    """An executed DuckDB statement's rows as an aligned table (pandas' text form)."""
    description = result.description or []
    frame = result.df()
    for name, kind, *_ in description:
        if str(kind) in INTEGER_TYPES:
            frame[name] = frame[name].astype("Int64")
    return str(frame.to_string(index=False))
