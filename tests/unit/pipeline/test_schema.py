"""schema.json is the one definition: every derived shape must carry exactly its fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa

from pipeline import schema
from pipeline.validation import record_model

REPO = Path(__file__).resolve().parents[3]


def test_pydantic_model_has_exactly_the_record_fields():
    assert list(record_model().model_fields) == [f.name for f in schema.fields("record")]
    required = {name for name, info in record_model().model_fields.items() if info.is_required()}
    assert required == {f.name for f in schema.fields("record") if f.required}


def test_arrow_schema_is_the_curated_columns_with_partitions_last():
    arrow = schema.arrow_schema()
    assert arrow.names[-2:] == ["date", "hour"]
    assert set(arrow.names) == {f.name for f in schema.all_fields()}
    assert arrow.field("event_time").type == pa.timestamp("us")
    assert arrow.field("event_id").nullable is False and arrow.field("p_pdg").nullable is True


def test_every_sensor_names_its_3w_column_unit_and_physical_range():
    for sensor in schema.sensors():
        assert re.fullmatch(r"[A-Z]+(-[A-Z]+)*", sensor.source), sensor
        assert sensor.unit and sensor.kind in {"pressure", "temperature", "flow"}
        assert sensor.min < sensor.max


def test_detection_names_schema_sensors_and_a_floor_for_each_of_their_kinds():
    sensors = {s.name for s in schema.sensors()}
    assert set(schema.detection()["monitored"]) <= sensors
    assert {schema.field(n).kind for n in schema.detection()["monitored"]} <= set(schema.detection()["floor"])


def test_terraform_reads_the_same_schema_and_zone_files():
    """The Glue tables and prefixes come from these files by jsondecode, not from a copy
    (tests/integration/test_chain.py compares the resulting Glue columns with the files)."""
    locals_tf = (REPO / "infra" / "locals.tf").read_text()
    assert 'jsondecode(file("${var.pipeline_dir}/schema.json"))' in locals_tf
    assert 'jsondecode(file("${var.pipeline_dir}/lake.json"))' in locals_tf
    assert json.loads((REPO / "pipeline" / "schema.json").read_text())["fields"]
