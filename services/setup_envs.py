"""Create the five virtualenvs PetroStream needs; re-run cheaply (each is stamped with its inputs).

Runs with any Python 3.8+ (`make setup` calls `python3 -m services.setup_envs` before any
virtualenv exists), standard library only; its knobs come from services/settings.py. The environments:

  .venv                        the project (Python 3.13, like the Lambda runtime it deploys)
  .venvs/localstack            LocalStack 4.14.0 with its own pins, plus the process executor
  .venvs/runtimes/python3.13   the stand-in for the Lambda python3.13 runtime: awslambdaric + boto3
  .venvs/checkov               checkov, the static security checks of infra/
  .venvs/ministack             MiniStack, the Glue and Athena of the integration tests

It also installs kinesis-mock (an npm package LocalStack would otherwise fetch on first use)
into .venvs/localstack-libs, shared by every host-mode LocalStack instance, and patches its
PutRecords (services/localstack/kinesis_mock_patch.py says why).

The host-mode parts (LocalStack, the runtime stand-in, kinesis-mock with npm) are installed only
when LocalStack will run on the host: in Docker mode (an engine answers, or
PETROSTREAM_LOCALSTACK=docker) and external mode LocalStack is somebody else's, and a machine with
Docker but no Node.js must still set up.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

from services.errors import PetroStreamError
from services.localstack import kinesis_mock_patch
from services.localstack.engine import docker_available
from services.settings import REPO_ROOT as ROOT
from services.settings import Settings

LOCALSTACK_PIN = "localstack-core[runtime]==4.14.0"


class SetupError(Exception):
    pass


def find_python(settings: Settings) -> str:
    """A Python 3.13 interpreter: $PETROSTREAM_PYTHON, python3.13 on PATH, then pyenv's versions."""
    candidates = [settings.python or "", shutil.which("python3.13") or ""]
    candidates += sorted(glob.glob(f"{settings.pyenv_root}/versions/3.13*/bin/python3.13"), reverse=True)
    candidates += ["/usr/local/bin/python3.13", "/usr/bin/python3.13"]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "3.13":
            return candidate
    raise SetupError(
        "No Python 3.13 interpreter found (the project and its Lambda runtime use 3.13, and "
        "LocalStack 4.14.0 needs 3.12 or newer).\n"
        "  -> install one (`pyenv install 3.13`, `uv python install 3.13` or your OS packages), "
        "or point PETROSTREAM_PYTHON at it."
    )


def _digest(*paths: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or ".egg-info" in str(file):
                continue
            h.update(str(file.relative_to(ROOT)).encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def _run(cmd: list[str], what: str, log_file: Path, env: dict[str, str] | None = None) -> None:
    """Run a set-up step with its output appended to log_file; a failure shows the log's tail."""
    with open(log_file, "a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-25:]
        raise SetupError(
            f"{what} failed (exit {result.returncode}); last lines of {log_file}:\n" + "\n".join(tail)
        )


def _venv(python: str, target: Path, stamp: str, install: list[list[str]], what: str, log_file: Path) -> None:
    stamp_file = target / ".petrostream-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    print(f"setup: {what} -> {target.relative_to(ROOT)}", flush=True)
    if target.exists():
        shutil.rmtree(target)
    _run([python, "-m", "venv", str(target)], f"creating {target}", log_file)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    for args in install:
        _run(pip + args, f"installing {what}", log_file)
    stamp_file.write_text(stamp)


def _requirements_venv(python: str, target: Path, requirements: Path, what: str, log_file: Path) -> None:
    """A virtualenv holding one requirements file, rebuilt when the file changes."""
    _venv(python, target, _digest(requirements, extra=python), [["-r", str(requirements)]], what, log_file)


def install_kinesis_mock(localstack_python: Path, libs: Path, log_file: Path) -> None:
    """Install kinesis-mock with LocalStack's own installer, once, into the shared libs folder."""
    stamp = libs / ".petrostream-stamp"
    if stamp.exists():
        return
    if shutil.which("npm") is None:
        raise SetupError(
            "npm not found: LocalStack's Kinesis (kinesis-mock) needs Node.js and npm.\n"
            "  -> install Node.js 18+ with npm, then run `make setup` again."
        )
    print("setup: kinesis-mock (npm) -> .venvs/localstack-libs", flush=True)
    code = (
        "from localstack.packages.api import InstallTarget\n"
        "from localstack.services.kinesis.packages import kinesismock_package\n"
        "kinesismock_package.install(target=InstallTarget.STATIC_LIBS)\n"
        "print(kinesismock_package.get_installed_dir())\n"
    )
    fs_root = libs / "fs"
    env = dict(os.environ, FILESYSTEM_ROOT=str(fs_root), OVERRIDE_IN_DOCKER="0")
    _run([str(localstack_python), "-c", code], "installing kinesis-mock", log_file, env=env)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("kinesis-mock\n")


def patch_kinesis_mock(libs: Path) -> None:
    """Apply services/localstack/kinesis_mock_patch.py (PutRecords cost independent of shard size)."""
    try:
        main_js = kinesis_mock_patch.main_js_under(libs / "fs")
        if kinesis_mock_patch.patch(main_js):
            print(f"setup: kinesis-mock PutRecords patch -> {main_js.relative_to(ROOT)}", flush=True)
    except kinesis_mock_patch.KinesisMockPatchError as error:
        raise SetupError(
            f"{error}\n  -> remove .venvs/localstack-libs and run `make setup` again."
        ) from error


def host_localstack_needed(settings: Settings, docker_answers: Callable[[], bool] = docker_available) -> bool:
    """Will LocalStack run as a host process? (host mode, or auto mode with no Docker engine)"""
    return settings.mode == "host" or (settings.mode == "auto" and not docker_answers())


def main(argv: list[str] | None = None) -> int:
    """`python -m services.setup_envs [project|all]`: everything this machine's mode needs; only
    the project environment (building the Lambda zips and planning for AWS need nothing else); or
    everything, host-mode LocalStack included whatever the mode (the test suite and the
    benchmarks exercise host mode as well)."""
    args = sys.argv[1:] if argv is None else argv
    only_project, everything = args == ["project"], args == ["all"]
    try:
        settings = Settings.from_env()
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        log = settings.state_dir / "setup.log"
        python = find_python(settings)
        _venv(
            python,
            ROOT / ".venv",
            _digest(ROOT / "pyproject.toml", extra=python),
            [["-e", ".[dev]"]],
            "project environment",
            log,
        )
        if only_project:
            return 0
        _requirements_venv(
            python,
            ROOT / ".venvs" / "checkov",
            ROOT / "services" / "checkov" / "requirements.txt",
            "checkov (infra/ security checks)",
            log,
        )
        _requirements_venv(
            python,
            ROOT / ".venvs" / "ministack",
            ROOT / "services" / "ministack" / "requirements.txt",
            "MiniStack (the tests' Glue and Athena)",
            log,
        )
        if not everything and not host_localstack_needed(settings):
            where = f"at {settings.endpoint}" if settings.mode == "external" else "in Docker"
            print(
                f"setup: LocalStack runs {where}: host-mode LocalStack, its Lambda runtime stand-in "
                "and kinesis-mock (npm) are not needed",
                flush=True,
            )
            return 0
        constraints = ROOT / "services" / "localstack" / "constraints-4.14.0.txt"
        executor = ROOT / "services" / "lambda_executor"
        _venv(
            python,
            ROOT / ".venvs" / "localstack",
            _digest(constraints, executor / "pyproject.toml", extra=python),
            [["-c", str(constraints), LOCALSTACK_PIN], ["--no-deps", "-e", str(executor)]],
            "LocalStack 4.14.0 (host mode)",
            log,
        )
        _requirements_venv(
            python,
            ROOT / ".venvs" / "runtimes" / "python3.13",
            ROOT / "services" / "lambda_runtime" / "requirements-python3.13.txt",
            "Lambda python3.13 runtime stand-in",
            log,
        )
        install_kinesis_mock(
            ROOT / ".venvs" / "localstack" / "bin" / "python", ROOT / ".venvs" / "localstack-libs", log
        )
        patch_kinesis_mock(ROOT / ".venvs" / "localstack-libs")
    except (SetupError, PetroStreamError) as error:
        print(f"setup: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
