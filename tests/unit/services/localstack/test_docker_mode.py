"""Docker mode, checked without Docker: the compose file, the deploy image's Dockerfile and the
environment of `docker compose` calls hold the settings issue 14 found missing (A2, A4, A5, A8, A9)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.localstack.stack import compose_env
from services.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "services" / "deploy" / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_deploy_service_runs_as_the_host_user(compose):
    # A2: root-owned build/ and .state/ on a bind mount break make clean, build and host mode.
    assert compose["services"]["deploy"]["user"] == "${PETROSTREAM_UID:-1000}:${PETROSTREAM_GID:-1000}"
    assert compose["services"]["deploy"]["environment"]["HOME"] == "/tmp"  # caches writable by that user


def test_compose_calls_pass_the_callers_ids():
    env = compose_env({"PATH": "/usr/bin"})
    assert (env["PETROSTREAM_UID"], env["PETROSTREAM_GID"]) == (str(os.getuid()), str(os.getgid()))
    assert compose_env({"PETROSTREAM_UID": "501"})["PETROSTREAM_UID"] == "501"  # an explicit choice wins


def test_persistence_keeps_kinesis_streams_too(compose):
    # A4: localstack.env turns kinesis-mock's persistence off; PERSISTENCE=1 must turn it on.
    environment = compose["services"]["localstack"]["environment"]
    assert environment["PERSISTENCE"] == environment["KINESIS_PERSISTENCE"] == "${PERSISTENCE:-0}"


def test_the_provider_mirror_and_state_folder_are_forwarded(compose):
    # A5 and A9: offline Terraform where a mirror exists; the host's state folder is the container's.
    deploy = compose["services"]["deploy"]
    assert deploy["environment"]["TF_PROVIDER_MIRROR"] == "${TF_PROVIDER_MIRROR:+/mirror}"
    assert "${TF_PROVIDER_MIRROR:-./services/deploy}:/mirror:ro" in deploy["volumes"]
    assert deploy["environment"]["PETROSTREAM_STATE_DIR"] == "${PETROSTREAM_STATE_DIR:+/state}"
    assert "${PETROSTREAM_STATE_DIR:-./services/deploy}:/state" in deploy["volumes"]


def test_lambda_containers_join_a_network_named_apart_from_the_project(compose):
    # A9: `petrostream_default` broke with -p or COMPOSE_PROJECT_NAME.
    network = compose["networks"]["default"]["name"]
    assert compose["services"]["localstack"]["environment"]["LAMBDA_DOCKER_NETWORK"] == network
    assert "_default" not in network


def test_localstack_gets_time_to_install_kinesis_mock_and_to_stop(compose):
    localstack = compose["services"]["localstack"]
    assert _seconds(localstack["healthcheck"]["start_period"]) >= 60  # A6: npm install at first start
    assert _seconds(localstack["stop_grace_period"]) >= 10  # A9


def test_the_functions_architecture_reaches_the_deploy_container(compose):
    # A8: arm64 hosts run arm64 functions (and wheels) natively when they ask for them.
    assert (
        compose["services"]["deploy"]["environment"]["PETROSTREAM_LAMBDA_ARCH"]
        == "${PETROSTREAM_LAMBDA_ARCH:-x86_64}"
    )


def test_the_deploy_image_builds_for_the_hosts_architecture():
    # A8: a default on TARGETARCH overrides the value BuildKit sets from the platform.
    lines = DOCKERFILE.read_text().splitlines()
    assert "ARG TARGETARCH" in lines
    assert not [line for line in lines if re.match(r"\s*ARG\s+TARGETARCH\s*=", line)]


def test_the_build_context_leaves_out_local_environments():
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".venvs", ".state", "build", ".git"} <= ignored


def _seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([sm])", duration).groups()  # type: ignore[union-attr]
    return float(number) * (60 if unit == "m" else 1)


def test_deploy_in_docker_mode_runs_the_deploy_service(monkeypatch, tmp_path: Path):
    # A3: host-side `petrostream deploy` in Docker mode must not apply from the host.
    from petrostream import deployment
    from services.localstack.stack import DockerStack
    from services.settings import Settings

    settings = Settings.from_env({"PETROSTREAM_STATE_DIR": str(tmp_path)})
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(DockerStack, "_compose", lambda self, *args: calls.append(args))
    monkeypatch.setattr(deployment, "saved_outputs", lambda settings, stack: "outputs")
    monkeypatch.setattr(
        deployment.lambda_build, "build_all", lambda *a: pytest.fail("built on the host in Docker mode")
    )
    assert deployment.deploy(settings, DockerStack(settings)) == "outputs"
    assert calls == [("build", "deploy"), ("run", "--rm", "deploy")]


def test_lambda_containers_of_a_test_session_carry_its_label():
    # A7: testcontainers' Ryuk reaps only containers labelled with its session.
    from tests.conftest import DOCKER_READY_SECONDS, docker_localstack_env

    env = docker_localstack_env({"KINESIS_LATENCY": "0"}, "org.testcontainers.session-id", "abc")
    assert env == {"KINESIS_LATENCY": "0", "LAMBDA_DOCKER_FLAGS": "--label org.testcontainers.session-id=abc"}
    assert DOCKER_READY_SECONDS > 60  # A6
