"""A deterministic synthetic 3W dataset: the demo and the tests run on it.

It follows the 3W 2.0 layout (dataset/<class>/<well>_<timestamp>.parquet, timestamp index,
1 Hz, sensor columns in Pa, degrees C and m3/s, labels `class` and `state`). Each file is one
instance of one class: normal operation, then for classes 1-9 the event, labelled 100 + class
while it develops (classes 3 and 4 have no transient label in 3W) and class once steady.
Each class has its own signature, e.g. a spurious DHSV closure (class 2): P-TPT and T-TPT fall
over minutes while P-PDG rises. What real 3W wells show (tests/data/3w-real) is reproduced:
operating points that differ between wells by large factors (drawn log-uniformly over the ranges
the real wells span), an always-empty T-JUS-CKGL, and per well, for all its instances, the
sensor faults of real files: a dead sensor reading exactly 0 (P-PDG and QGL of WELL-00002, as in
real WELL-00002), a sensor frozen outside its physical range (P-JUS-CKGL at -3.009178e5 Pa on
WELL-00003, as on real WELL-00001) and a mis-scaled sensor next to good ones (P-PDG x 100 on
WELL-00004, as on real WELL-00021); within instances, a sensor frozen for six minutes, rows
without a label and short NaN gaps.

The same spec and seed give the same bytes: every random draw comes from one seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import schema

CLASSES = range(10)
NO_TRANSIENT = {3, 4}  # 3W has no transient label for severe slugging and flow instability
SENSORS = [str(f.source) for f in schema.sensors()]  # the 3W columns, in the schema's order
# Further 3W 2.0 columns, written empty as in many real files; the reader knows and skips them.
OTHER_COLUMNS = ["ABER-CKGL", "ABER-CKP", "ESTADO-DHSV", "P-JUS-CKP", "T-MON-CKP"]

# Steady-state change of each sensor (fraction of its normal level), and how long the
# transient lasts (seconds), per class.
SIGNATURES: dict[int, dict[str, float]] = {
    1: {"P-PDG": 0.04, "P-TPT": -0.05, "T-TPT": 0.02},  # abrupt increase of BSW
    2: {"P-PDG": 0.08, "P-TPT": -0.45, "T-TPT": -0.15, "P-MON-CKP": -0.35},  # spurious DHSV closure
    5: {"P-PDG": -0.10, "P-TPT": -0.15, "T-TPT": -0.05, "P-MON-CKP": -0.12},  # rapid productivity loss
    6: {"P-MON-CKP": 0.30, "P-TPT": 0.12, "T-JUS-CKP": -0.08},  # quick restriction in PCK
    7: {"P-MON-CKP": 0.15, "P-TPT": 0.06},  # scaling in PCK
    8: {"P-MON-CKP": 0.25, "P-TPT": 0.15, "T-JUS-CKP": -0.10},  # hydrate in production line
    9: {"QGL": -0.95, "P-JUS-CKGL": 0.20},  # hydrate in service line
}
TRANSIENT_SECONDS = {1: 300, 2: 240, 5: 360, 6: 120, 7: 480, 8: 300, 9: 240}
# Oscillating classes: (period seconds, amplitude fraction) per sensor.
OSCILLATIONS: dict[int, dict[str, tuple[float, float]]] = {
    3: {
        "P-TPT": (600, 0.10),
        "P-MON-CKP": (600, 0.12),
        "P-PDG": (600, 0.03),
        "T-TPT": (600, 0.02),
    },  # severe slugging
    4: {"P-TPT": (170, 0.05), "P-MON-CKP": (230, 0.06), "T-JUS-CKP": (170, 0.02)},  # flow instability
}


@dataclass(frozen=True)
class SyntheticSpec:
    wells: int = 6
    instances_per_well: int = 3
    instance_minutes: int = 30
    normal_lead_minutes: int = 10
    start: datetime = datetime(2025, 6, 1, tzinfo=UTC)
    seed: int = 3


@dataclass(frozen=True)
class Instance:
    well_id: str
    event_class: int
    start: datetime
    frame: pd.DataFrame  # 3W 2.0 columns, timestamp index

    @property
    def file_name(self) -> str:
        return f"{self.well_id}_{self.start.strftime('%Y%m%d%H%M%S')}.parquet"


# Range of each sensor's normal operating level over the real wells (tests/data/3w-real and
# the 3W paper): a well's level is drawn log-uniformly within it.
LEVEL_RANGES: dict[str, tuple[float, float]] = {
    "P-PDG": (1.5e7, 4.0e7),
    "P-TPT": (8.0e6, 2.2e7),
    "T-TPT": (20.0, 120.0),
    "P-MON-CKP": (1.2e6, 9.5e6),
    "T-JUS-CKP": (40.0, 170.0),
    "P-JUS-CKGL": (2.0e6, 1.0e7),
    "QGL": (0.05, 2.0),
}
# Per-well sensor faults of real files, kept in every instance of the well: sensor -> what it reads.
DEAD_AT_ZERO = {1: ("P-PDG", "QGL")}  # well index -> sensors reading exactly 0
FROZEN_OUT_OF_RANGE = {2: ("P-JUS-CKGL", -3.009178e5)}  # below the schema's physical minimum
MIS_SCALED = {3: ("P-PDG", 100.0)}  # a unit or scaling fault of the source: 3e9 Pa


def _well_levels(rng: np.random.Generator) -> dict[str, float]:
    """Normal operating level of each sensor for one well."""
    return {
        sensor: float(np.exp(rng.uniform(np.log(low), np.log(high))))
        for sensor, (low, high) in LEVEL_RANGES.items()
    }


def _noise(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """Red noise (AR(1)) of the given standard deviation: real sensors drift, not just jitter."""
    white = rng.normal(0.0, scale * np.sqrt(1 - 0.9**2), n)
    out = np.empty(n)
    level = rng.normal(0.0, scale)
    for i in range(n):
        level = 0.9 * level + white[i]
        out[i] = level
    return out


def _instance(
    spec: SyntheticSpec,
    rng: np.random.Generator,
    well_id: str,
    levels: dict[str, float],
    event_class: int,
    start: datetime,
) -> Instance:
    n = spec.instance_minutes * 60
    t = np.arange(n, dtype=float)
    onset = spec.normal_lead_minutes * 60
    labels = np.zeros(n)
    shape = np.zeros(n)  # 0 before the event, rising to 1 over the transient
    if event_class:
        transient = 0 if event_class in NO_TRANSIENT else TRANSIENT_SECONDS[event_class]
        steady_from = onset + transient
        labels[onset:steady_from] = 100 + event_class
        labels[steady_from:] = event_class
        if transient:
            ramp = (t[onset:steady_from] - onset) / transient
            shape[onset:steady_from] = 0.5 - 0.5 * np.cos(np.pi * ramp)  # smooth S-curve
        shape[steady_from:] = 1.0
    data: dict[str, np.ndarray] = {}
    for sensor, level in levels.items():
        relative = 1.0 + _noise(rng, n, 0.0015)
        relative += SIGNATURES.get(event_class, {}).get(sensor, 0.0) * shape
        if sensor in OSCILLATIONS.get(event_class, {}):
            period, amplitude = OSCILLATIONS[event_class][sensor]
            phase = rng.uniform(0, 2 * np.pi)
            active = (t >= onset).astype(float)
            relative += active * amplitude * np.sin(2 * np.pi * (t - onset) / period + phase)
        data[sensor] = level * relative
    data["T-JUS-CKGL"] = np.full(n, np.nan)  # empty in every file, as in many real ones
    frame = pd.DataFrame(
        data, index=pd.DatetimeIndex([start + timedelta(seconds=int(s)) for s in t], name="timestamp")
    )
    frame = frame[SENSORS]
    for column in OTHER_COLUMNS:
        frame[column] = np.nan
    frame["class"] = labels
    frame["state"] = 0.0
    return Instance(well_id, event_class, start, frame)


def _column(frame: pd.DataFrame, name: str) -> int:
    """Position of a column, for iloc (which takes positions only)."""
    return list(frame.columns).index(name)


def _add_quirks(instances: list[Instance], rng: np.random.Generator) -> None:
    """Frozen values, missing labels and NaN gaps, at seeded places."""
    for index, instance in enumerate(instances):
        frame = instance.frame
        n = len(frame)
        for _ in range(2):  # short NaN gaps in random sensors
            sensor = SENSORS[int(rng.integers(0, 6))]
            at = int(rng.integers(60, n - 30))
            frame.iloc[at : at + int(rng.integers(3, 15)), _column(frame, sensor)] = np.nan
        if index % 5 == 1:  # a stretch without labels
            at = int(rng.integers(60, n - 60))
            frame.iloc[at : at + 30, _column(frame, "class")] = np.nan
        if index % 7 == 3:  # a sensor frozen at its last value for six minutes
            at = int(rng.integers(60, n - 420))
            column = _column(frame, "P-PDG")
            frame.iloc[at : at + 360, column] = frame["P-PDG"].to_numpy()[at]


def _add_sensor_faults(instance: Instance, well: int) -> None:
    """The per-well faults of real files (DEAD_AT_ZERO, FROZEN_OUT_OF_RANGE, MIS_SCALED)."""
    frame = instance.frame
    for sensor in DEAD_AT_ZERO.get(well, ()):
        frame[sensor] = 0.0
    if well in FROZEN_OUT_OF_RANGE:
        sensor, value = FROZEN_OUT_OF_RANGE[well]
        frame[sensor] = value
    if well in MIS_SCALED:
        sensor, factor = MIS_SCALED[well]
        frame[sensor] = frame[sensor] * factor


def generate(spec: SyntheticSpec = SyntheticSpec()) -> list[Instance]:
    """Every class 0-9 appears at least once when wells x instances_per_well >= 10."""
    rng = np.random.default_rng(spec.seed)
    instances = []
    for w in range(spec.wells):
        well_id = f"WELL-{w + 1:05d}"
        levels = _well_levels(rng)
        for k in range(spec.instances_per_well):
            event_class = CLASSES[(w * spec.instances_per_well + k) % len(CLASSES)]
            # One instance per hour per well, staggered so wells do not change in lockstep.
            start = spec.start + timedelta(hours=k, minutes=(w * 3) % 20)
            instances.append(_instance(spec, rng, well_id, levels, event_class, start))
            _add_sensor_faults(instances[-1], w)
    _add_quirks(instances, rng)
    return instances


def write_dataset(instances: list[Instance], root: Path) -> list[Path]:
    """Write instances in the 3W 2.0 layout under root (root/<class>/<file>.parquet)."""
    paths = []
    for instance in instances:
        path = root / str(instance.event_class) / instance.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        instance.frame.to_parquet(path, engine="pyarrow", compression="zstd")
        paths.append(path)
    return sorted(paths)
