"""Counting a lake zone with DuckDB: an empty zone counts 0, any other error is raised."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import duck
from pipeline.duck import LakeQueryError, count


def test_an_empty_zone_counts_zero_and_a_full_one_its_rows(tmp_path):
    con = duckdb.connect()
    query = (
        f"SELECT count(*) FROM read_json('{tmp_path}/zone/**', format='newline_delimited', "
        "columns={'reason': 'VARCHAR'})"
    )
    assert count(con, query) == 0
    (tmp_path / "zone").mkdir()
    (tmp_path / "zone" / "a.ndjson").write_text('{"reason": "x"}\n{"reason": "y"}\n')
    assert count(con, query) == 2
    assert count(con, query + " WHERE reason = ?", ["y"]) == 1


def test_other_errors_are_not_taken_for_an_empty_zone(tmp_path):
    with pytest.raises(LakeQueryError):
        count(duckdb.connect(), "SELECT count(*) FROM no_such_table")


def test_duckdb_spills_where_it_is_told(tmp_path):
    # On Lambda only /tmp is writable; DuckDB's default spill folder is .tmp under /var/task.
    con = duck.connect(temp_directory=tmp_path / "spill")
    try:
        assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (
            str(tmp_path / "spill"),
        )
    finally:
        con.close()
