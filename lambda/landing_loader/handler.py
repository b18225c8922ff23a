"""Landing loader: a 3W file dropped under landing/ -> raw rows, discards and a quality report.

S3 announces every object created under landing/ on the landing-objects queue; Lambda hands
this function one notification at a time (Powertools' BatchProcessor reports a failed one, so
SQS retries only it and sends it to the dead-letter queue after its last attempt). For each file
(pipeline/landing.py, no AWS): the producer's reader, the schema's validation and the stream
processor's scoring, row by row. Then:

- valid rows go to the raw zone (raw/landing/...) as NDJSON, the objects Firehose writes for the
  stream, so the curated builder commits them the same way (and keeps one copy of each event id:
  re-uploading a file adds nothing);
- discarded rows go to discard/ with their file, row, column and reason;
- the file's quality report goes to landing-reports/ last, so a report means the file is done;
- a file with discards, or refused whole, is announced on the data-quality topic.

Writes are keyed by the object's key and the SHA-256 of its bytes, so a retried notification
or a re-upload of the same bytes rewrites the same objects (not the ETag: on AWS an SSE-KMS
object's ETag is not a digest of its content, and changes with every upload). Settings come
from landing_config (read once, at cold start); the boto3 clients are created at import and
replaceable in tests through `clients`.
"""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from landing_config import LandingConfig

from pipeline import layout
from pipeline.detector import Detector
from pipeline.landing import LandedFile, land_file, refused
from pipeline.message_attributes import sns_message_attributes
from pipeline.stream import alert_attributes

RAW_OBJECT_BYTES = 32 * 1024 * 1024  # one raw object's NDJSON; the builder reads several at once
RUN_ID_METADATA = "run-id"  # x-amz-meta-run-id: the uploader's run (petrostream backfill sets it)
UPLOAD_ID_METADATA = "upload-id"  # x-amz-meta-upload-id: echoed in the report, so an uploader knows its own


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the function: module-level so warm invocations reuse their connections."""

    s3: Any
    sns: Any

    @classmethod
    def create(cls) -> Clients:
        return cls(s3=boto3.client("s3"), sns=boto3.client("sns"))


logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
config = LandingConfig.from_env()
clients = Clients.create()
detector = Detector(overrides=config.limits)


def landing_objects(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of the landing objects an S3 notification announces (none for s3:TestEvent)."""
    landing = layout.prefix("landing")
    found = []
    for record in body.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        if key.startswith(landing) and not key.endswith("/"):
            found.append((record["s3"]["bucket"]["name"], key))
    return found


def _load(bucket: str, key: str) -> LandedFile:
    head = clients.s3.head_object(Bucket=bucket, Key=key)
    landed = _land(bucket, key, head)
    landed.report["upload_id"] = head.get("Metadata", {}).get(UPLOAD_ID_METADATA)
    landed.report["max_rss_mb"] = peak_memory_mb()
    return landed


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM), Lambda's "Max Memory Used".

    Not getrusage's ru_maxrss: Linux carries it across exec, so a runtime started by a large
    process (LocalStack's host mode) would report its parent's size.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kib / 1024, 1)


def _land(bucket: str, key: str, head: dict[str, Any]) -> LandedFile:
    etag, size = head["ETag"].strip('"'), int(head["ContentLength"])
    too_big = config.file_limits.refuse_size(size)
    if too_big:
        return refused(key, "file_too_large", too_big, etag=etag, size=size)
    run_id = head.get("Metadata", {}).get(RUN_ID_METADATA) or f"landing-{etag[:12]}"
    arrival: datetime = head["LastModified"]  # every row's ingested_at: the same on a retry
    scratch = Path(tempfile.mkdtemp(dir=config.work_dir))
    try:
        # the reader takes the instance's class from the folder and the well from the file name
        local = scratch / Path(key).parent.name / Path(key).name
        local.parent.mkdir(parents=True)
        clients.s3.download_file(bucket, key, str(local))
        return land_file(
            local, key, arrival, run_id=run_id, detector=detector, limits=config.file_limits, etag=etag
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _store(bucket: str, landed: LandedFile) -> None:
    """Raw objects, then the discards, then the report (the report last: it says the file is done)."""
    content = landed.report.get("sha256") or landed.report["etag"]  # the ETag: refused unread
    raw_prefix, discard_key, report_key = layout.landing_paths(landed.key, content)
    raw_keys = []
    for part, body in enumerate(landed.raw_objects(RAW_OBJECT_BYTES)):
        raw_keys.append(f"{raw_prefix}{part:04d}.ndjson")
        clients.s3.put_object(Bucket=bucket, Key=raw_keys[-1], Body=body, ContentType="application/x-ndjson")
    if landed.discarded:
        clients.s3.put_object(
            Bucket=bucket, Key=discard_key, Body=landed.discard_body(), ContentType="application/x-ndjson"
        )
    report = {
        **landed.report,
        "raw_objects": raw_keys,
        "discard_object": discard_key if landed.discarded else None,
    }
    clients.s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report, indent=2).encode() + b"\n",
        ContentType="application/json",
    )
    landed.report = report


def _announce(landed: LandedFile) -> None:
    """Tell the data-quality topic of a file with discards or refused whole."""
    report = landed.report
    if report["status"] == "loaded":
        return
    alert = {
        "source": "data-quality",
        "issue": f"landing_{report['status']}",
        "well_id": ",".join(report.get("wells") or []) or "unknown",
        "file": landed.key,
        "discarded": report["discarded"],
        "discarded_by_reason": report["discarded_by_reason"],
        "error": report.get("error"),
        "report": layout.report_key(landed.key),
    }
    logger.warning("landing_file_not_clean", extra={"alert": alert})
    if config.quality_topic_arn:
        clients.sns.publish(
            TopicArn=config.quality_topic_arn,
            Message=json.dumps(alert),
            MessageAttributes=sns_message_attributes(alert_attributes(alert)),
        )


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    """Load every landing object of one S3 notification; returns their reports."""
    reports = []
    for bucket, key in landing_objects(json.loads(record.body)):
        landed = _load(bucket, key)
        _store(bucket, landed)
        _announce(landed)
        report = landed.report
        metrics.add_metric(name="LandingFiles", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="LandingRowsValid", unit=MetricUnit.Count, value=report["valid"])
        metrics.add_metric(name="LandingRowsDiscarded", unit=MetricUnit.Count, value=report["discarded"])
        if report["status"] == "refused":
            metrics.add_metric(name="LandingFilesRefused", unit=MetricUnit.Count, value=1)
        logger.info("landed", extra={k: v for k, v in report.items() if k != "warnings"})
        reports.append(report)
    return reports


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
