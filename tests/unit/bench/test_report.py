"""The benchmark report: ratios, target checks, and both renderings."""

from __future__ import annotations

import json

from bench.report import BenchResult, Measurement, ratio_text, write


def test_ratio_and_targets_on_the_value_and_on_the_ratio():
    fast = Measurement("throughput", 900.0, "records/s", reference=1000.0, target_ratio=0.8)
    slow = Measurement("throughput", 700.0, "records/s", reference=1000.0, target_ratio=0.8)
    cost = Measurement("cost", 6.0, "µs", higher_is_better=False, target=5.0)
    assert fast.ratio == 0.9 and fast.met is True
    assert slow.met is False
    assert cost.met is False and cost.ratio is None
    assert Measurement("plain", 1.0, "s").met is None


def test_write_renders_json_and_markdown(tmp_path):
    result = BenchResult(
        "stream handler",
        {"records": 10},
        [Measurement("cost", 6.0, "µs", higher_is_better=False, target=5.0, notes=["pydantic per record"])],
        1.5,
        ["top line"],
    )
    json_path, md_path = write([result], tmp_path)
    doc = json.loads(json_path.read_text())
    (measurement,) = doc["benchmarks"][0]["measurements"]
    assert measurement["met"] is False and measurement["value"] == 6.0
    text = md_path.read_text()
    assert "| stream handler | cost | 6 µs |" in text and "**no**" in text
    assert "pydantic per record" in text and "top line" in text


def test_a_ratio_far_below_one_keeps_its_digits() -> None:
    assert ratio_text(0.75) == "0.75×" and ratio_text(0.003864) == "0.0039×"
