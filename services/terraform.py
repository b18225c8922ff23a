"""Apply infra/ to LocalStack with tflocal, offline, and check that what it deployed is usable.

The .tf files are the same ones that go to AWS; tflocal adds its endpoint override at run time.
Each LocalStack instance gets its own working copy (``<state>/terraform/<instance>``) with its
own state, so the demo stack and the test stack never share Terraform state, and infra/ itself
stays clean for `terraform plan` / `apply` against AWS.

Terraform's own output goes to ``terraform.log`` in the working copy; each apply prints one
summary line (added, changed, destroyed, seconds, the log's path). PETROSTREAM_VERBOSE=1 (or
`petrostream -v`) shows the full output instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from services import local_aws
from services.errors import PetroStreamError
from services.outputs import StackOutputs
from services.settings import Settings

# Conventional places for a filesystem mirror; TF_PROVIDER_MIRROR overrides them.
MIRROR_CANDIDATES = (
    Path.home() / ".terraform.d" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path("/opt/tf-plugins"),
)
AWS_PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
TFLOCAL_OVERRIDE = "localstack_providers_override.tf"  # written by tflocal on each run
ADOPTED_FILE = "adopted_imports.tf"  # import blocks of resources a restarted LocalStack kept
LOG_FILE = "terraform.log"
OUTPUTS_FILE = "outputs.json"
APPLY_SUMMARY = re.compile(
    r"(?:Apply|Destroy) complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed"
)


def find_terraform(settings: Settings) -> str:
    found = settings.terraform or shutil.which("terraform")
    if not found:
        raise PetroStreamError(
            "terraform not found on PATH",
            "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) or set "
            "TERRAFORM=/path/to/terraform",
        )
    return found


def find_tflocal() -> str:
    """tflocal on PATH, else the one installed next to this interpreter (the project's .venv)."""
    return shutil.which("tflocal") or str(Path(sys.executable).parent / "tflocal")


def find_provider_mirror(settings: Settings) -> Path | None:
    """The folder that holds registry.terraform.io/hashicorp/aws, or None to use the registry."""
    if settings.provider_mirror is not None:
        if not (settings.provider_mirror / AWS_PROVIDER).is_dir():
            raise PetroStreamError(
                f"TF_PROVIDER_MIRROR={settings.provider_mirror} holds no {AWS_PROVIDER}",
                "point it at the folder that contains registry.terraform.io/ (a `terraform providers "
                "mirror` output)",
            )
        return settings.provider_mirror
    for candidate in MIRROR_CANDIDATES:
        if (candidate / AWS_PROVIDER).is_dir():
            return candidate
    return None


@dataclass
class LocalDeployment:
    """infra/ applied to one LocalStack endpoint through tflocal."""

    settings: Settings
    endpoint: str
    instance: str = "dev"
    # -var values beyond the local defaults (bench/end_to_end.py tunes the builder's batching).
    extra_variables: dict[str, str] = field(default_factory=dict)
    # Where Glue and Athena go (services/ministack/host.py); None: they are not deployed, as
    # LocalStack's free edition has neither.
    catalog_endpoint: str | None = None

    @property
    def workdir(self) -> Path:
        return self.settings.terraform_dir / self.instance

    @property
    def log_file(self) -> Path:
        return self.workdir / LOG_FILE

    @property
    def outputs_file(self) -> Path:
        """The outputs of the last apply, for commands that run later (services/outputs.py)."""
        return self.workdir / OUTPUTS_FILE

    def _env(self) -> dict[str, str]:
        host = urlparse(self.endpoint).hostname or "localhost"
        terraform = find_terraform(self.settings)
        return {
            **os.environ,
            "AWS_ENDPOINT_URL": self.endpoint,
            # tflocal's default S3 endpoint is s3.localhost.localstack.cloud, which needs public
            # DNS; the gateway answers path-style S3 on its own address as well.
            "S3_HOSTNAME": host,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": self.settings.region,
            "TF_CMD": terraform,
            "TF_IN_AUTOMATION": "1",
            # tflocal prints a deprecation banner (use `lstk terraform`) on every run; lstk needs
            # an auth token, which LocalStack 4.14.0 does not.
            "DISABLE_DEPRECATION_NOTICE": "1",
            "PATH": f"{Path(terraform).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            # tflocal sends a service to <SERVICE>_ENDPOINT when it is set, the rest to LocalStack.
            **(
                {"GLUE_ENDPOINT": self.catalog_endpoint, "ATHENA_ENDPOINT": self.catalog_endpoint}
                if self.catalog_endpoint
                else {}
            ),
        }

    def _sync_sources(self) -> None:
        """Copy infra/*.tf into the working copy (stale files removed, unchanged files untouched)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        sources = {path.name: path for path in self.settings.infra_dir.glob("*.tf")}
        for existing in self.workdir.glob("*.tf"):
            if existing.name not in sources and existing.name != TFLOCAL_OVERRIDE:
                existing.unlink()
        for name, path in sources.items():
            target = self.workdir / name
            if not target.exists() or target.read_bytes() != path.read_bytes():
                shutil.copyfile(path, target)

    def _run(self, *args: str) -> str:
        """Run tflocal; its output goes to the log file (and the terminal when verbose), and is returned."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a") as log:
            log.write(f"\n=== {datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z tflocal {' '.join(args)}\n")
            log.flush()
            process = subprocess.Popen(
                [find_tflocal(), *args],
                cwd=self.workdir,
                env=self._env(),
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            output = _tee(process.stdout, log, echo=self.settings.verbose)
            code = process.wait()
        if code != 0:
            tail = "\n".join(output.splitlines()[-40:])
            raise PetroStreamError(
                f"tflocal {args[0]} failed (exit {code}); the end of its output:\n{tail}",
                f"the whole output is in {self.log_file}; fix the error Terraform reports, then run again",
            )
        return output

    def init(self) -> None:
        self._sync_sources()
        if (self.workdir / ".terraform" / "providers").exists() or (
            self.workdir / ".terraform" / "plugins"
        ).exists():
            return
        args = ["init", "-input=false", "-backend=true"]
        mirror = find_provider_mirror(self.settings)
        if mirror is not None:
            args.append(f"-plugin-dir={mirror}")
        self._run(*args)

    def variables(self, artifacts_dir: Path) -> list[str]:
        """-var arguments of a local deployment. The working copy is outside the repository, so
        the folders infra/ reads (zips, schema, named queries) are passed as absolute paths.
        Glue and Athena are not in LocalStack's free edition: enable_athena only with a
        catalog_endpoint that has them."""
        values = {
            "environment": "local",
            "region": self.settings.region,
            "lambda_artifacts_dir": artifacts_dir.resolve(),
            "pipeline_dir": self.settings.repo_root / "pipeline",
            "enable_athena": "true" if self.catalog_endpoint else "false",
            "lambda_architecture": self.settings.lambda_architecture,
            **self.extra_variables,
        }
        return [arg for name, value in values.items() for arg in ("-var", f"{name}={value}")]

    def apply(self, artifacts_dir: Path) -> StackOutputs:
        """Apply, then converge: LocalStack's kinesis-mock ignores tags given to CreateStream, so
        a fresh stack can need one more apply (AddTagsToStream) before the plan is empty.
        The outputs are saved to outputs_file and returned."""
        self.init()
        self.reconcile()
        for _ in range(2):
            started = time.monotonic()
            output = self._run(
                "apply",
                "-auto-approve",
                "-input=false",
                "-compact-warnings",
                "-no-color",
                *self.variables(artifacts_dir),
            )
            print(
                f"terraform: {apply_summary(output)} in {time.monotonic() - started:.1f} s (log: "
                f"{self.log_file})"
            )
            has_changes, plan = self.plan(artifacts_dir)
            if not has_changes:
                break
            print("terraform: LocalStack did not take every attribute on the first apply; applying again")
        else:
            raise PetroStreamError(
                f"Terraform still plans changes after two applies:\n{plan[-3000:]}", "report this as a bug"
            )
        outputs = self.outputs()
        outputs.save(self.outputs_file)
        wait_functions_active(self.endpoint, self.settings.region, list(outputs.function_names))
        return outputs

    def plan(self, artifacts_dir: Path) -> tuple[bool, str]:
        """(has changes, plan text): proves that applying unchanged sources again does nothing."""
        self.init()
        result = subprocess.run(
            [
                find_tflocal(),
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                *self.variables(artifacts_dir),
            ],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
        )
        if result.returncode == 1:
            raise PetroStreamError(
                f"tflocal plan failed:\n{result.stderr[-3000:]}", "fix the error Terraform reports"
            )
        return result.returncode == 2, result.stdout

    def output_values(self) -> dict[str, object]:
        """Every output of the state, by name (none for an empty state)."""
        raw = subprocess.run(
            [find_terraform(self.settings), "output", "-json"],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {name: value["value"] for name, value in json.loads(raw or "{}").items()}

    def outputs(self) -> StackOutputs:
        return StackOutputs.from_values(self.output_values())

    def reconcile(self) -> None:
        """Make the state match what a restarted LocalStack still holds, before applying.

        LocalStack's free edition keeps nothing across a restart except, with PERSISTENCE=1, the
        Kinesis streams (kinesis-mock saves them itself). Refreshing a state whose resources have
        vanished fails on LocalStack (GetDashboard answers InvalidParameterValue where AWS answers
        ResourceNotFound), so a state whose lake bucket is gone is dropped, and a stream that
        survived is adopted with an import block: its records are acknowledged data that the new
        stack must process. The block lives in the working copy only, until the next sync.
        """
        if not (self.workdir / "terraform.tfstate").exists():
            return
        previous = self.output_values()
        bucket, stream = previous.get("lake_bucket"), previous.get("stream_name")
        if not bucket or local_aws.exists(lambda: self._client("s3").head_bucket(Bucket=bucket)):
            return
        self.forget_state()
        if stream and local_aws.exists(
            lambda: self._client("kinesis").describe_stream_summary(StreamName=stream)
        ):
            print(f"terraform: LocalStack restarted and kept stream {stream}; importing it into a new state")
            (self.workdir / ADOPTED_FILE).write_text(
                f'import {{\n  to = aws_kinesis_stream.readings\n  id = "{stream}"\n}}\n'
            )

    def _client(self, service: str):
        return local_aws.client(service, self.endpoint, self.settings.region)

    def forget_state(self) -> None:
        """Drop the state of resources that no longer exist (a LocalStack restarted without them)."""
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (self.workdir / name).unlink(missing_ok=True)


def apply_summary(output: str) -> str:
    """ "3 added, 0 changed, 0 destroyed" from an apply's output (the last summary it printed)."""
    found = APPLY_SUMMARY.findall(output)
    if not found:
        return "applied (no summary line in the output)"
    added, changed, destroyed = found[-1]
    return f"{added} added, {changed} changed, {destroyed} destroyed"


def _tee(stream: IO[str] | None, log: IO[str], echo: bool) -> str:
    """Copy a process's output to the log (and the terminal when echo), and return it."""
    lines = []
    for line in stream or ():
        log.write(line)
        if echo:
            print(line, end="", flush=True)
        lines.append(line)
    return "".join(lines)


def wait_functions_active(endpoint: str, region: str, names: list[str], timeout: float = 60.0) -> None:
    """Wait until each function leaves Pending; a Failed one is an error carrying its StateReason."""
    client = local_aws.client("lambda", endpoint, region)
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            config = client.get_function_configuration(FunctionName=name)
            state = config.get("State")
            if state == "Active":
                break
            if state == "Failed":
                raise PetroStreamError(
                    f"Lambda function {name} is in state Failed: {config.get('StateReason')} "
                    f"({config.get('StateReasonCode')})",
                    "in host mode run `make setup` (it builds .venvs/runtimes/python3.13); otherwise "
                    "read the reason",
                )
            if time.monotonic() > deadline:
                raise PetroStreamError(
                    f"Lambda function {name} still {state} after {timeout:.0f} s", "check the LocalStack log"
                )
            time.sleep(0.2)
