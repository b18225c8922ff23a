"""`petrostream`: the operator's command line (a thin typer app; each command group is a module).

Exit codes: 0 success; 1 the command ran but found a problem (the demo's lake did not hold
every reading exactly once, a replay left records unsent, replay-dlq kept a batch, backfill had
a file refused or unreported, status found dead letters or recent errors); 2 a set-up problem or
bad input: the message says what to do, and names the file, row and column for a bad input file.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated

import typer

from petrostream.commands import backfill, data, demo, dlq, lake, stack
from services.errors import PetroStreamError
from services.settings import VARIABLES, Settings

ENVIRONMENT_HELP = "Environment variables: " + "; ".join(
    f"{name}: {text}" for name, text in VARIABLES.items()
)

app = typer.Typer(
    name="petrostream",
    help="Local-first AWS streaming data lake for Petrobras 3W oil-well sensor data.",
    epilog=ENVIRONMENT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (stack, demo, data, backfill, lake, dlq):
    group.register(app)


@app.callback()
def _options(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="show Terraform's whole output (also PETROSTREAM_VERBOSE=1)"),
    ] = False,
) -> None:
    """Read the settings once; every command gets them as its context object."""
    settings = Settings.from_env()
    ctx.obj = dataclasses.replace(settings, verbose=settings.verbose or verbose)


def main(argv: list[str] | None = None) -> int:
    """Run a command; a PetroStreamError becomes its message and exit code 2."""
    try:
        app(args=argv, prog_name="petrostream")  # typer reports usage errors itself and exits
    except PetroStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
