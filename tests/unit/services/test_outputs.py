"""The typed Terraform outputs: one field per output infra/ declares, errors that name them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from services.errors import PetroStreamError
from services.outputs import StackOutputs

INFRA = Path(__file__).resolve().parents[3] / "infra"


def _declared() -> set[str]:
    return {
        name for tf in INFRA.glob("*.tf") for name in re.findall(r'^output "(\w+)"', tf.read_text(), re.M)
    }


def _values() -> dict[str, object]:
    return {f.name: f"value-of-{f.name}" for f in dataclasses.fields(StackOutputs)}


def test_every_output_infra_declares_is_a_field_and_no_other():
    assert _declared() == {f.name for f in dataclasses.fields(StackOutputs)}


def test_a_missing_output_is_named():
    values = _values()
    del values["stream_name"]
    with pytest.raises(PetroStreamError, match="lacks the outputs stream_name"):
        StackOutputs.from_values(values)


def test_an_unknown_output_is_named():
    with pytest.raises(PetroStreamError, match="does not know: surprise"):
        StackOutputs.from_values({**_values(), "surprise": 1})


def test_saved_outputs_load_back_equal(tmp_path):
    outputs = StackOutputs.from_values(_values())
    outputs.save(tmp_path / "outputs.json")
    assert StackOutputs.load(tmp_path / "outputs.json") == outputs
    assert outputs.function_names == (
        "value-of-stream_processor_function_name",
        "value-of-curated_builder_function_name",
        "value-of-landing_loader_function_name",
        "value-of-quality_summary_function_name",
        "value-of-ingest_api_function_name",
    )
