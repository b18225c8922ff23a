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


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class ClassQuality:
    """Counts for one event class; the rates are derived from them."""

    event_class: int
    readings: int  # labelled readings of this class's instances
    positives: int  # of which labelled as an event under way
    tp: int  # flagged and positive
    fp: int  # flagged and normal
    b_tp: int  # the same two for the baseline
    b_fp: int

    @property
    def negatives(self) -> int:
        return self.readings - self.positives

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp) if self.positives else None

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.positives)

    @property
    def false_positive_rate(self) -> float | None:
        return _ratio(self.fp, self.negatives)

    @property
    def baseline_precision(self) -> float | None:
        return _ratio(self.b_tp, self.b_tp + self.b_fp) if self.positives else None

    @property
    def baseline_recall(self) -> float | None:
        return _ratio(self.b_tp, self.positives)

    @property
    def baseline_false_positive_rate(self) -> float | None:
        return _ratio(self.b_fp, self.negatives)


def counts_sql(table: str = "curated_readings") -> str:
    monitored = schema.detection()["monitored"]
    stats = ", ".join(f"avg({n}) AS {n}_mean, stddev_samp({n}) AS {n}_sd" for n in monitored)
    outside = " OR ".join(
        f"coalesce(abs({n} - {n}_mean) > {BASELINE_SIGMAS} * {n}_sd, false)" for n in monitored
    )
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
    return [ClassQuality(*(int(value) for value in row)) for row in con.execute(counts_sql(table)).fetchall()]


def overall(rows: list[ClassQuality]) -> dict[str, float | None]:
    """Micro-averaged precision and recall over all labelled readings, flags and baseline."""
    positives = sum(r.positives for r in rows)
    tp, fp, b_tp, b_fp = (sum(getattr(r, name) for r in rows) for name in ("tp", "fp", "b_tp", "b_fp"))
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, positives),
        "baseline_precision": _ratio(b_tp, b_tp + b_fp),
        "baseline_recall": _ratio(b_tp, positives),
    }


def markdown(rows: list[ClassQuality]) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    lines = [
        "| class | readings | event readings | precision | recall | false positives | baseline "
        "precision | baseline recall | baseline false positives |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.event_class} | {r.readings} | {r.positives} | {pct(r.precision)} | {pct(r.recall)} | "
            f"{pct(r.false_positive_rate)} "
            f"| {pct(r.baseline_precision)} | {pct(r.baseline_recall)} | "
            f"{pct(r.baseline_false_positive_rate)} |"
        )
    return "\n".join(lines)
