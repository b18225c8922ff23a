"""boto3 clients for a LocalStack endpoint: one place for the endpoint and the dummy credentials."""

from __future__ import annotations

from typing import Any

import boto3


def client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
    )
