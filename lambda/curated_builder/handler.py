"""Curated builder: raw objects announced on SQS -> new curated and gold files, committed.

Also the scheduled compaction: an EventBridge rule (infra/schedules.tf) invokes it hourly with
{"job": "compact"}, and it compacts and sweeps the whole lake (pipeline/compaction.py).

S3 notifies the raw-objects queue of every object Firehose writes; Lambda hands this function
batches of those notifications. One build commits the batch's new rows to each partition they
fall in as new immutable files (pipeline/build.py), then compacts those partitions when a tier
of small files is full and deletes the files their compaction replaced an hour ago
(pipeline/compaction.py). A failed build raises, so the whole batch becomes visible again and is
retried; a retry or a duplicate notification commits nothing twice (event ids are
deduplicated). Builds may run concurrently: each partition's manifest is replaced only with a
conditional write, and a build that loses the race re-reads it and tries again.

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
from pipeline.compaction import Compacted, compact_lake, compact_partition, sweep
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


def _tidy(store: S3Store, partitions: list[tuple[str, int]]) -> tuple[list[Compacted], list[str]]:
    """Compact the partitions just written and sweep those compacted. Their rows are committed
    already, so a failure here is logged, not raised: failing would send the build back to the
    queue for nothing, and the next build or `petrostream compact` tidies up instead."""
    try:
        compacted = [
            compact_partition(store, date, hour, work_dir=config.work_dir) for date, hour in partitions
        ]
        merged = [c for c in compacted if c.merged]
        return merged, sweep(store, partitions=[(c.date, c.hour) for c in merged]) if merged else []
    except Exception:
        logger.exception("compaction_failed", extra={"partitions": partitions})
        return [], []


COMPACT_JOB = {"job": "compact"}  # the scheduled compaction's event (infra/schedules.tf sends it)


def compact(store: S3Store) -> dict[str, Any]:
    """The scheduled job: compact every partition's full tiers and sweep the whole lake, so the
    partitions no build touches any more are tidied too (their last tier never fills by builds)."""
    started = time.monotonic()
    done = compact_lake(store, work_dir=config.work_dir)
    seconds = time.monotonic() - started
    metrics.add_metric(name="CompactedRowsRewritten", unit=MetricUnit.Count, value=done.rows_rewritten)
    metrics.add_metric(name="FilesSwept", unit=MetricUnit.Count, value=len(done.deleted))
    result = {
        "job": "compact",
        "partitions": done.partitions,
        "compacted": [[c.date, c.hour, c.merged] for c in done.merged],
        "swept": len(done.deleted),
        "seconds": round(seconds, 3),
    }
    logger.info("compacted", extra=result)
    return result


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event == COMPACT_JOB:
        return compact(S3Store(clients.s3, config.lake_bucket))
    keys = raw_keys(event)
    started = time.monotonic()
    store = S3Store(clients.s3, config.lake_bucket)
    output = build_from_raw(store, keys, work_dir=config.work_dir)
    merged, swept = _tidy(store, output.partitions)
    seconds = time.monotonic() - started
    # the producer runs, as in the stream processor
    logger.set_correlation_id(",".join(output.run_ids) or None)
    metrics.add_metric(name="RawObjectsBuilt", unit=MetricUnit.Count, value=len(keys))
    metrics.add_metric(name="PartitionsWritten", unit=MetricUnit.Count, value=len(output.partitions))
    metrics.add_metric(name="CuratedRowsWritten", unit=MetricUnit.Count, value=output.curated_rows)
    metrics.add_metric(
        name="CompactedRowsRewritten", unit=MetricUnit.Count, value=sum(c.rows_rewritten for c in merged)
    )
    metrics.add_metric(name="CommitConflicts", unit=MetricUnit.Count, value=output.conflicts)
    metrics.add_metric(name="BuildSeconds", unit=MetricUnit.Seconds, value=seconds)
    logger.info(
        "built",
        extra={
            "raw_objects": len(keys),
            "partitions": output.partitions,
            "curated_rows": output.curated_rows,
            "commit_conflicts": output.conflicts,
            "compacted": [[c.date, c.hour, c.merged] for c in merged],
            "swept": len(swept),
            "seconds": round(seconds, 3),
        },
    )
    return {
        "raw_objects": len(keys),
        "partitions": len(output.partitions),
        "curated_rows": output.curated_rows,
    }
