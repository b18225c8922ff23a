"""The catalog and the named queries through the Athena API, against the DuckDB path.

infra/ is applied with enable_athena=true, Glue and Athena going to MiniStack (conftest's
`deployment`). MiniStack's Athena runs SQL with DuckDB over its own S3 and reads every Parquet
file under a table's location, the symlink folder, with date= and hour= from the folders (it
does not interpret SymlinkTextInputFormat): so the test copies exactly the files the manifests
commit into the symlink folders of a bucket of the same name there, which is what Athena reads
through the symlink manifests. Then each named query, fetched by the id Terraform output, runs
through start_query_execution / get_query_execution / get_query_results, and its rows must equal
what `petrostream query` computes with sqlglot and DuckDB over the same files.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

import pytest

from petrostream.lake import lake_store
from pipeline import layout, queries, table
from pipeline.duck import S3Access, connect
from services import local_aws
from services.settings import DEFAULT_REGION as REGION

pytestmark = pytest.mark.integration

QUERY_SECONDS = 60.0


def _athena_key(zone: str, key: str) -> str:
    """Where Athena finds a committed file through the symlink folder: <zone><symlink>date=/hour=/."""
    return layout.symlink_prefix(zone) + key[len(layout.prefix(zone)) :]


def _run(athena: Any, named: dict[str, Any]) -> list[list[str | None]]:
    started = athena.start_query_execution(
        QueryString=named["QueryString"],
        QueryExecutionContext={"Database": named["Database"]},
        WorkGroup=named["WorkGroup"],
    )["QueryExecutionId"]
    deadline = time.monotonic() + QUERY_SECONDS
    while True:
        status = athena.get_query_execution(QueryExecutionId=started)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        assert time.monotonic() < deadline, f"{named['Name']} still {status['State']} after {QUERY_SECONDS} s"
        time.sleep(0.2)
    assert status["State"] == "SUCCEEDED", f"{named['Name']}: {status.get('StateChangeReason')}"
    rows = [
        [cell.get("VarCharValue") for cell in row["Data"]]
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=started)
        for row in page["ResultSet"]["Rows"]
    ]
    return rows


def _same(athena_value: str | None, duck_value: Any) -> bool:
    """An Athena result cell (text) against DuckDB's value of the same cell."""
    if athena_value is None or duck_value is None:
        return athena_value is None and duck_value is None
    if isinstance(duck_value, bool):
        return athena_value.lower() == str(duck_value).lower()
    if isinstance(duck_value, float):
        return math.isclose(float(athena_value), duck_value, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(duck_value, int):
        return int(athena_value) == duck_value
    if isinstance(duck_value, datetime):
        return datetime.fromisoformat(athena_value) == duck_value.replace(tzinfo=None)
    return athena_value == str(duck_value)


def test_named_queries_through_the_athena_api_equal_the_duckdb_path(chain, deployed, localstack, ministack):
    assert deployed.glue_database and deployed.athena_workgroup, "enable_athena was not applied"
    assert set(deployed.named_query_ids) == set(queries.names())
    store = lake_store(localstack.endpoint, REGION, deployed.lake_bucket)
    committed = table.committed_keys(store)  # one snapshot for both engines
    assert committed["curated"], "the chain left nothing in curated"

    mini = {name: local_aws.client(name, ministack.endpoint, REGION) for name in ("s3", "athena")}
    mini["s3"].create_bucket(Bucket=deployed.lake_bucket)  # also holds athena-results/
    for zone, keys in committed.items():
        for key in keys:
            found = store.read(key)
            assert found is not None, f"{key} is committed but gone"
            mini["s3"].put_object(Bucket=deployed.lake_bucket, Key=_athena_key(zone, key), Body=found[0])

    con = connect(S3Access(REGION, localstack.endpoint))
    queries.create_views(con, store, committed)
    for name, query_id in sorted(deployed.named_query_ids.items()):
        named = mini["athena"].get_named_query(NamedQueryId=query_id)["NamedQuery"]
        assert named["QueryString"] == queries.athena_sql(name)  # the file Terraform deployed
        header, *rows = _run(mini["athena"], named)
        result = queries.run(con, name)
        assert header == [column[0] for column in result.description], name
        expected = result.fetchall()
        assert rows and len(rows) == len(expected), (
            f"{name}: {len(rows)} rows through Athena, {len(expected)} in DuckDB"
        )
        for got, want in zip(rows, expected, strict=True):  # every named query orders on a unique key
            assert all(_same(a, d) for a, d in zip(got, want, strict=True)), f"{name}: {got} != {want}"
