"""Reading the deployed lake back, for integration tests that check what reached it: curated
rows through the manifests, raw rows by event id, and the curated builder's queue drained."""

from __future__ import annotations

import time
from typing import Any

from petrostream.lake import lake_store
from pipeline import layout, table
from pipeline.duck import S3Access, connect, count, sql_list
from services.settings import DEFAULT_REGION as REGION


def curated_rows(endpoint: str, bucket: str, well: str) -> list[dict[str, Any]]:
    """The well's committed curated rows (through the manifests), in time order, every copy."""
    store = lake_store(endpoint, REGION, bucket)
    keys = [store.url(key) for key in table.committed_keys(store)["curated"]]
    if not keys:
        return []
    con = connect(S3Access(REGION, endpoint))
    try:
        cursor = con.execute(
            f"SELECT * FROM read_parquet({sql_list(keys)}, hive_partitioning=true) WHERE well_id = ? "
            "ORDER BY event_time",
            [well],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def curated_when(
    endpoint: str, bucket: str, well: str, rows: int, seconds: float = 180.0
) -> list[dict[str, Any]]:
    """Poll curated_rows until the well has `rows` rows, or the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        found = curated_rows(endpoint, bucket, well)
        if len(found) >= rows or time.monotonic() > deadline:
            return found
        time.sleep(1.0)


def raw_rows_when(endpoint: str, bucket: str, event_ids: list[str], rows: int, seconds: float = 120.0) -> int:
    """Poll the raw zone until it holds `rows` rows (every copy) of these event ids, or the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        con = connect(S3Access(REGION, endpoint))
        try:
            found = count(
                con,
                f"SELECT count(*) FROM read_json('s3://{bucket}/{layout.prefix('raw')}**', "
                "format='newline_delimited', columns={'event_id': 'VARCHAR'}) "
                "WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
                [event_ids],
            )
        finally:
            con.close()
        if found >= rows or time.monotonic() > deadline:
            return found
        time.sleep(1.0)


def builder_idle(aws: Any, deployed: Any, seconds: float = 120.0) -> None:
    """Wait until the builder's queue is empty twice in a row (every announced raw object built)."""
    sqs, quiet = aws("sqs"), 0
    deadline = time.monotonic() + seconds
    while quiet < 2:
        assert time.monotonic() < deadline, "the curated builder did not drain its queue"
        attributes = sqs.get_queue_attributes(
            QueueUrl=deployed.raw_objects_queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        quiet = quiet + 1 if not any(int(v) for v in attributes.values()) else 0
        time.sleep(1.0)
