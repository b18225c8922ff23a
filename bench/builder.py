"""Curated builder throughput (raw NDJSON rows merged into curated Parquet per second) and peak
memory, against the plain conversion of the same NDJSON to Parquet by DuckDB (no deduplication,
no detection): the floor the builder's own work sits on.

Raw objects are what the stream processor delivers (its rows, as NDJSON), 10,000 rows each. Each
build runs in a child process, so its peak resident memory is its own.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.handler import batches
from bench.report import BenchResult, Measurement
from bench.workload import ROOT
from pipeline import duck, layout
from pipeline.build import CuratedBuild, build_from_raw
from pipeline.storage import DirectoryStore
from pipeline.stream import ndjson_line, process_batch

ROWS_PER_OBJECT = 10_000
TARGET_ROWS_PER_SECOND = 500_000


def raw_lake(records: int) -> Path:
    """A lake folder whose raw zone holds ``records`` processed readings (written once)."""
    root = ROOT / f"raw-lake-{records}"
    done = root / ".complete"
    if done.exists():
        return root
    lines = [ndjson_line(row) for group in batches(records) for _, row in process_batch(group).rows]
    for number, start in enumerate(range(0, len(lines), ROWS_PER_OBJECT)):
        target = root / f"{layout.prefix('raw')}bench/raw-{number:06d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(lines[start : start + ROWS_PER_OBJECT]))
    done.write_text(str(len(lines)))
    return root


def _raw_files(lake: Path) -> list[Path]:
    return [lake / key for key in DirectoryStore(lake).keys(layout.prefix("raw"))]


def _child(mode: str, lake: Path) -> None:
    """Run one build in this (child) process and print its figures as JSON."""
    if mode == "profile":
        print(json.dumps({"profile": _profile(lake)}))
        return
    with tempfile.TemporaryDirectory() as scratch:
        if mode == "builder":
            # the build writes curated and gold next to raw
            store, keys = copy_raw(lake, Path(scratch) / "lake")
            started = time.perf_counter()
            rows = build_from_raw(store, keys, work_dir=Path(scratch)).curated_rows
        else:
            import duckdb

            files = [str(f) for f in _raw_files(lake)]
            started = time.perf_counter()
            con = duckdb.connect()
            con.execute(
                f"COPY (SELECT * FROM read_json({files!r}, format='newline_delimited')) "
                f"TO '{scratch}/plain.parquet' (FORMAT parquet, COMPRESSION zstd)"
            )
            rows = con.execute(f"SELECT count(*) FROM '{scratch}/plain.parquet'").fetchone()[0]
        seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_resident_mb()}))


class TimedConnection:
    """A DuckDB connection that adds up the time of each kind of statement (its first six words)."""

    def __init__(self, con: Any):
        self.con = con
        self.spent: collections.Counter[str] = collections.Counter()

    def execute(self, sql: str, parameters: Any = None) -> Any:
        kind = " ".join(sql.split()[:6])
        started = time.perf_counter()
        result = self.con.execute(sql, parameters) if parameters is not None else self.con.execute(sql)
        self.spent[kind] += time.perf_counter() - started
        return result


def _profile(lake: Path) -> list[str]:
    """Time per kind of statement of one build of the whole raw zone (no existing curated)."""
    files = _raw_files(lake)
    timed = TimedConnection(duck.connect())
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        build = CuratedBuild(timed, DirectoryStore(Path(scratch) / "lake"), Path(scratch))  # type: ignore[arg-type]
        for date, hour in build.stage(files):
            build.commit_partition(date, hour)
        total = time.perf_counter() - started
    lines = [f"one build of {len(files)} raw objects: {total:.1f} s; time per kind of statement:"]
    return lines + [
        f"  {seconds:6.2f} s  {seconds / total:5.1%}  {kind} …"
        for kind, seconds in timed.spent.most_common(8)
    ]


def copy_raw(source: Path, target: Path) -> tuple[DirectoryStore, list[str]]:
    """A lake at ``target`` whose raw zone is a copy of ``source``'s, and its raw keys."""
    store = DirectoryStore(target)
    keys = DirectoryStore(source).keys(layout.prefix("raw"))
    for key in keys:
        store.put(key, source / key)
    return store, keys


def peak_resident_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that across exec
    from the parent, so a child started by a big parent would report the parent's peak."""
    return proc_self_value("status", "VmHWM") / 1024


def proc_self_value(file: str, name: str) -> int:
    """A ``name: number …`` line of /proc/self/<file> (status in kB, io in bytes)."""
    for line in Path(f"/proc/self/{file}").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/{file}")


def _measure(mode: str, lake: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.builder", mode, str(lake)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(records: int = 1_000_000) -> BenchResult:
    started = time.monotonic()
    lake = raw_lake(records)
    ours, plain = _measure("builder", lake), _measure("plain", lake)
    measurements = [
        Measurement(
            "builder throughput",
            ours["rows"] / ours["seconds"],
            "rows/s",
            target=TARGET_ROWS_PER_SECOND,
            reference=plain["rows"] / plain["seconds"],
            reference_name="DuckDB NDJSON→Parquet copy",
        ),
        Measurement(
            "builder peak memory",
            ours["peak_mb"],
            "MB",
            higher_is_better=False,
            reference=plain["peak_mb"],
            reference_name="DuckDB NDJSON→Parquet copy",
        ),
    ]
    setup = {"raw rows": ours["rows"], "rows per raw object": ROWS_PER_OBJECT}
    profile = _measure("profile", lake)["profile"]
    return BenchResult("curated builder", setup, measurements, time.monotonic() - started, profile)


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]))
