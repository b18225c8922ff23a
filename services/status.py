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

ZONES = ("raw", "quarantine", "curated", "gold_well_hourly", "gold_class_hourly")


@dataclass
class ZoneStatus:
    zone: str
    objects: int
    newest: datetime | None

    def freshness(self, now: datetime) -> str:
        return "empty" if self.newest is None else f"newest {(now - self.newest).total_seconds():.0f} s ago"


@dataclass
class PipelineStatus:
    mappings: list[dict[str, str]] = field(default_factory=list)
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
        lines += [f"  {m['function']:40} {m['state']:9} {m['last_result']}" for m in self.mappings]
        lines.append("queues (messages waiting):")
        lines += [f"  {name:40} {depth}" for name, depth in self.queues.items()]
        lines.append("lake zones:")
        lines += [f"  {z.zone:40} {z.objects:6} objects, {z.freshness(now)}" for z in self.zones]
        lines.append("last errors:" if self.errors else "last errors: none in the last hour")
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def queue_depth(sqs: Any, url: str) -> int:
    """Messages waiting or in flight."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
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
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{function}", startTime=start_ms)
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


def _errors(logs: Any, functions: list[str], since_seconds: int = 3600, limit: int = 5) -> list[str]:
    """The newest ERROR lines of the functions' logs (Powertools JSON, or a Lambda error report)."""
    found: list[tuple[int, str]] = []
    start = int((time.time() - since_seconds) * 1000)
    for function in functions:
        for event in function_log_events(logs, function, start):
            message = event["message"].strip()
            try:
                level = json.loads(message).get("level")
            except (ValueError, AttributeError):
                level = "ERROR" if message.startswith(("[ERROR]", "Traceback")) or '"errorMessage"' in message else None
            if level in ("ERROR", "CRITICAL"):
                found.append((event["timestamp"], f"{function}: {message[:240]}"))
    return [text for _, text in sorted(found)[-limit:]]


def pipeline_status(endpoint: str | None, region: str, outputs: dict[str, Any]) -> PipelineStatus:
    lambda_ = local_aws.client("lambda", endpoint, region)
    sqs = local_aws.client("sqs", endpoint, region)
    s3 = local_aws.client("s3", endpoint, region)
    logs = local_aws.client("logs", endpoint, region)
    status = PipelineStatus()
    for function in outputs["function_names"]:
        for mapping in lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
            status.mappings.append(
                {"function": function, "state": mapping.get("State", "?"), "last_result": mapping.get("LastProcessingResult", "")}
            )
    for name, key in (
        ("stream processor dead-letter queue", "dead_letter_queue_url"),
        ("builder dead-letter queue", "builder_dead_letter_queue_url"),
        ("raw objects waiting for the builder", "raw_objects_queue_url"),
        ("anomaly alerts", "alerts_queue_url"),
    ):
        status.queues[name] = queue_depth(sqs, outputs[key])
    status.zones = [_zone(s3, outputs["lake_bucket"], zone) for zone in ZONES]
    status.errors = _errors(logs, list(outputs["function_names"]))
    return status
