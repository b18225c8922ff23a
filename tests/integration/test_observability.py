"""Logs and metrics reach CloudWatch Logs; alarms and a dashboard are deployed; `status` reports
queues, zones and recent errors."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from petrostream.status import ZONES, function_log_events, json_log_lines, pipeline_status
from services.settings import DEFAULT_REGION as REGION

pytestmark = pytest.mark.integration


def test_alarms_cover_lag_errors_throttles_dead_letters_and_delivery(deployed, aws):
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=deployed.alarm_names)["MetricAlarms"]
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms}
    assert {
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Firehose", "DeliveryToS3.Success"),
    } <= metrics
    assert len(alarms) == len(deployed.alarm_names)
    dead_letter_alarms = [a for a in alarms if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert all(
        a["Threshold"] == 0 and a["ComparisonOperator"] == "GreaterThanThreshold" for a in dead_letter_alarms
    )


def test_dashboard_shows_the_pipeline_metrics(deployed, aws):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName=deployed.dashboard_name)["DashboardBody"])
    rows = [m for widget in body["widgets"] for m in widget["properties"]["metrics"]]
    assert all(isinstance(m, list) and len(m) == 4 for m in rows), rows  # namespace, metric, dimension, value
    metrics = {m[1] for m in rows}
    assert {
        "RecordsIn",
        "RecordsQuarantined",
        "Anomalies",
        "GetRecords.IteratorAgeMilliseconds",
        "Errors",
    } <= metrics


def test_status_reports_zones_queues_and_mappings(chain, deployed, localstack):
    report = pipeline_status(localstack.endpoint, REGION, deployed)
    zones = {z.zone: z for z in report.zones}
    assert set(zones) == set(ZONES)
    assert zones["curated"].objects > 0 and zones["raw"].objects > 0
    assert (datetime.now(UTC) - zones["curated"].newest).total_seconds() < 3600
    # every function but the scheduled summary and the API's has an event source mapping
    assert {m.function for m in report.mappings} == set(deployed.function_names) - {
        deployed.quality_summary_function_name,
        deployed.ingest_api_function_name,
    }
    assert all(m.state == "Enabled" for m in report.mappings), report.mappings
    # from the function logs: each function the chain ran has handled a batch (a later one may have failed)
    chained = {deployed.stream_processor_function_name, deployed.curated_builder_function_name}
    assert all(
        m.last_result.startswith(("OK ", "ERROR ")) for m in report.mappings if m.function in chained
    ), report.mappings
    assert set(report.queues) >= {"stream processor dead-letter queue", "builder dead-letter queue"}
    text = report.describe()
    assert "lake zones:" in text and "curated" in text


def _json_log_lines(aws, function: str) -> list[dict]:
    """The JSON lines a function wrote to its CloudWatch Logs group (START / END / REPORT skipped)."""
    return list(json_log_lines(event["message"] for event in function_log_events(aws("logs"), function)))


def _wait_for_lines(aws, function: str, enough, timeout: float = 60.0) -> list[dict]:
    """Poll a function's log group until ``enough(lines)``; log delivery is asynchronous."""
    deadline = time.monotonic() + timeout
    while not enough(lines := _json_log_lines(aws, function)) and time.monotonic() < deadline:
        time.sleep(1.0)
    return lines


def _emf(lines: list[dict]) -> list[dict]:
    return [line for line in lines if "_aws" in line]


def _total(lines: list[dict], metric: str) -> float:
    """A metric summed over EMF lines; EMF allows a number or an array of values."""
    values = [line[metric] for line in _emf(lines) if metric in line]
    return sum(sum(v) if isinstance(v, list) else v for v in values)


def test_metrics_reach_cloudwatch_logs_in_embedded_metric_format(chain, deployed, aws):
    processor, builder = deployed.stream_processor_function_name, deployed.curated_builder_function_name
    records = chain.replay.summary.records
    lines = _wait_for_lines(aws, processor, lambda ls: _total(ls, "RecordsIn") >= records)
    for line in _emf(lines):
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "PetroStream"
        assert all(metric["Name"] in line for metric in directive["Metrics"]), (
            "every declared metric carries a value"
        )
    declared = {
        metric["Name"] for line in _emf(lines) for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    assert {
        "RecordsIn",
        "RecordsValid",
        "RecordsQuarantined",
        "Anomalies",
        "DeliveryFailures",
        "IteratorLagMs",
    } <= declared
    assert _total(lines, "RecordsIn") >= records  # retried batches count again
    assert _total(lines, "RecordsValid") >= records

    built = _wait_for_lines(aws, builder, lambda ls: _total(ls, "RawObjectsBuilt") > 0)
    assert _total(built, "RawObjectsBuilt") > 0 and _total(built, "PartitionsWritten") > 0


def _carrying(run_id: str, lines: list[dict], message: str) -> list[dict]:
    """The log lines with this message whose correlation id names the run (builds can merge several)."""
    return [
        line
        for line in lines
        if line.get("message") == message and run_id in (line.get("correlation_id") or "").split(",")
    ]


def test_logs_are_structured_and_carry_the_replay_run_id(chain, deployed, aws):
    processor, builder = deployed.stream_processor_function_name, deployed.curated_builder_function_name
    run_id, records = chain.replay.run_id, chain.replay.summary.records
    lines = _wait_for_lines(
        aws, processor, lambda ls: sum(line["valid"] for line in _carrying(run_id, ls, "batch")) >= records
    )
    batches = _carrying(run_id, lines, "batch")
    assert sum(line["valid"] for line in batches) >= records, f"batch log lines with correlation id {run_id}"
    assert all(
        {
            "level",
            "timestamp",
            "function_name",
            "function_request_id",
            "started_at",
            "seconds",
            "oldest_arrival",
        }
        <= set(line)
        for line in batches
    )
    assert all(line["seconds"] >= 0 for line in batches)
    assert all(line["oldest_arrival"] <= line["started_at"] for line in batches if line["oldest_arrival"])
    builds = _carrying(
        run_id, _wait_for_lines(aws, builder, lambda ls: bool(_carrying(run_id, ls, "built"))), "built"
    )
    assert builds and all(line["curated_rows"] > 0 for line in builds), (
        "the builder logs the run ids it merged"
    )
