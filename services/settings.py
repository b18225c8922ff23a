"""Typed settings: every environment variable PetroStream reads is read here, once.

Set-up runs this module before any virtualenv exists (services/setup_envs.py), so it uses the
standard library only. A value that cannot be used raises ConfigurationError naming the
variable, the value found and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from services.errors import PetroStreamError

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCALSTACK_VERSION = "4.14.0"
LOCALSTACK_IMAGE = f"localstack/localstack:{LOCALSTACK_VERSION}"
LAMBDA_RUNTIME = "python3.13"
DEFAULT_REGION = "us-east-1"

# Lambda instruction sets: the zips' wheels and the functions' `architectures` follow one setting.
ARCHITECTURES = ("x86_64", "arm64")

N = TypeVar("N", int, float)
Mode = Literal["auto", "docker", "host", "external"]
MODES: tuple[Mode, ...] = ("auto", "docker", "host", "external")

# name -> what it sets (the README's and `petrostream --help`'s list of variables).
VARIABLES: dict[str, str] = {
    "PETROSTREAM_LOCALSTACK": "auto (Docker if an engine answers, else host), docker, host or external",
    "LOCALSTACK_ENDPOINT": "URL of an already-running LocalStack; implies mode external",
    "LOCALSTACK_PORT": "gateway port for docker and host modes (default 4566)",
    "LOCALSTACK_HEALTH_TIMEOUT": "seconds to wait for LocalStack to become healthy (default 120)",
    "PERSISTENCE": "1 keeps host-mode LocalStack's Kinesis streams across restarts (default 0)",
    "PETROSTREAM_STATE_DIR": "runtime state: logs, pid files, Terraform state (default .state/)",
    "PETROSTREAM_TF_INSTANCE": "Terraform working copy under <state>/terraform (default: the mode)",
    "PETROSTREAM_VERBOSE": "1 shows Terraform's full output instead of a summary line (default 0)",
    "PETROSTREAM_PYTHON": "the Python 3.13 interpreter set-up builds the virtualenvs with",
    "PYENV_ROOT": "where set-up looks for pyenv's Python 3.13 (default ~/.pyenv)",
    "TF_PROVIDER_MIRROR": "folder holding registry.terraform.io/ for an offline `terraform init`",
    "TERRAFORM": "path of the terraform binary (default: terraform on PATH)",
    "AWS_DEFAULT_REGION": f"region for everything local (default {DEFAULT_REGION})",
    "DEMO_WELLS": "wells of the demo's synthetic dataset (default 6)",
    "PETROSTREAM_LAMBDA_ARCH": "x86_64 or arm64: the functions' architecture and wheels (default x86_64)",
    "PETROSTREAM_LAKE_ENDPOINT": "notebooks: S3 endpoint of the lake to read (with PETROSTREAM_LAKE_BUCKET)",
    "PETROSTREAM_LAKE_BUCKET": "notebooks: lake bucket to explore instead of the one `make demo` deployed",
}


class ConfigurationError(PetroStreamError):
    """An environment variable holds a value PetroStream cannot use."""


def _text(env: Mapping[str, str], name: str) -> str | None:
    assert name in VARIABLES, f"{name} is not a documented variable"
    value = env.get(name, "").strip()
    return value or None


def _number(env: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    value = _text(env, name)
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(
            f"{name}={value!r} is not a{'n integer' if kind is int else ' number'}",
            f"set {name} to {'an integer' if kind is int else 'a number'} ({VARIABLES[name]}), or unset "
            f"it for {default}",
        ) from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (_text(env, name) or "0").lower()
    if value not in ("0", "1", "true", "false"):
        raise ConfigurationError(f"{name}={value!r} is not a flag", f"use 1 or 0 ({VARIABLES[name]})")
    return value in ("1", "true")


@dataclass(frozen=True)
class Settings:
    """Where things live, how LocalStack is reached, and the user's knobs (see VARIABLES)."""

    repo_root: Path = REPO_ROOT
    state_dir: Path = REPO_ROOT / ".state"
    mode: Mode = "auto"
    port: int = 4566
    endpoint: str | None = None
    health_timeout: float = 120.0
    region: str = DEFAULT_REGION
    provider_mirror: Path | None = None
    terraform: str | None = None
    tf_instance: str | None = None
    persistence: bool = False
    verbose: bool = False
    python: str | None = None
    pyenv_root: Path = field(default_factory=lambda: Path.home() / ".pyenv")
    demo_wells: int = 6
    lake_endpoint: str | None = None
    lake_bucket: str | None = None
    lambda_architecture: str = "x86_64"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        endpoint = _text(env, "LOCALSTACK_ENDPOINT")
        mode = _text(env, "PETROSTREAM_LOCALSTACK") or ("external" if endpoint else "auto")
        if mode not in MODES:
            raise ConfigurationError(
                f"PETROSTREAM_LOCALSTACK={mode!r} is not a mode", f"use one of: {', '.join(MODES)}"
            )
        if mode == "external" and not endpoint:
            raise ConfigurationError(
                "PETROSTREAM_LOCALSTACK=external needs LOCALSTACK_ENDPOINT",
                "set LOCALSTACK_ENDPOINT=http://localhost:4566 (or wherever it runs)",
            )
        architecture = _text(env, "PETROSTREAM_LAMBDA_ARCH") or "x86_64"
        if architecture not in ARCHITECTURES:
            raise ConfigurationError(
                f"PETROSTREAM_LAMBDA_ARCH={architecture!r} is not a Lambda architecture",
                f"use one of: {', '.join(ARCHITECTURES)}",
            )
        mirror = _text(env, "TF_PROVIDER_MIRROR")
        state = _text(env, "PETROSTREAM_STATE_DIR")
        pyenv = _text(env, "PYENV_ROOT")
        lake_endpoint, lake_bucket = (
            _text(env, "PETROSTREAM_LAKE_ENDPOINT"),
            _text(env, "PETROSTREAM_LAKE_BUCKET"),
        )
        if bool(lake_endpoint) != bool(lake_bucket):
            raise ConfigurationError(
                "PETROSTREAM_LAKE_ENDPOINT and PETROSTREAM_LAKE_BUCKET go together; only one is set",
                "set both (the notebooks then read that lake) or neither (the one `make demo` deployed)",
            )
        return cls(
            state_dir=Path(state) if state else REPO_ROOT / ".state",
            mode=mode,  # checked against MODES above
            port=_number(env, "LOCALSTACK_PORT", int, 4566),
            endpoint=endpoint.rstrip("/") if endpoint else None,
            health_timeout=_number(env, "LOCALSTACK_HEALTH_TIMEOUT", float, 120.0),
            region=_text(env, "AWS_DEFAULT_REGION") or DEFAULT_REGION,
            provider_mirror=Path(mirror) if mirror else None,
            terraform=_text(env, "TERRAFORM"),
            tf_instance=_text(env, "PETROSTREAM_TF_INSTANCE"),
            persistence=_flag(env, "PERSISTENCE"),
            verbose=_flag(env, "PETROSTREAM_VERBOSE"),
            python=_text(env, "PETROSTREAM_PYTHON"),
            pyenv_root=Path(pyenv) if pyenv else Path.home() / ".pyenv",
            demo_wells=_number(env, "DEMO_WELLS", int, 6),
            lake_endpoint=lake_endpoint,
            lake_bucket=lake_bucket,
            lambda_architecture=architecture,
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
    def lambda_dir(self) -> Path:
        return self.repo_root / "lambda"

    @property
    def infra_dir(self) -> Path:
        return self.repo_root / "infra"

    @property
    def terraform_dir(self) -> Path:
        """Working copies of infra/, one per LocalStack instance (services/terraform.py)."""
        return self.state_dir / "terraform"
