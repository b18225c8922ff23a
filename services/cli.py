"""`petrostream` command line: up, deploy, demo, generate, produce, build-lake, replay-dlq, query, status, down, build.

Exit codes: 0 success; 1 the demo's lake did not hold every reading exactly once, or a replay
left records unsent, replay-dlq kept a batch it could not re-drive, or status found dead letters
or recent errors; 2 a set-up problem or bad input (the message says what to do, and names
the file, row and column for a bad input file).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from services import lambda_build
from services.errors import PetroStreamError
from services.localstack.stack import DockerStack, Stack, select
from services.settings import Settings
from services.terraform import LocalDeployment


def _instance(stack: Stack) -> str:
    return os.environ.get("PETROSTREAM_TF_INSTANCE") or stack.mode


def _outputs_file(settings: Settings, instance: str) -> Path:
    return settings.state_dir / "terraform" / instance / "outputs.json"


def deploy(settings: Settings, stack: Stack) -> dict:
    """Build the Lambda zips and apply infra/ to the stack's endpoint; outputs are saved as JSON."""
    built = lambda_build.build_all(settings.repo_root / "lambda", settings.build_dir / "lambda")
    for item in built:
        print(f"built {item.path.relative_to(settings.repo_root)} sha256={item.sha256_b64}")
    deployment = LocalDeployment(settings, stack.endpoint, _instance(stack))
    outputs = deployment.apply(settings.build_dir / "lambda")
    _outputs_file(settings, deployment.instance).write_text(json.dumps(outputs, indent=2))
    return outputs


@dataclass(frozen=True)
class Up:
    """A started and deployed stack, and how long each half took (bench/up.py reports them)."""

    stack: Stack
    outputs: dict
    healthy_seconds: float
    applied_seconds: float


def up(settings: Settings) -> Up:
    started = time.monotonic()
    stack = select(settings)
    print(f"LocalStack mode: {stack.mode}")
    stack.start()
    healthy = time.monotonic() - started
    print(f"LocalStack healthy at {stack.endpoint} after {healthy:.1f} s")
    if isinstance(stack, DockerStack):
        # docker-compose.yml's one-shot deploy service applies the Terraform inside Docker.
        subprocess.run(["docker", "compose", "up", "--detach", "--build", "deploy"], cwd=settings.repo_root, check=True)
        code = subprocess.run(["docker", "compose", "wait", "deploy"], cwd=settings.repo_root).returncode
        if code != 0:
            raise PetroStreamError("the deploy service failed", "see `docker compose logs deploy`")
        outputs = json.loads(_outputs_file(settings, "docker").read_text())
    else:
        outputs = deploy(settings, stack)
    applied = time.monotonic() - started
    print(f"up: healthy and applied in {applied:.1f} s (healthy after {healthy:.1f} s)")
    return Up(stack, outputs, healthy, applied)


def _print_outputs(outputs: dict) -> None:
    for key in ("lake_bucket", "stream_name", "delivery_stream_name", "function_names", "dead_letter_queue_url"):
        print(f"  {key:22} {outputs.get(key)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="petrostream", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start LocalStack (docker or host) and apply infra/")
    sub.add_parser("deploy", help="build Lambda zips and apply infra/ to a running LocalStack")
    demo = sub.add_parser("demo", help="up, replay a synthetic 3W dataset through the pipeline, show curated and gold")
    demo.add_argument("--wells", type=int, default=int(os.environ.get("DEMO_WELLS", "6")))
    demo.add_argument("--instances-per-well", type=int, default=3)
    generate_cmd = sub.add_parser("generate", help="write the synthetic 3W dataset (3W 2.0 layout) to a folder")
    generate_cmd.add_argument("folder", type=Path)
    generate_cmd.add_argument("--wells", type=int, default=6)
    generate_cmd.add_argument("--instances-per-well", type=int, default=3)
    generate_cmd.add_argument("--minutes", type=int, default=30)
    generate_cmd.add_argument("--seed", type=int, default=3)
    produce = sub.add_parser("produce", help="replay a 3W dataset folder (real or synthetic) into the deployed stream")
    produce.add_argument("folder", type=Path, help="3W dataset: <class>/*.parquet (release 2) or <class>/*.csv (release 1)")
    produce.add_argument("--speed", type=float, default=None, help="replay at real time x SPEED (default: as fast as the stream takes it)")
    sub.add_parser("build-lake", help="rebuild curated and gold from every raw object (idempotent)")
    sub.add_parser("replay-dlq", help="re-drive the stream processor's dead-lettered batches (after fixing the cause)")
    query = sub.add_parser("query", help="run a named query (pipeline/sql) or ad-hoc Athena SQL on the local lake with DuckDB")
    query.add_argument("sql", nargs="?", help="a query name or SQL text; omit to list the named queries")
    sub.add_parser("status", help="show how LocalStack runs and what is deployed")
    sub.add_parser("down", help="stop LocalStack and every process it started")
    sub.add_parser("build", help="build the Lambda zips (deterministic)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "build":
            for item in lambda_build.build_all(settings.repo_root / "lambda", settings.build_dir / "lambda"):
                print(f"{item.path}  {item.sha256_b64}")
        elif args.command == "deploy":
            stack = select(settings)
            stack.start()
            _print_outputs(deploy(settings, stack))
        elif args.command == "up":
            _print_outputs(up(settings).outputs)
        elif args.command == "demo":
            return _demo(settings, args.wells, args.instances_per_well)
        elif args.command == "generate":
            from producer.synthetic import SyntheticSpec, generate, write_dataset

            spec = SyntheticSpec(wells=args.wells, instances_per_well=args.instances_per_well, instance_minutes=args.minutes, seed=args.seed)
            paths = write_dataset(generate(spec), args.folder)
            print(f"wrote {len(paths)} files ({spec.wells} wells, {len(paths) * spec.instance_minutes * 60} readings) under {args.folder}")
        elif args.command == "produce":
            return _produce(settings, args.folder, args.speed)
        elif args.command == "build-lake":
            _build_lake(settings)
        elif args.command == "replay-dlq":
            return _replay_dlq(settings)
        elif args.command == "query":
            _query(settings, args.sql)
        elif args.command == "status":
            stack = select(settings)
            print(stack.status())
            outputs_file = _outputs_file(settings, _instance(stack))
            if outputs_file.exists():
                outputs = json.loads(outputs_file.read_text())
                _print_outputs(outputs)
                from services.localstack.health import localstack_version

                if localstack_version(stack.endpoint) is not None:  # answering: report on the pipeline
                    from services.status import pipeline_status

                    report = pipeline_status(stack.endpoint, settings.region, outputs)
                    print(report.describe())
                    return 0 if report.healthy else 1
        elif args.command == "down":
            stack = select(settings)
            killed = stack.stop()
            print(f"stopped {stack.mode} LocalStack" + (f" (ended pids {sorted(set(killed))})" if killed else ""))
    except PetroStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _deployed(settings: Settings) -> tuple[Stack, dict]:
    """The running stack and its Terraform outputs, or a clear error saying to run `make up`."""
    stack = select(settings)
    outputs_file = _outputs_file(settings, _instance(stack))
    if not outputs_file.exists():
        raise PetroStreamError("nothing is deployed yet", "run `make up` (or `make demo`) first")
    return stack, json.loads(outputs_file.read_text())


def _progress(total_label: str):
    """A tqdm bar fed by the producer's batch callback."""
    from tqdm import tqdm

    bar: dict[str, object] = {}

    def start(total: int) -> None:
        bar["bar"] = tqdm(total=total, unit="rec", desc=total_label, unit_scale=True, leave=True)

    def advance(count: int) -> None:
        bar["bar"].update(count)  # type: ignore[attr-defined]

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()  # type: ignore[attr-defined]

    return start, advance, close


def _produce(settings: Settings, folder: Path, speed: float | None) -> int:
    from producer.replay import replay
    from producer.threew import InputFileError
    from services import local_aws

    stack, outputs = _deployed(settings)
    start, advance, close = _progress("replay")
    try:
        kinesis = local_aws.client("kinesis", stack.endpoint, settings.region)
        result = replay(kinesis, outputs["stream_name"], folder, speed=speed, progress=advance, on_start=start)
    except InputFileError as error:
        raise PetroStreamError(str(error), "fix or remove the file; see the README, 3W data") from error
    finally:
        close()
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.describe())
    return 1 if result.summary.failed else 0


def _build_lake(settings: Settings) -> None:
    from pipeline import layout
    from pipeline.lake_store import S3Store, build_from_raw
    from services import local_aws

    stack, outputs = _deployed(settings)
    store = S3Store(local_aws.client("s3", stack.endpoint, settings.region), outputs["lake_bucket"])
    keys = store.keys(layout.prefix("raw"))
    started = time.monotonic()
    output = build_from_raw(store, keys)
    print(f"build-lake: {len(keys)} raw objects -> {output.curated_rows} curated rows in {len(output.partitions)} partitions in {time.monotonic() - started:.1f} s")


def _replay_dlq(settings: Settings) -> int:
    from services.dlq_replay import replay_dead_letters

    stack, outputs = _deployed(settings)
    summary = replay_dead_letters(stack.endpoint, settings.region, outputs)
    print(f"replay-dlq: {summary.messages} dead-lettered batches read, {summary.redriven} re-driven ({summary.records} records)")
    for reason in summary.failed:
        print(f"  kept: {reason}", file=sys.stderr)
    return 1 if summary.failed else 0


def lake_connection(settings: Settings):
    """DuckDB with views named like the Glue tables over the deployed lake."""
    from services.lake_sql import lake_views

    stack, outputs = _deployed(settings)
    return lake_views(stack.endpoint, settings.region, outputs["lake_bucket"])


def _query(settings: Settings, sql: str | None) -> None:
    from pipeline.queries import athena_sql, names, run

    if not sql:
        for name in names():
            print(f"{name:32} {athena_sql(name).splitlines()[0].lstrip('- ')}")
        return
    con = lake_connection(settings)
    try:
        print(run(con, sql).df().to_string(index=False))
    except Exception as error:
        raise PetroStreamError(f"query failed: {error}", "`petrostream query` lists the named queries; tables: curated_readings, gold_well_hourly, gold_class_hourly, raw_readings") from error


def _demo(settings: Settings, wells: int, instances_per_well: int) -> int:
    from pipeline.queries import run
    from producer.synthetic import SyntheticSpec
    from services.demo import ensure_dataset, run_chain
    from services.lake_sql import lake_views

    started = up(settings)
    stack, outputs = started.stack, started.outputs
    _print_outputs(outputs)
    spec = SyntheticSpec(wells=wells, instances_per_well=instances_per_well)
    dataset = ensure_dataset(settings.state_dir / "data" / f"synthetic-{wells}x{instances_per_well}", spec)
    print(f"demo: replaying the synthetic 3W dataset in {dataset} into {outputs['stream_name']} ...")
    start, advance, close = _progress("replay")
    try:
        result = run_chain(stack.endpoint, settings.region, outputs, dataset, progress=advance, on_start=start)
    finally:
        close()
    print(result.replay.describe())
    expected = len(set(result.replay.event_ids))
    print(
        f"demo: {result.raw_rows} rows of this run in raw; {result.curated_rows} of {expected} readings in curated "
        f"(s3://{outputs['lake_bucket']}/curated/) {result.seconds:.1f} s after the replay began"
    )
    con = lake_views(stack.endpoint, settings.region, outputs["lake_bucket"])
    for name in ("anomalies_per_hour", "time_to_first_flag", "top_wells_by_anomaly_rate"):
        print(f"\n== {name} (curated/gold, DuckDB) ==")
        print(run(con, name).df().to_string(index=False))
    from services import plots

    written = plots.write_all(con, settings.state_dir / "plots")
    print("\ndemo: plots written:\n  " + "\n  ".join(str(p) for p in written))
    print("LocalStack keeps running for you to explore (`make query Q=<name>`, notebooks/). Stop everything with: make down")
    if result.curated_rows != expected:
        print(f"demo: FAILED: expected all {expected} readings in curated exactly once", file=sys.stderr)
        return 1
    print(f"demo: OK, all {expected} readings are in curated exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
