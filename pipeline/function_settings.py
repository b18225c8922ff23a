"""Reading a Lambda function's settings from its environment: one error for a missing variable.

Each function folder under lambda/ has its own config module (a frozen dataclass read once, at
cold start); they share this check, shipped in every zip with the rest of pipeline/.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from pipeline import schema
from pipeline.detector import Limits


class MissingSetting(RuntimeError):
    """A variable the function cannot run without is not set (or is empty)."""


def required(environ: Mapping[str, str], name: str, function: str, needed_for: str, set_in: str) -> str:
    """The variable's value; MissingSetting naming it, what needs it and where it is set otherwise."""
    value = environ.get(name, "")
    if not value:
        raise MissingSetting(f"{name} is not set: the {function} needs {needed_for} (set in {set_in})")
    return value


class InvalidSetting(MissingSetting):
    """A variable is set but cannot be used; the message says which and why."""


def well_limits(text: str) -> dict[str, dict[str, Limits]]:
    """WELL_LIMITS: {"WELL-00001": {"p_mon_ckp": {"min": ..., "max": ...}}}: configured operating
    limits that replace a sensor's learned envelope on one well (Terraform variable well_limits)."""
    if not text:
        return {}
    sensors = {f.name for f in schema.sensors()}
    try:
        document = json.loads(text)
        limits: dict[str, dict[str, Limits]] = {}
        for well, by_sensor in document.items():
            for sensor, bounds in by_sensor.items():
                if sensor not in sensors:
                    raise ValueError(f"{well}: {sensor!r} is not a sensor of the schema")
                unknown = set(bounds) - {"min", "max"}
                if unknown:
                    raise ValueError(f"{well}.{sensor}: only min and max can be set, not {sorted(unknown)}")
                limits.setdefault(well, {})[sensor] = Limits(bounds.get("min"), bounds.get("max"))
    except (ValueError, AttributeError, TypeError) as error:
        raise InvalidSetting(f"WELL_LIMITS is not a valid set of well limits: {error}") from error
    return limits
