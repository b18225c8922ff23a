"""Gold aggregates of curated readings: per well and hour, and per event class and hour."""

from __future__ import annotations

from pipeline import schema

# The gold zones, each with the SELECT that computes it from a relation of curated rows.
ZONES = ("gold_well_hourly", "gold_class_hourly")


def _count_if(condition: str) -> str:
    """count_if as BIGINT: DuckDB's is HUGEINT, which Parquet stores as DOUBLE, and the Glue
    tables (infra/catalog.tf) declare these columns bigint."""
    return f"CAST(count_if({condition}) AS BIGINT)"


def well_hourly_sql(source: str) -> str:
    measures = []
    for sensor in schema.sensors():
        if sensor.kind in ("pressure", "temperature"):
            n = sensor.name
            measures += [f"avg({n}) AS {n}_mean", f"min({n}) AS {n}_min", f"max({n}) AS {n}_max"]
    by_type = [
        f"{_count_if(f"contains(coalesce(anomaly_type, ''), '{t}')")} AS {t}_anomalies"
        for t in schema.anomaly_types()
    ]
    return f"""
SELECT well_id, count(*) AS readings, {", ".join(measures)},
       {_count_if("anomaly_flag")} AS anomalies, {", ".join(by_type)},
       {_count_if("contains(coalesce(quality_issues, ''), 'frozen:')")} AS frozen_readings,
       min(event_time) AS first_reading, max(event_time) AS last_reading,
       date, hour
FROM {source}
GROUP BY date, hour, well_id
ORDER BY date, hour, well_id
"""


def class_hourly_sql(source: str) -> str:
    means = [f"avg({s.name}) AS {s.name}_mean" for s in schema.sensors() if s.kind == "pressure"]
    return f"""
SELECT event_class, count(*) AS readings, count(DISTINCT well_id) AS wells,
       {_count_if("label > 0")} AS event_readings, {_count_if("anomaly_flag")} AS anomalies,
       {_count_if("anomaly_flag AND label > 0")} AS flagged_event_readings,
       {_count_if("anomaly_flag AND label = 0")} AS flagged_normal_readings,
       min(CASE WHEN label > 0 THEN event_time END) AS first_event_time,
       min(CASE WHEN anomaly_flag AND label > 0 THEN event_time END) AS first_flag_time,
       {", ".join(means)},
       date, hour
FROM {source}
GROUP BY date, hour, event_class
ORDER BY date, hour, event_class
"""


def zone_sql(zone: str, source: str) -> str:
    """The SELECT of one gold zone over ``source``."""
    return {"gold_well_hourly": well_hourly_sql, "gold_class_hourly": class_hourly_sql}[zone](source)
