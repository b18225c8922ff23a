"""Curated builder: raw objects announced on SQS -> curated Parquet and gold aggregates.

S3 notifies the raw-objects queue of every object Firehose writes; Lambda hands this function
batches of those notifications. One build merges all of the batch's objects into the partitions
they touch (pipeline/lake_store.build_from_raw). A failed build raises, so the whole batch
becomes visible again and is retried; the build is idempotent, so a retry or a duplicate
notification is harmless. Reserved concurrency 1 (infra/builder.tf) keeps two builds from
rewriting the same partition at once.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pipeline import layout
from pipeline.lake_store import S3Store, build_from_raw

logger = Logger()
metrics = Metrics()
_s3 = boto3.client("s3")


def raw_keys(event: dict[str, Any]) -> list[str]:
    """Raw object keys of the S3 notifications in an SQS batch (test events are skipped)."""
    keys = []
    for message in event.get("Records", []):
        body = json.loads(message["body"])
        for record in body.get("Records", []):
            key = unquote_plus(record["s3"]["object"]["key"])
            if key.startswith(layout.prefix("raw")):
                keys.append(key)
    return keys


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    keys = raw_keys(event)
    started = time.monotonic()
    output = build_from_raw(S3Store(_s3, os.environ["LAKE_BUCKET"]), keys, work_dir=os.environ.get("TMPDIR", "/tmp"))
    seconds = time.monotonic() - started
    logger.set_correlation_id(",".join(output.run_ids) or None)  # the producer runs, as in the stream processor
    metrics.add_metric(name="RawObjectsBuilt", unit=MetricUnit.Count, value=len(keys))
    metrics.add_metric(name="PartitionsWritten", unit=MetricUnit.Count, value=len(output.partitions))
    metrics.add_metric(name="BuildSeconds", unit=MetricUnit.Seconds, value=seconds)
    logger.info("built", extra={"raw_objects": len(keys), "partitions": output.partitions, "curated_rows": output.curated_rows, "seconds": round(seconds, 3)})
    return {"raw_objects": len(keys), "partitions": len(output.partitions), "curated_rows": output.curated_rows}
