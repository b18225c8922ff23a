"""Typed settings, read once from the environment, so every knob has one name and one default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCALSTACK_VERSION = "4.14.0"
LOCALSTACK_IMAGE = f"localstack/localstack:{LOCALSTACK_VERSION}"
LAMBDA_RUNTIME = "python3.13"

Mode = Literal["auto", "docker", "host", "external"]
MODES: tuple[Mode, ...] = ("auto", "docker", "host", "external")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    """Where things live and how LocalStack is reached.

    Environment variables (all optional):
      PETROSTREAM_LOCALSTACK   auto (default: Docker if an engine answers, else host) | docker | host | external
      LOCALSTACK_ENDPOINT      URL of an already-running LocalStack; implies mode ``external``
      LOCALSTACK_PORT          gateway port for docker and host modes (default 4566)
      PETROSTREAM_STATE_DIR    runtime state: LocalStack logs, pid files, Terraform state (default .state/)
      LOCALSTACK_HEALTH_TIMEOUT seconds to wait for LocalStack to become healthy (default 120)
      TF_PROVIDER_MIRROR       folder holding registry.terraform.io/ for an offline `terraform init`
      AWS_DEFAULT_REGION       region for everything local (default us-east-1)
    """

    repo_root: Path = REPO_ROOT
    state_dir: Path = field(default_factory=lambda: Path(_env("PETROSTREAM_STATE_DIR", str(REPO_ROOT / ".state"))))
    mode: Mode = "auto"
    port: int = 4566
    endpoint: str | None = None
    health_timeout: float = 120.0
    region: str = "us-east-1"
    provider_mirror: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        from services.errors import PetroStreamError

        endpoint = os.environ.get("LOCALSTACK_ENDPOINT", "").strip() or None
        mode = _env("PETROSTREAM_LOCALSTACK", "external" if endpoint else "auto")
        if mode not in MODES:
            raise PetroStreamError(
                f"PETROSTREAM_LOCALSTACK={mode!r} is not a mode", f"use one of: {', '.join(MODES)}"
            )
        if mode == "external" and not endpoint:
            raise PetroStreamError(
                "PETROSTREAM_LOCALSTACK=external needs LOCALSTACK_ENDPOINT",
                "set LOCALSTACK_ENDPOINT=http://localhost:4566 (or wherever it runs)",
            )
        mirror = os.environ.get("TF_PROVIDER_MIRROR", "").strip()
        return cls(
            mode=mode,  # type: ignore[arg-type]
            port=int(_env("LOCALSTACK_PORT", "4566")),
            endpoint=endpoint,
            health_timeout=float(_env("LOCALSTACK_HEALTH_TIMEOUT", "120")),
            region=_env("AWS_DEFAULT_REGION", "us-east-1"),
            provider_mirror=Path(mirror) if mirror else None,
        )

    # -- derived paths ---------------------------------------------------------------------------
    @property
    def venvs_dir(self) -> Path:
        return self.repo_root / ".venvs"

    @property
    def localstack_python(self) -> Path:
        return self.venvs_dir / "localstack" / "bin" / "python"

    @property
    def lambda_runtimes_dir(self) -> Path:
        return self.venvs_dir / "runtimes"

    @property
    def localstack_libs_dir(self) -> Path:
        """Packages LocalStack installs at run time (kinesis-mock), shared by every host instance."""
        return self.venvs_dir / "localstack-libs"

    @property
    def build_dir(self) -> Path:
        return self.repo_root / "build"

    @property
    def infra_dir(self) -> Path:
        return self.repo_root / "infra"
