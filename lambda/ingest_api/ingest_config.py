"""The ingest API's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/api.tf). The module name differs from the
other functions' config modules because each folder is the root of sys.path in its own Lambda,
and a test session imports all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.function_settings import required


@dataclass(frozen=True)
class IngestConfig:
    stream_name: str  # the Kinesis stream accepted readings go to

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if environ is None else environ
        return cls(
            stream_name=required(
                env, "STREAM_NAME", "ingest API", "the Kinesis stream readings go to", "infra/api.tf"
            )
        )
