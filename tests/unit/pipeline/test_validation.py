"""Strict validation of wire records: field-level reasons, NaN as missing, out-of-range sensors set aside."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pipeline import schema
from pipeline.validation import fast_adapter, validate, validate_exact

GOOD = {
    "event_id": "e1",
    "event_time": "2025-06-01T00:00:00.000Z",
    "well_id": "WELL-00001",
    "source_file": "0/WELL-00001_20250601000000.parquet",
    "run_id": "r",
    "label": 0,
    "event_class": 0,
    "p_pdg": 2.1e7,
    "p_tpt": 1.2e7,
    "t_tpt": 100.0,
    "p_mon_ckp": 4e6,
    "t_jus_ckp": 50.0,
    "p_jus_ckgl": 8e6,
    "t_jus_ckgl": None,
    "qgl": 1.0,
}


def _fields(data) -> list[str]:
    record, aside, errors = validate(data if isinstance(data, (bytes, str)) else json.dumps(data))
    assert record is None and aside == {}
    return [e["field"] for e in errors]


def test_a_good_record_comes_back_with_utc_time():
    record, aside, errors = validate(json.dumps(GOOD))
    assert errors == [] and aside == {}
    assert record["event_time"] == datetime(2025, 6, 1, tzinfo=UTC)


def test_nan_sensor_is_missing_not_invalid():
    record, aside, errors = validate(json.dumps(GOOD).replace('"p_pdg": 21000000.0', '"p_pdg": NaN'))
    assert errors == [] and aside == {} and record["p_pdg"] is None


def test_a_sensor_out_of_its_physical_range_is_set_aside_and_the_reading_goes_on():
    record, aside, errors = validate(json.dumps({**GOOD, "t_tpt": 900.0, "p_pdg": 3.08e9}))
    assert errors == []
    assert aside == {"t_tpt": 900.0, "p_pdg": 3.08e9}
    assert record["t_tpt"] is None and record["p_pdg"] is None
    assert record["p_tpt"] == GOOD["p_tpt"]  # the good sensors are kept


def test_errors_name_the_field():
    assert _fields({**GOOD, "p_tpt": "12"}) == ["p_tpt"]  # strict: a number sent as text
    assert _fields({**GOOD, "label": 110}) == ["label"]
    assert _fields({k: v for k, v in GOOD.items() if k != "well_id"}) == ["well_id"]
    assert _fields({**GOOD, "p_pgd": 1.0}) == ["p_pgd"]  # a misspelt field is not silently dropped
    assert _fields({**GOOD, "event_time": "yesterday"}) == ["event_time"]


def test_malformed_json_is_an_error_of_the_record():
    assert _fields(b'{"event_id": "e1", ') == ["<record>"]
    assert _fields(b"\xff\xfe") == ["<record>"]


def _with(**changes) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def _without(name: str) -> bytes:
    return json.dumps({k: v for k, v in GOOD.items() if k != name}).encode()


# Records at the edges of what the schema allows: each must get the same verdict, the same values
# and the same errors from validate() (fast tier first) as from the exact tier alone.
CORPUS = {
    "good": _with(),
    "int for a double": _with(p_pdg=21000000),
    "double for an int": _with(label=0.0),
    "bool for a double": _with(qgl=True),
    "bool for an int": _with(label=False),
    "bool for a string": _with(run_id=True),
    "number for a string": _with(well_id=1),
    "string for an int": _with(label="0"),
    "NaN": _with(p_pdg=float("nan")),
    "every sensor NaN": _with(**{s.name: float("nan") for s in schema.sensors()}),
    "every sensor null": _with(**{s.name: None for s in schema.sensors()}),
    "Infinity": _with(p_pdg=float("inf")),
    "-Infinity": _with(p_pdg=float("-inf")),
    "overflowing number": _with().replace(b"21000000.0", b"1e400"),
    "below the physical range": _with(p_tpt=-1e6),
    "label out of range": _with(label=110),
    "event_class out of range": _with(event_class=-1),
    "naive time": _with(event_time="2025-06-01T00:00:00"),
    "time with an offset": _with(event_time="2025-06-01T02:00:00.123456+02:00"),
    "time without seconds' fraction, Z": _with(event_time="2025-06-01T00:00:00Z"),
    "date only": _with(event_time="2025-06-01"),
    "time as a number": _with(event_time=1748736000),
    "impossible month": _with(event_time="2025-13-01T00:00:00Z"),
    "time as words": _with(event_time="yesterday"),
    "empty string": _with(event_id=""),
    "string too long": _with(source_file="x" * 257),
    "unknown field": _with(extra=1),
    "required field missing": _without("well_id"),
    "required field null": _with(event_time=None),
    "optional field missing": _without("run_id"),
    "optional field null": _with(label=None),
    "sensor missing": _without("t_tpt"),
    "duplicate key": _with().replace(b'{"event_id": "e1"', b'{"event_id": "e0", "event_id": "e1"'),
    "nested object": _with(p_pdg={"value": 1.0}),
    "array": json.dumps([GOOD]).encode(),
    "null": b"null",
    "truncated": _with()[:40],
    "empty": b"",
    "whitespace around": b"  " + _with() + b"\n",
    "not UTF-8": _with().replace(b'"e1"', b'"e\xff"'),
    "lone surrogate escape": _with().replace(b'"e1"', b'"\\ud800"'),
}


@pytest.mark.parametrize("name", CORPUS)
def test_the_fast_tier_agrees_with_the_exact_tier(name):
    assert validate(CORPUS[name]) == validate_exact(CORPUS[name])


def test_the_fast_tier_takes_clean_records_and_leaves_nan_to_the_exact_tier():
    assert fast_adapter().validate_json(CORPUS["good"], strict=True)["event_id"] == "e1"
    with pytest.raises(ValidationError):
        fast_adapter().validate_json(CORPUS["NaN"], strict=True)
    record, aside, errors = validate(CORPUS["NaN"])
    assert errors == [] and aside == {} and record["p_pdg"] is None
