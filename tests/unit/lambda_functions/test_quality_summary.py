"""lambda/quality_summary/handler.py against moto's S3 and SNS: the scheduled run publishes the
period's summary on the data-quality topic, with the attributes subscribers filter on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline import layout
from tests.unit.lambda_functions.support import (
    LAKE_BUCKET,
    Alerting,
    LoadFunction,
    emitted,
    invoke,
    metric_values,
)

SCHEDULED = {"job": "quality-summary"}  # the constant input infra/schedules.tf's rule sends


def test_the_summary_is_published_with_its_attributes(
    load_function: LoadFunction, s3: Any, alerting: Alerting, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(
        Bucket=LAKE_BUCKET,
        Key=f"{layout.prefix('quarantine')}date=2026-12-01/shard-1.ndjson",
        Body=b'{"reason": "invalid_record"}\n{"reason": "invalid_record"}\n',
    )
    s3.put_object(
        Bucket=LAKE_BUCKET,
        Key=layout.report_key("landing/0/WELL-00042_x.csv"),
        Body=json.dumps(
            {
                "file": "landing/0/WELL-00042_x.csv",
                "status": "loaded_with_discards",
                "discarded_by_reason": {"unparsable_value": 1},
            }
        ).encode(),
    )
    summary = load_function(
        "quality_summary", {"LAKE_BUCKET": LAKE_BUCKET, "QUALITY_TOPIC_ARN": alerting.quality_topic}
    )

    result = invoke(summary, SCHEDULED)

    assert result["quarantined_by_reason"] == {"invalid_record": 2}
    assert result["discarded_by_reason"] == {"unparsable_value": 1} and result["silent_wells"] == {}
    [message] = alerting.received()
    assert json.loads(message["Body"]) == result
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["detector"] == "daily_summary" and attributes["severity"] == "warning"
    _, metrics = emitted(capsys.readouterr().out)
    assert metric_values(metrics)["QuarantinedInPeriod"] == 2


def test_its_settings_are_checked_when_it_loads(load_function: LoadFunction, s3: Any) -> None:
    with pytest.raises(Exception, match="QUALITY_TOPIC_ARN is not set"):
        load_function("quality_summary", {"LAKE_BUCKET": LAKE_BUCKET})
    with pytest.raises(Exception, match="SILENT_AFTER_HOURS must be a positive number"):
        load_function(
            "quality_summary",
            {
                "LAKE_BUCKET": LAKE_BUCKET,
                "QUALITY_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t",
                "SILENT_AFTER_HOURS": "0",
            },
        )
