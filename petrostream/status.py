"""`petrostream status`: is data flowing, is anything stuck, what failed last.

Locally there are no CloudWatch metrics from Kinesis or SQS (LocalStack does not emit them), so
status reads the resources themselves: the event source mappings, the queue depths (dead-letter
queues, the builder's backlog, alerts), per zone the object count and the age of the newest
object, and the last ERROR lines the functions logged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline import layout
from services import local_aws
from services.outputs import StackOutputs

ZONES = ("raw", "quarantine", "curated", "gold_well_hourly", "gold_class_hourly")


@dataclass
class ZoneStatus:
    zone: str
    objects: int
    newest: datetime | None

    def freshness(self, now: datetime) -> str:
        return "empty" if self.newest is None else f"newest {(now - self.newest).total_seconds():.0f} s ago"


@dataclass(frozen=True)
class MappingStatus:
    """An event source mapping: its state, and what its function last did with a batch.

    LocalStack never updates LastProcessingResult (it stays "No records processed" while records
    flow), so the last result is read from the function's own structured log: its newest batch
    summary line ("batch" or "built") or error, with its age.
    """

    function: str
    source: str  # the queue or stream it reads
    state: str
    last_result: str


@dataclass
class PipelineStatus:
    mappings: list[MappingStatus] = field(default_factory=list)
    queues: dict[str, int] = field(default_factory=dict)
    zones: list[ZoneStatus] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        dead = sum(depth for name, depth in self.queues.items() if "dead-letter" in name)
        return dead == 0 and not self.errors

    def describe(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        lines = ["event source mappings:"]
        lines += [f"  {m.function:40} {m.source:30} {m.state:9} {m.last_result}" for m in self.mappings]
        lines.append("queues (messages waiting):")
        lines += [f"  {name:40} {depth}" for name, depth in self.queues.items()]
        lines.append("lake zones:")
        lines += [f"  {z.zone:40} {z.objects:6} objects, {z.freshness(now)}" for z in self.zones]
        lines.append("last errors:" if self.errors else "last errors: none in the last hour")
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def queue_depth(sqs: Any, url: str) -> int:
    """Messages waiting or in flight."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return sum(int(v) for v in attributes["Attributes"].values())


def _zone(s3: Any, bucket: str, zone: str) -> ZoneStatus:
    count, newest = 0, None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=layout.prefix(zone)):
        for item in page.get("Contents", []):
            count += 1
            newest = item["LastModified"] if newest is None or item["LastModified"] > newest else newest
    return ZoneStatus(zone, count, newest)


def function_log_events(logs: Any, function: str, start_ms: int = 0) -> Iterator[dict[str, Any]]:
    """Every event a Lambda function logged since start_ms, across pages; none if it never logged."""
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=f"/aws/lambda/{function}", startTime=start_ms
    )
    try:
        for page in pages:
            yield from page["events"]
    except logs.exceptions.ResourceNotFoundException:
        return


def json_log_lines(messages: Iterable[str]) -> Iterator[Any]:
    """The messages that are JSON (Powertools' structured lines), parsed; START / END / REPORT skipped."""
    for message in messages:
        try:
            yield json.loads(message)
        except ValueError:
            continue


# The summary line each function logs per batch, and how to say what it did.
SUMMARIES = {
    "batch": lambda line: (
        f"{line.get('records', 0)} records, {line.get('quarantined', 0)} quarantined, "
        f"{line.get('delivery_failures', 0)} delivery failures"
    ),
    "built": lambda line: (
        f"{line.get('raw_objects', 0)} raw objects -> {line.get('curated_rows', 0)} curated rows"
    ),
    "landed": lambda line: (
        f"{line.get('file')}: {line.get('status')}, {line.get('valid', 0)} rows loaded, "
        f"{line.get('discarded', 0)} discarded"
    ),
    "compacted": lambda line: (
        f"compaction: {line.get('partitions', 0)} partitions, {len(line.get('compacted') or [])} compacted"
    ),
    "quality_summary": lambda line: "daily data-quality summary published",
}


def _level(message: str) -> tuple[str | None, dict[str, Any] | None]:
    """(log level, parsed line) of a log message: Powertools JSON, or a plain Lambda error report."""
    try:
        line = json.loads(message)
    except ValueError:
        line = None
    if isinstance(line, dict):
        return line.get("level"), line
    error = message.startswith(("[ERROR]", "Traceback")) or '"errorMessage"' in message
    return ("ERROR" if error else None), None


@dataclass
class FunctionActivity:
    last_result: str = "no batch in the last hour"
    errors: list[tuple[int, str]] = field(default_factory=list)  # (timestamp ms, text)


def function_activity(
    logs: Any, function: str, since_seconds: int = 3600, now: float | None = None
) -> FunctionActivity:
    """The newest batch summary or error of a function, and its ERROR lines, from its log."""
    now = time.time() if now is None else now
    activity = FunctionActivity()
    newest = -1
    for event in function_log_events(logs, function, int((now - since_seconds) * 1000)):
        message = event["message"].strip()
        level, line = _level(message)
        age = f"{now - event['timestamp'] / 1000:.0f} s ago"
        if level in ("ERROR", "CRITICAL"):
            activity.errors.append((event["timestamp"], f"{function}: {message[:240]}"))
            if event["timestamp"] >= newest:
                newest, activity.last_result = event["timestamp"], f"ERROR {age}"
        elif line is not None and str(line.get("message")) in SUMMARIES and event["timestamp"] >= newest:
            newest = event["timestamp"]
            activity.last_result = f"OK {age}: {SUMMARIES[line['message']](line)}"
    return activity


def pipeline_status(endpoint: str | None, region: str, outputs: StackOutputs) -> PipelineStatus:
    lambda_ = local_aws.client("lambda", endpoint, region)
    sqs = local_aws.client("sqs", endpoint, region)
    s3 = local_aws.client("s3", endpoint, region)
    logs = local_aws.client("logs", endpoint, region)
    status = PipelineStatus()
    errors: list[tuple[int, str]] = []
    for function in outputs.function_names:
        activity = function_activity(logs, function)
        errors += activity.errors
        for mapping in lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
            source = mapping.get("EventSourceArn", "?").rsplit(":", 1)[-1].removeprefix("stream/")
            status.mappings.append(
                MappingStatus(function, source, mapping.get("State", "?"), activity.last_result)
            )
    for name, url in (
        ("stream processor dead-letter queue", outputs.dead_letter_queue_url),
        ("builder dead-letter queue", outputs.builder_dead_letter_queue_url),
        ("landing dead-letter queue", outputs.landing_dead_letter_queue_url),
        ("schedules dead-letter queue", outputs.schedules_dead_letter_queue_url),
        ("raw objects waiting for the builder", outputs.raw_objects_queue_url),
        ("anomaly alerts", outputs.alerts_queue_url),
    ):
        status.queues[name] = queue_depth(sqs, url)
    status.zones = [_zone(s3, outputs.lake_bucket, zone) for zone in ZONES]
    status.errors = [text for _, text in sorted(errors)[-5:]]
    return status
