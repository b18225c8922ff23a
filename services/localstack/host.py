"""LocalStack 4.14.0 as a host process: start, health wait, stop that leaves no process behind.

An instance is a state folder holding ``localstack.pid``, ``localstack.log``, LocalStack's
filesystem root (``fs/``) and the Lambda process executor's pid files (``lambda/pids``). The
demo stack lives in ``.state/localstack``; the test suite makes its own instance on a free port,
so running the tests never touches a stack you are using.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from services.errors import PetroStreamError
from services.localstack.env_file import read_env_file
from services.localstack.health import localstack_version, wait_healthy
from services.settings import LOCALSTACK_VERSION, Settings

# Marks every process of an instance (LocalStack and its children, such as kinesis-mock's node):
# the stop sweeps /proc for it, so nothing survives even if LocalStack re-parented a child.
INSTANCE_MARKER = "PETROSTREAM_LOCALSTACK_INSTANCE"
# kinesis-mock's npm package, which LocalStack runs under node (one process per account).
KINESIS_MOCK_PACKAGE = b"kinesis-local"


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HostLocalStack:
    """One host-mode LocalStack instance, identified by its state folder."""

    settings: Settings
    state_dir: Path
    port: int
    persistence: bool = False

    @classmethod
    def default(cls, settings: Settings) -> HostLocalStack:
        return cls(
            settings,
            settings.state_dir / "localstack",
            settings.port,
            persistence=settings.persistence,
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def lambda_state_dir(self) -> Path:
        return self.state_dir / "lambda"

    def function_pids(self) -> list[int]:
        """Pids of the function processes the Lambda executor started (its pid files)."""
        pids = []
        for pid_file in (self.lambda_state_dir / "pids").glob("*.pid"):
            try:
                pids.append(int(pid_file.read_text().strip()))
            except (OSError, ValueError):  # gone, or half written
                continue
        return pids

    def pid(self) -> int | None:
        """The pid from the pid file, if that process is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def environment(self) -> dict[str, str]:
        fs_root = self.state_dir / "fs"
        env = {key: value for key, value in os.environ.items() if not key.startswith("LOCALSTACK_")}
        env.update(read_env_file())
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
                # Some machines carry /.dockerenv without being a LocalStack container: without
                # this LocalStack would use /var/lib/localstack and /usr/lib/localstack.
                "OVERRIDE_IN_DOCKER": "0",
                "FILESYSTEM_ROOT": str(fs_root),
                "PERSISTENCE": "1" if self.persistence else "0",
                # kinesis-mock rewrites every stored record to one JSON file every 5 s whatever
                # PERSISTENCE says; with a few 10,000 records each PutRecords took seconds.
                "KINESIS_PERSISTENCE": "1" if self.persistence else "0",
                "LAMBDA_RUNTIME_EXECUTOR": "process",
                "LAMBDA_PROCESS_RUNTIMES_DIR": str(self.settings.lambda_runtimes_dir),
                "LAMBDA_PROCESS_STATE_DIR": str(self.lambda_state_dir),
                INSTANCE_MARKER: str(self.state_dir.resolve()),
            }
        )
        return env

    def _link_shared_libs(self) -> None:
        """Point this instance's static libs at the kinesis-mock installed once by `make setup`."""
        shared = self.settings.localstack_libs_dir / "fs" / "usr" / "lib" / "localstack"
        link = self.state_dir / "fs" / "usr" / "lib" / "localstack"
        if shared.is_dir() and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(shared.resolve(), target_is_directory=True)

    def start(self) -> str:
        """Start (or reuse) the instance and wait until healthy; returns the endpoint."""
        if self.pid() is not None:
            wait_healthy(self.endpoint, self.settings.health_timeout, self.log_file)
            return self.endpoint
        python = self.settings.localstack_python
        if not python.exists():
            raise PetroStreamError(
                f"LocalStack's virtualenv is missing ({python})",
                "run `make setup` (or `make up`, which runs it)",
            )
        if port_in_use(self.port):
            version = localstack_version(self.endpoint)
            owner = f"a LocalStack {version} not started by this project" if version else "another process"
            raise PetroStreamError(
                f"port {self.port} is taken by {owner}",
                "stop it, choose another port with LOCALSTACK_PORT=4567, or use it as is with "
                f"LOCALSTACK_ENDPOINT=http://localhost:{self.port} (mode external)",
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.persistence:
            # Without persistence every start is a fresh LocalStack: drop state of the last one.
            subprocess.run(["rm", "-rf", str(self.state_dir / "fs" / "tmp")], check=False)
        self._link_shared_libs()
        process = spawn(
            [str(python), "-m", "localstack.runtime.main"], self.environment(), self.state_dir, self.log_file
        )
        self.pid_file.write_text(f"{process.pid}\n")
        try:
            wait_healthy(self.endpoint, self.settings.health_timeout, self.log_file, process=process)
        except PetroStreamError:
            self.stop()
            raise
        version = localstack_version(self.endpoint)
        if version != LOCALSTACK_VERSION:
            self.stop()
            raise PetroStreamError(
                f"LocalStack reports version {version}, expected {LOCALSTACK_VERSION}",
                "run `make clean setup` to rebuild .venvs/localstack with the pinned version",
            )
        return self.endpoint

    def stop(self, grace_seconds: float = 10.0) -> list[int]:
        """Stop LocalStack, kinesis-mock and every function process; returns pids that were killed."""
        killed = self._stop_kinesis_mock(grace_seconds)
        pid = self.pid()
        if pid is not None:
            killed += end_group(pid, grace_seconds)
        for function_pid in self.function_pids():
            killed += end_group(function_pid, 1.0)
        for pid_file in (self.lambda_state_dir / "pids").glob("*.pid"):
            pid_file.unlink(missing_ok=True)
        for stray in marked_processes(self.state_dir):
            killed += end_group(stray, 1.0, group=False)
        self.pid_file.unlink(missing_ok=True)
        deadline = time.monotonic() + grace_seconds
        while killed and port_in_use(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)  # a start right after this stop must find the port free
        return killed

    def _stop_kinesis_mock(self, grace_seconds: float) -> list[int]:
        """End kinesis-mock before LocalStack, politely: on SIGTERM it saves its streams to disk
        (a finalizer), but LocalStack's own shutdown SIGKILLs it, which loses every record
        acknowledged since its last periodic save (every 5 s) and can leave a half-written file."""
        mocks = [pid for pid in marked_processes(self.state_dir) if KINESIS_MOCK_PACKAGE in _cmdline(pid)]
        return [killed for pid in mocks for killed in end_group(pid, grace_seconds, group=False)]

    def status(self) -> str:
        pid = self.pid()
        if pid is None:
            return f"host LocalStack ({self.state_dir}): stopped"
        version = localstack_version(self.endpoint) or "not answering"
        return f"host LocalStack ({self.state_dir}): pid {pid}, {self.endpoint}, version {version}"


def pid_alive(pid: int) -> bool:
    """True while the process runs; an exited child its parent has not reaped yet counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def marked_processes(state_dir: Path) -> list[int]:
    """Pids of live processes whose environment carries this instance's marker."""
    marker = f"{INSTANCE_MARKER}={state_dir.resolve()}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return [pid for pid in found if pid != os.getpid()]


def spawn(command: list[str], env: dict[str, str], cwd: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """Start a server in a process group of its own (so end_group stops it and its children),
    its output appended to log_file."""
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def end_group(pid: int, grace_seconds: float, group: bool = True) -> list[int]:
    """SIGTERM the process (group), wait with a deadline, then SIGKILL what is left."""
    send = os.killpg if group else os.kill
    try:
        send(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return []
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not (_group_alive(pid) if group else pid_alive(pid)):
            return [pid]
        _reap(pid)
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        send(pid, signal.SIGKILL)
    _reap(pid)
    return [pid]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _reap(pid: int) -> None:
    """Collect our own exited child so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
