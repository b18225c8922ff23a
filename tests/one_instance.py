"""A one-well, one-instance synthetic dataset on a day of its own, for integration tests whose
readings must be counted apart from every other test's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from producer.synthetic import SyntheticSpec, generate, write_dataset


def one_instance(folder: Path, minutes: int, start: datetime, seed: int) -> Path:
    spec = SyntheticSpec(wells=1, instances_per_well=1, instance_minutes=minutes, start=start, seed=seed)
    write_dataset(generate(spec), folder)
    return folder
