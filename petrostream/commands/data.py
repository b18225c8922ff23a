"""Commands that make, send and score data: generate a synthetic 3W dataset, replay one into the
stream, measure detection on one against its labels."""

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


def generate_command(
    folder: Annotated[Path, typer.Argument(help="where to write <class>/<file>.parquet")],
    wells: Annotated[int, typer.Option(help="number of wells")] = 6,
    instances_per_well: Annotated[int, typer.Option(help="instances (files) per well")] = 3,
    minutes: Annotated[int, typer.Option(help="length of each instance, in minutes of 1 Hz readings")] = 30,
    seed: Annotated[int, typer.Option(help="random seed: the same seed writes the same files")] = 3,
) -> None:
    """Write the deterministic synthetic 3W dataset (3W 2.0 layout) to a folder."""
    from producer.synthetic import SyntheticSpec, generate, write_dataset

    spec = SyntheticSpec(
        wells=wells, instances_per_well=instances_per_well, instance_minutes=minutes, seed=seed
    )
    paths = write_dataset(generate(spec), folder)
    readings = len(paths) * spec.instance_minutes * 60
    print(f"wrote {len(paths)} files ({spec.wells} wells, {readings} readings) under {folder}")


def produce_command(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="3W dataset: <class>/*.parquet (release 2) or <class>/*.csv (release 1)")
    ],
    speed: Annotated[
        float | None,
        typer.Option(help="replay at real time x SPEED (default: as fast as the stream takes it)"),
    ] = None,
    via: Annotated[
        str, typer.Option(help="kinesis (PutRecords) or api (POST to the HTTP ingestion API, with its key)")
    ] = "kinesis",
) -> None:
    """Replay a 3W dataset folder (real or synthetic) into the deployed stream, directly or
    through the HTTP ingestion API.

    Exits 1 when records were left unsent, 2 on a bad input file (named with its row and column).
    """
    from petrostream.api import api_target
    from pipeline.threew import InputFileError
    from producer.api_writer import ApiRefused
    from producer.replay import replay

    if via not in ("kinesis", "api"):
        raise PetroStreamError(
            f"--via must be kinesis or api, not {via!r}", "see `petrostream produce --help`"
        )
    settings = settings_of(ctx)
    stack, outputs = deployed(settings)
    kinesis = local_aws.client("kinesis", stack.endpoint, settings.region)
    api = api_target(stack.endpoint, settings.region, outputs) if via == "api" else None
    with progress_bar("replay") as bar:
        try:
            result = replay(
                kinesis,
                outputs.stream_name,
                folder,
                speed=speed,
                progress=bar.advance,
                on_start=bar.start,
                api=api,
            )
        except InputFileError as error:
            raise PetroStreamError(str(error), "fix or remove the file; see the README, 3W data") from error
        except ApiRefused as error:
            raise PetroStreamError(
                f"the ingest API refused a request: {error}",
                "earlier requests were sent (sending them again is harmless); see docs/http-api.md",
            ) from error
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.describe())
    if result.summary.failed:
        raise typer.Exit(1)


def evaluate_command(
    folder: Annotated[
        Path, typer.Argument(help="3W dataset: <class>/*.parquet (release 2) or <class>/*.csv (release 1)")
    ],
) -> None:
    """Score every instance of a 3W folder with the stream processor's detection, offline (no AWS),
    and print how its flags compare with the labels, instance by instance (a Markdown table).

    Exits 1 when an instance misses a target (see the README, Detection on real wells)."""
    from petrostream.real_wells import evaluate
    from pipeline.evaluation import instances_markdown
    from pipeline.threew import InputFileError

    try:
        rows = evaluate(folder)
    except InputFileError as error:
        raise PetroStreamError(str(error), "fix or remove the file; see the README, 3W data") from error
    print(instances_markdown(rows))
    missed = [row for row in rows if row.misses()]
    print(f"\n{len(rows)} instances, {len(rows) - len(missed)} meet every target")
    if missed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
    app.command("produce")(produce_command)
    app.command("evaluate")(evaluate_command)
