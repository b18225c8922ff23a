"""The landing loader's settings, read from its environment once, at cold start.

Terraform sets these variables on the function (infra/landing.tf). The module name differs from
the other functions' config modules because each folder is the root of sys.path in its own
Lambda, and a test session imports all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.detector import Limits
from pipeline.function_settings import InvalidSetting, required, well_limits
from pipeline.landing import FileLimits

DEFAULT_WORK_DIR = "/tmp"  # the only writable path on Lambda (ephemeral storage)
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # docs/landing.md, Limits: what 512 MB of /tmp takes
DEFAULT_MAX_ROWS = 1_000_000


def _required(environ: Mapping[str, str], name: str, needed_for: str) -> str:
    return required(environ, name, "landing loader", needed_for, "infra/landing.tf")


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name) or str(default)
    if not text.isdigit() or int(text) <= 0:
        raise InvalidSetting(f"{name} must be a positive whole number, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class LandingConfig:
    lake_bucket: str  # landing files are read from, raw rows, discards and reports written to, it
    quality_topic_arn: str | None  # SNS topic told of files with discards or refused; None: logged
    work_dir: Path  # where a landing object is copied to be read
    file_limits: FileLimits
    limits: dict[str, dict[str, Limits]] = field(default_factory=dict)  # WELL_LIMITS, as the processor's

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LandingConfig:
        env = os.environ if environ is None else environ
        return cls(
            lake_bucket=_required(env, "LAKE_BUCKET", "the lake bucket of the landing zone"),
            quality_topic_arn=env.get("QUALITY_TOPIC_ARN") or None,
            work_dir=Path(env.get("TMPDIR") or DEFAULT_WORK_DIR),
            file_limits=FileLimits(
                max_bytes=_positive(env, "LANDING_MAX_BYTES", DEFAULT_MAX_BYTES),
                max_rows=_positive(env, "LANDING_MAX_ROWS", DEFAULT_MAX_ROWS),
            ),
            limits=well_limits(env.get("WELL_LIMITS", "")),
        )
