"""The record schema, read from schema.json, in every shape the pipeline needs.

schema.json is the one place a field is defined. From it come the pydantic model the stream
processor validates with, the pyarrow schema of the curated Parquet files, the DuckDB column
types the builder reads raw NDJSON with, and (through Terraform's jsondecode) the Glue tables.
pyarrow is imported lazily: the stream processor's zip does not ship it.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

SCHEMA_FILE = Path(__file__).with_name("schema.json")

Stage = Literal["record", "stream", "curated"]
STAGES: tuple[Stage, ...] = ("record", "stream", "curated")

_DUCKDB = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "double": "DOUBLE",
    "int": "INTEGER",
    "bool": "BOOLEAN",
}
_PYTHON: dict[str, type] = {"string": str, "timestamp": datetime, "double": float, "int": int, "bool": bool}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    stage: Stage
    required: bool = False
    description: str = ""
    source: str | None = None  # the 3W column name, for sensors
    kind: str | None = None  # pressure, temperature, flow
    unit: str | None = None
    min: float | None = None  # physical range: outside it the reading is impossible
    max: float | None = None
    partition: bool = False

    @property
    def is_sensor(self) -> bool:
        return self.source is not None

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB[self.type]

    @property
    def python_type(self) -> builtins.type:
        return _PYTHON[self.type]


@cache
def document() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(SCHEMA_FILE.read_text()))


@cache
def all_fields() -> tuple[Field, ...]:
    return tuple(Field(**spec) for spec in document()["fields"])


def fields(*stages: Stage) -> tuple[Field, ...]:
    """Fields of the given stages, in schema order (all stages when none is given)."""
    wanted = set(stages or STAGES)
    return tuple(field for field in all_fields() if field.stage in wanted)


def field(name: str) -> Field:
    for candidate in all_fields():
        if candidate.name == name:
            return candidate
    raise KeyError(f"no field {name!r} in {SCHEMA_FILE.name}")


def field_of_source(source: str) -> Field:
    """The sensor read from a 3W column (P-PDG -> p_pdg)."""
    for candidate in sensors():
        if candidate.source == source:
            return candidate
    raise KeyError(f"no sensor reads the 3W column {source!r} in {SCHEMA_FILE.name}")


@cache  # per-record callers: the handler benchmark's reference asks on every record
def sensors() -> tuple[Field, ...]:
    return tuple(f for f in all_fields() if f.is_sensor)


def raw_fields() -> tuple[Field, ...]:
    """What the raw zone holds: the record plus what the stream processor adds."""
    return fields("record", "stream")


def curated_fields() -> tuple[Field, ...]:
    """Columns of curated Parquet files, partition columns last (Hive style)."""
    columns = fields()
    return tuple(f for f in columns if not f.partition) + tuple(f for f in columns if f.partition)


def detection() -> dict[str, Any]:
    return cast(dict[str, Any], document()["detection"])


def anomaly_types() -> tuple[str, ...]:
    """The detectors' names, as anomaly_type lists them (and gold counts them)."""
    return tuple(detection()["anomaly_types"])


def duckdb_columns(columns: tuple[Field, ...]) -> dict[str, str]:
    """name -> DuckDB type, for read_json(columns=...)."""
    return {f.name: f.duckdb_type for f in columns}


def arrow_schema(columns: tuple[Field, ...] | None = None) -> Any:
    """The pyarrow schema of a set of fields (curated columns by default)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "timestamp": pa.timestamp("us"),
        "double": pa.float64(),
        "int": pa.int32(),
        "bool": pa.bool_(),
    }
    chosen = curated_fields() if columns is None else columns
    return pa.schema(
        [
            pa.field(f.name, types[f.type], nullable=not f.required, metadata={"description": f.description})
            for f in chosen
        ]
    )
