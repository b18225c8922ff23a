"""Notifications people receive: two SNS topics (anomaly alerts; data-quality alerts and alarms),
messages with attributes subscribers filter on, and the alarms wired to the quality topic."""

from __future__ import annotations

import json
import time

import pytest

from pipeline.stream import alert_attributes

pytestmark = pytest.mark.integration


def _subscribed_queue(aws, topic: str, name: str, filter_policy: dict) -> str:
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(filter_policy), "RawMessageDelivery": "true"},
    )
    return url


def _received(aws, url: str, wanted: int, seconds: float = 30.0) -> list[dict]:
    sqs, found = aws("sqs"), []
    deadline = time.monotonic() + seconds
    while len(found) < wanted and time.monotonic() < deadline:
        found += [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
        ]
    return found


def test_subscribers_filter_alerts_by_their_attributes(deployed, aws):
    only_critical = {"kind": ["anomaly"], "severity": ["critical"]}
    url = _subscribed_queue(aws, deployed.alerts_topic_arn, "petrostream-test-critical", only_critical)
    alerts = [
        {"source": "stream-processor", "well_id": "WELL-09001", "anomaly_type": "zscore", "max_score": 9.0},
        {"source": "stream-processor", "well_id": "WELL-09002", "anomaly_type": "envelope", "max_score": 1.5},
    ]
    sns = aws("sns")
    for alert in alerts:  # published as the stream processor publishes (lambda/stream_processor/handler.py)
        sns.publish(
            TopicArn=deployed.alerts_topic_arn,
            Message=json.dumps(alert),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} for k, v in alert_attributes(alert).items()
            },
        )
    received = _received(aws, url, wanted=1)
    # SNS delivers in no set order: keep reading a while, so a warning let through would show.
    received += _received(aws, url, wanted=1, seconds=3.0)
    assert [a["well_id"] for a in received] == ["WELL-09001"]


def test_alarms_notify_the_data_quality_topic(deployed, aws):
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=deployed.alarm_names)["MetricAlarms"]
    assert alarms and all(a["AlarmActions"] == [deployed.quality_topic_arn] for a in alarms)
    assert all(a["OKActions"] == [deployed.quality_topic_arn] for a in alarms)


def test_the_topics_are_encrypted_with_the_lake_key(deployed, aws):
    sns = aws("sns")
    for topic in (deployed.alerts_topic_arn, deployed.quality_topic_arn):
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert attributes["KmsMasterKeyId"] == deployed.lake_key_arn, topic
