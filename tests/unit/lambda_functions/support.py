"""Shared by the Lambda handler tests: names of the moto resources, the event fixtures, calling a
handler as Lambda does and reading what it printed (Powertools' log lines and EMF metrics)."""

from __future__ import annotations

import base64
import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from pipeline import layout
from services.settings import DEFAULT_REGION as REGION

REPO_ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = REPO_ROOT / "lambda"
EVENTS_DIR = REPO_ROOT / "tests" / "events"

LAKE_BUCKET = "petrostream-test-lake"  # the bucket the event fixtures name
DELIVERY_STREAM = "petrostream-test-raw"
ALERTS_QUEUE = "petrostream-test-alerts"
ALERT_TOPICS = ("petrostream-test-anomaly-alerts", "petrostream-test-data-quality")
RAW_PREFIX = layout.prefix("raw")  # where Firehose (moto's) delivers the stream processor's rows

# Every variable any function reads; a load sets the ones it is given and unsets the others.
FUNCTION_VARIABLES = (
    "DELIVERY_STREAM_NAME",
    "LAKE_BUCKET",
    "QUARANTINE_PREFIX",
    "STATE_PREFIX",
    "WELL_LIMITS",
    "ALERTS_TOPIC_ARN",
    "QUALITY_TOPIC_ARN",
    "TMPDIR",
    "LANDING_MAX_BYTES",
    "LANDING_MAX_ROWS",
    "SUMMARY_PERIOD_HOURS",
    "SILENT_AFTER_HOURS",
    "STREAM_NAME",
)

# The load_function fixture: (function folder name, environment) -> the loaded handler module.
LoadFunction = Callable[[str, dict[str, str]], ModuleType]


@dataclass(frozen=True)
class FakeContext:
    """The attributes of a LambdaContext that Powertools' inject_lambda_context reads."""

    function_name: str = "petrostream-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:petrostream-test-function"
    aws_request_id: str = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def load_event(name: str) -> dict[str, Any]:
    """A JSON event of tests/events (a fresh copy: tests may change it)."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


def kinesis_event(
    payloads: list[bytes], first_sequence: int = 49668419147018213539128464729463018392837120745236627458
) -> dict[str, Any]:
    """A Kinesis event carrying these payloads, built on the first record of the fixture event."""
    template = load_event("kinesisStreamEvent.json")["Records"][0]
    records = []
    for i, data in enumerate(payloads):
        record = copy.deepcopy(template)
        sequence = str(first_sequence + i)
        record["kinesis"]["sequenceNumber"] = sequence
        record["kinesis"]["data"] = base64.b64encode(data).decode()
        record["kinesis"]["approximateArrivalTimestamp"] = 1767225600.123 + i / 1000
        record["eventID"] = f"shardId-000000000000:{sequence}"
        records.append(record)
    return {"Records": records}


def invoke(function: ModuleType, event: dict[str, Any]) -> Any:
    """Call a loaded handler as Lambda would. Powertools keeps one log handler per service for
    the whole process, so it is pointed at this test's stdout first (for capsys); not with
    setStream, which would flush the stream of an earlier test, closed by now."""
    function.logger.logger_handler.stream = sys.stdout
    return function.handler(event, FakeContext())


def emitted(out: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(log lines, metric documents) among the JSON lines a handler printed."""
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" not in line], [line for line in lines if "_aws" in line]


def metric_values(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Metric name -> value, over the EMF documents Powertools printed (each value a list of one)."""
    values: dict[str, Any] = {}
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                [values[metric["Name"]]] = document[metric["Name"]]
    return values


@dataclass(frozen=True)
class Alerting:
    """The two alert topics, and a queue subscribed to both with raw delivery (as infra/ has it)."""

    alerts_topic: str
    quality_topic: str
    queue_url: str

    def received(self) -> list[dict[str, Any]]:
        """Every message on the queue (deleted as read), with its attributes (SQS ones under raw delivery)."""
        sqs, found = boto3.client("sqs", region_name=REGION), []
        while batch := sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            found += batch
            for message in batch:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found
