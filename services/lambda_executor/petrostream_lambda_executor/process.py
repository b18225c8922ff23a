"""One runtime process per execution environment: spawn, log capture, and a stop that leaves nothing.

Each process is the leader of its own process group, so stopping it also ends any child the
function started. A pid file per process lets the host launcher clean up even if LocalStack
itself was killed before it could stop its environments.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

# Runs inside the function's interpreter before AWS's runtime interface client. It only adds a
# watchdog: if LocalStack dies without stopping us, the process re-parents and exits.
BOOTSTRAP = """\
import os, sys, threading, time
_parent = os.getppid()
def _watch_parent():
    while True:
        time.sleep(0.5)
        if os.getppid() != _parent:
            os._exit(137)
threading.Thread(target=_watch_parent, name="parent-watchdog", daemon=True).start()
from awslambdaric.__main__ import main
main(["awslambdaric", sys.argv[1]])
"""


class RuntimeProcess:
    """A runtime interface client process with stdout and stderr going to one log file."""

    def __init__(
        self,
        *,
        python: str,
        handler: str,
        env: dict[str, str],
        cwd: str,
        log_path: Path,
        pid_path: Path,
        on_exit: Callable[[int], None],
    ) -> None:
        self._argv = [python, "-s", "-c", BOOTSTRAP, handler]
        self._env = env
        self._cwd = cwd
        self.log_path = log_path
        self._pid_path = pid_path
        self._on_exit = on_exit
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self.exited = threading.Event()
        self.started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode if self._popen else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._pid_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                self._argv,
                env=self._env,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        self.started_at = time.monotonic()
        self._pid_path.write_text(f"{self._popen.pid}\n")
        threading.Thread(target=self._wait, name=f"lambda-proc-{self._popen.pid}", daemon=True).start()

    def _wait(self) -> None:
        assert self._popen is not None
        code = self._popen.wait()
        self.exited.set()
        self._on_exit(code)

    def read_new_logs(self) -> str:
        """Return what the process wrote since the previous call.

        The runtime client writes unbuffered and completes each write before it posts its
        answer, so everything an invocation printed is in the file when its answer arrives.
        """
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                data = log.read()
        except FileNotFoundError:
            return ""
        self._log_offset += len(data)
        return data.decode("utf-8", errors="replace")

    def all_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def max_memory_mb(self) -> int:
        """Peak resident memory of the runtime process (VmHWM), as Lambda's REPORT line gives it."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError):
            pass
        return 0

    def kill(self, grace_seconds: float = 0.5) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after the grace period."""
        if self._popen is None:
            return
        kill_process_group(self._popen.pid, grace_seconds)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=5)
        self._pid_path.unlink(missing_ok=True)


def kill_process_group(pgid: int, grace_seconds: float) -> None:
    """End a process group: SIGTERM, wait up to ``grace_seconds``, then SIGKILL."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
