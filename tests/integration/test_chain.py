"""The pipeline end to end on LocalStack.

replay -> Kinesis -> Lambda -> Firehose -> raw -> builder -> curated, gold.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from petrostream.chain import lake_counts, run_chain
from petrostream.lake import lake_store, lake_views
from pipeline import layout
from pipeline.duck import S3Access, connect
from pipeline.queries import create_views, names, run
from services import local_aws
from services.settings import DEFAULT_REGION as REGION

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lake(chain, deployed, localstack):
    con = connect(S3Access(REGION, localstack.endpoint))
    views = create_views(con, lake_store(localstack.endpoint, REGION, deployed.lake_bucket))
    yield con, views
    con.close()


def test_every_reading_reaches_curated_exactly_once(chain):
    expected = len(set(chain.replay.event_ids))
    assert chain.curated_rows == expected == chain.replay.summary.records
    assert chain.raw_rows >= chain.replay.summary.records


def test_curated_is_partitioned_parquet_with_the_schema_columns(lake, deployed):
    con, views = lake
    assert {"curated_readings", "gold_well_hourly", "gold_class_hourly"} <= set(views)
    columns = [row[0] for row in con.execute("DESCRIBE curated_readings").fetchall()]
    assert columns == [c["name"] for c in deployed.catalog_columns["curated_readings"]] + ["date", "hour"]
    duplicates = con.execute("SELECT count(*) - count(DISTINCT event_id) FROM curated_readings").fetchone()[0]
    assert duplicates == 0


# Glue type -> the DuckDB type a Parquet column must have for Athena to read it as that type.
GLUE_AS_DUCKDB = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE",
                  "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}  # fmt: skip


def test_gold_columns_and_types_are_what_the_glue_tables_declare(lake, deployed):
    con, _ = lake
    for table in ("gold_well_hourly", "gold_class_hourly", "curated_readings"):
        described = [(row[0], row[1]) for row in con.execute(f"DESCRIBE {table}").fetchall()]
        declared = [(c["name"], GLUE_AS_DUCKDB[c["type"]]) for c in deployed.catalog_columns[table]]
        assert described == [*declared, ("date", "VARCHAR"), ("hour", "INTEGER")], table


def test_gold_agrees_with_curated(lake):
    con, _ = lake
    mismatches = con.execute(
        "SELECT count(*) FROM (SELECT date, hour, well_id, sum(readings) AS readings, "
        "sum(anomalies) AS anomalies FROM gold_well_hourly GROUP BY ALL) g FULL JOIN "
        "(SELECT date, hour, well_id, count(*) AS n, count_if(anomaly_flag) AS a "
        "FROM curated_readings GROUP BY ALL) c USING (date, hour, well_id) "
        "WHERE g.readings IS DISTINCT FROM c.n OR g.anomalies IS DISTINCT FROM c.a"
    ).fetchone()[0]
    assert mismatches == 0
    assert (
        con.execute("SELECT sum(readings) FROM gold_well_hourly").fetchone()[0]
        == con.execute("SELECT count(*) FROM curated_readings").fetchone()[0]
    )


def test_every_named_query_runs_on_the_local_lake(lake):
    con, _ = lake
    for name in names():
        assert run(con, name).fetchall(), name


def _checksums(localstack, deployed) -> dict[str, tuple[int, str]]:
    """(rows, content checksum) of curated and gold, independent of row order."""
    con = lake_views(localstack.endpoint, REGION, deployed.lake_bucket)
    sums = {}
    for table in ("curated_readings", "gold_well_hourly", "gold_class_hourly"):
        sums[table] = tuple(
            con.execute(f"SELECT count(*), bit_xor(hash(t)) :: VARCHAR FROM {table} AS t").fetchone()
        )
    con.close()
    return sums


def test_replaying_the_dataset_again_changes_neither_curated_nor_gold(
    chain, deployed, localstack, small_dataset
):
    before = _checksums(localstack, deployed)
    again = run_chain(localstack.endpoint, REGION, deployed, small_dataset, timeout=300)
    assert again.raw_rows >= again.replay.summary.records  # the replay did reach the lake
    assert again.curated_rows == chain.curated_rows
    # Compare once the builder has merged every raw object of the replay (its queue is empty).
    import time

    from petrostream.status import queue_depth

    sqs = local_aws.client("sqs", localstack.endpoint, REGION)
    deadline = time.monotonic() + 180
    while queue_depth(sqs, deployed.raw_objects_queue_url) and time.monotonic() < deadline:
        time.sleep(1)
    assert queue_depth(sqs, deployed.raw_objects_queue_url) == 0
    assert _checksums(localstack, deployed) == before


def test_poison_records_are_quarantined_with_reasons(chain, deployed, aws):
    kinesis = aws("kinesis")
    poison = [b"not json at all", json.dumps({"event_id": "p1", "well_id": "WELL-00009"}).encode()]
    kinesis.put_records(
        StreamName=deployed.stream_name, Records=[{"Data": d, "PartitionKey": "poison"} for d in poison]
    )
    s3 = aws("s3")
    import time

    deadline = time.monotonic() + 60
    entries: list[dict] = []
    while time.monotonic() < deadline and len(entries) < 2:
        keys = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket=deployed.lake_bucket, Prefix=layout.prefix("quarantine")).get(
                "Contents", []
            )
        ]
        entries = [
            json.loads(line)
            for k in keys
            for line in s3.get_object(Bucket=deployed.lake_bucket, Key=k)["Body"].read().splitlines()
        ]
        time.sleep(0.5)
    by_payload = {e["payload"]: e for e in entries}
    assert by_payload["not json at all"]["errors"][0]["field"] == "<record>"
    missing = {e["field"] for e in by_payload[poison[1].decode()]["errors"]}
    assert {"event_time", "source_file"} <= missing


def test_anomalies_and_sensor_faults_raise_alerts_on_the_queue(chain, deployed, aws):
    """The small dataset's events raise anomaly alerts; its mis-scaled P-PDG (WELL-00004) and its
    P-JUS-CKGL frozen below range (WELL-00003) are each reported once as a data-quality fault.
    They reach the alerts queue through the two SNS topics, with the attributes subscribers filter on."""
    import time

    from pipeline import schema
    from pipeline.stream import alert_attributes
    from producer.synthetic import FROZEN_OUT_OF_RANGE, MIS_SCALED

    expected = {
        ("WELL-00003", schema.field_of_source(FROZEN_OUT_OF_RANGE[2][0]).name),
        ("WELL-00004", schema.field_of_source(MIS_SCALED[3][0]).name),
    }
    sqs = aws("sqs")
    alerts: list[dict] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        expected <= {(a["well_id"], a.get("sensor")) for a in alerts}
        and any(a["source"] == "stream-processor" for a in alerts)
    ):
        messages = sqs.receive_message(
            QueueUrl=deployed.alerts_queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for message in messages:
            alert = json.loads(message["Body"])
            if "source" not in alert:  # an alarm's state change, published to the quality topic
                assert "AlarmName" in alert, alert
                continue
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            assert attributes == alert_attributes(alert), alert  # SNS attributes, kept by raw delivery
            alerts.append(alert)
    anomalies = [a for a in alerts if a["source"] == "stream-processor"]
    assert anomalies and all(
        a["count"] >= 1 and set(a["anomaly_type"].split(",")) <= set(schema.anomaly_types())
        for a in anomalies
    )
    faults = [a for a in alerts if a["source"] == "data-quality"]
    assert {(a["well_id"], a["sensor"]) for a in faults if a["issue"] == "implausible_sensor"} == expected


def test_reapplying_unchanged_infra_changes_nothing(deployed, deployment, artifacts_dir):
    has_changes, plan = deployment.plan(artifacts_dir)
    assert not has_changes, plan


def test_deployed_functions_are_the_zips_terraform_was_given(deployed, aws, artifacts_dir):
    names = ("stream_processor", "curated_builder", "landing_loader", "quality_summary", "ingest_api")
    for name, function in zip(names, deployed.function_names, strict=True):
        zip_hash = base64.b64encode(
            hashlib.sha256((artifacts_dir / f"{name}.zip").read_bytes()).digest()
        ).decode()
        config = aws("lambda").get_function_configuration(FunctionName=function)
        assert config["CodeSha256"] == zip_hash
        assert config["Runtime"] == "python3.13"


def test_lake_counts_are_zero_for_an_unknown_run(deployed, localstack):
    assert lake_counts(localstack.endpoint, REGION, deployed.lake_bucket, "no-such-run", ["none"]) == (0, 0)
