"""The quality summary's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/schedules.tf). The module name differs
from the other functions' config modules because each folder is the root of sys.path in its own
Lambda, and a test session imports all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.function_settings import InvalidSetting, required


def _required(environ: Mapping[str, str], name: str, needed_for: str) -> str:
    return required(environ, name, "quality summary", needed_for, "infra/schedules.tf")


def _hours(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InvalidSetting(f"{name} must be a positive number of hours, not {text!r}")
    return value


@dataclass(frozen=True)
class SummaryConfig:
    lake_bucket: str  # the lake whose quarantine, landing reports and well states are summarised
    quality_topic_arn: str  # where the summary is published
    period_hours: float  # the summary covers this many hours back
    silent_after_hours: float  # a well not heard from for longer is listed as silent

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SummaryConfig:
        env = os.environ if environ is None else environ
        return cls(
            lake_bucket=_required(env, "LAKE_BUCKET", "the lake bucket to summarise"),
            quality_topic_arn=_required(env, "QUALITY_TOPIC_ARN", "the data-quality topic to publish to"),
            period_hours=_hours(env, "SUMMARY_PERIOD_HOURS", 24.0),
            silent_after_hours=_hours(env, "SILENT_AFTER_HOURS", 1.0),
        )
