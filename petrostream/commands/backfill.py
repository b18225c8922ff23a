"""The backfill command: a 3W folder through the landing zone instead of the stream."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from petrostream.commands.context import settings_of
from petrostream.deployment import deployed
from petrostream.progress import progress_bar
from services import local_aws
from services.errors import PetroStreamError


def backfill_command(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="3W dataset: <class>/*.parquet (release 2) or <class>/*.csv (release 1)")
    ],
    timeout: Annotated[float, typer.Option(help="seconds to wait for the files' reports")] = 900.0,
) -> None:
    """Upload a 3W folder into the landing zone, wait for every file's quality report, print a summary.

    Exits 1 when a file was refused or its report did not come in time."""
    from petrostream.backfill import backfill
    from pipeline.threew import InputFileError, discover

    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    s3 = local_aws.client("s3", stack.endpoint, settings.region)
    try:
        files = len(discover(folder))
    except InputFileError as error:
        raise PetroStreamError(str(error), "point backfill at a 3W folder: <class>/<file>") from error
    with progress_bar("upload", unit="file") as uploaded, progress_bar("reports", unit="file") as reported:
        uploaded.start(files)
        reported.start(files)
        result = backfill(
            s3,
            outputs.lake_bucket,
            folder,
            timeout=timeout,
            on_uploaded=uploaded.advance,
            on_reported=reported.advance,
        )
    print(result.describe(), file=sys.stderr if result.failed else sys.stdout)
    if result.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("backfill")(backfill_command)
