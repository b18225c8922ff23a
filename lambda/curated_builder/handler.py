"""Curated builder: raw objects announced on SQS -> curated Parquet and gold aggregates.

S3 notifies the raw-objects queue of every object Firehose writes; Lambda hands this function
batches of those notifications. One build merges all of the batch's objects into the partitions
they touch (pipeline/build.py, build_from_raw). A failed build raises, so the whole batch
becomes visible again and is retried; the build is idempotent, so a retry or a duplicate
notification is harmless. Reserved concurrency 1 (infra/builder.tf) keeps two builds from
rewriting the same partition at once: a build reads a partition's curated file and writes it
back whole, so of two concurrent builds of one partition the later write would drop the other's
rows.

Settings come from builder_config (read once, at cold start); the S3 client is created at
import, reused across invocations, and replaceable in tests through `clients`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from builder_config import BuilderConfig

from pipeline import layout
from pipeline.build import build_from_raw
from pipeline.storage import S3Store


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the function: module-level so warm invocations reuse their connections."""

    s3: Any

    @classmethod
    def create(cls) -> Clients:
        return cls(s3=boto3.client("s3"))


logger = Logger()
metrics = Metrics()
config = BuilderConfig.from_env()
clients = Clients.create()


def raw_keys(event: dict[str, Any]) -> list[str]:
    """Raw object keys of the S3 notifications in an SQS batch.

    s3:TestEvent messages (sent when the notification is configured) hold no Records and
    notifications of objects outside the raw zone are skipped."""
    keys: list[str] = []
    raw_prefix = layout.prefix("raw")
    for message in event.get("Records", []):
        body = json.loads(message["body"])
        for record in body.get("Records", []):
            key = unquote_plus(record["s3"]["object"]["key"])
            if key.startswith(raw_prefix):
                keys.append(key)
    return keys


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    keys = raw_keys(event)
    started = time.monotonic()
    output = build_from_raw(S3Store(clients.s3, config.lake_bucket), keys, work_dir=config.work_dir)
    seconds = time.monotonic() - started
    # the producer runs, as in the stream processor
    logger.set_correlation_id(",".join(output.run_ids) or None)
    metrics.add_metric(name="RawObjectsBuilt", unit=MetricUnit.Count, value=len(keys))
    metrics.add_metric(name="PartitionsWritten", unit=MetricUnit.Count, value=len(output.partitions))
    metrics.add_metric(name="BuildSeconds", unit=MetricUnit.Seconds, value=seconds)
    logger.info(
        "built",
        extra={
            "raw_objects": len(keys),
            "partitions": output.partitions,
            "curated_rows": output.curated_rows,
            "seconds": round(seconds, 3),
        },
    )
    return {
        "raw_objects": len(keys),
        "partitions": len(output.partitions),
        "curated_rows": output.curated_rows,
    }
