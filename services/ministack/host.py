"""MiniStack as a host process: the Glue catalog and Athena that LocalStack's free edition lacks.

The integration suite applies infra/ with enable_athena=true, Glue and Athena sent to MiniStack
(tflocal's GLUE_ENDPOINT and ATHENA_ENDPOINT) and everything else to LocalStack, then runs the
named queries through the Athena API (tests/integration/test_athena.py). MiniStack's Athena runs
the SQL with DuckDB over MiniStack's own S3, so the test copies the lake's committed files there.
Only Glue, Athena and the S3 they read are used: MiniStack is not a second LocalStack.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from services.errors import PetroStreamError
from services.localstack.host import end_group, port_in_use, spawn
from services.settings import Settings

MINISTACK_VERSION = "1.5.33"


@dataclass
class HostMiniStack:
    """One MiniStack process on a port, with its log in a state folder."""

    settings: Settings
    state_dir: Path
    port: int
    pid: int | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def executable(self) -> Path:
        return self.settings.venvs_dir / "ministack" / "bin" / "ministack"

    def environment(self) -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "SERVICES": "s3,glue,athena,sts",
            "ATHENA_ENGINE": "duckdb",  # otherwise Athena answers with mock results
            "IOT_MTLS_ENABLED": "0",  # no second listener on 0.0.0.0:8883
            "TMPDIR": str(self.state_dir),
        }

    def start(self, timeout: float = 30.0) -> str:
        if not self.executable.exists():
            raise PetroStreamError(
                f"MiniStack's virtualenv is missing ({self.executable})", "run `make setup`"
            )
        if port_in_use(self.port):
            raise PetroStreamError(f"port {self.port} is taken", "MiniStack needs a free port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.state_dir / "ministack.log"
        process = spawn([str(self.executable)], self.environment(), self.state_dir, log_file)
        self.pid = process.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if self.ready():
                return self.endpoint
            time.sleep(0.1)
        self.stop()
        raise PetroStreamError(
            f"MiniStack did not become ready on {self.endpoint}; last lines of {log_file}:\n"
            + "\n".join(log_file.read_text(errors="replace").splitlines()[-20:]),
            "read the log above; `make setup` rebuilds .venvs/ministack",
        )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_ministack/ready", timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> list[int]:
        if self.pid is None:
            return []
        killed, self.pid = end_group(self.pid, 5.0), None
        return killed
