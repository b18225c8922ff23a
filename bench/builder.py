"""Curated builder throughput (raw NDJSON rows committed to curated Parquet per second) and peak
memory, against the plain conversion of the same NDJSON to Parquet by DuckDB (no deduplication):
the floor the builder's own work sits on. And the builder as the Lambda runs it, one small raw
object per build with compaction after each: curated rows written per record (compaction
included) and CPU seconds per 1,000 records, the two figures issue 13 set goals for.

Raw objects are what the stream processor delivers (its rows, as NDJSON), 10,000 rows each for
the throughput and INCREMENTAL_ROWS each (the average build of the million-record run) for the
incremental figures. Each run is a child process, so its peak memory and CPU are its own.
"""

from __future__ import annotations

import collections
import json
import resource
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
from pipeline.compaction import compact_partition
from pipeline.storage import DirectoryStore
from pipeline.stream import ndjson_line, process_batch

ROWS_PER_OBJECT = 10_000
INCREMENTAL_ROWS = 1_724  # rows per build in the million-record run: 1,000,000 records, 580 builds
TARGET_ROWS_PER_SECOND = 500_000
TARGET_ROWS_WRITTEN_PER_RECORD = 1.5
BEFORE_ROWS_WRITTEN_PER_RECORD = 11.2  # the rewrite-the-partition builder, million-record run
BEFORE_CPU_PER_1000 = 0.61  # s: 0.66 of 2 cores busy over 919 s for 1,000,000 records


def raw_lake(records: int, rows_per_object: int = ROWS_PER_OBJECT) -> Path:
    """A lake folder whose raw zone holds ``records`` processed readings (written once)."""
    root = ROOT / f"raw-lake-{records}-{rows_per_object}"
    done = root / ".complete"
    if done.exists():
        return root
    lines = [ndjson_line(row) for group in batches(records) for _, row in process_batch(group).rows]
    for number, start in enumerate(range(0, len(lines), rows_per_object)):
        target = root / f"{layout.prefix('raw')}bench/raw-{number:06d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(lines[start : start + rows_per_object]))
    done.write_text(str(len(lines)))
    return root


def _incremental(lake: Path, scratch: Path) -> dict[str, float]:
    """Build the raw objects one at a time, compacting after each build as the Lambda does."""
    store, keys = copy_raw(lake, scratch / "lake")
    written = rewritten = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for key in keys:
        result = build_from_raw(store, [key], work_dir=scratch)
        written += result.curated_rows
        rewritten += sum(
            compact_partition(store, d, h, work_dir=scratch).rows_rewritten for d, h in result.partitions
        )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"rows": written, "rewritten": rewritten, "seconds": seconds, "cpu": cpu, "builds": len(keys)}


def _raw_files(lake: Path) -> list[Path]:
    return [lake / key for key in DirectoryStore(lake).keys(layout.prefix("raw"))]


def _child(mode: str, lake: Path) -> None:
    """Run one build in this (child) process and print its figures as JSON."""
    if mode == "profile":
        print(json.dumps({"profile": _profile(lake)}))
        return
    if mode == "incremental":
        with tempfile.TemporaryDirectory() as scratch:
            print(json.dumps(_incremental(lake, Path(scratch))))
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
            rows = duck.count(con, f"SELECT count(*) FROM '{scratch}/plain.parquet'")
        seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_resident_mb()}))


class TimedConnection:
    """A DuckDB connection that adds up the time of each kind of statement (its first six words)."""

    def __init__(self, con: Any):
        self.con = con
        self.spent: collections.defaultdict[str, float] = collections.defaultdict(float)

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
        for kind, seconds in sorted(timed.spent.items(), key=lambda kv: -kv[1])[:8]
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
    incremental = _measure("incremental", raw_lake(records, INCREMENTAL_ROWS))
    per_record = (incremental["rows"] + incremental["rewritten"]) / incremental["rows"]
    measurements += [
        Measurement(
            "curated rows written per record, compaction included",
            per_record,
            "rows",
            higher_is_better=False,
            target=TARGET_ROWS_WRITTEN_PER_RECORD,
            notes=[
                f"{incremental['builds']:,} builds of {INCREMENTAL_ROWS:,} rows, each then compacted; "
                f"the builder before issue 13 wrote {BEFORE_ROWS_WRITTEN_PER_RECORD} (million-record run)"
            ],
        ),
        Measurement(
            "builder CPU per 1,000 records",
            incremental["cpu"] / incremental["rows"] * 1000,
            "s",
            higher_is_better=False,
            target=BEFORE_CPU_PER_1000 / 10,
            notes=[
                f"in process, against a folder lake (no S3 round trips); the builder before issue 13 "
                f"took {BEFORE_CPU_PER_1000} s (million-record run)"
            ],
        ),
    ]
    setup = {
        "raw rows": ours["rows"],
        "rows per raw object": ROWS_PER_OBJECT,
        "rows per incremental build": INCREMENTAL_ROWS,
    }
    profile = _measure("profile", lake)["profile"]
    return BenchResult("curated builder", setup, measurements, time.monotonic() - started, profile)


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]))
