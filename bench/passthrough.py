"""The chain-ceiling benchmark's stream processor: Kinesis records to Firehose unchanged.

bench/end_to_end.py swaps it into the deployed processor function (same zip, same runtime, same
event source mapping and Firehose), so what the chain sustains with it is the emulator's own
ceiling: everything but validation, detection, state and the curated builder. It keeps the
processor's contract for failures (batchItemFailures from the first record Firehose refused) so
nothing is lost while it runs. Shipped as a module of the function's zip; only boto3 (the Lambda
runtime's) and the standard library.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import boto3

MAX_RECORDS = 500  # Firehose PutRecordBatch: 500 records per call

firehose = boto3.client("firehose")


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    stream = os.environ["DELIVERY_STREAM_NAME"]
    records = event["Records"]
    for start in range(0, len(records), MAX_RECORDS):
        chunk = records[start : start + MAX_RECORDS]
        entries = [{"Data": base64.b64decode(r["kinesis"]["data"]) + b"\n"} for r in chunk]
        response = firehose.put_record_batch(DeliveryStreamName=stream, Records=entries)
        if response.get("FailedPutCount"):
            first = next(
                r
                for r, answer in zip(chunk, response["RequestResponses"], strict=True)
                if "ErrorCode" in answer
            )
            return {"batchItemFailures": [{"itemIdentifier": first["kinesis"]["sequenceNumber"]}]}
    return {"batchItemFailures": []}
