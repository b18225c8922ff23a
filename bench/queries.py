"""Each named query on curated Parquet against the same query on raw NDJSON (time and bytes
read, as ratios), and what partition pruning saves.

The NDJSON side gets views with the same names: curated_readings over the raw zone (with date and
hour derived from event_time) and gold_well_hourly computed from it, so the SQL is byte for byte
the same. Bytes read are the process's read() bytes (/proc/self/io rchar) during the query: what
DuckDB asked the filesystem for, cached or not.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from bench.builder import copy_raw, proc_self_value, raw_lake
from bench.report import BenchResult, Measurement
from bench.workload import ROOT
from pipeline import layout
from pipeline.build import build_from_raw
from pipeline.duck import connect
from pipeline.gold import zone_sql
from pipeline.queries import create_views, names
from pipeline.queries import run as run_named
from pipeline.relations import raw_relation
from pipeline.storage import DirectoryStore

TARGET_BYTES_RATIO = 10.0


def built_lake(records: int) -> Path:
    """The raw lake of ``records`` readings with curated and gold built (once)."""
    root = ROOT / f"lake-{records}"
    done = root / ".complete"
    if not done.exists():
        store, keys = copy_raw(raw_lake(records), root)
        done.write_text(str(build_from_raw(store, keys).curated_rows))
    return root


def _connect() -> Any:
    """DuckDB without its file cache (every run reads what it needs) and without a progress bar."""
    con = connect()
    con.execute("SET enable_external_file_cache = false")
    con.execute("SET enable_progress_bar = false")
    return con


def parquet_connection(lake: Path) -> Any:
    con = _connect()
    create_views(con, DirectoryStore(lake))
    return con


def ndjson_connection(lake: Path) -> Any:
    con = _connect()
    raw = raw_relation([f"{lake}/{layout.prefix('raw')}**"])
    con.execute(
        "CREATE VIEW curated_readings AS SELECT *, strftime(event_time, '%Y-%m-%d') AS date, "
        f"hour(event_time) AS hour FROM {raw}"
    )
    con.execute(f"CREATE VIEW gold_well_hourly AS {zone_sql('gold_well_hourly', 'curated_readings')}")
    return con


def bytes_read() -> int:
    return proc_self_value("io", "rchar")


def measure(con: Any, sql_or_name: str, repeats: int = 3) -> tuple[float, int]:
    """(best seconds, most bytes read by a run) of a named query or plain DuckDB SQL."""
    best, read = math.inf, 0
    for _ in range(repeats):
        before, started = bytes_read(), time.perf_counter()
        if sql_or_name in names():
            run_named(con, sql_or_name).fetchall()
        else:
            con.execute(sql_or_name).fetchall()
        best, read = min(best, time.perf_counter() - started), max(read, bytes_read() - before)
    return best, read


def run(records: int = 1_000_000) -> BenchResult:
    started = time.monotonic()
    lake = built_lake(records)
    parquet, ndjson = parquet_connection(lake), ndjson_connection(lake)
    measurements = []
    for name in names():
        (p_time, p_bytes), (n_time, n_bytes) = measure(parquet, name), measure(ndjson, name)
        measurements += [
            Measurement(
                f"{name}: NDJSON/Parquet bytes read",
                n_bytes / max(p_bytes, 1),
                "×",
                target=TARGET_BYTES_RATIO,
                notes=[f"Parquet {p_bytes / 1e6:.1f} MB, NDJSON {n_bytes / 1e6:.1f} MB"],
            ),
            Measurement(
                f"{name}: time",
                p_time * 1000,
                "ms",
                higher_is_better=False,
                reference=n_time * 1000,
                reference_name="on NDJSON",
            ),
        ]
    date, hour = parquet.execute(
        "SELECT date, hour FROM curated_readings GROUP BY ALL ORDER BY ALL LIMIT 1"
    ).fetchone()
    one_hour = (
        "SELECT well_id, avg(p_pdg), count_if(anomaly_flag) FROM curated_readings "
        f"WHERE date = '{date}' AND hour = {hour} GROUP BY well_id"
    )
    everything = "SELECT well_id, avg(p_pdg), count_if(anomaly_flag) FROM curated_readings GROUP BY well_id"
    (pruned_time, pruned_bytes), (full_time, full_bytes) = (
        measure(parquet, one_hour),
        measure(parquet, everything),
    )
    hours = parquet.execute("SELECT count(DISTINCT (date, hour)) FROM curated_readings").fetchone()[0]
    measurements.append(
        Measurement(
            "partition pruning: bytes read for one hour",
            pruned_bytes / 1e6,
            "MB",
            higher_is_better=False,
            reference=full_bytes / 1e6,
            reference_name="all hours",
            notes=[
                f"one (date, hour) of {hours}: {pruned_time * 1000:.1f} ms "
                f"against {full_time * 1000:.1f} ms for all"
            ],
        )
    )
    setup = {
        "curated rows": parquet.execute("SELECT count(*) FROM curated_readings").fetchone()[0],
        "partitions": hours,
    }
    return BenchResult("named queries", setup, measurements, time.monotonic() - started)
