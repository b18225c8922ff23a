"""Gold aggregates of curated readings, per well and hour and per event class and hour.

Gold rows are mergeable partial aggregates: counts, sums, minima and maxima, never a mean or a
distinct count. Each build writes the aggregates of its new rows only, and compaction merges a
partition's partial rows into one per group (`merge_sql`), so gold is updated incrementally at
a cost that does not grow with the partition. A reader aggregates again: `sum(readings)`,
`sum(p_tpt_sum) / sum(p_tpt_count)` for a mean; the SQL in pipeline/sql/ does.
"""

from __future__ import annotations

from pipeline import schema

# The gold zones, each with its grouping columns (partition columns date and hour come last).
ZONES = ("gold_well_hourly", "gold_class_hourly")
KEYS = {"gold_well_hourly": ("well_id",), "gold_class_hourly": ("event_class",)}


def _count_if(condition: str) -> str:
    """count_if as BIGINT: DuckDB's is HUGEINT, which Parquet stores as DOUBLE, and the Glue
    tables (infra/catalog.tf) declare these columns bigint."""
    return f"CAST(count_if({condition}) AS BIGINT)"


def _measured(zone: str) -> list[str]:
    """The sensors a zone aggregates: pressures and temperatures per well, pressures per class."""
    kinds = ("pressure", "temperature") if zone == "gold_well_hourly" else ("pressure",)
    return [s.name for s in schema.sensors() if s.kind in kinds]


def _well_hourly(source: str) -> str:
    measures = []
    for n in _measured("gold_well_hourly"):
        measures += [
            f"sum({n}) AS {n}_sum",
            f"count({n}) AS {n}_count",
            f"min({n}) AS {n}_min",
            f"max({n}) AS {n}_max",
        ]
    by_type = [
        f"{_count_if(f"contains(coalesce(anomaly_type, ''), '{t}')")} AS {t}_anomalies"
        for t in schema.anomaly_types()
    ]
    return f"""
SELECT well_id, count(*) AS readings, {", ".join(measures)},
       {_count_if("anomaly_flag")} AS anomalies, {", ".join(by_type)},
       {_count_if("contains(coalesce(quality_issues, ''), 'frozen:')")} AS frozen_readings,
       {_count_if("set_aside IS NOT NULL")} AS set_aside_readings,
       min(event_time) AS first_reading, max(event_time) AS last_reading,
       date, hour
FROM {source}
GROUP BY date, hour, well_id
"""


def _class_hourly(source: str) -> str:
    measures = [f"sum({n}) AS {n}_sum, count({n}) AS {n}_count" for n in _measured("gold_class_hourly")]
    return f"""
SELECT event_class, count(*) AS readings,
       {_count_if("label > 0")} AS event_readings, {_count_if("anomaly_flag")} AS anomalies,
       {_count_if("anomaly_flag AND label > 0")} AS flagged_event_readings,
       {_count_if("anomaly_flag AND label = 0")} AS flagged_normal_readings,
       min(CASE WHEN label > 0 THEN event_time END) AS first_event_time,
       min(CASE WHEN anomaly_flag AND label > 0 THEN event_time END) AS first_flag_time,
       {", ".join(measures)},
       date, hour
FROM {source}
GROUP BY date, hour, event_class
"""


def zone_sql(zone: str, source: str) -> str:
    """The partial aggregates of one gold zone over ``source`` (curated rows)."""
    sql = {"gold_well_hourly": _well_hourly, "gold_class_hourly": _class_hourly}[zone](source)
    return f"{sql}ORDER BY date, hour, {', '.join(KEYS[zone])}\n"


def merge_sql(zone: str, source: str, columns: list[str]) -> str:
    """Partial rows of one gold zone (``source``, with these columns) merged into one per group."""
    keys = (*KEYS[zone], "date", "hour")
    merged = []
    for column in columns:
        if column in keys:
            merged.append(column)
        elif column.endswith(("_min", "first_reading", "first_event_time", "first_flag_time")):
            merged.append(f"min({column}) AS {column}")
        elif column.endswith(("_max", "last_reading")):
            merged.append(f"max({column}) AS {column}")
        elif column.endswith("_sum"):
            merged.append(f"sum({column}) AS {column}")
        else:  # counts
            merged.append(f"CAST(sum({column}) AS BIGINT) AS {column}")
    return (
        f"SELECT {', '.join(merged)} FROM {source} GROUP BY {', '.join(keys)} "
        f"ORDER BY date, hour, {', '.join(KEYS[zone])}"
    )
