"""The stream processor's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/processor.tf). The module name differs
from the curated builder's (builder_config) because both folders are the root of sys.path in
their own Lambda, and a test session imports both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline import schema
from pipeline.detector import Limits
from pipeline.function_settings import MissingSetting, required


def _required(environ: Mapping[str, str], name: str, needed_for: str) -> str:
    return required(environ, name, "stream processor", needed_for, "infra/processor.tf")


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


@dataclass(frozen=True)
class ProcessorConfig:
    delivery_stream_name: str  # Firehose stream that writes valid rows to the raw zone
    lake_bucket: str  # bucket of the quarantine objects and of the detector states
    quarantine_prefix: str  # zone of invalid records, e.g. "quarantine/"
    state_prefix: str  # zone of each well's detector state, e.g. "state/detector/"
    alerts_topic_arn: str | None  # SNS topic of anomaly alerts; None: they are only logged
    quality_topic_arn: str | None  # SNS topic of data-quality alerts (sensor faults); None: logged
    limits: dict[str, dict[str, Limits]] = field(default_factory=dict)  # configured per-well limits

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProcessorConfig:
        env = os.environ if environ is None else environ
        return cls(
            delivery_stream_name=_required(
                env, "DELIVERY_STREAM_NAME", "the Firehose delivery stream that writes the raw zone"
            ),
            lake_bucket=_required(env, "LAKE_BUCKET", "the lake bucket to write quarantined records to"),
            quarantine_prefix=_required(env, "QUARANTINE_PREFIX", "the key prefix of the quarantine zone"),
            state_prefix=_required(env, "STATE_PREFIX", "the key prefix of the wells' detector states"),
            alerts_topic_arn=env.get("ALERTS_TOPIC_ARN") or None,
            quality_topic_arn=env.get("QUALITY_TOPIC_ARN") or None,
            limits=well_limits(env.get("WELL_LIMITS", "")),
        )
