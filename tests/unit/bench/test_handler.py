"""The handler benchmark's reference implements the processor's rules: same rows, same rejections."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bench.handler import reference_record
from pipeline.detector import Detector
from pipeline.stream import StreamRecord, StreamScorer
from producer.kinesis_writer import encode

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
        assert reference_record(_item(data), {}, Detector()) == row, data
