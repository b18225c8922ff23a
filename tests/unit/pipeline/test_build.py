"""The curated builder: same readings, same curated and gold, however they arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import layout
from pipeline.build import build_from_raw
from pipeline.duck import connect
from pipeline.relations import curated_relation
from pipeline.storage import DirectoryStore

from .helpers import raw_rows, stream_records, write_raw


@pytest.fixture(scope="module")
def rows(small_dataset) -> list[dict]:
    return raw_rows(stream_records(small_dataset))


def _lake(tmp_path: Path, rows: list[dict], per_file: int, builds: int = 1) -> DirectoryStore:
    """Write raw objects into a folder lake and build them in `builds` successive builds."""
    store = DirectoryStore(tmp_path / f"lake-{per_file}-{builds}")
    paths = write_raw(rows, store.root / layout.prefix("raw"), per_file)
    keys = [p.relative_to(store.root).as_posix() for p in paths]
    step = -(-len(keys) // builds)
    for start in range(0, len(keys), step):
        build_from_raw(store, keys[start : start + step])
    return store


def _table(store: DirectoryStore, zone: str) -> list[tuple]:
    con = connect()
    try:
        relation = curated_relation(str(store.root / layout.prefix(zone)) + "/**/*.parquet")
        return con.execute(f"SELECT * FROM {relation} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_every_reading_lands_once_sorted_and_partitioned(tmp_path, rows):
    store = _lake(tmp_path, rows, per_file=500)
    curated = _table(store, "curated")
    assert len(curated) == len(rows) == len({r["event_id"] for r in rows})
    keys = store.keys(layout.prefix("curated"))
    assert keys and all(k.endswith("/part-0.parquet") and "/date=2025-06-01/hour=" in k for k in keys)
    con = connect()
    ordered = con.execute(
        f"SELECT bool_and(ok) FROM (SELECT (well_id, event_time) >= lag((well_id, event_time)) OVER () AS ok "
        f"FROM read_parquet('{store.root / keys[0]}'))"
    ).fetchone()[0]
    assert ordered is not False


@pytest.mark.parametrize("per_file,builds", [(7, 1), (100, 4), (1000, 3)])
def test_flags_do_not_depend_on_batching_or_build_order(tmp_path, rows, per_file, builds):
    subset = [r for r in rows if r["well_id"] in ("WELL-00001", "WELL-00002")]
    reference = _lake(tmp_path, subset, per_file=len(subset))
    other = _lake(tmp_path, subset, per_file=per_file, builds=builds)
    assert _table(other, "curated") == _table(reference, "curated")
    assert _table(other, "gold_well_hourly") == _table(reference, "gold_well_hourly")


def test_replaying_the_same_raw_again_changes_nothing(tmp_path, rows):
    store = _lake(tmp_path, rows, per_file=2000)
    before = {zone: _table(store, zone) for zone in ("curated", "gold_well_hourly", "gold_class_hourly")}
    replay = [
        dict(r, ingested_at="2026-02-01T00:00:00.000000Z", sequence_number="9" * 56) for r in rows[:3000]
    ]
    paths = write_raw(replay, store.root / layout.prefix("raw") / "replay", 1000)
    build_from_raw(store, [p.relative_to(store.root).as_posix() for p in paths])
    assert {zone: _table(store, zone) for zone in before} == before


def test_a_build_reports_the_producer_runs_it_merged(tmp_path, rows):
    store = DirectoryStore(tmp_path / "lake")
    paths = write_raw(rows[:100], store.root / layout.prefix("raw"), 50)
    result = build_from_raw(store, [p.relative_to(store.root).as_posix() for p in paths])
    assert result.run_ids == ["test-run"]
    assert result.curated_rows == 100 and all(k.startswith(("curated/", "gold/")) for k in result.keys)


def test_gold_counts_are_written_as_integers(tmp_path, rows):
    """DuckDB's count_if is HUGEINT, which Parquet would store as DOUBLE; the Glue tables say bigint."""
    store = _lake(tmp_path, rows, per_file=1000)
    con = connect()
    try:
        for zone in ("gold_well_hourly", "gold_class_hourly"):
            relation = curated_relation(str(store.root / layout.prefix(zone)) + "/**/*.parquet")
            types = dict(
                (name, kind)
                for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
            )
            doubles = sorted(name for name, kind in types.items() if kind == "DOUBLE")
            assert all(name.endswith(("_mean", "_min", "_max")) for name in doubles), (zone, doubles)
            assert types["anomalies"] == "BIGINT"
    finally:
        con.close()
