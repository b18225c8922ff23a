"""Anomaly detection and data quality over whole partitions, as DuckDB SQL.

Why here and not in the stream processor: rate of change, the rolling z-score and frozen
sensors need each reading's history. Computed per Lambda batch they would change with the batch
size; computed over a whole (date, hour) partition of one well, ordered by time, they depend only
on which readings the partition holds. The curated builder rebuilds a partition from all its
readings each time, so a record's flags are the same however the stream was batched, replayed or
retried. Windows start afresh at each hour: the first min_history_seconds of an hour are not
scored.

Detectors (parameters in schema.json, "detection" and "envelope"):
- envelope: the fixed operating envelope, the same rules the stream processor applies per record;
- rate_of_change: |x(t) - x(t - rate_window)| relative to the window mean, above rate_threshold;
- zscore: |x - mean| / std over a baseline window ending baseline_lag_seconds before the reading
  (a slow drift must not hide itself by inflating the std), above zscore_threshold. When it first fires
  in an episode, that baseline is held, so a steady event stays flagged after the rolling window
  has absorbed it.
Quality notes: missing:<sensor> (null) and frozen:<sensor> (no change for frozen_seconds).
"""

from __future__ import annotations

from pipeline import schema


def _floor(sensor: schema.Field) -> float:
    return float(schema.detection()["std_floor"][sensor.kind])


def _envelope_sql() -> str:
    """The envelope score in SQL: same rules and arithmetic as pipeline.stream.envelope_score."""
    terms = ["0.0"]
    for name, rule in schema.envelope().items():
        if "max" in rule:
            terms.append(f"coalesce({name} / {float(rule['max'])}, 0.0)")
        if "min" in rule:
            terms.append(
                f"coalesce(CASE WHEN {name} <= 0 THEN 10.0 ELSE {float(rule['min'])} / {name} END, 0.0)"
            )
    return f"least(greatest({', '.join(terms)}), 10.0)"


def curated_sql(source: str) -> str:
    """SELECT producing curated rows (all curated columns) from a relation of deduplicated raw rows."""
    d = schema.detection()
    monitored = [schema.field(name) for name in d["monitored"]]
    window, lag, rate_window, frozen = (
        d["window_seconds"],
        d["baseline_lag_seconds"],
        d["rate_window_seconds"],
        d["frozen_seconds"],
    )
    zthr, rthr, gap = float(d["zscore_threshold"]), float(d["rate_threshold"]), d["episode_gap_seconds"]
    by_well = "PARTITION BY well_id, date, hour ORDER BY event_time"

    stats, scored, fired, starts, held = [], [], [], [], []
    for s in monitored:
        n = s.name
        stats += [
            f"avg({n}) OVER hist AS {n}__mean",
            f"stddev_samp({n}) OVER hist AS {n}__std",
            f"count({n}) OVER hist AS {n}__n",
            f"first_value({n} IGNORE NULLS) OVER rate AS {n}__lag",
            f"min({n}) OVER frozen AS {n}__fmin",
            f"max({n}) OVER frozen AS {n}__fmax",
            f"count({n}) OVER frozen AS {n}__fn",
        ]
        sd = f"greatest(coalesce({n}__std, 0), {d['relative_std_floor']} * abs({n}__mean), {_floor(s)})"
        ready = f"{n}__n >= {d['min_history_seconds']}"
        scored += [
            f"CASE WHEN {ready} THEN abs({n} - {n}__mean) / {sd} END AS {n}__z",
            f"{sd} AS {n}__sd",
            f"CASE WHEN {ready} THEN abs({n} - {n}__lag) / greatest(abs({n}__mean), {_floor(s)}) END AS "
            f"{n}__rate",
            f"({n}__fn >= {frozen} AND {n}__fmax = {n}__fmin) AS {n}__frozen",
        ]
        fired.append(
            f"max(CASE WHEN {n}__z > {zthr} THEN event_time END) OVER "
            f"({by_well} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS {n}__last_fire"
        )
        starts.append(
            f"({n}__z > {zthr} AND ({n}__last_fire IS NULL OR event_time - {n}__last_fire > INTERVAL "
            f"{gap} SECOND)) AS {n}__start"
        )
        held += [
            f"last_value(CASE WHEN {n}__start THEN {n}__mean END IGNORE NULLS) OVER ({by_well} ROWS "
            f"UNBOUNDED PRECEDING) AS {n}__bmean",
            f"last_value(CASE WHEN {n}__start THEN {n}__sd END IGNORE NULLS) OVER ({by_well} ROWS "
            f"UNBOUNDED PRECEDING) AS {n}__bsd",
        ]

    zscore = (
        "greatest("
        + ", ".join(
            f"coalesce({s.name}__z, 0), coalesce(abs({s.name} - {s.name}__bmean) / {s.name}__bsd, 0)"
            for s in monitored
        )
        + f") / {zthr}"
    )
    rate = "greatest(" + ", ".join(f"coalesce({s.name}__rate, 0)" for s in monitored) + f") / {rthr}"
    notes = [f"CASE WHEN {f.name} IS NULL THEN 'missing:{f.name}' END" for f in schema.sensors()]
    notes += [f"CASE WHEN {s.name}__frozen THEN 'frozen:{s.name}' END" for s in monitored]
    record_columns = [f.name for f in schema.fields("record")]
    keep = ", ".join([*record_columns, "ingested_at", "sequence_number"])

    return f"""
WITH base AS (
  SELECT {keep}, date, hour, {", ".join(stats)}
  FROM {source}
  WINDOW hist AS ({by_well} RANGE BETWEEN INTERVAL {window + lag} SECOND PRECEDING
                                  AND INTERVAL {lag} SECOND PRECEDING),
         rate AS ({by_well} RANGE BETWEEN INTERVAL {rate_window} SECOND PRECEDING AND CURRENT ROW),
         frozen AS ({by_well} RANGE BETWEEN INTERVAL {frozen - 1} SECOND PRECEDING AND CURRENT ROW)
), scored AS (
  SELECT *, {", ".join(scored)} FROM base
), fired AS (
  SELECT *, {", ".join(fired)} FROM scored
), starts AS (
  SELECT *, {", ".join(starts)} FROM fired
), held AS (
  SELECT *, {", ".join(held)} FROM starts
), scores AS (
  SELECT {keep}, date, hour,
         concat_ws(',', {", ".join(notes)}) AS notes,
         {_envelope_sql()} AS envelope_score,
         {rate} AS rate_score,
         {zscore} AS zscore_score
  FROM held
)
SELECT {keep},
       nullif(notes, '') AS quality_issues,
       (envelope_score > 1 OR rate_score > 1 OR zscore_score > 1) AS anomaly_flag,
       nullif(concat_ws(',',
         CASE WHEN envelope_score > 1 THEN 'envelope' END,
         CASE WHEN rate_score > 1 THEN 'rate_of_change' END,
         CASE WHEN zscore_score > 1 THEN 'zscore' END), '') AS anomaly_type,
       round(greatest(envelope_score, rate_score, zscore_score), 6) AS anomaly_score,
       date, hour
FROM scores
"""


ANOMALY_TYPES: tuple[str, ...] = tuple(schema.detection()["anomaly_types"])
