"""The curated builder's settings, read from its environment once, at cold start.

Terraform sets LAKE_BUCKET on the function (infra/builder.tf); TMPDIR is Lambda's scratch space.
The module name differs from the stream processor's (processor_config) because both folders are
the root of sys.path in their own Lambda, and a test session imports both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.function_settings import required

DEFAULT_WORK_DIR = "/tmp"  # the only writable path on Lambda (ephemeral storage)


@dataclass(frozen=True)
class BuilderConfig:
    lake_bucket: str  # raw objects are read from, curated and gold Parquet written to, this bucket
    work_dir: Path  # scratch folder of a build (raw and Parquet files on their way to and from S3)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BuilderConfig:
        env = os.environ if environ is None else environ
        bucket = required(
            env,
            "LAKE_BUCKET",
            "curated builder",
            "the lake bucket it reads raw objects from and writes curated Parquet to",
            "infra/builder.tf",
        )
        return cls(lake_bucket=bucket, work_dir=Path(env.get("TMPDIR") or DEFAULT_WORK_DIR))
