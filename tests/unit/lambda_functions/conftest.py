"""The Lambda handlers, loaded as the Lambda runtime loads them, against moto's in-memory AWS.

On Lambda a function's folder is the root of sys.path and its handler.py is the module
`handler`; both functions have one, and each imports a config module of its own. Here each load
puts the function's folder first on sys.path, imports handler.py under a name of its own
(`lambda_<function>_handler_<n>`), and afterwards removes the folder from sys.path and every
module loaded from it from sys.modules, so the two functions never share a module and each
test gets a handler whose settings and clients were read under its own environment.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.settings import DEFAULT_REGION as REGION
from tests.unit.lambda_functions.support import (
    ALERT_TOPICS,
    ALERTS_QUEUE,
    DELIVERY_STREAM,
    FUNCTION_VARIABLES,
    FUNCTIONS_DIR,
    LAKE_BUCKET,
    RAW_PREFIX,
    Alerting,
    LoadFunction,
)

_loads = itertools.count()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region, nothing that could reach a real endpoint or a LocalStack."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in (
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
            *FUNCTION_VARIABLES,
        ):
            monkeypatch.delenv(name)
    for name in ("POWERTOOLS_DEV", "POWERTOOLS_METRICS_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PetroStream")


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    """moto's in-memory S3, SQS, SNS and Firehose for the test (clients created inside are intercepted)."""
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    """An S3 client, with the lake bucket created."""
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=LAKE_BUCKET)
    return client


@pytest.fixture
def alerting(aws: None) -> Alerting:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=ALERTS_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topics = [sns.create_topic(Name=name)["TopicArn"] for name in ALERT_TOPICS]
    for topic in topics:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )
    return Alerting(topics[0], topics[1], url)


@pytest.fixture
def delivery_stream(s3: Any) -> str:
    """A Firehose delivery stream writing to the raw zone of the lake bucket, as infra/firehose.tf has it."""
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName=DELIVERY_STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/petrostream-test-firehose",
            "BucketARN": f"arn:aws:s3:::{LAKE_BUCKET}",
            "Prefix": RAW_PREFIX,
        },
    )
    return DELIVERY_STREAM


def _drop_modules_of(folder: Path) -> None:
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().parent == folder:
            del sys.modules[name]


@pytest.fixture
def load_function(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> Iterator[LoadFunction]:
    """load_function(folder name, environment) -> the function's handler module.

    The environment replaces the function's variables (those not given are unset) before the
    module runs, as Lambda sets them before the runtime imports the handler."""
    folders: list[Path] = []

    def load(function: str, environment: dict[str, str]) -> ModuleType:
        folder = (FUNCTIONS_DIR / function).resolve()
        for name in FUNCTION_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", function.replace("_", "-"))  # as infra/*.tf sets it
        _drop_modules_of(folder)
        folders.append(folder)
        sys.path.insert(0, str(folder))
        module_name = f"lambda_{function}_handler_{next(_loads)}"
        spec = importlib.util.spec_from_file_location(module_name, folder / "handler.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    yield load
    for folder in folders:
        while str(folder) in sys.path:
            sys.path.remove(str(folder))
        _drop_modules_of(folder)
