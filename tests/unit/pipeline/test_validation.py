"""Strict validation of wire records: clear field-level reasons, NaN as missing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.validation import validate

GOOD = {
    "event_id": "e1", "event_time": "2025-06-01T00:00:00.000Z", "well_id": "WELL-00001",
    "source_file": "0/WELL-00001_20250601000000.parquet", "run_id": "r", "label": 0, "event_class": 0,
    "p_pdg": 2.1e7, "p_tpt": 1.2e7, "t_tpt": 100.0, "p_mon_ckp": 4e6, "t_jus_ckp": 50.0,
    "p_jus_ckgl": 8e6, "t_jus_ckgl": None, "qgl": 1.0,
}  # fmt: skip


def _fields(data) -> list[str]:
    record, errors = validate(data if isinstance(data, (bytes, str)) else json.dumps(data))
    assert record is None
    return [e["field"] for e in errors]


def test_a_good_record_comes_back_with_utc_time():
    record, errors = validate(json.dumps(GOOD))
    assert errors == []
    assert record["event_time"] == datetime(2025, 6, 1, tzinfo=UTC)


def test_nan_sensor_is_missing_not_invalid():
    record, errors = validate(json.dumps(GOOD).replace('"p_pdg": 21000000.0', '"p_pdg": NaN'))
    assert errors == [] and record["p_pdg"] is None


def test_errors_name_the_field():
    assert _fields({**GOOD, "p_tpt": "12"}) == ["p_tpt"]  # strict: a number sent as text
    assert _fields({**GOOD, "t_tpt": 900.0}) == ["t_tpt"]  # outside the physical range
    assert _fields({**GOOD, "label": 110}) == ["label"]
    assert _fields({k: v for k, v in GOOD.items() if k != "well_id"}) == ["well_id"]
    assert _fields({**GOOD, "p_pgd": 1.0}) == ["p_pgd"]  # a misspelt field is not silently dropped
    assert _fields({**GOOD, "event_time": "yesterday"}) == ["event_time"]


def test_malformed_json_is_an_error_of_the_record():
    assert _fields(b'{"event_id": "e1", ') == ["<record>"]
    assert _fields(b"\xff\xfe") == ["<record>"]
