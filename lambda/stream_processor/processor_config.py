"""The stream processor's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/processor.tf). The module name differs
from the curated builder's (builder_config) because both folders are the root of sys.path in
their own Lambda, and a test session imports both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.function_settings import required


def _required(environ: Mapping[str, str], name: str, needed_for: str) -> str:
    return required(environ, name, "stream processor", needed_for, "infra/processor.tf")


@dataclass(frozen=True)
class ProcessorConfig:
    delivery_stream_name: str  # Firehose stream that writes valid rows to the raw zone
    lake_bucket: str  # bucket of the quarantine objects
    quarantine_prefix: str  # zone of invalid records, e.g. "quarantine/"
    alerts_queue_url: str | None  # SQS queue of anomaly alerts; None: alerts are only logged

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProcessorConfig:
        env = os.environ if environ is None else environ
        return cls(
            delivery_stream_name=_required(
                env, "DELIVERY_STREAM_NAME", "the Firehose delivery stream that writes the raw zone"
            ),
            lake_bucket=_required(env, "LAKE_BUCKET", "the lake bucket to write quarantined records to"),
            quarantine_prefix=_required(env, "QUARANTINE_PREFIX", "the key prefix of the quarantine zone"),
            alerts_queue_url=env.get("ALERTS_QUEUE_URL") or None,
        )
