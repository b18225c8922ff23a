"""Where the deployed ingestion API answers, and its key: what `produce --via api` posts with."""

from __future__ import annotations

from pipeline import layout
from producer.api_writer import ApiTarget
from services import local_aws
from services.outputs import StackOutputs


def api_url(endpoint: str | None, outputs: StackOutputs) -> str:
    """POST /readings: on AWS the stage's invoke URL; on LocalStack its execute-api path, which
    needs no DNS for <api-id>.execute-api.localhost.localstack.cloud."""
    if endpoint is None:
        return outputs.api_url
    api = layout.ingest_api()
    return f"{endpoint.rstrip('/')}/_aws/execute-api/{outputs.api_id}/{api['stage']}/{api['path']}"


def api_target(endpoint: str | None, region: str, outputs: StackOutputs) -> ApiTarget:
    apigateway = local_aws.client("apigateway", endpoint, region)
    key = apigateway.get_api_key(apiKey=outputs.api_key_id, includeValue=True)["value"]
    return ApiTarget(api_url(endpoint, outputs), key)
