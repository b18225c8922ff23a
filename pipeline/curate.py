"""Raw NDJSON -> curated Parquet -> gold aggregates, with DuckDB over local files.

A build takes new raw files, finds the (date, hour) partitions they touch, merges them with
those partitions' current curated files, deduplicates by event_id (the earliest arrival wins),
recomputes detection over each whole partition and writes one sorted, zstd-compressed file per
partition, then the gold aggregates of the same partitions. The output is a function of the set
of readings only, so rebuilding is idempotent and a replay adds nothing. Moving files to and
from S3 is the caller's job (pipeline/lake_store.py), so the same code runs in the builder Lambda,
the CLI and the unit tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import detection, layout, schema

Partition = tuple[str, int]  # (date YYYY-MM-DD, hour)


def connect(threads: int | None = None, memory_limit: str | None = None) -> Any:
    import duckdb

    config: dict[str, Any] = {"preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    return duckdb.connect(config=config)


def no_files(error: Exception) -> bool:
    """True for DuckDB's error on a glob that matches nothing yet (an empty zone)."""
    return "No files found" in str(error)


def _sql_list(paths: Sequence[str | Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


def raw_relation(paths: Sequence[str | Path]) -> str:
    """SQL reading raw NDJSON files with the schema's raw column types (unknown keys ignored)."""
    return (
        f"read_json({_sql_list(paths)}, format='newline_delimited', "
        f"columns={_struct(schema.duckdb_columns(schema.raw_fields()))})"
    )


def curated_relation(paths: Sequence[str | Path] | str) -> str:
    """SQL reading curated Parquet files laid out as .../date=YYYY-MM-DD/hour=H/part-0.parquet."""
    target = f"'{paths}'" if isinstance(paths, str) else _sql_list(paths)
    return f"read_parquet({target}, hive_partitioning = true, hive_types = {{'date': 'VARCHAR', 'hour': 'INTEGER'}})"


def curated_columns() -> list[str]:
    return [f.name for f in schema.curated_fields()]


def gold_well_hourly_sql(source: str) -> str:
    measures = []
    for sensor in schema.sensors():
        if sensor.kind in ("pressure", "temperature"):
            n = sensor.name
            measures += [f"avg({n}) AS {n}_mean", f"min({n}) AS {n}_min", f"max({n}) AS {n}_max"]
    by_type = [f"count_if(contains(coalesce(anomaly_type, ''), '{t}')) AS {t}_anomalies" for t in detection.ANOMALY_TYPES]
    return f"""
SELECT well_id, count(*) AS readings, {', '.join(measures)},
       count_if(anomaly_flag) AS anomalies, {', '.join(by_type)},
       count_if(contains(coalesce(quality_issues, ''), 'frozen:')) AS frozen_readings,
       min(event_time) AS first_reading, max(event_time) AS last_reading,
       date, hour
FROM {source}
GROUP BY date, hour, well_id
ORDER BY date, hour, well_id
"""


def gold_class_hourly_sql(source: str) -> str:
    means = [f"avg({s.name}) AS {s.name}_mean" for s in schema.sensors() if s.kind == "pressure"]
    return f"""
SELECT event_class, count(*) AS readings, count(DISTINCT well_id) AS wells,
       count_if(label > 0) AS event_readings, count_if(anomaly_flag) AS anomalies,
       count_if(anomaly_flag AND label > 0) AS flagged_event_readings,
       count_if(anomaly_flag AND label = 0) AS flagged_normal_readings,
       min(CASE WHEN label > 0 THEN event_time END) AS first_event_time,
       min(CASE WHEN anomaly_flag AND label > 0 THEN event_time END) AS first_flag_time,
       {', '.join(means)},
       date, hour
FROM {source}
GROUP BY date, hour, event_class
ORDER BY date, hour, event_class
"""


@dataclass(frozen=True)
class BuildOutput:
    partitions: list[Partition]
    curated_rows: int
    files: dict[str, Path]  # lake key (pipeline/layout.partition_key) -> the local file written for it


class CuratedBuild:
    """One build on one DuckDB connection: stage incoming raw rows, then write the partitions they touch."""

    def __init__(self, con: Any):
        self.con = con

    def stage(self, raw_files: Sequence[str | Path]) -> list[Partition]:
        """Load new raw rows; returns the partitions they touch (sorted)."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT *, strftime(event_time, '%Y-%m-%d') AS date, "
            f"CAST(hour(event_time) AS INTEGER) AS hour FROM {raw_relation(raw_files)} WHERE event_id IS NOT NULL"
        )
        rows = self.con.execute("SELECT DISTINCT date, hour FROM incoming ORDER BY date, hour").fetchall()
        return [(date, int(hour)) for date, hour in rows]

    def run_ids(self) -> list[str]:
        """Producer runs of the staged rows: the correlation ids of this build."""
        return [r for (r,) in self.con.execute("SELECT DISTINCT run_id FROM incoming WHERE run_id IS NOT NULL ORDER BY 1").fetchall()]

    def write(self, existing_curated: Sequence[str | Path], out_dir: Path) -> BuildOutput:
        """Merge with existing curated files, deduplicate, detect, write curated and gold."""
        keep = ", ".join(f.name for f in schema.raw_fields() if f.stage == "record") + ", ingested_at, sequence_number, date, hour"
        union = f"SELECT {keep} FROM incoming"
        if existing_curated:
            union += f" UNION ALL SELECT {keep} FROM {curated_relation(existing_curated)}"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE merged AS SELECT * FROM ({union}) "
            "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, sequence_number) = 1"
        )
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE curated AS SELECT * FROM ({detection.curated_sql('merged')}) "
            "ORDER BY date, hour, well_id, event_time"
        )
        partitions = [(d, int(h)) for d, h in self.con.execute("SELECT DISTINCT date, hour FROM curated ORDER BY 1, 2").fetchall()]
        files: dict[str, Path] = {}
        for zone, query in (
            ("curated", "SELECT * FROM curated"),
            ("gold_well_hourly", gold_well_hourly_sql("curated")),
            ("gold_class_hourly", gold_class_hourly_sql("curated")),
        ):
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE zone_out AS {query}")
            for date, hour in partitions:
                key = layout.partition_key(zone, date, hour)
                target = out_dir / key
                target.parent.mkdir(parents=True, exist_ok=True)
                self.con.execute(
                    f"COPY (SELECT * EXCLUDE (date, hour) FROM zone_out WHERE date = ? AND hour = ?) "
                    f"TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                    [date, hour],
                )
                files[key] = target
        rows = self.con.execute("SELECT count(*) FROM curated").fetchone()[0]
        return BuildOutput(partitions, int(rows), files)
