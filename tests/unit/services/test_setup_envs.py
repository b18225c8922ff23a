"""`make setup` installs the host-mode LocalStack (and needs npm) only where LocalStack will run
on the host, so a machine with Docker and no Node.js sets up (issue 14, A1)."""

from __future__ import annotations

import pytest

from services import setup_envs
from services.settings import Settings
from services.setup_envs import host_localstack_needed


def _settings(**env: str) -> Settings:
    return Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "docker", "needed"),
    [
        ({}, False, True),  # auto, no engine: host mode
        ({}, True, False),  # auto, an engine answers: Docker mode
        ({"PETROSTREAM_LOCALSTACK": "host"}, True, True),
        ({"PETROSTREAM_LOCALSTACK": "docker"}, False, False),  # select() says Docker is missing, not setup
        ({"LOCALSTACK_ENDPOINT": "http://localstack:4566"}, False, False),  # external
    ],
)
def test_host_localstack_only_where_localstack_runs_on_the_host(env, docker, needed):
    assert host_localstack_needed(_settings(**env), docker_answers=lambda: docker) is needed


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[str]:
    """The virtualenvs main() would build, by name, in order (none is built); state in tmp_path."""
    names: list[str] = []
    monkeypatch.setenv("PETROSTREAM_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(setup_envs, "find_python", lambda settings: "python3.13")
    monkeypatch.setattr(
        setup_envs, "_venv", lambda python, target, stamp, install, what, log: names.append(what)
    )
    return names


def test_docker_mode_sets_up_without_npm_or_the_host_localstack(monkeypatch, tmp_path, installed):
    monkeypatch.setenv("PETROSTREAM_LOCALSTACK", "docker")
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm, no node

    def no_npm(*args: object) -> None:
        raise AssertionError("kinesis-mock installed in Docker mode")

    monkeypatch.setattr(setup_envs, "install_kinesis_mock", no_npm)
    monkeypatch.setattr(setup_envs, "patch_kinesis_mock", no_npm)
    assert setup_envs.main([]) == 0
    assert installed == [
        "project environment",
        "checkov (infra/ security checks)",
        "MiniStack (the tests' Glue and Athena)",
    ]


def test_project_only_sets_up_the_project_environment(monkeypatch, installed):
    monkeypatch.setenv("PETROSTREAM_LOCALSTACK", "host")
    assert setup_envs.main(["project"]) == 0
    assert installed == ["project environment"]


def test_all_installs_the_host_localstack_even_where_docker_answers(monkeypatch, installed):
    # `make test` and `make bench` exercise host mode whatever the machine's mode.
    monkeypatch.setenv("PETROSTREAM_LOCALSTACK", "docker")
    npm: list[object] = []
    monkeypatch.setattr(setup_envs, "install_kinesis_mock", lambda *args: npm.append(args))
    monkeypatch.setattr(setup_envs, "patch_kinesis_mock", lambda *args: None)
    assert setup_envs.main(["all"]) == 0
    assert "LocalStack 4.14.0 (host mode)" in installed and npm
