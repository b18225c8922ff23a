"""Session fixtures: one LocalStack for the suite, and the project's Terraform applied to it.

Which LocalStack: LOCALSTACK_ENDPOINT if set (an already-running one); otherwise the
testcontainers LocalStack module where a Docker engine answers; otherwise a host-mode instance
of our own on a free port with a private state folder, so the suite never touches the demo stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services import local_aws
from services.localstack import kinesis_mock_patch
from services.localstack.engine import docker_available
from services.localstack.env_file import read_env_file
from services.localstack.host import HostLocalStack, free_port, marked_processes
from services.ministack.host import HostMiniStack
from services.settings import DEFAULT_REGION as REGION
from services.settings import LOCALSTACK_IMAGE, Settings


@dataclasses.dataclass(frozen=True)
class LocalStackUnderTest:
    endpoint: str
    mode: str
    host: HostLocalStack | None = None


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return dataclasses.replace(Settings.from_env(), state_dir=tmp_path_factory.mktemp("state"), region=REGION)


# A fresh LocalStack container installs kinesis-mock from npm (its start.d script) before it says
# "Ready.": testcontainers' default wait of 60 s is too short for that.
DOCKER_READY_SECONDS = 300


def docker_localstack_env(shared: dict[str, str], label: str, session: str) -> dict[str, str]:
    """The test container's environment: the settings both modes share, and a testcontainers
    session label on the Lambda containers LocalStack starts, so Ryuk reaps them with it."""
    return {**shared, "LAMBDA_DOCKER_FLAGS": f"--label {label}={session}"}


def remove_lambda_containers(label: str, session: str) -> None:
    """Remove this session's Lambda containers now (Ryuk would later, if it runs at all)."""
    import docker

    client = docker.from_env()
    for container in client.containers.list(all=True, filters={"label": f"{label}={session}"}):
        container.remove(force=True)


@pytest.fixture(scope="session")
def localstack(settings: Settings) -> Iterator[LocalStackUnderTest]:
    if settings.endpoint:  # LOCALSTACK_ENDPOINT
        yield LocalStackUnderTest(settings.endpoint, "external")
        return
    if docker_available():
        from testcontainers.community.localstack import LocalStackContainer
        from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

        container = (
            LocalStackContainer(image=LOCALSTACK_IMAGE)
            .with_volume_mapping("/var/run/docker.sock", "/var/run/docker.sock", "rw")
            .with_volume_mapping(
                str(Path(kinesis_mock_patch.__file__)), kinesis_mock_patch.CONTAINER_PATH, "ro"
            )
        )
        for key, value in docker_localstack_env(read_env_file(), LABEL_SESSION_ID, SESSION_ID).items():
            container = container.with_env(key, value)
        container.start(timeout=DOCKER_READY_SECONDS)
        try:
            yield LocalStackUnderTest(container.get_url(), "docker")
        finally:
            container.stop()
            remove_lambda_containers(LABEL_SESSION_ID, SESSION_ID)
        return
    host = HostLocalStack(settings, settings.state_dir / "localstack", free_port())
    host.start()
    try:
        yield LocalStackUnderTest(host.endpoint, "host", host)
    finally:
        host.stop()
        assert marked_processes(host.state_dir) == [], "processes of the test LocalStack outlived its stop"


@pytest.fixture(scope="session")
def aws(localstack: LocalStackUnderTest) -> Callable[[str], object]:
    """Factory of boto3 clients bound to the LocalStack under test."""

    def client(service: str):
        return local_aws.client(service, localstack.endpoint, REGION)

    return client


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    from services import lambda_build

    out = tmp_path_factory.mktemp("lambda-zips")
    lambda_build.build_all(out_dir=out, architecture=settings.lambda_architecture)
    return out


@pytest.fixture(scope="session")
def ministack(settings: Settings) -> Iterator[HostMiniStack]:
    """Glue and Athena, which LocalStack's free edition lacks (services/ministack/host.py)."""
    stack = HostMiniStack(settings, settings.state_dir / "ministack", free_port())
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def deployment(settings: Settings, localstack: LocalStackUnderTest, ministack: HostMiniStack):
    """infra/ as `make up` applies it, plus the catalog: enable_athena=true, Glue and Athena on
    MiniStack, everything else on LocalStack."""
    from services.terraform import LocalDeployment

    return LocalDeployment(
        settings, localstack.endpoint, instance="test", catalog_endpoint=ministack.endpoint
    )


@pytest.fixture(scope="session")
def deployed(deployment, artifacts_dir: Path) -> dict:
    """infra/ applied to the LocalStack under test, exactly as `make up` applies it."""
    return deployment.apply(artifacts_dir)


# --- the pipeline's test data -------------------------------------------------------------

SMALL_SPEC_KWARGS = {"wells": 4, "instances_per_well": 3, "instance_minutes": 20}


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic 3W dataset (4 wells, 12 instances, every class 0-9) in the 2.0 layout."""
    from producer.synthetic import SyntheticSpec, generate, write_dataset

    root = tmp_path_factory.mktemp("dataset")
    write_dataset(generate(SyntheticSpec(**SMALL_SPEC_KWARGS)), root)
    return root


@pytest.fixture(scope="session")
def chain(deployed, localstack: LocalStackUnderTest, small_dataset: Path):
    """The small dataset replayed through the deployed pipeline, once per session."""
    from petrostream.chain import run_chain

    return run_chain(localstack.endpoint, REGION, deployed, small_dataset, timeout=300)
