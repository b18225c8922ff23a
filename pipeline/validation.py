"""Validation of one wire record against the schema, with pydantic.

The model is generated from schema.json (record stage), so adding a field there adds it here.
Validation is strict (a number sent as a string is an error, as is an unknown field) and
parses the raw bytes directly, so malformed JSON gets the same kind of error as a bad field.
A sensor sent as NaN counts as missing, not as invalid: real 3W files have NaN gaps.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model
from pydantic import Field as PydanticField

from pipeline import schema

MAX_TEXT = 256


def _nan_to_none(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _utc(value: datetime) -> datetime:
    """Readings are UTC; a naive timestamp is taken as UTC, an aware one is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _annotation(field: schema.Field) -> Any:
    if field.is_sensor:
        bounded = Annotated[float, PydanticField(ge=field.min, le=field.max)]
        return Annotated[bounded | None, BeforeValidator(_nan_to_none)]
    if field.type == "string":
        base: Any = Annotated[str, PydanticField(min_length=1, max_length=MAX_TEXT)]
    elif field.name == "label":
        base = Annotated[int, PydanticField(ge=0, le=109)]
    elif field.name == "event_class":
        base = Annotated[int, PydanticField(ge=0, le=9)]
    else:
        base = field.python_type
    return base if field.required else base | None


@cache
def record_model() -> type[BaseModel]:
    """The pydantic model of a producer record, generated from schema.json."""
    definitions: dict[str, Any] = {
        f.name: (_annotation(f), ... if f.required else None) for f in schema.fields("record")
    }
    model = create_model(  # type: ignore[call-overload]
        "Reading",
        __config__=ConfigDict(extra="forbid", frozen=True),
        **definitions,
    )
    model.__doc__ = schema.document()["description"]
    return model


def errors_of(error: ValidationError) -> list[dict[str, str]]:
    """Field-level reasons, short enough to store with the quarantined record."""
    reasons = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "<record>"
        reasons.append({"field": location, "error": item["type"], "message": item["msg"]})
    return reasons


def validate(data: bytes | str) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """(record as a dict with UTC event_time, []) when valid, else (None, reasons)."""
    try:
        reading = record_model().model_validate_json(data, strict=True)
    except ValidationError as error:
        return None, errors_of(error)
    record = reading.model_dump()
    record["event_time"] = _utc(record["event_time"])
    return record, []
