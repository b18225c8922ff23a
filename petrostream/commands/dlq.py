"""The dead-letter command: re-drive the stream processor's failed batches once the cause is fixed."""

from __future__ import annotations

import sys

import typer

from petrostream.commands.context import settings_of
from petrostream.deployment import deployed


def replay_dlq_command(ctx: typer.Context) -> None:
    """Re-drive the stream processor's dead-lettered batches (after fixing the cause).

    Exits 1 when a batch was kept on the queue because it failed again or is gone from the stream.
    """
    from petrostream.dlq_replay import replay_dead_letters

    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    summary = replay_dead_letters(stack.endpoint, settings.region, outputs)
    print(
        f"replay-dlq: {summary.messages} dead-lettered batches read, "
        f"{summary.redriven} re-driven ({summary.records} records)"
    )
    for reason in summary.failed:
        print(f"  kept: {reason}", file=sys.stderr)
    if summary.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("replay-dlq")(replay_dlq_command)
