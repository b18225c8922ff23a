"""The curated builder and compaction: every reading committed once, whatever the batching, the
build order, replays, concurrent builds and compactions; only new rows written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline import layout, table
from pipeline.build import build_from_raw
from pipeline.compaction import FAN_IN, compact_partition, sweep
from pipeline.duck import connect
from pipeline.queries import create_views
from pipeline.storage import CommitConflict, DirectoryStore

from .helpers import raw_rows, stream_records, write_raw

ZONES = ("curated_readings", "gold_well_hourly", "gold_class_hourly")


@pytest.fixture(scope="module")
def rows(small_dataset) -> list[dict]:
    return raw_rows(stream_records(small_dataset))


def _raw(store: DirectoryStore, rows: list[dict], per_file: int, folder: str = "") -> list[str]:
    paths = write_raw(rows, store.root / layout.prefix("raw") / folder, per_file)
    return [p.relative_to(store.root).as_posix() for p in paths]


def _lake(tmp_path: Path, rows: list[dict], per_file: int, builds: int = 1) -> DirectoryStore:
    """Write raw objects into a folder lake and build them in `builds` successive builds."""
    store = DirectoryStore(tmp_path / f"lake-{per_file}-{builds}")
    keys = _raw(store, rows, per_file)
    step = -(-len(keys) // builds)
    for start in range(0, len(keys), step):
        build_from_raw(store, keys[start : start + step])
    return store


def _tables(store: DirectoryStore, merged: bool = True) -> dict[str, list[tuple]]:
    """Every table's rows, sorted; gold merged to one row per group (a reader's view of partials)."""
    con = connect()
    try:
        create_views(con, store)
        out = {"curated_readings": con.execute("SELECT * FROM curated_readings ORDER BY ALL").fetchall()}
        out["gold_well_hourly"] = con.execute(
            "SELECT date, hour, well_id, sum(readings), sum(anomalies), sum(p_tpt_sum), min(p_tpt_min), "
            "max(p_tpt_max), min(first_reading), max(last_reading) "
            "FROM gold_well_hourly GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        out["gold_class_hourly"] = con.execute(
            "SELECT date, hour, event_class, sum(readings), sum(flagged_event_readings), "
            "min(first_flag_time) FROM gold_class_hourly GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        return out
    finally:
        con.close()


def _approx(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Sums of doubles depend on the order they are added in: compare them rounded."""
    return {
        name: [tuple(round(v, 3) if isinstance(v, float) else v for v in row) for row in rows]
        for name, rows in tables.items()
    }


def test_every_reading_is_committed_once_in_partitioned_files(tmp_path, rows):
    store = _lake(tmp_path, rows, per_file=500)
    curated = _tables(store)["curated_readings"]
    assert len(curated) == len(rows) == len({r["event_id"] for r in rows})
    keys = table.committed_keys(store)["curated"]
    assert keys and all("/date=2025-06-01/hour=" in k and k.endswith(".parquet") for k in keys)
    assert sum(f.rows for m in table.manifests(store) for f in m.files("curated")) == len(rows)


@pytest.mark.parametrize("per_file,builds", [(7, 1), (100, 4), (1000, 3)])
def test_tables_do_not_depend_on_batching_or_build_order(tmp_path, rows, per_file, builds):
    subset = [r for r in rows if r["well_id"] in ("WELL-00001", "WELL-00002")]
    reference = _lake(tmp_path, subset, per_file=len(subset))
    other = _lake(tmp_path, subset, per_file=per_file, builds=builds)
    assert _approx(_tables(other)) == _approx(_tables(reference))


def test_replaying_the_same_raw_again_writes_nothing(tmp_path, rows):
    store = _lake(tmp_path, rows, per_file=2000)
    before = _tables(store)
    files_before = store.keys("")
    replay = [
        dict(r, ingested_at="2026-02-01T00:00:00.000000Z", sequence_number="9" * 56) for r in rows[:3000]
    ]
    result = build_from_raw(store, _raw(store, replay, 1000, "replay"))
    assert result.curated_rows == 0 and result.keys == []
    assert _tables(store) == before
    assert [k for k in store.keys("") if not k.startswith(layout.prefix("raw"))] == [
        k for k in files_before if not k.startswith(layout.prefix("raw"))
    ]


def test_a_build_writes_only_its_new_rows(tmp_path, rows):
    """Curated rows written per record stay at one however many builds a partition receives."""
    store = DirectoryStore(tmp_path / "lake")
    keys = _raw(store, rows, 250)
    written = sum(build_from_raw(store, [key]).curated_rows for key in keys)
    assert written == len(rows)


def test_two_concurrent_builds_lose_and_duplicate_nothing(tmp_path, rows):
    """Two builds of overlapping raw objects at once, as duplicate SQS deliveries would run them."""
    store = DirectoryStore(tmp_path / "lake")
    first = _raw(store, rows[: len(rows) * 2 // 3], 400, "a")
    second = _raw(store, rows[len(rows) // 3 :], 400, "b")
    results = {}

    def build(name: str, keys: list[str]) -> None:
        results[name] = build_from_raw(store, keys, threads=2)

    threads = [threading.Thread(target=build, args=item) for item in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    curated = _tables(store)["curated_readings"]
    ids = [row[0] for row in curated]
    assert len(ids) == len(set(ids)) == len(rows)
    assert results["a"].curated_rows + results["b"].curated_rows == len(rows)
    assert sweep(store, grace_seconds=0) == []  # the losers deleted what they had written


def test_compaction_merges_a_full_tier_keeps_every_row_and_is_idempotent(tmp_path, rows):
    store = DirectoryStore(tmp_path / "lake")
    one_hour = [r for r in rows if r["event_time"].startswith("2025-06-01T00")]
    for key in _raw(store, one_hour, len(one_hour) // (FAN_IN + 2)):
        build_from_raw(store, [key])
    (date, hour), *_ = table.partitions(store)
    before = _tables(store)
    first = table.read(store, date, hour)
    files = first.files("curated")
    assert len(files) >= FAN_IN

    done = compact_partition(store, date, hour)
    assert done.merged >= FAN_IN
    after = table.read(store, date, hour)
    assert len(after.files("curated")) == len(files) - done.merged + 1
    assert len(after.files("gold_well_hourly")) == 1
    assert _approx(_tables(store)) == _approx(before)
    again = compact_partition(store, date, hour)
    assert again.merged == 0 and table.read(store, date, hour) == after  # nothing left to do

    compact_partition(store, date, hour, everything=True)
    assert len(table.read(store, date, hour).files("curated")) == 1
    assert _approx(_tables(store)) == _approx(before)
    final = table.read(store, date, hour)
    listed_before = {f.key for zone in table.TABLES for f in first.files(zone)}
    listed_after = {f.key for zone in table.TABLES for f in final.files(zone)}
    assert sweep(store, grace_seconds=3600) == []  # too young: a reader may still have them
    replaced = set(sweep(store, grace_seconds=0))
    assert listed_before - listed_after <= replaced and not replaced & listed_after
    assert _approx(_tables(store)) == _approx(before)  # the janitor took only unlisted files


def test_a_compaction_and_a_build_at_once_lose_nothing(tmp_path, rows):
    store = DirectoryStore(tmp_path / "lake")
    one_hour = [r for r in rows if r["event_time"].startswith("2025-06-01T00")]
    early, late = one_hour[: len(one_hour) // 2], one_hour[len(one_hour) // 2 :]
    for key in _raw(store, early, len(early) // FAN_IN):
        build_from_raw(store, [key])
    (date, hour), *_ = table.partitions(store)
    late_keys = _raw(store, late, len(late), "late")
    threads = [
        threading.Thread(target=compact_partition, args=(store, date, hour, True)),
        threading.Thread(target=build_from_raw, args=(store, late_keys)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [row[0] for row in _tables(store)["curated_readings"]]
    assert len(ids) == len(set(ids)) == len(one_hour)


def test_a_build_reports_the_producer_runs_it_merged(tmp_path, rows):
    store = DirectoryStore(tmp_path / "lake")
    result = build_from_raw(store, _raw(store, rows[:100], 50))
    assert result.run_ids == ["test-run"]
    assert result.curated_rows == 100 and all(k.startswith(("curated/", "gold/")) for k in result.keys)


def test_gold_counts_are_written_as_integers(tmp_path, rows):
    """DuckDB's count_if is HUGEINT, which Parquet would store as DOUBLE; the Glue tables say bigint."""
    store = _lake(tmp_path, rows, per_file=1000)
    con = connect()
    try:
        create_views(con, store)
        for view in ("gold_well_hourly", "gold_class_hourly"):
            types = dict((n, k) for n, k, *_ in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall())
            doubles = sorted(name for name, kind in types.items() if kind == "DOUBLE")
            assert all(name.endswith(("_sum", "_min", "_max")) for name in doubles), (view, doubles)
            assert types["anomalies"] == "BIGINT" and types["readings"] == "BIGINT"
    finally:
        con.close()


class LandedThenConflicts(DirectoryStore):
    """A store whose first manifest write lands and then reports a conflict, as S3 answers 412 to
    boto3's retry of a conditional PutObject whose first attempt timed out after landing."""

    tripped = False

    def write_if(self, key: str, body: bytes, version: str | None) -> str:
        version = super().write_if(key, body, version)
        if not self.tripped:
            self.tripped = True
            raise CommitConflict("412 on the retry of a write that landed")
        return version


def test_a_commit_that_landed_but_read_as_a_conflict_keeps_its_files(tmp_path, rows):
    store = LandedThenConflicts(tmp_path / "lake")
    result = build_from_raw(store, _raw(store, rows[:500], 500))
    assert store.tripped and result.curated_rows == 500
    assert len(_tables(store)["curated_readings"]) == 500  # nothing deleted under the manifest


def test_athena_file_lists_follow_the_manifest_even_after_a_slow_writer(tmp_path, rows):
    store = _lake(tmp_path, rows[:3000], per_file=1000)
    (date, hour), *_ = table.partitions(store)
    stale = table.Manifest(date, hour, {"curated": ()}, version="an older commit")
    table.refresh_symlinks(store, stale)  # a slow writer lists an older version, then re-reads
    listed = (store.root / layout.symlink_key("curated", date, hour)).read_text().split()
    assert listed == [store.url(f.key) for f in table.read(store, date, hour).files("curated")] != []


def test_the_janitor_leaves_files_it_did_not_write(tmp_path, rows):
    store = _lake(tmp_path, rows[:1000], per_file=1000)
    (date, hour), *_ = table.partitions(store)
    foreign = store.root / layout.data_key("curated", date, hour, "part-0")  # e.g. an older layout's file
    foreign.write_bytes(b"not ours")
    orphan = store.root / layout.data_key("curated", date, hour, "part-" + "0" * 32)
    orphan.write_bytes(b"a build stopped before its commit")
    assert sweep(store, grace_seconds=0) == [layout.data_key("curated", date, hour, "part-" + "0" * 32)]
    assert foreign.exists() and not orphan.exists()


def test_of_two_copies_of_one_record_the_lake_keeps_the_one_scored_in_order(tmp_path, rows):
    """A batch retried after its invocation committed some wells' states: the retry scores those
    wells' records as late, and Firehose delivers a second copy with the same arrival and sequence."""
    store = DirectoryStore(tmp_path / "lake")
    first = rows[0]
    late = dict(first, quality_issues="late", anomaly_flag=not first["anomaly_flag"])
    build_from_raw(store, _raw(store, [late, first], 2))
    [kept] = _tables(store)["curated_readings"]
    assert kept[0] == first["event_id"] and "late" not in (first["quality_issues"] or "")
    con = connect()
    create_views(con, store)
    assert con.execute("SELECT anomaly_flag FROM curated_readings").fetchone()[0] == first["anomaly_flag"]


class LandedThenOvertaken(DirectoryStore):
    """As LandedThenConflicts, but another build commits on top before the 412 comes back."""

    tripped = False

    def write_if(self, key: str, body: bytes, version: str | None) -> str:
        version = super().write_if(key, body, version)
        if not self.tripped and key.endswith("manifest.json"):
            self.tripped = True
            landed = table.Manifest.from_bytes(body, version)
            other = table.DataFile(
                layout.data_key("curated", landed.date, landed.hour, "part-" + "1" * 32), 0
            )
            table.commit(self, landed, {"curated": (*landed.files("curated"), other)})
            raise CommitConflict("412 on the retry of a write that landed, then was built on")
        return version


def test_a_commit_that_landed_and_was_built_on_keeps_its_files(tmp_path, rows):
    store = LandedThenOvertaken(tmp_path / "lake")
    result = build_from_raw(store, _raw(store, rows[:500], 500))
    assert store.tripped and result.curated_rows == 500
    (date, hour), *_ = table.partitions(store)
    assert {k for k in result.keys if k.startswith("curated/")} <= {
        f.key for f in table.read(store, date, hour).files("curated")
    }
