"""Every named query, transpiled from Athena SQL to DuckDB, against an independent pandas computation."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import layout
from pipeline.build import build_from_raw
from pipeline.duck import connect
from pipeline.queries import create_views, names, run, to_duckdb
from pipeline.storage import DirectoryStore

from .helpers import raw_rows, stream_records, write_raw


@pytest.fixture(scope="module")
def lake(small_dataset, tmp_path_factory):
    store = DirectoryStore(tmp_path_factory.mktemp("lake"))
    paths = write_raw(raw_rows(stream_records(small_dataset)), store.root / layout.prefix("raw"), 2000)
    build_from_raw(store, [p.relative_to(store.root).as_posix() for p in paths])
    con = connect()
    assert set(create_views(con, store)) >= {"curated_readings", "gold_well_hourly"}
    curated = con.execute("SELECT * FROM curated_readings").df()
    yield con, curated
    con.close()


def test_the_four_named_queries_exist():
    assert {
        "anomalies_per_hour",
        "avg_pressure_by_event_type",
        "top_wells_by_anomaly_rate",
        "time_to_first_flag",
    } <= set(names())


def test_transpiling_keeps_trino_functions_working():
    assert "DATE_DIFF" in to_duckdb("SELECT date_diff('second', a, b) FROM t").upper()


def test_anomalies_per_hour(lake):
    con, curated = lake
    got = run(con, "anomalies_per_hour").df()
    hours = curated.assign(h=curated["event_time"].dt.floor("h")).groupby("h")
    expected = pd.DataFrame(
        {"readings": hours.size(), "anomalies": hours["anomaly_flag"].sum()}
    ).reset_index()
    assert got["readings"].tolist() == expected["readings"].tolist()
    assert got["anomalies"].tolist() == expected["anomalies"].tolist()
    assert got["anomalies"].sum() > 0


def test_avg_pressure_by_event_type(lake):
    con, curated = lake
    got = run(con, "avg_pressure_by_event_type").df().set_index(["event_class", "phase"])
    labelled = curated[curated["label"].notna()].copy()
    labelled["phase"] = labelled["label"].map(
        lambda v: "normal" if v == 0 else ("transient" if v > 100 else "steady")
    )
    expected = labelled.groupby(["event_class", "phase"])["p_tpt"].mean()
    assert got["avg_p_tpt"].sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())


def test_top_wells_by_anomaly_rate(lake):
    con, curated = lake
    got = run(con, "top_wells_by_anomaly_rate").df()
    rates = curated.groupby("well_id")["anomaly_flag"].mean().round(4)
    expected = rates.reset_index().sort_values(["anomaly_flag", "well_id"], ascending=[False, True])
    assert got["well_id"].tolist() == expected["well_id"].tolist()[:10]
    assert got["anomaly_rate"].tolist() == pytest.approx(expected["anomaly_flag"].tolist()[:10])


def test_time_to_first_flag(lake):
    con, curated = lake
    got = run(con, "time_to_first_flag").df().set_index("event_class")
    delays: dict[int, list[float]] = {}
    for (event_class, _), rows in curated[curated["event_class"] > 0].groupby(["event_class", "source_file"]):
        start = rows.loc[rows["label"] > 0, "event_time"].min()
        flagged = rows.loc[rows["anomaly_flag"] & (rows["event_time"] >= start), "event_time"]
        delays.setdefault(event_class, []).append(
            (flagged.min() - start).total_seconds() if len(flagged) else None
        )
    for event_class, values in delays.items():
        detected = [v for v in values if v is not None]
        assert got.loc[event_class, "instances"] == len(values)
        assert got.loc[event_class, "detected"] == len(detected)
        assert got.loc[event_class, "avg_seconds_to_flag"] == pytest.approx(sum(detected) / len(detected))


def test_flags_beat_the_fixed_threshold_baseline(lake):
    from pipeline import evaluation

    con, _ = lake
    scores = evaluation.overall(evaluation.quality(con))
    assert scores["recall"] > scores["baseline_recall"]
    assert scores["precision"] >= 0.95


def test_sql_that_does_not_parse_is_a_typed_error_with_sqlglots_message():
    from pipeline.duck import LakeQueryError
    from pipeline.queries import QuerySyntaxError

    with pytest.raises(QuerySyntaxError) as error:
        to_duckdb("SELECT FROM WHERE")
    assert isinstance(error.value, LakeQueryError) and str(error.value)
