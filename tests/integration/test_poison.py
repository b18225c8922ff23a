"""Poison records among good ones never block the shard.

Good ones reach curated once, poison is quarantined.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from petrostream.chain import lake_counts
from pipeline import layout
from pipeline.kinesis_writer import encode
from pipeline.records import to_records
from producer.replay import load
from services.settings import DEFAULT_REGION as REGION
from tests.one_instance import one_instance

pytestmark = pytest.mark.integration


def _quarantined_payloads(s3, bucket: str) -> list[str]:
    payloads = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=layout.prefix("quarantine")).get("Contents", []):
        for line in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines():
            entry = json.loads(line)
            payloads.append(entry.get("payload", entry.get("payload_base64", "")))
    return payloads


def test_poison_among_good_records_is_quarantined_and_good_records_land_once(
    chain, deployed, aws, localstack, tmp_path
):
    dataset = one_instance(tmp_path / "dataset", 12, datetime(2025, 8, 1, tzinfo=UTC), seed=5)
    run_id = f"poison-{uuid.uuid4().hex[:8]}"
    good = to_records(load(dataset)[0], run_id, "0/poison-test.parquet")
    marker = uuid.uuid4().hex
    template = dict(good[0], event_id=f"{marker}-x")
    poison = [
        f"{marker}-0 not json".encode(),
        json.dumps({**template, "event_id": f"{marker}-1", "p_tpt": "twelve"}).encode(),  # wrong type
        json.dumps({**template, "event_id": f"{marker}-2", "well_id": None}).encode(),  # missing value
        json.dumps(
            {**template, "event_id": f"{marker}-3", "source_file": "x" * 900_000}
        ).encode(),  # oversized field
        json.dumps({"event_id": f"{marker}-4"}).encode(),  # nearly empty
    ]
    entries = [{"Data": encode(r), "PartitionKey": r["well_id"]} for r in good]
    for i, data in enumerate(poison):  # spread through the good records, on the same shard
        entries.insert(
            (i + 1) * len(good) // (len(poison) + 1), {"Data": data, "PartitionKey": good[0]["well_id"]}
        )
    kinesis = aws("kinesis")
    batch: list[dict] = []
    for entry in [*entries, None]:
        size = sum(len(e["Data"]) for e in batch)
        if entry is None or len(batch) == 500 or size + len(entry["Data"]) > 4_000_000:
            assert (
                kinesis.put_records(StreamName=deployed.stream_name, Records=batch)["FailedRecordCount"] == 0
            )
            batch = []
        if entry is not None:
            batch.append(entry)

    ids = [r["event_id"] for r in good]
    deadline = time.monotonic() + 240
    curated, quarantined = 0, []
    while time.monotonic() < deadline:
        curated = lake_counts(localstack.endpoint, REGION, deployed.lake_bucket, run_id, ids)[1]
        quarantined = [p for p in _quarantined_payloads(aws("s3"), deployed.lake_bucket) if marker in p]
        if curated == len(ids) and len(quarantined) == len(poison):
            break
        time.sleep(2)
    assert curated == len(ids), "every good record in curated"
    assert len(quarantined) == len(poison), "every poison record in quarantine"
    assert (
        aws("sqs").get_queue_attributes(
            QueueUrl=deployed.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )
