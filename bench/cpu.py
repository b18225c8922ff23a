"""Where the CPU went during a benchmark: the processes of one host-mode LocalStack instance (found
by its marker, services/localstack/host.py), its function processes (the Lambda executor's pid
files) and the benchmark itself, grouped by role.

Processes come and go (function processes), so they are sampled during the run; each one's CPU
time is its last sample minus its first (zero for one that started during the run).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import psutil

from services.localstack.host import HostLocalStack, marked_processes


def role(process: psutil.Process) -> str:
    """LocalStack, kinesis-mock, a Lambda function by name, or the command."""
    if process.pid == os.getpid():
        return "benchmark (producer and curated watcher)"
    function = process.environ().get("AWS_LAMBDA_FUNCTION_NAME")
    if function:
        return f"function {function}"
    command = " ".join(process.cmdline())
    if "kinesis-local" in command:
        return "kinesis-mock (node)"
    if "localstack.runtime.main" in command:
        return "LocalStack (gateway, Kinesis proxy, Firehose, S3, SQS, event source mappings)"
    return command[:60] or process.name()


class CpuSampler:
    """Per-role CPU seconds between the first sample and the last."""

    def __init__(self, host: HostLocalStack):
        self.host = host
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.roles: dict[int, str] = {}
        self.started = time.monotonic()
        self.ended = self.started

    def sample(self) -> None:
        first_sample = not self.roles
        for pid in {*marked_processes(self.host.state_dir), *self.host.function_pids(), os.getpid()}:
            try:
                process = psutil.Process(pid)
                times = process.cpu_times()
                used = times.user + times.system  # not children's: they are sampled on their own
                if pid not in self.roles:
                    self.roles[pid] = role(process)
                    # running at the first sample: only what it uses from now on counts; started
                    # later: all of it counts
                    self.first[pid] = used if first_sample else 0.0
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.last[pid] = used
        self.ended = time.monotonic()

    def shares(self) -> list[str]:
        """Report lines: cores used per role over the sampled time, busiest first."""
        wall = max(self.ended - self.started, 1e-9)
        spent: defaultdict[str, float] = defaultdict(float)
        for pid, used in self.last.items():
            spent[self.roles[pid]] += used - self.first[pid]
        total = sum(spent.values())
        lines = [
            f"CPU over {wall:,.0f} s on {os.cpu_count()} cores: {total / wall:.2f} cores busy on average"
        ]
        lines += [
            f"  {seconds / wall:5.2f} cores  {name}"
            for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
        ]
        return lines
