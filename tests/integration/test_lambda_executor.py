"""The Lambda side of LocalStack as our users get it: create, invoke, errors, timeout, ESM.

In host mode this exercises the process executor (services/lambda_executor); with Docker,
LocalStack's own container executor. Either way the functions are zips from lambda_build.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import pytest

from services import lambda_build

pytestmark = pytest.mark.integration
FUNCTIONS = Path(__file__).parent.parent / "functions"


@pytest.fixture(scope="module")
def role_arn(aws) -> str:
    iam = aws("iam")
    name = f"executor-test-{uuid.uuid4().hex[:6]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


@pytest.fixture(scope="module")
def make_function(aws, role_arn, tmp_path_factory):
    client = aws("lambda")
    out = tmp_path_factory.mktemp("fn-zips")

    def create(source: str, timeout: int = 10, env: dict[str, str] | None = None) -> str:
        built = lambda_build.build(FUNCTIONS / source, out)
        name = f"{source.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Handler="handler.handler",
            Role=role_arn,
            Code={"ZipFile": built.path.read_bytes()},
            Timeout=timeout,
            Environment={"Variables": env or {}},
        )
        client.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.5, "MaxAttempts": 120}
        )
        return name

    return create


def invoke(aws, name: str, payload: dict) -> tuple[dict, object, str]:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(payload).encode(), LogType="Tail")
    logs = base64.b64decode(response.get("LogResult", "")).decode()
    return response, json.loads(response["Payload"].read() or b"null"), logs


def test_invoke_returns_result_env_and_context(aws, make_function, localstack):
    name = make_function("echo", env={"GREETING": "olá"})
    response, body, logs = invoke(aws, name, {"say": "hi"})
    assert "FunctionError" not in response
    assert body["event"] == {"say": "hi"}
    assert body["env"]["GREETING"] == "olá"
    assert body["env"]["AWS_REGION"] == "us-east-1"
    assert body["env"]["_HANDLER"] == "handler.handler"
    assert 0 < body["remaining_ms"] <= 10_000
    assert "echo hi" in logs and "REPORT RequestId:" in logs
    if localstack.mode == "host":
        # The function sees its zip and the runtime, nothing of LocalStack's or the project's.
        assert not [p for p in body["sys_path"] if ".venvs/localstack" in p or "/.venv/" in p]


def test_unhandled_error_has_the_aws_shape(aws, make_function):
    name = make_function("fails")
    response, body, _ = invoke(aws, name, {"well": "WELL-00001"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "WellOffline"
    assert body["errorMessage"] == "well WELL-00001 is offline"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]


def test_timeout_is_enforced_and_the_function_recovers(aws, make_function):
    name = make_function("sleeps", timeout=1)
    started = time.monotonic()
    response, body, _ = invoke(aws, name, {"seconds": 30})
    assert time.monotonic() - started < 15
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    response, body, _ = invoke(aws, name, {"seconds": 0})
    assert "FunctionError" not in response and body == "woke up"


def test_dependency_missing_from_the_zip_fails_like_on_aws(aws, make_function):
    name = make_function("needs_duckdb")
    response, body, _ = invoke(aws, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'duckdb'" in body["errorMessage"]


def test_logs_reach_cloudwatch(aws, make_function):
    name = make_function("echo")
    invoke(aws, name, {"say": "to-cloudwatch"})
    logs = aws("logs")
    deadline = time.monotonic() + 30
    messages: list[str] = []
    while time.monotonic() < deadline and not any("echo to-cloudwatch" in m for m in messages):
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
            messages = [e["message"] for e in events]
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(0.3)
    assert any("echo to-cloudwatch" in m for m in messages)
    assert any(m.startswith("REPORT RequestId:") for m in messages)


def test_kinesis_event_source_mapping_delivers_every_record(aws, make_function):
    kinesis, s3 = aws("kinesis"), aws("s3")
    bucket = f"esm-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    stream = f"esm-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=stream, WaiterConfig={"Delay": 0.5, "MaxAttempts": 60}
    )
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    name = make_function("kinesis_to_s3", env={"BUCKET": bucket})
    aws("lambda").create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=50,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    sent = [f"reading-{i}" for i in range(120)]
    kinesis.put_records(
        StreamName=stream, Records=[{"Data": s.encode(), "PartitionKey": "WELL-1"} for s in sent]
    )
    received: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(received) < len(sent):
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        received = [
            line for key in keys for line in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        ]
        time.sleep(0.3)
    assert sorted(received) == sorted(sent)
