"""The demo: up, replay a synthetic 3W dataset through the pipeline, drop one real 3W file into
the landing zone beside it, show curated and gold."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from petrostream.commands.context import settings_of

QUERIES = ("anomalies_per_hour", "time_to_first_flag", "top_wells_by_anomaly_rate")
# One real 3W slice (Petrobras 3W, CC BY 4.0: tests/data/3w-real/SOURCE.md) for the landing zone,
# of a well the synthetic dataset does not have.
LANDING_FILE = Path("tests/data/3w-real/8/WELL-00021_20170509013517__slice.csv")


def demo_command(
    ctx: typer.Context,
    wells: Annotated[
        int | None, typer.Option(help="wells of the synthetic dataset (default DEMO_WELLS or 6)")
    ] = None,
    instances_per_well: Annotated[int, typer.Option(help="instances (files) per well")] = 3,
) -> None:
    """Start and deploy the stack, replay a synthetic 3W dataset, backfill one real 3W file through the
    landing zone, wait for curated, print queries and plots.

    Exits 1 unless every reading of the dataset and of the file ends up in curated exactly once.
    """
    from petrostream import plots
    from petrostream.chain import ensure_dataset, land_in_lake, run_chain
    from petrostream.deployment import up
    from petrostream.lake import lake_views
    from petrostream.progress import progress_bar
    from petrostream.tables import render
    from pipeline.queries import run
    from producer.synthetic import SyntheticSpec

    settings = settings_of(ctx)
    wells = wells or settings.demo_wells
    started = up(settings)
    stack, outputs = started.stack, started.outputs
    spec = SyntheticSpec(wells=wells, instances_per_well=instances_per_well)
    dataset = ensure_dataset(settings.state_dir / "data" / f"synthetic-{wells}x{instances_per_well}", spec)
    print(f"demo: replaying {dataset} into stream {outputs.stream_name}")
    with progress_bar("replay") as bar:
        result = run_chain(
            stack.endpoint, settings.region, outputs, dataset, progress=bar.advance, on_start=bar.start
        )
    print(result.replay.describe())
    expected = len(set(result.replay.event_ids))
    print(
        f"demo: {result.raw_rows} rows of this run in raw; {result.curated_rows} of {expected} readings "
        "in curated "
        f"(s3://{outputs.lake_bucket}/curated/) {result.seconds:.1f} s after the replay began"
    )
    landing = settings.state_dir / "data" / "landing-demo"
    (landing / LANDING_FILE.parent.name).mkdir(parents=True, exist_ok=True)
    shutil.copy(settings.repo_root / LANDING_FILE, landing / LANDING_FILE.parent.name / LANDING_FILE.name)
    print(f"demo: backfilling the real 3W file {LANDING_FILE} through s3://{outputs.lake_bucket}/landing/")
    landed = land_in_lake(stack.endpoint, settings.region, outputs, landing)
    print(landed.describe())
    con = lake_views(stack.endpoint, settings.region, outputs.lake_bucket)
    for name in QUERIES:
        print(f"\n== {name} (curated/gold, DuckDB) ==")
        print(render(run(con, name)))
    written = plots.write_all(con, settings.state_dir / "plots")
    print(
        f"\ndemo: {len(written)} plots written to {settings.state_dir / 'plots'}: "
        f"{', '.join(p.name for p in written)}"
    )
    print(
        "LocalStack keeps running for you to explore (`make query Q=<name>`, notebooks/). Stop it with: "
        "make down"
    )
    if result.curated_rows != expected or not landed.complete:
        print(
            f"demo: FAILED: expected all {expected} streamed readings and the landing file's "
            f"{landed.expected} in curated exactly once",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    print(
        f"demo: OK, all {expected} streamed readings and the landing file's {landed.expected} are in "
        "curated exactly once"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
