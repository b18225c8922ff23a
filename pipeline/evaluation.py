"""Detection quality: precision and recall of the flags against the 3W labels, per event class.

A reading is a positive when its label says an event is under way (label > 0: transient or
steady); the prediction is anomaly_flag. Per class, only that class's instances (3W files)
count, as in the 3W benchmark; class 0 has no positives, so it reports the false-positive rate.
The baseline is the usual fixed-threshold rule: a reading is flagged when any monitored sensor
is more than BASELINE_SIGMAS standard deviations from its mean over all normal readings. Its
thresholds are fitted on the very data it is scored on, which flatters it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline import schema

BASELINE_SIGMAS = 3.0


@dataclass(frozen=True)
class ClassQuality:
    event_class: int
    readings: int
    positives: int
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    baseline_precision: float | None
    baseline_recall: float | None
    baseline_false_positive_rate: float | None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def counts_sql(table: str = "curated_readings") -> str:
    monitored = schema.detection()["monitored"]
    stats = ", ".join(f"avg({n}) AS {n}_mean, stddev_samp({n}) AS {n}_sd" for n in monitored)
    outside = " OR ".join(f"coalesce(abs({n} - {n}_mean) > {BASELINE_SIGMAS} * {n}_sd, false)" for n in monitored)
    return f"""
WITH stats AS (SELECT {stats} FROM {table} WHERE label = 0),
scored AS (
  SELECT event_class, label > 0 AS positive, anomaly_flag AS flag, ({outside}) AS baseline
  FROM {table}, stats WHERE label IS NOT NULL
)
SELECT event_class, count(*) AS readings, count_if(positive) AS positives,
       count_if(flag AND positive) AS tp, count_if(flag AND NOT positive) AS fp,
       count_if(baseline AND positive) AS b_tp, count_if(baseline AND NOT positive) AS b_fp
FROM scored GROUP BY event_class ORDER BY event_class
"""


def quality(con: Any, table: str = "curated_readings") -> list[ClassQuality]:
    """Per-class quality of the pipeline's flags and of the baseline, from a DuckDB table or view."""
    rows = con.execute(counts_sql(table)).fetchall()
    result = []
    for event_class, readings, positives, tp, fp, b_tp, b_fp in rows:
        negatives = readings - positives
        result.append(
            ClassQuality(
                int(event_class), int(readings), int(positives),
                _ratio(tp, tp + fp) if positives else None, _ratio(tp, positives), _ratio(fp, negatives),
                _ratio(b_tp, b_tp + b_fp) if positives else None, _ratio(b_tp, positives), _ratio(b_fp, negatives),
            )
        )  # fmt: skip
    return result


def overall(con: Any, table: str = "curated_readings") -> dict[str, float | None]:
    """Micro-averaged precision and recall over all labelled readings, flags and baseline."""
    rows = con.execute(counts_sql(table)).fetchall()
    positives = sum(r[2] for r in rows)
    tp, fp, b_tp, b_fp = (sum(r[i] for r in rows) for i in (3, 4, 5, 6))
    return {
        "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, positives),
        "baseline_precision": _ratio(b_tp, b_tp + b_fp), "baseline_recall": _ratio(b_tp, positives),
    }  # fmt: skip


def markdown(rows: list[ClassQuality]) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    lines = [
        "| class | readings | event readings | precision | recall | false positives | baseline precision | baseline recall | baseline false positives |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.event_class} | {r.readings} | {r.positives} | {pct(r.precision)} | {pct(r.recall)} | {pct(r.false_positive_rate)} "
            f"| {pct(r.baseline_precision)} | {pct(r.baseline_recall)} | {pct(r.baseline_false_positive_rate)} |"
        )
    return "\n".join(lines)
