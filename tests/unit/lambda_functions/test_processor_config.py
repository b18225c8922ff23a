"""The stream processor's WELL_LIMITS setting: Terraform's jsonencode(var.well_limits) read back,
and a clear error naming the variable for anything else."""

from __future__ import annotations

import json
import sys

import pytest

from tests.unit.lambda_functions.support import FUNCTIONS_DIR


@pytest.fixture
def config_module(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(FUNCTIONS_DIR / "stream_processor"))
    import processor_config

    yield processor_config
    sys.modules.pop("processor_config", None)


def test_limits_as_terraform_encodes_them(config_module):
    # optional attributes left out in HCL arrive as null
    text = json.dumps(
        {"WELL-00001": {"p_mon_ckp": {"min": None, "max": 9.5e6}, "t_tpt": {"min": 20, "max": None}}}
    )
    limits = config_module.well_limits(text)
    assert limits["WELL-00001"]["p_mon_ckp"].max == 9.5e6 and limits["WELL-00001"]["p_mon_ckp"].min is None
    assert limits["WELL-00001"]["t_tpt"].min == 20


@pytest.mark.parametrize("text", ["", "{}"])
def test_no_limits(config_module, text):
    assert config_module.well_limits(text) == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "WELL_LIMITS is not a valid set of well limits"),
        ('{"WELL-1": {"pressure": {"max": 1}}}', "'pressure' is not a sensor of the schema"),
        ('{"WELL-1": {"p_tpt": {"maximum": 1}}}', "only min and max can be set"),
        ('{"WELL-1": ["p_tpt"]}', "WELL_LIMITS is not a valid set of well limits"),
    ],
)
def test_bad_limits_name_the_variable_and_the_problem(config_module, text, says):
    with pytest.raises(config_module.InvalidSetting, match="WELL_LIMITS") as error:
        config_module.well_limits(text)
    assert says in str(error.value)
