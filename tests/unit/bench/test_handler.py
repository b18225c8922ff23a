"""The handler benchmark's reference implements the processor's rules and detectors: same rows,
same rejections, same scores."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from bench.handler import reference_record
from bench.reference_detector import ReferenceDetector
from pipeline.detector import Detector, WellState
from pipeline.kinesis_writer import encode
from pipeline.stream import StreamRecord, StreamScorer

GOOD = {
    "event_id": "e1",
    "event_time": "2025-06-01T00:00:00Z",
    "well_id": "WELL-00001",
    "source_file": "f.parquet",
    "run_id": "r",
    "label": 0,
    "event_class": 0,
    "p_pdg": 1.0e7,
    "p_tpt": 8.0e6,
    "t_tpt": 120.0,
    "p_mon_ckp": 5.0e6,
    "t_jus_ckp": 70.0,
    "p_jus_ckgl": None,
    "t_jus_ckgl": None,
    "qgl": 0.5,
}


def _item(data: bytes) -> StreamRecord:
    return StreamRecord("1", "WELL-00001", datetime(2025, 6, 1, tzinfo=UTC), data)


def test_reference_agrees_with_the_processor_on_good_and_bad_records():
    cases = [
        encode(GOOD),
        encode({**GOOD, "p_pdg": "1"}),  # a number as a string
        encode({**GOOD, "extra": 1}),  # an unknown field
        encode({k: v for k, v in GOOD.items() if k != "well_id"}),  # a required field missing
        encode({**GOOD, "t_tpt": 999.0}),  # outside the physical range: set aside
        json.dumps({**GOOD, "p_pdg": float("nan")}).encode(),  # NaN counts as missing
        b"{not json",
    ]
    for data in cases:
        row, _ = StreamScorer(Detector()).process(_item(data))
        assert reference_record(_item(data), ReferenceDetector()) == row, data


def _readings() -> list[tuple[float, dict[str, float | None]]]:
    """Two hours of one well: warm-up, noise, a step (flagged, then adapted to), a frozen sensor,
    a silent sensor, a late reading, then a gap that resets the well."""
    rng = random.Random(7)
    start = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
    out: list[tuple[float, dict[str, float | None]]] = []
    for second in range(7200):
        step = 4.0e5 if second >= 1800 else 0.0
        values: dict[str, float | None] = {
            "p_pdg": 1.0e7 + step + rng.gauss(0, 2.0e3),
            "p_tpt": 8.0e6 + rng.gauss(0, 2.0e3),
            "t_tpt": 120.0 if 2400 <= second < 6500 else 120.0 + rng.gauss(0, 0.05),  # frozen for a while
            "p_mon_ckp": None if 1000 <= second < 1100 else 5.0e6 + rng.gauss(0, 1.0e3),
            "t_jus_ckp": 70.0 + rng.gauss(0, 0.05),
            "qgl": 0.5 + rng.gauss(0, 0.001),
        }
        out.append((start + second, values))
        if second == 2000:
            out.append((start + 1990, dict(values)))  # late
    after_gap = start + 7200 + 700
    out += [(after_gap + s, {"p_pdg": 2.0e7 + rng.gauss(0, 1e3)}) for s in range(400)]
    return out


def test_reference_detectors_score_every_reading_like_the_detector():
    detector, reference, state = Detector(), ReferenceDetector(), WellState()
    flagged = frozen = 0
    for moment, values in _readings():
        score = detector.score("WELL-00001", state, moment, values, {})
        assert reference.score("WELL-00001", moment, values, {}) == (
            score.flag,
            score.types,
            score.score,
            score.notes,
        ), datetime.fromtimestamp(moment, UTC)
        flagged += score.flag
        frozen += "frozen:t_tpt" in score.notes
    assert flagged > 0 and frozen > 0  # the comparison covered the scoring and the frozen paths
