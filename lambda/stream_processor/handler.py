"""Stream processor: Kinesis batch -> validated, flagged rows -> Firehose (raw zone).

Per record (pipeline/stream.py, no AWS): strict validation against the schema (out-of-range
sensors set aside), data-quality notes, and every detector against its well's own state
(pipeline/detector.py). Powertools' BatchProcessor runs `record_handler` on each record and
keeps the verdict it returns; the handler then acts on the whole batch: valid rows go to
Firehose as NDJSON, invalid ones to one quarantine object per batch with their reasons, and
flagged ones also raise an alert (a structured log line and a message on the anomaly-alerts SNS
topic; sensor faults go to the data-quality topic), with message attributes subscribers filter on.

Each well's detector state is loaded from S3 before the batch and committed after delivery,
conditionally on the version read (pipeline/state_store.py), and only up to the first record
Lambda will deliver again, so a retried batch is scored from the state its first attempt saw.

Partial batch failures go through Powertools too: a record whose handler raised, or that
Firehose still rejected after retries (handed to the processor's `failure_handler`), is returned
in batchItemFailures so Lambda retries from it instead of dropping it (the lake deduplicates the
records after it that are sent again). `raise_on_entire_batch_failure=False` lets a batch whose
every record Firehose rejected be reported item by item; a batch whose every record raised still
fails the invocation, so Lambda bisects it (bisect_batch_on_function_error in infra/processor.tf).

Settings come from processor_config (read once, at cold start); the boto3 clients are created
at import, reused across invocations, and replaceable in tests through `clients`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, ExceptionInfo
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from processor_config import ProcessorConfig

from pipeline.batching import chunks
from pipeline.detector import Detector
from pipeline.message_attributes import sns_message_attributes
from pipeline.state_store import StateConflict, StateStore
from pipeline.storage import S3Store
from pipeline.stream import (
    BatchOutcome,
    StreamRecord,
    StreamScorer,
    Verdict,
    alert_attributes,
    iso,
    ndjson_line,
    sequence_key,
)

MAX_RECORDS = 500  # Firehose PutRecordBatch: 500 records and 4 MiB per call
MAX_BYTES = 4 * 1024 * 1024
ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.05  # before the second attempt; doubles before each later one
ALERTS_PER_PUBLISH_BATCH = 10  # SNS PublishBatch limit


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the function: module-level so warm invocations reuse their connections."""

    firehose: Any
    s3: Any
    sns: Any

    @classmethod
    def create(cls) -> Clients:
        return cls(firehose=boto3.client("firehose"), s3=boto3.client("s3"), sns=boto3.client("sns"))


class DeliveryFailed(Exception):
    """Firehose rejected a record on every attempt."""


class AlertsNotSent(Exception):
    """A topic refused alerts: the invocation fails, so the batch and its alerts are retried."""


logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
config = ProcessorConfig.from_env()
clients = Clients.create()
detector = Detector(overrides=config.limits)
scorer = StreamScorer(detector)  # replaced at the start of every invocation


def record_handler(record: KinesisStreamRecord) -> Verdict:
    """Judge one record; Powertools keeps the verdict (raw row or quarantine entry) as its result."""
    return scorer.process(
        StreamRecord(
            sequence_number=record.kinesis.sequence_number,
            partition_key=record.kinesis.partition_key,
            arrival=datetime.fromtimestamp(record.kinesis.approximate_arrival_timestamp, UTC),
            data=record.kinesis.data_as_bytes(),
        )
    )


def batch_outcome(results: list[tuple[str, Any, Any]]) -> BatchOutcome:
    """The batch's outcome from processor.process()'s (status, result, record) tuples.

    Records whose handler raised are already Powertools' failures and hold no verdict."""
    return BatchOutcome.from_verdicts(
        (record["kinesis"]["sequenceNumber"], result)
        for status, result, record in results
        if status == "success"
    )


def _deliver(chunk: list[tuple[str, bytes]]) -> dict[str, str]:
    """Put one chunk, retrying only the rejected entries.

    Returns sequence number -> Firehose's last error, for the entries still rejected."""
    pending = chunk
    errors: dict[str, str] = {}
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(RETRY_DELAY_SECONDS * 2 ** (attempt - 1))
        response = clients.firehose.put_record_batch(
            DeliveryStreamName=config.delivery_stream_name, Records=[{"Data": data} for _, data in pending]
        )
        if response["FailedPutCount"] == 0:
            return {}
        rejected = [
            (sequence, result)
            for (sequence, _), result in zip(pending, response["RequestResponses"], strict=True)
            if "ErrorCode" in result
        ]
        errors = {
            sequence: f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
            for sequence, result in rejected
        }
        pending = [item for item in pending if item[0] in errors]
        if not pending:
            return {}
    return errors


def _deliver_rows(rows: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Every valid row to Firehose, in chunks within PutRecordBatch's limits; returns the rejected ones."""
    failed: dict[str, str] = {}
    lines = [(sequence, ndjson_line(row)) for sequence, row in rows]
    for chunk in chunks(lines, MAX_RECORDS, MAX_BYTES, lambda item: len(item[1])):
        failed.update(_deliver(chunk))
    return failed


def _quarantine(entries: list[dict[str, Any]], shard: str) -> str:
    """One NDJSON object per batch; its key derives from the first record, so a retry overwrites it."""
    first = entries[0]
    key = f"{config.quarantine_prefix}date={first['arrival'][:10]}/{shard}-{first['sequence_number']}.ndjson"
    body = b"".join(ndjson_line(entry) for entry in entries)
    clients.s3.put_object(Bucket=config.lake_bucket, Key=key, Body=body, ContentType="application/x-ndjson")
    return key


def _alert(alerts: list[dict[str, Any]], faults: list[dict[str, Any]]) -> None:
    for alert in alerts:
        logger.warning("anomaly", extra={"alert": alert})
    for fault in faults:
        logger.warning("sensor_fault", extra={"fault": fault})
    _publish(config.alerts_topic_arn, alerts)
    _publish(config.quality_topic_arn, faults)


def _publish(topic: str | None, alerts: list[dict[str, Any]]) -> None:
    """Publish alerts to a topic, ten at a time, each with the attributes subscribers filter on."""
    if not topic or not alerts:
        return
    for start in range(0, len(alerts), ALERTS_PER_PUBLISH_BATCH):
        batch = alerts[start : start + ALERTS_PER_PUBLISH_BATCH]
        entries = [
            {
                "Id": str(i),
                "Message": json.dumps(alert),
                "MessageAttributes": sns_message_attributes(alert_attributes(alert)),
            }
            for i, alert in enumerate(batch)
        ]
        failed = clients.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries).get("Failed")
        if failed:
            raise AlertsNotSent(f"{topic} refused {len(failed)} of {len(entries)} alerts: {failed}")


def _report_undelivered(failed: dict[str, str], records: list[dict[str, Any]]) -> None:
    """Hand Firehose's rejects to the processor, so that its response lists them as batch item failures."""
    if not failed:
        return  # the usual case: no need to index the batch
    by_sequence = {record["kinesis"]["sequenceNumber"]: record for record in records}
    for sequence, error in failed.items():
        exception = DeliveryFailed(f"Firehose rejected record {sequence} on all {ATTEMPTS} attempts: {error}")
        exc_info: ExceptionInfo = (DeliveryFailed, exception, None)
        processor.failure_handler(KinesisStreamRecord(by_sequence[sequence]), exc_info)


def _checkpoint(response: PartialItemFailureResponse) -> str | None:
    """The first record Lambda will deliver again (it retries from the lowest failed one)."""
    failed = [str(item["itemIdentifier"]) for item in response["batchItemFailures"]]  # Kinesis: a str
    return min(failed, key=sequence_key) if failed else None


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    global scorer
    records: list[dict[str, Any]] = event.get("Records", [])
    started = time.time()
    states = StateStore(S3Store(clients.s3, config.lake_bucket), config.state_prefix)
    # the partition key is the well: load every well's state at once, others as they appear
    scorer = StreamScorer(
        detector, states.load_many({r["kinesis"]["partitionKey"] for r in records}), load=states.load
    )
    with processor(records=records, handler=record_handler):
        outcome = batch_outcome(processor.process())
        if records and len(processor.exceptions) == len(records):
            # Powertools' default for a batch none of whose records could be judged: fail the invocation.
            raise BatchProcessingError(
                msg=f"All {len(records)} records failed processing.", child_exceptions=processor.exceptions
            )
        run_ids = sorted({row["run_id"] for _, row in outcome.rows if row.get("run_id")})
        logger.set_correlation_id(",".join(run_ids) or None)

        if outcome.quarantined:
            shard = records[0]["eventID"].split(":")[0]
            key = _quarantine(outcome.quarantined, shard)
            reasons = sorted({q["reason"] for q in outcome.quarantined})
            logger.info(
                "quarantined", extra={"count": len(outcome.quarantined), "key": key, "reasons": reasons}
            )
        failed = _deliver_rows(outcome.rows)
        _report_undelivered(failed, records)  # before the block ends: _clean() builds the response
    response = processor.response()
    # Alerts before the commit: a failure from here on fails the invocation, and its retry
    # alerts again (alerts are at least once).
    _alert(outcome.alerts(), scorer.faults)
    committed = scorer.states_to_commit(_checkpoint(response))
    try:
        states.commit_many(committed)
    except StateConflict as conflict:
        # Another invocation advanced a well since this one loaded it (a duplicate invocation):
        # fail, so Lambda retries the batch against the newer state; its rows are in the raw zone
        # already and the lake keeps one copy of each event_id.
        logger.error("state_conflict", extra={"error": str(conflict)})
        raise

    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=len(records))
    metrics.add_metric(name="RecordsValid", unit=MetricUnit.Count, value=len(outcome.rows))
    metrics.add_metric(name="RecordsQuarantined", unit=MetricUnit.Count, value=len(outcome.quarantined))
    metrics.add_metric(name="Anomalies", unit=MetricUnit.Count, value=outcome.anomalies)
    metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=len(failed))
    oldest = min((row["ingested_at"] for _, row in outcome.rows), default=None)  # earliest Kinesis arrival
    if oldest is not None:
        lag = started - datetime.fromisoformat(oldest).timestamp()
        metrics.add_metric(name="IteratorLagMs", unit=MetricUnit.Milliseconds, value=max(lag, 0) * 1000)
    logger.info(
        "batch",
        extra={
            "records": len(records),
            "valid": len(outcome.rows),
            "quarantined": len(outcome.quarantined),
            "anomalies": outcome.anomalies,
            "delivery_failures": len(failed),
            "states_committed": len(committed),
            "started_at": iso(datetime.fromtimestamp(started, UTC)),
            "seconds": round(time.time() - started, 3),
            "oldest_arrival": oldest,
        },
    )
    return response
