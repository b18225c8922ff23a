"""Alarms and a dashboard are deployed; `status` reports queues, zones and recent errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.status import ZONES, pipeline_status

pytestmark = pytest.mark.integration
REGION = "us-east-1"


def test_alarms_cover_lag_errors_throttles_dead_letters_and_delivery(deployed, aws):
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=deployed["alarm_names"])["MetricAlarms"]
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms}
    assert {
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Firehose", "DeliveryToS3.Success"),
    } <= metrics
    assert len(alarms) == len(deployed["alarm_names"])
    dead_letter_alarms = [a for a in alarms if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert all(a["Threshold"] == 0 and a["ComparisonOperator"] == "GreaterThanThreshold" for a in dead_letter_alarms)


def test_dashboard_shows_the_pipeline_metrics(deployed, aws):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName=deployed["dashboard_name"])["DashboardBody"])
    rows = [m for widget in body["widgets"] for m in widget["properties"]["metrics"]]
    assert all(isinstance(m, list) and len(m) == 4 for m in rows), rows  # namespace, metric, dimension, value
    metrics = {m[1] for m in rows}
    assert {"RecordsIn", "RecordsQuarantined", "Anomalies", "GetRecords.IteratorAgeMilliseconds", "Errors"} <= metrics


def test_status_reports_zones_queues_and_mappings(chain, deployed, localstack):
    report = pipeline_status(localstack.endpoint, REGION, deployed)
    zones = {z.zone: z for z in report.zones}
    assert set(zones) == set(ZONES)
    assert zones["curated"].objects > 0 and zones["raw"].objects > 0
    assert (datetime.now(UTC) - zones["curated"].newest).total_seconds() < 3600
    assert {m["function"] for m in report.mappings} == set(deployed["function_names"])
    assert set(report.queues) >= {"stream processor dead-letter queue", "builder dead-letter queue"}
    text = report.describe()
    assert "lake zones:" in text and "curated" in text
