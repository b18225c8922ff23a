"""The stream handler benchmark's reference: the detectors of pipeline/detector.py written plainly,
one reading at a time, as one would first write them: a dict per sensor, every smoothing factor
computed from math.exp at every step, no precomputed notes or per-kind floors.

It must give every reading the same flag, types, score and notes as pipeline.detector.Detector
(bench/handler.py checks this on the whole workload before timing either), so it doubles as a
second reading of the algorithm. Fault reporting (once per sensor, an alert of its own) is left
out: it changes no row.
"""

from __future__ import annotations

import math
from typing import Any

from pipeline import schema
from pipeline.detector import DETECTORS, SCORE_CAP, Parameters


class ReferenceDetector:
    def __init__(self) -> None:
        self.p = Parameters.from_schema()
        self.wells: dict[str, dict[str, Any]] = {}

    def score(
        self, well_id: str, moment: float, values: dict[str, Any], aside: dict[str, float]
    ) -> tuple[bool, tuple[str, ...], float, tuple[str, ...]]:
        """(flag, detector types, score, notes) of one reading, and the well's state advanced."""
        p = self.p
        well = self.wells.setdefault(well_id, {"watermark": None, "sensors": {}})
        late = well["watermark"] is not None and moment <= well["watermark"]
        if not late and well["watermark"] is not None and moment - well["watermark"] > p.reset_gap_seconds:
            well["sensors"] = {}
        notes = []
        for sensor in schema.sensors():
            if values.get(sensor.name) is None:
                kind = "out_of_range" if sensor.name in aside else "missing"
                notes.append(f"{kind}:{sensor.name}")
        scores = {"envelope": 0.0, "rate_of_change": 0.0, "zscore": 0.0}
        for name in p.monitored:
            value = values.get(name)
            if value is None:
                continue
            s = well["sensors"].get(name)
            if s is not None and not late and moment - s["seen"] > p.reset_gap_seconds:
                s = None
            if s is None:
                if not late:
                    well["sensors"][name] = new_sensor(value, moment)
                continue
            floor = p.floor.get(schema.field(name).kind or "", 0.0)
            now = well["watermark"] if late and well["watermark"] else moment
            warm = now - s["since"] >= p.warmup_seconds
            frozen_for = moment - s["last_change"] if value == s["last"] else 0.0
            if frozen_for >= p.frozen_seconds:
                notes.append(f"frozen:{name}")
            deviating = False
            if warm:
                spread = math.sqrt(s["var"])
                magnitude = abs(s["level"])
                z = abs(value - s["level"]) / max(
                    p.zscore_sigmas * spread, p.relative_tolerance * magnitude, floor
                )
                deviating = z > p.release
                scores["zscore"] = max(scores["zscore"], z)
                rate_tolerance = max(p.rate_sigmas * spread, p.relative_rate_tolerance * magnitude, floor)
                scores["rate_of_change"] = max(
                    scores["rate_of_change"], abs(s["fast"] - s["slow"]) / rate_tolerance
                )
                margin = max(p.envelope_margin * magnitude, floor)
                if value > s["high"] + margin:
                    scores["envelope"] = max(
                        scores["envelope"], 1.0 + (value - (s["high"] + margin)) / margin
                    )
                elif value < s["low"] - margin:
                    scores["envelope"] = max(scores["envelope"], 1.0 + ((s["low"] - margin) - value) / margin)
            if not late:
                learn(p, s, value, moment, warm, deviating)
        if late:
            notes.append("late")
        else:
            well["watermark"] = moment
        types = tuple(name for name in DETECTORS if scores[name] > 1.0)
        top = min(max(scores.values()), SCORE_CAP)
        return bool(types), types, round(top, 6), tuple(notes)


def new_sensor(value: float, moment: float) -> dict[str, Any]:
    return {
        "since": moment,
        "n": 1,
        "seen": moment,
        "level": value,
        "var": 0.0,
        "fast": value,
        "slow": value,
        "low": value,
        "high": value,
        "last": value,
        "last_change": moment,
    }


def alpha(dt: float, tau: float) -> float:
    return 1.0 - math.exp(-dt / tau) if dt > 0 else 0.0


def learn(p: Parameters, s: dict[str, Any], value: float, moment: float, warm: bool, deviating: bool) -> None:
    dt = moment - s["seen"]
    s["n"] += 1
    s["seen"] = moment
    if value != s["last"]:
        s["last"] = value
        s["last_change"] = moment
    s["fast"] += alpha(dt, p.fast_tau_seconds) * (value - s["fast"])
    s["slow"] += alpha(dt, p.slow_tau_seconds) * (value - s["slow"])
    if warm and deviating:
        s["level"] += alpha(dt, p.episode_tau_seconds) * (value - s["level"])
        return
    a = alpha(dt, p.level_tau_seconds) if warm else max(1.0 / s["n"], alpha(dt, p.level_tau_seconds))
    delta = value - s["level"]
    s["level"] += a * delta
    s["var"] = (1.0 - a) * (s["var"] + a * delta * delta)
    s["low"], s["high"] = min(s["low"], value), max(s["high"], value)
