"""Validation of one wire record against the schema, with pydantic.

The model is generated from schema.json (record stage), so adding a field there adds it here.
Validation is strict (a number sent as a string is an error, as is an unknown field) and
parses the raw bytes directly, so malformed JSON gets the same kind of error as a bad field.
A sensor sent as NaN counts as missing, not as invalid: real 3W files have NaN gaps.

Sensors are validated one by one, not the reading as a whole: a value outside its sensor's
physical range (schema.json min/max) is set aside (returned apart, the sensor read as missing)
and the rest of the reading goes on. Real 3W wells have one mis-scaled or stuck sensor next to
good ones; rejecting the reading would drop every good sensor with it. Only a structurally
broken record (not JSON, wrong types, missing identifiers or time) is invalid.

Two tiers, both generated from the same annotations. The fast tier is a TypedDict with no Python
callback in it, so pydantic-core validates a record without calling back into Python (less than
half the model's cost: docs/performance.md); it rejects NaN and any value out of its range. Every
record the fast tier rejects is validated again by the exact tier, the model, which maps NaN to
missing, sets out-of-range values aside and names the errors. The fast tier accepts a subset of
what the exact tier accepts and returns the same values: tests/unit/pipeline/test_validation.py
holds the two equal on a corpus of bad records.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, NotRequired, TypedDict

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, ValidationError, create_model
from pydantic import Field as PydanticField

from pipeline import schema

MAX_TEXT = 256


def _nan_to_none(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _utc(value: datetime) -> datetime:
    """Readings are UTC; a naive timestamp is taken as UTC, an aware one is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _annotation(field: schema.Field, nan_as_missing: bool = True) -> Any:
    if field.is_sensor:
        if nan_as_missing:  # the exact tier: any number; the range is checked per sensor afterwards
            return Annotated[float | None, BeforeValidator(_nan_to_none)]
        return Annotated[float, PydanticField(ge=field.min, le=field.max)] | None
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
    model: type[BaseModel] = create_model(
        "Reading",
        __config__=ConfigDict(extra="forbid", frozen=True),
        **definitions,
    )
    model.__doc__ = schema.document()["description"]
    return model


@cache
def fast_adapter() -> TypeAdapter[Any]:
    """The fast tier: the same fields as a TypedDict, minus the NaN callback (see the docstring)."""
    annotations = {
        f.name: _annotation(f, nan_as_missing=False)
        if f.required
        else NotRequired[_annotation(f, nan_as_missing=False)]
        for f in schema.fields("record")
    }
    reading = TypedDict("FastReading", annotations)  # type: ignore[misc]
    reading.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(reading)


@cache
def _absent() -> dict[str, None]:
    """Every record field as None, in schema order: what the model's dump gives an absent field."""
    return dict.fromkeys(f.name for f in schema.fields("record"))


def errors_of(error: ValidationError) -> list[dict[str, str]]:
    """Field-level reasons, short enough to store with the quarantined record."""
    reasons = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "<record>"
        reasons.append({"field": location, "error": item["type"], "message": item["msg"]})
    return reasons


Validated = tuple[dict[str, Any] | None, dict[str, float], list[dict[str, str]]]
"""(record with UTC event_time, set-aside sensor values, []) when valid, else (None, {}, reasons)."""


@cache
def _ranges() -> tuple[tuple[str, float, float], ...]:
    return tuple(
        (f.name, -math.inf if f.min is None else f.min, math.inf if f.max is None else f.max)
        for f in schema.sensors()
    )


def set_aside(record: dict[str, Any]) -> dict[str, float]:
    """Take the values outside their sensor's physical range out of the record (they become
    missing) and return them by sensor name, so they can be kept for audit."""
    aside: dict[str, float] = {}
    for name, low, high in _ranges():
        value = record[name]
        if value is not None and not low <= value <= high:
            aside[name] = value
            record[name] = None
    return aside


def validate(data: bytes | str) -> Validated:
    """Validate one wire record: the fast tier, and the exact tier for what it rejects."""
    try:
        fast = fast_adapter().validate_json(data, strict=True)
    except ValidationError:
        return validate_exact(data)
    record = {**_absent(), **fast}
    record["event_time"] = _utc(record["event_time"])
    return record, {}, []


def validate_exact(data: bytes | str) -> Validated:
    """The exact tier alone: the model, NaN as missing, out-of-range values set aside, errors
    named. validate() falls back here."""
    try:
        reading = record_model().model_validate_json(data, strict=True)
    except ValidationError as error:
        return None, {}, errors_of(error)
    record = reading.model_dump()
    record["event_time"] = _utc(record["event_time"])
    return record, set_aside(record), []
