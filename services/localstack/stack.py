"""Pick how LocalStack runs: Docker if an engine answers, else a host process, or an external one."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from services.errors import PetroStreamError
from services.localstack.engine import docker_available
from services.localstack.health import localstack_version, wait_healthy
from services.localstack.host import HostLocalStack
from services.settings import LOCALSTACK_VERSION, Settings


class Stack(Protocol):
    mode: str

    @property
    def endpoint(self) -> str: ...

    def start(self) -> str: ...
    def stop(self) -> list[int]: ...
    def status(self) -> str: ...


@dataclass
class HostStack:
    host: HostLocalStack
    mode: str = "host"

    @property
    def endpoint(self) -> str:
        return self.host.endpoint

    def start(self) -> str:
        return self.host.start()

    def stop(self) -> list[int]:
        return self.host.stop()

    def status(self) -> str:
        return self.host.status()


@dataclass
class DockerStack:
    """docker-compose.yml's localstack service (Lambda in containers through the mounted socket)."""

    settings: Settings
    mode: str = "docker"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def _compose(self, *args: str) -> None:
        try:
            result = subprocess.run(
                ["docker", "compose", *args], cwd=self.settings.repo_root, env=compose_env(os.environ)
            )
        except OSError as error:
            raise PetroStreamError(
                f"`docker compose` could not run: {error}", "install Docker Compose 2.x"
            ) from error
        if result.returncode != 0:
            raise PetroStreamError(f"`docker compose {' '.join(args)}` failed", "see Docker's output above")

    def deploy(self) -> None:
        """Build the Lambda zips and apply infra/ from inside Docker: the one-shot deploy service,
        with its own Terraform working copy (.state/terraform/docker), run to completion."""
        self._compose("build", "deploy")
        self._compose("run", "--rm", "deploy")

    def start(self) -> str:
        self._compose("up", "--detach", "--wait", "localstack")
        wait_healthy(self.endpoint, self.settings.health_timeout)
        return self.endpoint

    def stop(self) -> list[int]:
        self._compose("down", "--remove-orphans")
        return []

    def status(self) -> str:
        version = localstack_version(self.endpoint)
        return f"docker LocalStack: {self.endpoint}, version {version or 'not answering'}"


def compose_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `docker compose` call: the caller's, plus the user and group ids the
    deploy service runs as, so what it writes on the bind mount (build/, .state/) is the user's."""
    env = dict(environ)
    if hasattr(os, "getuid"):  # POSIX; Docker Desktop on Windows maps ownership itself
        env.setdefault("PETROSTREAM_UID", str(os.getuid()))
        env.setdefault("PETROSTREAM_GID", str(os.getgid()))
    return env


@dataclass
class ExternalStack:
    """A LocalStack someone else runs (LOCALSTACK_ENDPOINT): used, never started or stopped."""

    settings: Settings
    mode: str = "external"

    @property
    def endpoint(self) -> str:
        assert self.settings.endpoint
        return self.settings.endpoint.rstrip("/")

    def start(self) -> str:
        wait_healthy(self.endpoint, self.settings.health_timeout)
        version = localstack_version(self.endpoint)
        if version != LOCALSTACK_VERSION:
            print(
                f"warning: LocalStack at {self.endpoint} is {version}; PetroStream is tested with "
                f"{LOCALSTACK_VERSION}"
            )
        return self.endpoint

    def stop(self) -> list[int]:
        print(f"LocalStack at {self.endpoint} is external (LOCALSTACK_ENDPOINT): not stopping it")
        return []

    def status(self) -> str:
        version = localstack_version(self.endpoint) or "not answering"
        return f"external LocalStack: {self.endpoint}, version {version}"


def select(settings: Settings) -> Stack:
    if settings.mode == "external":
        return ExternalStack(settings)
    if settings.mode == "docker" or (settings.mode == "auto" and docker_available()):
        if settings.mode == "docker" and not docker_available():
            raise PetroStreamError(
                "PETROSTREAM_LOCALSTACK=docker but no Docker engine answers",
                "start Docker, or use host mode (PETROSTREAM_LOCALSTACK=host)",
            )
        return DockerStack(settings)
    return HostStack(HostLocalStack.default(settings))
