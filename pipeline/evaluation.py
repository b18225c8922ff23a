"""Detection quality: precision and recall of the flags against the 3W labels, per event class.

A reading is a positive when its label says an event is under way (label > 0: transient or
steady); the prediction is anomaly_flag. Per class, only that class's instances (3W files)
count, as in the 3W benchmark; class 0 has no positives, so it reports the false-positive rate.
The baseline is the usual fixed-threshold rule: a reading is flagged when any monitored sensor
is more than BASELINE_SIGMAS standard deviations from its mean over all normal readings. Its
thresholds are fitted on the very data it is scored on, which flatters it.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def markdown(rows: list[ClassQuality]) -> str:
    lines = [
        "| class | readings | event readings | precision | recall | false positives | baseline "
        "precision | baseline recall | baseline false positives |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.event_class} | {r.readings} | {r.positives} | {_pct(r.precision)} | {_pct(r.recall)} | "
            f"{_pct(r.false_positive_rate)} "
            f"| {_pct(r.baseline_precision)} | {_pct(r.baseline_recall)} | "
            f"{_pct(r.baseline_false_positive_rate)} |"
        )
    return "\n".join(lines)


# Per-instance figures on real wells, and the targets they are held to (issue 13; README).
MAX_NORMAL_FLAGGED = 0.01  # share of normal readings flagged
MAX_FALSE_EPISODES_PER_HOUR = 1.0  # false alarm episodes per hour of normal readings
MIN_EVENT_FLAGGED = 0.90  # share of event readings flagged
MAX_SECONDS_TO_FLAG = 300.0  # from the first event label to the first flag
EPISODE_GAP_SECONDS = 60.0  # flagged normal readings closer than this are one false alarm


@dataclass(frozen=True)
class InstanceFigures:
    """How the flags of one 3W instance compare with its labels (unlabelled readings left out)."""

    instance: str
    normal: int  # readings labelled 0
    normal_flagged: int
    false_episodes: int  # runs of flagged normal readings, EPISODE_GAP_SECONDS apart
    event: int  # readings labelled with an event (transient or steady)
    event_flagged: int
    seconds_to_flag: float | None  # first event label -> first flag at or after it; None: never

    @property
    def normal_share(self) -> float | None:
        return _ratio(self.normal_flagged, self.normal)

    @property
    def episodes_per_hour(self) -> float | None:
        return self.false_episodes / (self.normal / 3600) if self.normal else None

    @property
    def event_share(self) -> float | None:
        return _ratio(self.event_flagged, self.event)

    def misses(self) -> dict[str, str]:
        """The targets this instance misses (target -> figure in words); empty when it meets them all."""
        missed = {}
        if self.normal_share is not None and self.normal_share > MAX_NORMAL_FLAGGED:
            missed["normal_flagged"] = f"{self.normal_share:.1%} of normal readings flagged"
        if self.episodes_per_hour is not None and self.episodes_per_hour > MAX_FALSE_EPISODES_PER_HOUR:
            missed["false_alarms"] = f"{self.episodes_per_hour:.1f} false alarm episodes per normal hour"
        if self.event and self.event_share is not None and self.event_share < MIN_EVENT_FLAGGED:
            missed["event_flagged"] = f"{self.event_share:.1%} of event readings flagged"
        if self.event and self.seconds_to_flag is None:
            missed["seconds_to_flag"] = "the event is never flagged"
        elif self.event and self.seconds_to_flag is not None and self.seconds_to_flag > MAX_SECONDS_TO_FLAG:
            missed["seconds_to_flag"] = f"first flag {self.seconds_to_flag:.0f} s after the first event label"
        return missed


def instance_figures(instance: str, readings: Iterable[tuple[float, int | None, bool]]) -> InstanceFigures:
    """Figures of one instance from its (event time in epoch seconds, label, flag) in time order."""
    normal = normal_flagged = episodes = event = event_flagged = 0
    last_false: float | None = None
    first_label: float | None = None
    first_flag: float | None = None
    for moment, label, flag in readings:
        if label is None:
            continue
        if label == 0:
            normal += 1
            if flag:
                normal_flagged += 1
                if last_false is None or moment - last_false > EPISODE_GAP_SECONDS:
                    episodes += 1
                last_false = moment
            continue
        event += 1
        event_flagged += flag
        if first_label is None:
            first_label = moment
        if flag and first_flag is None:
            first_flag = moment
    delay = None if first_flag is None or first_label is None else first_flag - first_label
    return InstanceFigures(instance, normal, normal_flagged, episodes, event, event_flagged, delay)


def instances_markdown(rows: list[InstanceFigures]) -> str:
    """The per-instance table of the README."""
    lines = [
        "| instance | normal readings | flagged | false alarms / normal h | event readings | flagged "
        "| s to first flag | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        per_hour = "-" if r.episodes_per_hour is None else f"{r.episodes_per_hour:.2f}"
        delay = "-" if not r.event else ("never" if r.seconds_to_flag is None else f"{r.seconds_to_flag:.0f}")
        verdict = "; ".join(r.misses().values()) or "met"
        lines.append(
            f"| {r.instance} | {r.normal} | {_pct(r.normal_share)} | {per_hour} | {r.event} "
            f"| {_pct(r.event_share)} | {delay} | {verdict} |"
        )
    return "\n".join(lines)
