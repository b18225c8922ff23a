"""Stream processor, thin slice: Kinesis records -> Firehose (the lake's raw zone).

Only the transport for now: each record is forwarded as one NDJSON line. Records Firehose
rejects after retries are reported as batch item failures, so Lambda retries them from the
first failed one instead of dropping them. Validation and anomaly flags come with the
pipeline issue.
"""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import boto3

# Firehose PutRecordBatch limits: 500 records and 4 MiB per call.
MAX_RECORDS = 500
MAX_BYTES = 4 * 1024 * 1024
ATTEMPTS = 3

_firehose = boto3.client("firehose")


def _chunks(items: list[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    chunks: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for item in items:
        if len(chunks[-1]) == MAX_RECORDS or size + len(item[1]) > MAX_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1])
    return [chunk for chunk in chunks if chunk]


def _deliver(stream: str, chunk: list[tuple[str, bytes]]) -> list[str]:
    """Put one chunk, retrying only the failed entries; returns sequence numbers still failing."""
    pending = chunk
    for attempt in range(ATTEMPTS):
        response = _firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": data} for _, data in pending]
        )
        if response["FailedPutCount"] == 0:
            return []
        pending = [item for item, result in zip(pending, response["RequestResponses"]) if "ErrorCode" in result]
        time.sleep(0.05 * 2**attempt)
    return [sequence for sequence, _ in pending]


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    stream = os.environ["DELIVERY_STREAM_NAME"]
    items = [
        (
            record["kinesis"]["sequenceNumber"],
            base64.b64decode(record["kinesis"]["data"]).rstrip(b"\n") + b"\n",
        )
        for record in event.get("Records", [])
    ]
    failed: list[str] = []
    for chunk in _chunks(items):
        failed += _deliver(stream, chunk)
    print(f"forwarded {len(items) - len(failed)} of {len(items)} records to {stream}")
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
