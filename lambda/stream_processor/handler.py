"""Stream processor: Kinesis batch -> validated, flagged rows -> Firehose (raw zone).

Per record (pipeline/stream.py, no AWS): strict validation against the schema, data-quality
notes, the fixed operating envelope. Valid rows go to Firehose as NDJSON; invalid ones to
quarantine/ in the lake with their reasons; flagged ones also raise an alert (a structured log
line and a message on the alerts queue). Powertools' BatchProcessor reports partial batch
failures: a record that raised, or that Firehose still rejected after retries, is returned in
batchItemFailures so Lambda retries from it instead of dropping it (the lake deduplicates the
records after it that are sent again).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pipeline.batching import chunks
from pipeline.stream import BatchOutcome, StreamRecord, iso, ndjson_line

MAX_RECORDS = 500  # Firehose PutRecordBatch: 500 records and 4 MiB per call
MAX_BYTES = 4 * 1024 * 1024
ATTEMPTS = 3

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
_firehose = boto3.client("firehose")
_s3 = boto3.client("s3")
_sqs = boto3.client("sqs")


_outcome = BatchOutcome()  # what record_handler collected in the current invocation


def record_handler(record: KinesisStreamRecord) -> None:
    _outcome.add(
        StreamRecord(
            sequence_number=record.kinesis.sequence_number,
            partition_key=record.kinesis.partition_key,
            arrival=datetime.fromtimestamp(record.kinesis.approximate_arrival_timestamp, UTC),
            data=record.kinesis.data_as_bytes(),
        )
    )


def _deliver(stream: str, chunk: list[tuple[str, bytes]]) -> list[str]:
    """Put one chunk, retrying only the failed entries; returns sequence numbers still failing."""
    pending = chunk
    for attempt in range(ATTEMPTS):
        response = _firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": data} for _, data in pending])
        if response["FailedPutCount"] == 0:
            return []
        pending = [item for item, result in zip(pending, response["RequestResponses"]) if "ErrorCode" in result]
        time.sleep(0.05 * 2**attempt)
    return [sequence for sequence, _ in pending]


def _quarantine(entries: list[dict[str, Any]], shard: str) -> str:
    """One NDJSON object per batch; its key derives from the first record, so a retry overwrites it."""
    first = entries[0]
    key = f"{os.environ['QUARANTINE_PREFIX']}date={first['arrival'][:10]}/{shard}-{first['sequence_number']}.ndjson"
    body = b"".join(ndjson_line(entry) for entry in entries)
    _s3.put_object(Bucket=os.environ["LAKE_BUCKET"], Key=key, Body=body, ContentType="application/x-ndjson")
    return key


def _alert(alerts: list[dict[str, Any]]) -> None:
    for alert in alerts:
        logger.warning("anomaly", extra={"alert": alert})
    queue = os.environ.get("ALERTS_QUEUE_URL")
    for start in range(0, len(alerts), 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps(a)} for i, a in enumerate(alerts[start : start + 10])]
        if queue and entries:
            _sqs.send_message_batch(QueueUrl=queue, Entries=entries)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _outcome
    _outcome = BatchOutcome()
    records = event.get("Records", [])
    started = time.time()
    with processor(records=records, handler=record_handler):
        processor.process()
    outcome = _outcome
    run_ids = sorted({row["run_id"] for _, row in outcome.rows if row.get("run_id")})
    logger.set_correlation_id(",".join(run_ids) or None)

    if outcome.quarantined:
        shard = records[0]["eventID"].split(":")[0] if records else "unknown"
        key = _quarantine(outcome.quarantined, shard)
        logger.info("quarantined", extra={"count": len(outcome.quarantined), "key": key, "reasons": sorted({q["reason"] for q in outcome.quarantined})})
    failed: list[str] = []
    lines = [(sequence, ndjson_line(row)) for sequence, row in outcome.rows]
    for chunk in chunks(lines, MAX_RECORDS, MAX_BYTES, lambda item: len(item[1])):
        failed += _deliver(os.environ["DELIVERY_STREAM_NAME"], chunk)
    _alert(outcome.alerts())

    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=len(records))
    metrics.add_metric(name="RecordsValid", unit=MetricUnit.Count, value=len(outcome.rows))
    metrics.add_metric(name="RecordsQuarantined", unit=MetricUnit.Count, value=len(outcome.quarantined))
    metrics.add_metric(name="Anomalies", unit=MetricUnit.Count, value=outcome.anomalies)
    metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=len(failed))
    oldest = min((row["ingested_at"] for _, row in outcome.rows), default=None)  # earliest Kinesis arrival
    if oldest is not None:
        lag = started - datetime.fromisoformat(oldest).timestamp()
        metrics.add_metric(name="IteratorLagMs", unit=MetricUnit.Milliseconds, value=max(lag, 0) * 1000)
    logger.info("batch", extra={"records": len(records), "valid": len(outcome.rows), "quarantined": len(outcome.quarantined), "anomalies": outcome.anomalies, "delivery_failures": len(failed), "started_at": iso(datetime.fromtimestamp(started, UTC)), "oldest_arrival": oldest})

    response = processor.response()
    response["batchItemFailures"] += [{"itemIdentifier": sequence} for sequence in failed]
    return response
