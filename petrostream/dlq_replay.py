"""Re-drive the stream processor's dead-lettered batches, once the cause is fixed.

When a Kinesis batch keeps failing, Lambda gives up after its retries and sends the on-failure
destination (the dead-letter queue) a pointer, not the records: KinesisBatchInfo with the
shard, the first and last sequence numbers and the batch size (the same shape on AWS and
LocalStack). This reads those records back from the stream (they are there for the stream's
retention period), rebuilds the event Lambda would have sent, with the original sequence
numbers and arrival times, and invokes the processor with it. A message is deleted only when
the invocation succeeded with no batch item failures; the lake deduplicates by event_id, so a
batch that had partly gone through is harmless to send again.

A re-drive runs beside the event source mapping, which may be retrying batches of the same
wells: when the processor reports StateConflict (another invocation committed the well's
detector state first) the invocation is sent again, up to CONFLICT_ATTEMPTS times, because a new
invocation reads the new state. Any other failure keeps the message.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from services import local_aws
from services.outputs import StackOutputs

CONFLICT_ATTEMPTS = 5
CONFLICT_BACKOFF_SECONDS = 0.5  # doubled after each conflict


@dataclass
class DlqReplaySummary:
    messages: int = 0
    redriven: int = 0
    records: int = 0
    failed: list[str] = field(default_factory=list)  # why messages were kept


def batch_records(kinesis: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a KinesisBatchInfo points at, read from the stream."""
    stream_arn, shard = info["streamArn"], info["shardId"]
    iterator = kinesis.get_shard_iterator(
        StreamARN=stream_arn,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator and len(found) < info["batchSize"]:
        response = kinesis.get_records(
            StreamARN=stream_arn, ShardIterator=iterator, Limit=min(10_000, info["batchSize"])
        )
        for record in response["Records"]:
            if int(record["SequenceNumber"]) > end:
                return found
            found.append(record)
        if not response["Records"]:
            break
        iterator = response.get("NextShardIterator")
    return found


def kinesis_event(records: list[dict[str, Any]], info: dict[str, Any], region: str) -> dict[str, Any]:
    """The event Lambda's Kinesis event source mapping delivers, for these records."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode(),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{info['shardId']}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "awsRegion": region,
                "eventSourceARN": info["streamArn"],
            }
            for record in records
        ]
    }


def invoke(lambda_: Any, function: str, event: dict[str, Any]) -> tuple[bool, Any]:
    """Invoke the processor with one batch: (failed, payload), sent again on a state conflict."""
    attempts, backoff = 1, CONFLICT_BACKOFF_SECONDS
    while True:
        response = lambda_.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"{}")
        answer = payload if isinstance(payload, dict) else {}  # a handler may return any JSON
        failed = bool(response.get("FunctionError") or answer.get("batchItemFailures"))
        if not failed or answer.get("errorType") != "StateConflict" or attempts == CONFLICT_ATTEMPTS:
            return failed, payload
        time.sleep(backoff)  # another invocation holds the well now; let it finish
        attempts, backoff = attempts + 1, backoff * 2


def replay_dead_letters(
    endpoint: str | None, region: str, outputs: StackOutputs, max_messages: int = 1000
) -> DlqReplaySummary:
    """Re-drive up to max_messages dead-lettered batches through the stream processor."""
    sqs = local_aws.client("sqs", endpoint, region)
    kinesis = local_aws.client("kinesis", endpoint, region)
    lambda_ = local_aws.client("lambda", endpoint, region)
    queue = outputs.dead_letter_queue_url
    processor = outputs.stream_processor_function_name
    summary = DlqReplaySummary()
    while summary.messages < max_messages:
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=120
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            summary.messages += 1
            info = json.loads(message["Body"]).get("KinesisBatchInfo")
            if info is None:
                summary.failed.append(f"{message['MessageId']}: not a Kinesis failure record")
                continue
            records = batch_records(kinesis, info)
            if not records:
                summary.failed.append(
                    f"{message['MessageId']}: records {info['startSequenceNumber']}.. are gone from the "
                    "stream (retention)"
                )
                continue
            failed, payload = invoke(lambda_, processor, kinesis_event(records, info, region))
            if failed:
                summary.failed.append(
                    f"{message['MessageId']}: the processor failed again: {json.dumps(payload)[:300]}"
                )
                continue
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            summary.redriven += 1
            summary.records += len(records)
    return summary
