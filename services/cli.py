"""`petrostream` command line: up, deploy, demo, status, down, build.

Exit codes: 0 success, 1 the demo's count did not match, 2 a set-up problem (message says what to do).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from services import lambda_build
from services.errors import PetroStreamError
from services.localstack.stack import DockerStack, HostStack, Stack, select
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


def up(settings: Settings) -> tuple[Stack, dict]:
    started = time.monotonic()
    stack = select(settings)
    fresh = isinstance(stack, HostStack) and stack.host.pid() is None and not stack.host.persistence
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
        if fresh:
            LocalDeployment(settings, stack.endpoint, _instance(stack)).forget_state()
        outputs = deploy(settings, stack)
    print(f"up: healthy and applied in {time.monotonic() - started:.1f} s (healthy after {healthy:.1f} s)")
    return stack, outputs


def _print_outputs(outputs: dict) -> None:
    for key in ("lake_bucket", "stream_name", "delivery_stream_name", "function_names", "dead_letter_queue_url"):
        print(f"  {key:22} {outputs.get(key)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="petrostream", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start LocalStack (docker or host) and apply infra/")
    sub.add_parser("deploy", help="build Lambda zips and apply infra/ to a running LocalStack")
    demo = sub.add_parser("demo", help="up, then put N records through the chain and count them with DuckDB")
    demo.add_argument("--records", type=int, default=int(os.environ.get("DEMO_RECORDS", "1000")))
    demo.add_argument("--wells", type=int, default=5)
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
            _, outputs = up(settings)
            _print_outputs(outputs)
        elif args.command == "demo":
            return _demo(settings, args.records, args.wells)
        elif args.command == "status":
            stack = select(settings)
            print(stack.status())
            outputs_file = _outputs_file(settings, _instance(stack))
            if outputs_file.exists():
                _print_outputs(json.loads(outputs_file.read_text()))
        elif args.command == "down":
            stack = select(settings)
            killed = stack.stop()
            print(f"stopped {stack.mode} LocalStack" + (f" (ended pids {sorted(set(killed))})" if killed else ""))
    except PetroStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _demo(settings: Settings, records: int, wells: int) -> int:
    from services.demo import run_chain

    stack, outputs = up(settings)
    _print_outputs(outputs)
    print(f"demo: putting {records} records from {wells} wells into {outputs['stream_name']} ...")
    result = run_chain(stack.endpoint, settings.region, outputs, count=records, wells=wells)
    print(
        f"demo: run {result.run_id}: put {result.sent} records into Kinesis; DuckDB counted "
        f"{result.counted} rows ({result.distinct} distinct) in s3://{outputs['lake_bucket']}/{outputs['raw_prefix']} "
        f"after {result.seconds:.1f} s"
    )
    print("LocalStack keeps running for you to explore. Stop everything with: make down")
    if result.counted != result.sent or result.distinct != result.sent:
        print(f"demo: FAILED: expected exactly {result.sent}", file=sys.stderr)
        return 1
    print(f"demo: OK, exactly {result.sent} records counted back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
