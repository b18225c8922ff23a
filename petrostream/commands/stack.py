"""Commands that run the local stack: up, deploy, down, build, status."""

from __future__ import annotations

import typer

from petrostream.commands.context import settings_of
from petrostream.deployment import deploy, saved_outputs, up
from services import lambda_build
from services.localstack.health import localstack_version
from services.localstack.stack import select


def up_command(ctx: typer.Context) -> None:
    """Start LocalStack (Docker if an engine answers, else a host process) and apply infra/ to it."""
    print(up(settings_of(ctx)).outputs.describe())


def deploy_command(ctx: typer.Context) -> None:
    """Build the Lambda zips and apply infra/ to a running (or startable) LocalStack."""
    settings = settings_of(ctx)
    stack = select(settings)
    stack.start()
    print(deploy(settings, stack).describe())


def down_command(ctx: typer.Context) -> None:
    """Stop LocalStack and every process it started (an external one is left running)."""
    stack = select(settings_of(ctx))
    killed = stack.stop()
    print(f"stopped {stack.mode} LocalStack" + (f" (ended pids {sorted(set(killed))})" if killed else ""))


def build_command(ctx: typer.Context) -> None:
    """Build the Lambda zips (deterministic: same sources, same bytes)."""
    settings = settings_of(ctx)
    for item in lambda_build.build_all(
        settings.lambda_dir, settings.build_dir / "lambda", settings.lambda_architecture
    ):
        print(f"{item.path}  {item.sha256_b64}")


def status_command(ctx: typer.Context) -> None:
    """How LocalStack runs and what is deployed: mappings, queue depths, lake zones, last errors.

    Exits 1 when a dead-letter queue holds messages or a function logged an error in the last hour.
    """
    from petrostream.status import pipeline_status

    settings = settings_of(ctx)
    stack = select(settings)
    print(stack.status())
    outputs = saved_outputs(settings, stack)
    if outputs is None:
        print("nothing deployed yet (`make up`)")
        return
    print(outputs.describe())
    if localstack_version(stack.endpoint) is None:
        return
    report = pipeline_status(stack.endpoint, settings.region, outputs)
    print(report.describe())
    if not report.healthy:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)
    app.command("deploy")(deploy_command)
    app.command("down")(down_command)
    app.command("build")(build_command)
    app.command("status")(status_command)
