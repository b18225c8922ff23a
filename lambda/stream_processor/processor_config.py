"""The stream processor's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/processor.tf). The module name differs
from the curated builder's (builder_config) because both folders are the root of sys.path in
their own Lambda, and a test session imports both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.detector import Limits
from pipeline.function_settings import InvalidSetting, required, well_limits

__all__ = ["InvalidSetting", "ProcessorConfig", "well_limits"]


def _required(environ: Mapping[str, str], name: str, needed_for: str) -> str:
    return required(environ, name, "stream processor", needed_for, "infra/processor.tf")


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
