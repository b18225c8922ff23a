"""Per-well anomaly detection that runs in the stream processor, one reading at a time.

Each well carries a small state (WellState) from reading to reading, in event-time order: per
sensor, exponentially weighted statistics of the well's own normal readings. The state is O(1) in
the window lengths (a few numbers per sensor, under 2 KB per well as JSON), so the stream
processor can load it from S3 and commit it back with every batch (pipeline/state_store.py), and
the flags of a reading depend only on the readings of its well before it, never on how the
stream was batched, retried or split into hours.

Why exponentially weighted statistics rather than a rolling window: a rolling z-score needs the
window's readings (600 floats per sensor per well) in the state; an EWMA needs two numbers and
tracks the same slow drift. Real 3W wells run at operating points that differ by large factors,
so no threshold is absolute: every tolerance is the largest of a multiple of the well's own
spread, a fraction of its own level, and a small per-kind floor (schema.json, "detection").

Detectors of the process (each score is 1.0 at its threshold; a reading is flagged when any is
above 1):
- zscore: distance from the well's learned level, in tolerances. The level and spread learn only
  from readings the detector does not flag; while a sensor deviates its level adapts with a much
  longer time constant, so a steady event stays flagged for its duration and a permanent change
  of operating point clears in the end.
- rate_of_change: a fast EWMA against a slower one, in tolerances: a sudden move, at its onset.
- envelope: outside the well's operating envelope: the range of its own normal readings, widened
  by a margin, or the limits configured for that well (Detector overrides).
Detectors of the sensors, reported once per sensor as a data-quality fault (Score.faults, an
alert of its own) and noted on each reading, but not flagged as an anomaly of the well:
- frozen: a sensor that had been changing shows the same value for frozen_seconds. Real 3W
  historians hold a value for many minutes in normal operation, so this is long. A sensor that
  never changed since the well's state began (dead, or exactly 0 for the whole instance) and a
  sensor with no values raise nothing: they get a quality note only.
- implausible: a sensor whose values validation set aside (out of physical range) for
  implausible_seconds, such as a mis-scaled one next to good ones.

Warm-up: a sensor is scored only after warmup_seconds of its readings; until then the well's
state learns. A gap of more than reset_gap_seconds in a well's readings resets its state (3W
instances of one well are hours or days apart, at different operating points). A reading at or
before the well's watermark (the time of the last reading that advanced the state) is late: it
is scored against the current state, changes nothing, and is noted "late".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline import schema

SCORE_CAP = 10.0
STATE_VERSION = 1


@dataclass(frozen=True)
class Limits:
    """Configured operating limits of one sensor of one well (either side may be open)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Parameters:
    """Detection parameters, from schema.json's "detection" section (one source of truth)."""

    warmup_seconds: float
    reset_gap_seconds: float
    level_tau_seconds: float
    episode_tau_seconds: float
    fast_tau_seconds: float
    slow_tau_seconds: float
    zscore_sigmas: float
    relative_tolerance: float
    rate_sigmas: float
    relative_rate_tolerance: float
    envelope_margin: float
    frozen_seconds: float
    implausible_seconds: float
    release: float
    floor: Mapping[str, float]
    monitored: tuple[str, ...]

    @classmethod
    def from_schema(cls) -> Parameters:
        d = schema.detection()
        return cls(
            warmup_seconds=float(d["warmup_seconds"]),
            reset_gap_seconds=float(d["reset_gap_seconds"]),
            level_tau_seconds=float(d["level_tau_seconds"]),
            episode_tau_seconds=float(d["episode_tau_seconds"]),
            fast_tau_seconds=float(d["fast_tau_seconds"]),
            slow_tau_seconds=float(d["slow_tau_seconds"]),
            zscore_sigmas=float(d["zscore_sigmas"]),
            relative_tolerance=float(d["relative_tolerance"]),
            rate_sigmas=float(d["rate_sigmas"]),
            relative_rate_tolerance=float(d["relative_rate_tolerance"]),
            envelope_margin=float(d["envelope_margin"]),
            frozen_seconds=float(d["frozen_seconds"]),
            implausible_seconds=float(d["implausible_seconds"]),
            release=float(d["release"]),
            floor={kind: float(v) for kind, v in d["floor"].items()},
            monitored=tuple(d["monitored"]),
        )


class SensorState:
    """What one sensor of one well carries between readings. Plain slots: the hot path."""

    __slots__ = (
        "changed",
        "fast",
        "high",
        "last",
        "last_change",
        "level",
        "low",
        "n",
        "seen",
        "since",
        "slow",
        "var",
    )

    def __init__(self, value: float, moment: float) -> None:
        self.since = moment  # event time (epoch s) of its first reading since the last reset
        self.n = 1  # readings since then
        self.seen = moment  # event time of its last reading
        self.level = value  # EWMA of normal readings
        self.var = 0.0  # EW variance of normal readings around the level
        self.fast = value  # EWMA, fast_tau (rate of change)
        self.slow = value  # EWMA, slow_tau (rate of change)
        self.low = value  # range of normal readings (envelope)
        self.high = value
        self.last = value  # last value and when it last changed (frozen)
        self.last_change = moment
        self.changed = False  # has it changed at all since `since`

    def to_list(self) -> list[Any]:
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_list(cls, values: list[Any]) -> SensorState:
        state = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values, strict=True):
            setattr(state, name, value)
        return state


@dataclass
class WellState:
    """A well's detection state. watermark: event time (epoch s) of the last reading applied."""

    watermark: float | None = None
    sensors: dict[str, SensorState] = field(default_factory=dict)
    applied: int = 0  # readings applied since the state began (for logs and tests)
    implausible: dict[str, float] = field(default_factory=dict)  # sensor -> start of its out-of-range run
    reported: list[str] = field(default_factory=list)  # faults reported, as "<fault>:<sensor>"

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "watermark": self.watermark,
            "applied": self.applied,
            "implausible": self.implausible,
            "reported": self.reported,
            "fields": list(SensorState.__slots__),
            "sensors": {name: s.to_list() for name, s in self.sensors.items()},
        }

    def reset(self) -> None:
        """Forget everything learned: after a gap, the well is treated as a new instance."""
        self.sensors.clear()
        self.implausible.clear()
        self.reported.clear()

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> WellState:
        if document.get("version") != STATE_VERSION or document.get("fields") != list(SensorState.__slots__):
            return cls()  # a state of another layout: start afresh rather than misread it
        return cls(
            watermark=document["watermark"],
            applied=document["applied"],
            implausible=dict(document["implausible"]),
            reported=list(document["reported"]),
            sensors={name: SensorState.from_list(v) for name, v in document["sensors"].items()},
        )

    def copy(self) -> WellState:
        return WellState.from_json(self.to_json())


@dataclass(frozen=True)
class Score:
    """The detectors' verdict on one reading."""

    flag: bool
    types: tuple[str, ...]  # detectors above threshold, in DETECTORS order
    score: float  # the largest detector score, capped at SCORE_CAP
    notes: tuple[str, ...]  # data-quality notes: missing:, out_of_range:, frozen:, late
    faults: tuple[tuple[str, str], ...] = ()  # (fault, sensor) found by this reading: frozen, implausible


DETECTORS: tuple[str, ...] = ("envelope", "rate_of_change", "zscore")


def _alpha(dt: float, tau: float) -> float:
    return 1.0 - math.exp(-dt / tau) if dt > 0 else 0.0


class Detector:
    """Scores readings of any number of wells, each against its own WellState."""

    def __init__(
        self,
        parameters: Parameters | None = None,
        overrides: Mapping[str, Mapping[str, Limits]] | None = None,
    ) -> None:
        self.p = parameters or Parameters.from_schema()
        self.overrides = overrides or {}
        # per monitored sensor, what the hot loop needs: (name, floor of its kind, frozen note)
        self._monitored = tuple(
            (name, self.p.floor.get(schema.field(name).kind or "", 0.0), f"frozen:{name}")
            for name in self.p.monitored
        )
        self._sensors = tuple(f.name for f in schema.sensors())
        self._missing = {name: f"missing:{name}" for name in self._sensors}
        self._out_of_range = {name: f"out_of_range:{name}" for name in self._sensors}
        self._alphas: dict[float, tuple[float, float, float, float]] = {}

    def alphas(self, dt: float) -> tuple[float, float, float, float]:
        """(fast, slow, level, episode) smoothing factors for a step of dt seconds. Readings are
        1 Hz, so nearly every step is the same: computed once per distinct dt (a hot path)."""
        found = self._alphas.get(dt)
        if found is None:
            if len(self._alphas) > 4096:
                self._alphas.clear()
            p = self.p
            found = self._alphas[dt] = (
                _alpha(dt, p.fast_tau_seconds),
                _alpha(dt, p.slow_tau_seconds),
                _alpha(dt, p.level_tau_seconds),
                _alpha(dt, p.episode_tau_seconds),
            )
        return found

    def score(
        self,
        well_id: str,
        state: WellState,
        moment: float,
        values: Mapping[str, Any],
        set_aside: Mapping[str, float] | None = None,
    ) -> Score:
        """Score one reading (moment: event time, epoch seconds) and advance the state with it,
        unless it is late (at or before the watermark), when the state is left unchanged.

        set_aside: the reading's values that validation set aside as out of their physical range
        (missing in `values`); a sensor out of range for implausible_seconds is reported once."""
        late = state.watermark is not None and moment <= state.watermark
        if not late and state.watermark is not None and moment - state.watermark > self.p.reset_gap_seconds:
            state.reset()
        p = self.p
        aside = set_aside or {}
        notes = [
            self._out_of_range[name] if name in aside else self._missing[name]
            for name in self._sensors
            if values.get(name) is None
        ]
        faults = [] if late else self._implausible(state, moment, aside)
        envelope_score = rate_score = z_score = 0.0
        limits = self.overrides.get(well_id)
        sensors = state.sensors
        for name, floor, frozen_note in self._monitored:
            value = values.get(name)
            if value is None:
                continue
            sensor = sensors.get(name)
            if sensor is not None and not late and moment - sensor.seen > p.reset_gap_seconds:
                sensor = None  # silent for longer than the reset gap: it starts afresh
            if sensor is None:
                if not late:
                    sensors[name] = SensorState(value, moment)
                continue
            spread = math.sqrt(sensor.var)
            magnitude = abs(sensor.level)
            # a late reading is judged by the state as it stands: warm if the well is warm now
            warm = (
                state.watermark if late and state.watermark else moment
            ) - sensor.since >= p.warmup_seconds
            frozen_for = moment - sensor.last_change if value == sensor.last else 0.0
            if frozen_for >= p.frozen_seconds:
                notes.append(frozen_note)
                if sensor.changed and not late and frozen_note not in state.reported:
                    state.reported.append(frozen_note)
                    faults.append(("frozen", name))
            elif value != sensor.last and not late and frozen_note in state.reported:
                state.reported.remove(frozen_note)  # it moves again: a new freeze is news
            deviating = False
            if warm:
                tolerance = max(p.zscore_sigmas * spread, p.relative_tolerance * magnitude, floor)
                z = abs(value - sensor.level) / tolerance
                deviating = z > p.release
                if z > z_score:
                    z_score = z
                rate_tolerance = max(p.rate_sigmas * spread, p.relative_rate_tolerance * magnitude, floor)
                rate = abs(sensor.fast - sensor.slow) / rate_tolerance
                if rate > rate_score:
                    rate_score = rate
                envelope = limits.get(name) if limits else None
                margin = max(p.envelope_margin * magnitude, floor)
                low = envelope.min if envelope and envelope.min is not None else sensor.low - margin
                high = envelope.max if envelope and envelope.max is not None else sensor.high + margin
                if value > high:
                    envelope_score = max(envelope_score, 1.0 + (value - high) / margin)
                elif value < low:
                    envelope_score = max(envelope_score, 1.0 + (low - value) / margin)
            if late:
                continue
            dt = moment - sensor.seen  # since this sensor's last reading (it may have been silent)
            self._learn(sensor, value, moment, dt, warm, deviating)
        if late:
            notes.append("late")
        else:
            state.watermark = moment
            state.applied += 1
        scores = (envelope_score, rate_score, z_score)  # in DETECTORS order
        types = tuple(name for name, value in zip(DETECTORS, scores, strict=True) if value > 1.0)
        top = min(max(scores), SCORE_CAP)
        return Score(bool(types), types, round(top, 6), tuple(notes), tuple(faults))

    def _implausible(
        self, state: WellState, moment: float, aside: Mapping[str, float]
    ) -> list[tuple[str, str]]:
        """Track runs of out-of-range values per sensor; report those that just became long enough."""
        for name in list(state.implausible):
            if name not in aside:
                del state.implausible[name]  # the run ended
        found: list[tuple[str, str]] = []
        for name in aside:
            since = state.implausible.setdefault(name, moment)
            if moment - since >= self.p.implausible_seconds and f"implausible:{name}" not in state.reported:
                state.reported.append(f"implausible:{name}")
                found.append(("implausible", name))
        return found

    def _learn(
        self, sensor: SensorState, value: float, moment: float, dt: float, warm: bool, deviating: bool
    ) -> None:
        sensor.n += 1
        sensor.seen = moment
        if value != sensor.last:
            sensor.changed = True
            sensor.last = value
            sensor.last_change = moment
        a_fast, a_slow, a_level, a_episode = self.alphas(dt)
        sensor.fast += a_fast * (value - sensor.fast)
        sensor.slow += a_slow * (value - sensor.slow)
        if not warm:
            # warm-up: plain running mean and variance of the first readings, then EW from there
            a = max(1.0 / sensor.n, a_level)
            delta = value - sensor.level
            sensor.level += a * delta
            sensor.var = (1.0 - a) * (sensor.var + a * delta * delta)
            sensor.low, sensor.high = min(sensor.low, value), max(sensor.high, value)
        elif not deviating:
            a = a_level
            delta = value - sensor.level
            sensor.level += a * delta
            sensor.var = (1.0 - a) * (sensor.var + a * delta * delta)
            sensor.low, sensor.high = min(sensor.low, value), max(sensor.high, value)
        else:
            sensor.level += a_episode * (value - sensor.level)
