"""Query output: counts print as integers even where DuckDB hands pandas a float."""

from __future__ import annotations

import duckdb

from petrostream.tables import render


def test_sums_of_counts_print_as_integers_and_means_keep_decimals():
    con = duckdb.connect()
    text = render(con.execute("SELECT sum(x) AS readings, avg(x) AS mean FROM (VALUES (5905), (1)) t(x)"))
    assert "5906" in text and "5906.0" not in text
    assert "2953.0" in text


def test_a_missing_count_prints_as_missing_not_nan():
    con = duckdb.connect()
    text = render(con.execute("SELECT * FROM (VALUES (1, 2::HUGEINT), (2, NULL)) t(a, b)"))
    assert "<NA>" in text and "nan" not in text.lower()
