"""Ingest API: POST /readings (JSON) and /readings/csv (3W CSV) through API Gateway (REST API,
Lambda proxy) -> validated readings -> Kinesis.

API Gateway checks the API key and its usage plan (throttling, quota) and, for JSON bodies, the
request model generated from the schema (infra/api.tf); this function checks everything again
with the stream processor's validation (pipeline/ingest.py), so a CSV body, or a gateway
deployed without the model, is held to the same rules. Responses:

- 202 {"accepted": n, "event_ids": [...]}: every reading is in Kinesis;
- 400 with each invalid reading's index, field and reason (nothing sent), 413 over the size
  limits, 415 for a content type the path does not take;
- 429 with Retry-After when Kinesis kept refusing some readings (throttling) after retries: the
  body lists the event ids sent and those not; sending the request again is safe (event ids);
- 429 (throttling) or 503 (any other AWS error) with Retry-After when PutRecords failed as a
  whole: every reading is named not sent.

Powertools' REST resolver routes the request; the Kinesis client is created at import and
replaceable in tests through `clients`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from ingest_config import IngestConfig

from pipeline.ingest import Refusal, check_size, checked, readings_from_csv, readings_from_json
from pipeline.kinesis_writer import put_records

RETRY_AFTER_SECONDS = "1"
ATTEMPTS = 3  # PutRecords attempts for throttled entries before the client is told to retry
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "KMSThrottlingException",
        "LimitExceededException",
    }
)


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the function: module-level so warm invocations reuse their connections."""

    kinesis: Any

    @classmethod
    def create(cls) -> Clients:
        return cls(kinesis=boto3.client("kinesis"))


logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
config = IngestConfig.from_env()
clients = Clients.create()


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type="application/json", body=body, headers=headers)


def _body() -> bytes:
    event = app.current_event
    raw = event.body or ""
    return base64.b64decode(raw) if event.is_base64_encoded else raw.encode()


@app.post("/readings")
def post_readings() -> Response[Any]:
    """A JSON batch: {"readings": [...]}."""
    return _ingest("application/json", readings_from_json)


@app.post("/readings/csv")
def post_csv() -> Response[Any]:
    """One well's readings as a 3W CSV; ?well_id= and optionally &event_class=."""
    query = app.current_event.query_string_parameters or {}
    return _ingest(
        "text/csv", lambda body: readings_from_csv(body, query.get("well_id"), query.get("event_class"))
    )


def _ingest(expected: str, parse: Callable[[bytes], list[dict[str, Any]]]) -> Response[Any]:
    headers = app.current_event.headers
    content_type = (headers.get("content-type") or headers.get("Content-Type") or "").lower()
    try:
        if not content_type.startswith(expected):
            raise Refusal(415, f"send {expected} here, not {content_type or 'no content type'!r}")
        body = _body()
        check_size(body)
        accepted = checked(parse(body))
    except Refusal as refusal:
        metrics.add_metric(name="ApiRequestsRefused", unit=MetricUnit.Count, value=1)
        logger.info("refused", extra={"status": refusal.status, "reason": refusal.message})
        return _json(refusal.status, refusal.body())
    try:
        summary = put_records(clients.kinesis, config.stream_name, accepted, "well_id", max_attempts=ATTEMPTS)
    except ClientError as error:
        return _not_sent(accepted, error)
    failed_ids = {json.loads(entry["Data"])["event_id"] for entry in summary.failed}  # PutRecords entries
    sent = [r["event_id"] for r in accepted if r["event_id"] not in failed_ids]
    metrics.add_metric(name="ApiReadingsAccepted", unit=MetricUnit.Count, value=len(sent))
    logger.info(
        "accepted", extra={"readings": len(accepted), "sent": len(sent), "throttled": len(failed_ids)}
    )
    if failed_ids:
        return _json(
            429,
            {
                "message": f"Kinesis is throttling: {len(failed_ids)} of {len(accepted)} readings were not "
                "sent; send them again (event ids make a repeat harmless)",
                "event_ids": sent,
                "not_sent": sorted(failed_ids),
            },
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    return _json(202, {"accepted": len(sent), "event_ids": sent})


def _not_sent(accepted: list[dict[str, Any]], error: ClientError) -> Response[Any]:
    """PutRecords failed as a whole (after botocore's own retries): which readings reached Kinesis
    is unknown, so all are named not sent; a repeat is harmless (event ids). Throttling is a 429,
    any other AWS error a 503; both say when to retry."""
    code = error.response.get("Error", {}).get("Code", "Unknown")
    status = 429 if code in THROTTLING_CODES else 503
    metrics.add_metric(name="ApiKinesisErrors", unit=MetricUnit.Count, value=1)
    logger.warning("kinesis_error", extra={"code": code, "status": status, "readings": len(accepted)})
    return _json(
        status,
        {
            "message": f"Kinesis refused the request ({code}); send it again later "
            "(event ids make a repeat harmless)",
            "event_ids": [],
            "not_sent": [r["event_id"] for r in accepted],
        },
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
