"""POST readings to the HTTP ingestion API (infra/api.tf), as a gateway would.

The replay's other writer (pipeline/kinesis_writer.py puts into Kinesis directly). Requests
carry at most the API's limits (lake.json: readings and bytes per request). A 429 from API
Gateway (the usage plan's throttle) is retried whole; a 429 from the function names the readings
Kinesis refused, and only those are sent again; a 5xx, a timeout or a dropped connection sends
the request again whole. All with exponential backoff (sending a reading twice is harmless:
event ids); what is still refused after the last attempt is counted in the summary's `failed`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests

from pipeline.batching import chunks
from pipeline.ingest import MAX_BODY_BYTES, MAX_READINGS
from pipeline.kinesis_writer import PutSummary

ENVELOPE_BYTES = 64  # {"readings": [...]} around the readings, with room to spare
TIMEOUT_SECONDS = 35  # API Gateway answers within 29 s
# throttled (the usage plan, or Kinesis through the function), or the gateway or function failed:
# sent again with backoff; any other refusal is the request's own fault and stops the replay
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiRefused(RuntimeError):
    """The API refused a request for a reason other than throttling; the message is its answer."""


@dataclass(frozen=True)
class ApiTarget:
    url: str  # POST /readings
    api_key: str
    session: Any = None  # a requests.Session; one per target by default

    def post(self, readings: list[dict[str, Any]]) -> requests.Response:
        session = self.session or requests
        return session.post(
            self.url,
            data=json.dumps({"readings": readings}),
            headers={"x-api-key": self.api_key, "content-type": "application/json"},
            timeout=TIMEOUT_SECONDS,
        )


def post_records(
    target: ApiTarget,
    records: Iterable[dict[str, Any]],
    max_attempts: int = 8,
    base_delay: float = 0.2,
    on_batch: Callable[[int], None] | None = None,
    summary: PutSummary | None = None,
) -> PutSummary:
    """Send records through the API; those still refused after max_attempts are summary.failed."""
    summary = summary if summary is not None else PutSummary()
    sized = ((r, len(json.dumps(r)) + 2) for r in records)
    for batch in chunks(sized, MAX_READINGS, MAX_BODY_BYTES - ENVELOPE_BYTES, lambda item: item[1]):
        pending = [record for record, _ in batch]
        for attempt in range(max_attempts):
            try:
                response = target.post(pending)
            except (requests.ConnectionError, requests.Timeout):
                response = None  # no answer: the whole request is sent again
            summary.calls += 1
            if response is not None and response.status_code == 202:
                pending = []
                break
            if response is not None and response.status_code not in RETRIED_STATUSES:
                raise ApiRefused(f"{target.url} answered {response.status_code}: {response.text[:500]}")
            if response is not None and response.status_code == 429:
                refused = set(_json(response).get("not_sent") or [r["event_id"] for r in pending])
                pending = [r for r in pending if r["event_id"] in refused]
            summary.retried_entries += len(pending)
            if attempt + 1 < max_attempts:
                time.sleep(min(base_delay * 2**attempt, 5.0))
        summary.failed += pending
        summary.records += len(batch) - len(pending)
        summary.bytes += sum(size for _, size in batch)
        if on_batch is not None:
            on_batch(len(batch))
    return summary


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
