"""Per-well detection: warm-up, each detector, held baselines across hours and days, late
readings, gaps, dead sensors, configured limits, and the state's JSON round trip."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from pipeline.detector import Detector, Limits, Parameters, Score, WellState

P = Parameters.from_schema()
WELL = "WELL-00001"
LEVEL = 2.0e7  # p_tpt, Pa
START = datetime(2025, 6, 1, 23, 30, tzinfo=UTC).timestamp()


def _values(p_tpt: float | None, **others: float | None) -> dict[str, float | None]:
    """A reading with p_tpt, a live temperature and whatever else is given."""
    return {"p_tpt": p_tpt, "t_tpt": others.pop("t_tpt", 100.0), **others}


def _noise(i: int) -> float:
    """Deterministic noise of about 0.02% of the level: what a quiet real pressure shows."""
    return LEVEL * 2e-4 * math.sin(i * 1.7) * math.cos(i * 0.31)


def _run(series: list[float | None], detector: Detector | None = None, start: float = START) -> list[Score]:
    detector = detector or Detector()
    state = WellState()
    return [detector.score(WELL, state, start + i, _values(v)) for i, v in enumerate(series)]


def test_no_reading_is_scored_during_warm_up_and_normal_noise_is_never_flagged():
    warmup = int(P.warmup_seconds)
    step = [LEVEL * 1.2] * 10
    scores = _run([LEVEL + _noise(i) for i in range(5)] + step + [LEVEL + _noise(i) for i in range(3600)])
    assert not any(s.flag for s in scores[:warmup])  # a step during warm-up is learned, not flagged
    quiet = _run([LEVEL + _noise(i) for i in range(3600)])
    assert not any(s.flag for s in quiet)


def test_a_step_is_flagged_at_once_by_rate_and_zscore_and_stays_flagged_while_it_holds():
    before = [LEVEL + _noise(i) for i in range(900)]
    during = [LEVEL * 1.05 + _noise(i) for i in range(900)]
    scores = _run(before + during)
    assert not any(s.flag for s in scores[:900])
    onset = scores[900]
    assert onset.flag and "zscore" in onset.types
    assert "rate_of_change" in {t for s in scores[900:960] for t in s.types}
    assert all(s.flag for s in scores[900:])  # the held baseline keeps a steady event flagged


def test_an_event_across_midnight_keeps_its_state():
    """The state knows no hours or days: an event starting at 23:58 is still flagged after 00:00."""
    start = datetime(2025, 6, 1, 23, 43, tzinfo=UTC).timestamp()
    series = [LEVEL + _noise(i) for i in range(900)] + [LEVEL * 0.95 + _noise(i) for i in range(600)]
    scores = _run(series, start=start)
    midnight = int(datetime(2025, 6, 2, tzinfo=UTC).timestamp() - start)
    assert 900 < midnight < 1500
    assert all(s.flag for s in scores[900:])
    assert scores[midnight].flag and scores[midnight + 1].flag


def test_a_late_reading_is_scored_but_changes_nothing():
    detector, state = Detector(), WellState()
    for i in range(600):
        detector.score(WELL, state, START + i, _values(LEVEL + _noise(i)))
    before = json.dumps(state.to_json())
    late = detector.score(WELL, state, START + 100, _values(LEVEL * 1.3))
    assert late.flag and "late" in late.notes
    again = detector.score(WELL, state, START + 599, _values(LEVEL + _noise(599)))  # a replay
    assert "late" in again.notes and not again.flag
    assert json.dumps(state.to_json()) == before


def test_a_gap_longer_than_the_reset_gap_starts_the_well_afresh():
    """3W instances of one well are hours apart, at other operating points: no alarm for that."""
    detector, state = Detector(), WellState()
    for i in range(900):
        detector.score(WELL, state, START + i, _values(LEVEL + _noise(i)))
    later = START + 900 + P.reset_gap_seconds + 1
    after_gap = [detector.score(WELL, state, later + i, _values(LEVEL * 1.5 + _noise(i))) for i in range(900)]
    assert not any(s.flag for s in after_gap)
    # without the gap the same readings are an event
    state, short = WellState(), START + 900 + 5
    for i in range(900):
        detector.score(WELL, state, START + i, _values(LEVEL + _noise(i)))
    assert detector.score(WELL, state, short, _values(LEVEL * 1.5)).flag


def test_dead_and_empty_sensors_raise_no_alarm():
    detector, state = Detector(), WellState()
    scores = [
        detector.score(WELL, state, START + i, _values(LEVEL + _noise(i), p_pdg=0.0, qgl=0.0, p_mon_ckp=None))
        for i in range(int(P.frozen_seconds) + 600)
    ]
    assert not any(s.flag for s in scores)
    assert "missing:p_mon_ckp" in scores[-1].notes
    assert "frozen:p_pdg" in scores[-1].notes  # noted as a data-quality issue, not alarmed


def test_a_sensor_that_freezes_after_moving_is_reported_once_as_a_fault_not_an_anomaly():
    series = [LEVEL + _noise(i) for i in range(600)]
    series += [series[-1]] * (int(P.frozen_seconds) + 10)
    series += [LEVEL + _noise(i) for i in range(10)] + [LEVEL] * (int(P.frozen_seconds) + 10)
    scores = _run(series)
    assert not any(s.flag for s in scores)
    assert "frozen:p_tpt" in scores[600 + int(P.frozen_seconds)].notes
    faults = [(i, s.faults) for i, s in enumerate(scores) if s.faults]
    # once per freeze: when it starts, and again after the sensor moved and froze anew
    assert [f for _, f in faults] == [(("frozen", "p_tpt"),)] * 2
    assert faults[0][0] == 600 - 1 + int(P.frozen_seconds)


def test_configured_limits_replace_the_learned_envelope_of_that_well_only():
    limits = {WELL: {"p_tpt": Limits(max=LEVEL * 1.001)}}
    detector = Detector(overrides=limits)
    state, other = WellState(), WellState()
    for i in range(600):
        value = LEVEL * (1 + 2e-4 * math.sin(i))
        detector.score(WELL, state, START + i, _values(value))
        detector.score("WELL-00002", other, START + i, _values(value))
    over = _values(LEVEL * 1.003)
    assert detector.score(WELL, state, START + 600, over).types == ("envelope",)
    assert not detector.score("WELL-00002", other, START + 600, over).flag


@pytest.mark.parametrize("cut", [1, 299, 300, 901])
def test_the_state_survives_its_json_round_trip(cut):
    series = [LEVEL + _noise(i) for i in range(900)] + [LEVEL * 1.05] * 300
    detector = Detector()
    straight = _run(series, detector)
    state = WellState()
    scores = [detector.score(WELL, state, START + i, _values(v)) for i, v in enumerate(series[:cut])]
    state = WellState.from_json(json.loads(json.dumps(state.to_json())))
    scores += [detector.score(WELL, state, START + cut + i, _values(v)) for i, v in enumerate(series[cut:])]
    assert scores == straight


def test_a_state_of_another_layout_is_not_misread():
    document = WellState().to_json() | {"version": 0}
    assert WellState.from_json(document) == WellState()
