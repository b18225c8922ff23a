"""boto3 clients for a LocalStack endpoint: one place for the endpoint and the dummy credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError


def client(service: str, endpoint: str | None, region: str) -> Any:
    """A client of LocalStack at ``endpoint``, or of AWS itself when it is None."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


NOT_FOUND = {"404", "NoSuchBucket", "NotFound", "ResourceNotFoundException"}


def exists(describe: Callable[[], object]) -> bool:
    """Whether a describe/head call finds its resource: a not-found error is False, others raise."""
    try:
        describe()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_FOUND:
            return False
        raise
    return True
