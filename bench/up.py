"""The time from a cold `make up` to healthy and applied: a new host-mode LocalStack with an empty
state folder and a new Terraform working copy (init from the provider mirror included), through
the same code `make up` runs (petrostream.deployment.up). The virtualenvs already exist: `make setup` is
not part of it.
"""

from __future__ import annotations

import dataclasses
import shutil

from bench.report import BenchResult, Measurement
from bench.workload import ROOT
from petrostream.deployment import up
from services.localstack.host import free_port
from services.settings import Settings


def run(records: int | None = None) -> BenchResult:
    """``records`` is accepted for a uniform command line and ignored."""
    state = ROOT / "state-cold-up"
    shutil.rmtree(state, ignore_errors=True)
    settings = dataclasses.replace(Settings.from_env(), state_dir=state, mode="host", port=free_port())
    started = up(settings)
    started.stack.stop()
    measurement = Measurement(
        "cold make up: healthy and applied",
        started.applied_seconds,
        "s",
        higher_is_better=False,
        notes=[
            f"LocalStack answered healthy after {started.healthy_seconds:.1f} s; "
            "the rest is building the zips and applying infra/"
        ],
    )
    return BenchResult(
        "cold make up", {"mode": "host", "state": "empty"}, [measurement], started.applied_seconds
    )
