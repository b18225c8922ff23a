"""``ProcessRuntimeExecutor``: LocalStack's RuntimeExecutor, one local process group per environment.

Configuration (environment of the LocalStack process):

``LAMBDA_PROCESS_RUNTIMES_DIR``
    Folder with one interpreter per Lambda runtime: ``<dir>/python3.13/bin/python``. That
    interpreter is the stand-in for the Lambda runtime image: a virtualenv without system site
    packages holding awslambdaric and the AWS SDK, nothing else, so a dependency missing from the
    function's zip fails here the way it fails on AWS.
``LAMBDA_PROCESS_STATE_DIR``
    Where logs and pid files of the runtime processes go (default: a folder in the temp dir).
    The host launcher reads the pid files to make sure no process outlives LocalStack.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import tempfile
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path

from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from petrostream_lambda_executor.process import RuntimeProcess
from petrostream_lambda_executor.runtime_api import Invocation, Outcome, RuntimeApi, RuntimeGone

LOG = logging.getLogger(__name__)

_LIVE: dict[str, ProcessRuntimeExecutor] = {}
_LIVE_LOCK = threading.Lock()


def runtimes_dir() -> Path | None:
    value = os.environ.get("LAMBDA_PROCESS_RUNTIMES_DIR")
    return Path(value) if value else None


def state_dir() -> Path:
    value = os.environ.get("LAMBDA_PROCESS_STATE_DIR")
    return Path(value) if value else Path(tempfile.gettempdir()) / "localstack-lambda-process"


def interpreter_for(runtime: str | None) -> Path:
    """The interpreter standing in for ``runtime``, or a LambdaRuntimeException that says what to do."""
    if not runtime or not runtime.startswith("python"):
        raise LambdaRuntimeException(
            f"The process executor runs Python zip functions only; runtime {runtime!r} is not "
            "supported. Use Docker mode (LAMBDA_RUNTIME_EXECUTOR=docker) for other runtimes."
        )
    root = runtimes_dir()
    if root is None:
        raise LambdaRuntimeException(
            "LAMBDA_PROCESS_RUNTIMES_DIR is not set: the process executor needs a folder with one "
            "interpreter per runtime, e.g. <dir>/python3.13/bin/python (run `make setup`)."
        )
    python = root / runtime / "bin" / "python"
    if not python.exists():
        raise LambdaRuntimeException(
            f"No interpreter for runtime {runtime} at {python}. Create it with `make setup`, or "
            f"deploy the function with a runtime that has one under {root}."
        )
    return python


def _error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class ProcessRuntimeExecutor(RuntimeExecutor):
    """Runs one Lambda execution environment as a local process (see module docstring)."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._env_vars: dict[str, str] = {}
        self._api: RuntimeApi | None = None
        self._process: RuntimeProcess | None = None
        self._invoke_lock = threading.Lock()
        self._stopped = threading.Event()
        self._init_duration_ms: float | None = None
        self._peak_memory_mb: int | None = None
        self._dir = state_dir() / id

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        self._env_vars = dict(env_vars)
        with _LIVE_LOCK:
            _LIVE[self.id] = self
        self._spawn()

    def stop(self) -> None:
        self._stopped.set()
        self._teardown()
        with _LIVE_LOCK:
            _LIVE.pop(self.id, None)

    def _teardown(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._process is not None:
            self._process.kill()
            self._process = None

    def _process_env(self, code_dir: str, api_port: int) -> dict[str, str]:
        """The function's environment: LocalStack's Lambda variables with host paths in place of /var/*."""
        runtime = self.function_version.config.runtime
        python_bin = str(interpreter_for(runtime).parent)
        tmp = self._dir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env = {key: str(value) for key, value in self._env_vars.items() if value is not None}
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api_port}",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
                "LAMBDA_TASK_ROOT": code_dir,
                "LAMBDA_RUNTIME_DIR": python_bin,
                "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
                "PYTHONPATH": code_dir,
                "PYTHONNOUSERSITE": "1",
                "PYTHONUNBUFFERED": "1",
                "LANG": "en_US.UTF-8",
                "HOME": str(tmp),
                "TMPDIR": str(tmp),
            }
        )
        return env

    def _spawn(self) -> None:
        """Start the runtime process and wait until it polls for work (or reports an init error)."""
        config = self.function_version.config
        code_dir = str(config.code.get_unzipped_code_location())
        api = RuntimeApi()
        port = api.start()
        process = RuntimeProcess(
            python=str(interpreter_for(config.runtime)),
            handler=config.handler,
            env=self._process_env(code_dir, port),
            cwd=code_dir,
            log_path=self._dir / "runtime.log",
            pid_path=state_dir() / "pids" / f"{self.id}.pid",
            on_exit=lambda code: api.abort(f"Runtime exited with error: exit status {code}"),
        )
        self._api, self._process = api, process
        started = time.monotonic()
        process.start()
        while not api.ready.wait(0.005):
            if self._stopped.is_set():
                raise LambdaRuntimeException(f"execution environment {self.id} stopped during init")
            if process.exited.is_set() and not api.ready.is_set():
                raise LambdaRuntimeException(
                    f"runtime process exited with status {process.returncode} during init; "
                    f"its output:\n{process.all_logs()[-4000:]}"
                )
        self._init_duration_ms = (time.monotonic() - started) * 1000

    def _needs_respawn(self) -> bool:
        """After a timeout, a crash or an init error has been answered, the next invoke re-inits."""
        if self._api is None or self._process is None:
            return True
        # A runtime that reported an init error has exited too; its error still answers one invoke.
        return self._process.exited.is_set() and self._api.init_error is None

    # -- invocation --------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        with self._invoke_lock:
            if self._stopped.is_set():
                raise LambdaRuntimeException(f"execution environment {self.id} is stopped")
            if self._needs_respawn():
                self._teardown()
                self._spawn()
            api, process = self._api, self._process
            assert api is not None and process is not None
            init_ms, self._init_duration_ms = self._init_duration_ms, None
            timeout = float(self.function_version.config.timeout or 3)
            started = time.monotonic()
            if api.init_error is not None:
                # Like AWS: the init error is the answer to the invocation, and the next
                # invocation initialises a fresh runtime.
                outcome = api.init_error
                self._teardown()
                timed_out_line = ""
            else:
                outcome, timed_out_line = self._run(api, process, request_id, payload, timeout)
            duration_ms = (time.monotonic() - started) * 1000
            logs = self._invocation_logs(process, request_id, duration_ms, init_ms, timed_out_line)
        return InvocationResult(
            request_id=request_id, payload=outcome.payload, is_error=outcome.is_error, logs=logs
        )

    def _run(
        self,
        api: RuntimeApi,
        process: RuntimeProcess,
        request_id: str,
        payload: dict[str, str],
        timeout: float,
    ) -> tuple[Outcome, str]:
        invocation = Invocation(
            request_id=request_id,
            payload=payload["payload"].encode(),
            invoked_function_arn=payload["invoked-function-arn"],
            deadline_ms=int((time.time() + timeout) * 1000),
            trace_id=payload.get("trace-id"),
        )
        try:
            return api.submit(invocation).result(timeout=timeout), ""
        except FutureTimeout:
            # LocalStack does not enforce the timeout: we do, and the next invoke starts afresh.
            self._peak_memory_mb = process.max_memory_mb()
            process.kill()
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            return (
                Outcome(_error_document("Sandbox.Timedout", message), True, "Sandbox.Timedout"),
                f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds\n",
            )
        except RuntimeGone as gone:
            message = f"RequestId: {request_id} Error: {gone}"
            return Outcome(_error_document("Runtime.ExitError", message), True, "Runtime.ExitError"), ""

    def _invocation_logs(
        self, process: RuntimeProcess, request_id: str, duration_ms: float, init_ms: float | None, extra: str
    ) -> str:
        """START / function output / END / REPORT, the lines Lambda writes to CloudWatch Logs."""
        config = self.function_version.config
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {config.memory_size} MB\t"
            f"Max Memory Used: {self._peak_memory_mb or process.max_memory_mb()} MB\t"
        )
        self._peak_memory_mb = None
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
        output = process.read_new_logs()
        if output and not output.endswith("\n"):
            output += "\n"
        version = self.function_version.id.qualifier
        start = f"START RequestId: {request_id} Version: {version}\n"
        return f"{start}{output}{extra}END RequestId: {request_id}\n{report}\n"

    # -- addresses and logs ------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        from localstack import config

        return f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        return self._process.all_logs() if self._process else ""

    # -- versions ----------------------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        config = function_version.config
        if config.code is None:
            raise LambdaRuntimeException(
                "Container image functions need Docker; the process executor runs zip functions only."
            )
        interpreter_for(config.runtime)
        config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to clean: the unzipped code belongs to LocalStack's code store."""

    @classmethod
    def validate_environment(cls) -> bool:
        root = runtimes_dir()
        if root is None or not root.is_dir():
            LOG.warning("LAMBDA_PROCESS_RUNTIMES_DIR=%s is not a folder: functions will fail to start.", root)
            return False
        return True


def stop_all() -> None:
    """Stop every live environment; runs at interpreter exit so no runtime outlives LocalStack."""
    with _LIVE_LOCK:
        executors = list(_LIVE.values())
    for executor in executors:
        try:
            executor.stop()
        except Exception:
            LOG.debug("could not stop execution environment %s", executor.id, exc_info=True)


atexit.register(stop_all)
