"""Bring the local stack up and deploy infra/ to it, or find what an earlier `up` deployed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services import lambda_build
from services.errors import PetroStreamError
from services.localstack.stack import DockerStack, Stack, select
from services.outputs import StackOutputs
from services.settings import Settings
from services.terraform import LocalDeployment


def local_deployment(settings: Settings, stack: Stack) -> LocalDeployment:
    """The Terraform working copy of this stack: PETROSTREAM_TF_INSTANCE, or the stack's mode."""
    return LocalDeployment(settings, stack.endpoint, settings.tf_instance or stack.mode)


def deploy(settings: Settings, stack: Stack, extra_variables: dict[str, str] | None = None) -> StackOutputs:
    """Build the Lambda zips and apply infra/ to the stack's endpoint; the outputs are saved.

    In Docker mode docker-compose.yml's one-shot deploy service does both inside Docker, so the
    Docker stack's Terraform working copy is only ever used by one Terraform (the container's)."""
    if isinstance(stack, DockerStack):
        if extra_variables:
            raise PetroStreamError(
                "Terraform variables cannot be passed to the Docker deploy service",
                "run in host mode (PETROSTREAM_LOCALSTACK=host), or set them in infra/",
            )
        stack.deploy()
        saved = saved_outputs(settings, stack)
        if saved is None:
            raise PetroStreamError("the deploy service saved no Terraform outputs", "see its output above")
        return saved
    built = lambda_build.build_all(
        settings.lambda_dir, settings.build_dir / "lambda", settings.lambda_architecture
    )
    print(
        "built "
        + ", ".join(f"{item.path.relative_to(settings.repo_root)} ({item.sha256_b64[:12]})" for item in built)
    )
    deployment = local_deployment(settings, stack)
    deployment.extra_variables.update(extra_variables or {})
    return deployment.apply(settings.build_dir / "lambda")


@dataclass(frozen=True)
class Up:
    """A started and deployed stack, and how long each half took (bench/up.py reports them)."""

    stack: Stack
    outputs: StackOutputs
    healthy_seconds: float
    applied_seconds: float


def up(settings: Settings, extra_variables: dict[str, str] | None = None) -> Up:
    """Start LocalStack (reusing a running one) and apply infra/ to it."""
    started = time.monotonic()
    stack = select(settings)
    stack.start()
    healthy = time.monotonic() - started
    print(f"LocalStack ({stack.mode} mode) healthy at {stack.endpoint} after {healthy:.1f} s")
    outputs = deploy(settings, stack, extra_variables)
    applied = time.monotonic() - started
    print(f"up: healthy and applied in {applied:.1f} s")
    return Up(stack, outputs, healthy, applied)


def saved_outputs(settings: Settings, stack: Stack) -> StackOutputs | None:
    """The outputs the last apply to this stack saved, or None when nothing was deployed yet."""
    outputs_file = local_deployment(settings, stack).outputs_file
    return StackOutputs.load(outputs_file) if outputs_file.exists() else None


def deployed(settings: Settings) -> tuple[Stack, StackOutputs]:
    """The running stack and its Terraform outputs, or a clear error saying to run `make up`."""
    stack = select(settings)
    outputs = saved_outputs(settings, stack)
    if outputs is None:
        raise PetroStreamError("nothing is deployed yet", "run `make up` (or `make demo`) first")
    return stack, outputs
