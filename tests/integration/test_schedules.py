"""The scheduled jobs on LocalStack: the EventBridge rules Terraform deployed, their targets and
inputs, and each target invoked with its rule's own input (no test waits an hour for a rule to
fire): the compaction runs, and the daily summary reaches the data-quality topic."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from pipeline import layout

pytestmark = pytest.mark.integration

EXPECTED = {  # job -> (schedule, the function the rule invokes, the event it sends); infra/ defaults
    "compaction": ("rate(1 hour)", "curated_builder_function_name", {"job": "compact"}),
    "quality-summary": ("cron(0 6 * * ? *)", "quality_summary_function_name", {"job": "quality-summary"}),
}


def _target(aws, deployed, job: str) -> dict:
    [target] = aws("events").list_targets_by_rule(Rule=deployed.schedule_rule_names[job])["Targets"]
    return target


def _invoke(aws, function: str, payload: str) -> dict:
    response = aws("lambda").invoke(FunctionName=function, Payload=payload.encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def test_each_job_has_an_enabled_rule_invoking_its_function_with_its_event(deployed, aws) -> None:
    assert set(deployed.schedule_rule_names) == set(EXPECTED)
    events, lam = aws("events"), aws("lambda")
    dead_letters = aws("sqs").get_queue_attributes(
        QueueUrl=deployed.schedules_dead_letter_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    for job, (schedule, output, event) in EXPECTED.items():
        rule = events.describe_rule(Name=deployed.schedule_rule_names[job])
        assert (rule["ScheduleExpression"], rule["State"]) == (schedule, "ENABLED")
        function = lam.get_function_configuration(FunctionName=getattr(deployed, output))
        target = _target(aws, deployed, job)
        assert target["Arn"] == function["FunctionArn"] and json.loads(target["Input"]) == event
        invoke_config = lam.get_function_event_invoke_config(FunctionName=function["FunctionName"])
        assert invoke_config["MaximumRetryAttempts"] == 2
        assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == dead_letters


def test_the_compaction_target_compacts_the_lake(deployed, aws, chain) -> None:
    result = _invoke(
        aws, deployed.curated_builder_function_name, _target(aws, deployed, "compaction")["Input"]
    )
    assert result["job"] == "compact" and result["partitions"] > 0  # the chain's partitions


def test_the_summary_target_publishes_the_days_summary(deployed, aws) -> None:
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=f"petrostream-test-summary-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=deployed.quality_topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={
            "FilterPolicy": json.dumps({"detector": ["daily_summary"]}),
            "RawMessageDelivery": "true",
        },
    )
    reason = f"test_reason_{uuid.uuid4().hex[:6]}"  # a reason only this test's quarantine object has
    aws("s3").put_object(
        Bucket=deployed.lake_bucket,
        Key=f"{layout.prefix('quarantine')}date=2026-12-01/{reason}.ndjson",
        Body=(json.dumps({"reason": reason}) + "\n").encode() * 3,
    )

    result = _invoke(
        aws, deployed.quality_summary_function_name, _target(aws, deployed, "quality-summary")["Input"]
    )

    assert result["quarantined_by_reason"][reason] == 3
    deadline, received = time.monotonic() + 30, []
    while not received and time.monotonic() < deadline:
        received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert received, "the summary reached a subscriber of the data-quality topic"
    assert json.loads(received[0]["Body"]) == result
