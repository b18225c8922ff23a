"""LocalStack's /_localstack/health endpoint: readiness with a deadline, and the version it reports."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from services.errors import PetroStreamError
from services.localstack.env_file import read_env_file

READY_STATES = {"available", "running"}


def health(endpoint: str, timeout: float = 2.0) -> dict | None:
    """The health document, or None if nothing answers like LocalStack."""
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=timeout) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def localstack_version(endpoint: str) -> str | None:
    document = health(endpoint)
    return document.get("version") if document else None


def required_services() -> list[str]:
    return [s.strip() for s in read_env_file().get("SERVICES", "").split(",") if s.strip()]


def _tail(log_file: Path | None, lines: int = 30) -> str:
    if log_file is None or not log_file.exists():
        return "(no log file)"
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def wait_healthy(
    endpoint: str,
    timeout: float,
    log_file: Path | None = None,
    process: subprocess.Popen | None = None,
) -> dict:
    """Poll until every service PetroStream uses is ready; a clear error with the log tail if not."""
    wanted = required_services()
    deadline = time.monotonic() + timeout
    last: dict | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise PetroStreamError(
                f"LocalStack exited with status {process.returncode} while starting; last lines of "
                f"{log_file}:\n" + _tail(log_file),
                "fix the cause above; `make setup` rebuilds the virtualenvs if packages are broken",
            )
        last = health(endpoint)
        if last is not None:
            services = last.get("services", {})
            if all(services.get(name) in READY_STATES for name in wanted):
                return last
        time.sleep(0.25)
    not_ready = sorted(
        name for name in wanted if (last or {}).get("services", {}).get(name) not in READY_STATES
    )
    raise PetroStreamError(
        f"LocalStack at {endpoint} was not healthy after {timeout:.0f} s "
        f"(not ready: {', '.join(not_ready) or 'no answer'}); last lines of {log_file}:\n" + _tail(log_file),
        "raise LOCALSTACK_HEALTH_TIMEOUT if the machine is slow, or read the log above",
    )
