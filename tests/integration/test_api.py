"""The HTTP ingestion API on LocalStack: API Gateway (REST, the Terraform-deployed model,
validator, API key and usage plan) -> the ingest-api Lambda (the deployed zip) -> Kinesis -> the
lake. Readings use well ids of their own (WELL-092xx), so each test counts its own rows.

Real 3W slices: Petrobras 3W, CC BY 4.0 (tests/data/3w-real/SOURCE.md).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from petrostream.api import api_target, api_url
from petrostream.chain import lake_counts
from pipeline import layout
from pipeline.records import to_records
from pipeline.threew import read_file
from producer.replay import replay
from services.settings import DEFAULT_REGION as REGION
from tests.lake_reads import builder_idle, curated_rows, raw_rows_when

pytestmark = pytest.mark.integration

REAL = Path(__file__).resolve().parents[1] / "data" / "3w-real"
SLICE = "0/WELL-00002_20131211230015__slice.csv"


def _reading(well: str, second: int, **changes: Any) -> dict[str, Any]:
    return {
        "event_time": f"2018-03-01T00:00:{second:02d}Z",
        "well_id": well,
        "label": 0,
        "event_class": 0,
        "p_pdg": 2.1e7,
        "p_tpt": 1.2e7,
        "t_tpt": 100.0,
        "p_mon_ckp": 4e6,
        "t_jus_ckp": 50.0,
        "p_jus_ckgl": 8e6,
        "t_jus_ckgl": None,
        "qgl": 1.0,
        **changes,
    }


@pytest.fixture(scope="module")
def target(deployed, localstack):
    return api_target(localstack.endpoint, REGION, deployed)


def _post(target, body: Any, key: str | None = "ours", content_type: str = "application/json", **query: str):
    headers = {"content-type": content_type}
    if key is not None:
        headers["x-api-key"] = target.api_key if key == "ours" else key
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    url = f"{target.url}/{layout.ingest_api()['csv_path']}" if content_type == "text/csv" else target.url
    return requests.post(url, data=data, headers=headers, params=query or None, timeout=60)


def _in_curated(localstack, deployed, event_ids: list[str], seconds: float = 120.0) -> int:
    deadline = time.monotonic() + seconds
    while True:
        _, curated = lake_counts(localstack.endpoint, REGION, deployed.lake_bucket, "-", event_ids)
        if curated >= len(set(event_ids)) or time.monotonic() > deadline:
            return curated
        time.sleep(1.0)


def test_readings_posted_twice_reach_curated_once(deployed, aws, localstack, target) -> None:
    readings = [_reading("WELL-09201", s) for s in range(5)]
    first = _post(target, {"readings": readings})
    assert first.status_code == 202, first.text
    again = _post(target, {"readings": readings})
    assert again.status_code == 202 and again.json()["event_ids"] == first.json()["event_ids"]
    ids = first.json()["event_ids"]
    # both copies went through the stream (raw keeps every copy), and the builder built them all
    assert raw_rows_when(localstack.endpoint, deployed.lake_bucket, ids, 10) == 10
    builder_idle(aws, deployed)
    rows = curated_rows(localstack.endpoint, deployed.lake_bucket, "WELL-09201")
    assert sorted(row["event_id"] for row in rows) == sorted(ids)  # each once


def test_a_body_the_model_refuses_is_a_400_from_the_gateway(deployed, aws, target) -> None:
    """Refused by API Gateway's validator, before the function: on AWS the body names the field
    ($context.error.validationErrorString); LocalStack answers its own fixed message."""
    response = _post(target, {"readings": [_reading("WELL-09202", 0, p_pdg="high")]})
    assert response.status_code == 400
    assert not isinstance(response.json().get("errors"), list)  # the function's errors are a list
    model = aws("apigateway").get_model(restApiId=deployed.api_id, modelName="Readings", flatten=True)
    reading = json.loads(model["schema"])["properties"]["readings"]["items"]
    assert reading["properties"]["p_pdg"]["type"] == ["number", "null"]  # from schema.json
    assert reading["additionalProperties"] is False and set(reading["required"]) == {"well_id", "event_time"}


def test_the_functions_own_checks_name_index_and_field(target) -> None:
    """A reading the JSON model lets through (a time that is no time) is refused by the function."""
    response = _post(
        target, {"readings": [_reading("WELL-09202", 0), _reading("WELL-09202", 1, event_time="soon")]}
    )
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "event_time")]


def test_a_body_over_the_limit_is_a_413(target) -> None:
    padding = "x" * (layout.ingest_api()["max_body_bytes"] + 1)
    response = _post(target, padding, content_type="text/csv", well_id="WELL-09203")
    assert response.status_code == 413, response.text
    # more readings than one request takes: the function's 413 through the gateway (the model
    # sets no maximum, so it does not answer 400 first)
    many = [_reading("WELL-09203", s % 60) for s in range(layout.ingest_api()["max_readings"] + 1)]
    response = _post(target, {"readings": many})
    assert response.status_code == 413 and "at most" in response.json()["message"], response.text


@pytest.mark.parametrize("key", [None, "not-our-key"])
def test_a_request_without_our_key_is_refused(target, key) -> None:
    response = _post(target, {"readings": [_reading("WELL-09204", 0)]}, key=key)
    assert response.status_code == 403, response.text


def test_the_usage_plan_throttles_and_caps_the_key(deployed, aws) -> None:
    """LocalStack does not enforce usage plans (docs/parity.md); AWS answers 429 over them, which
    producer/api_writer.py retries (tests/unit/producer/test_api_writer.py)."""
    plans = aws("apigateway").get_usage_plans(keyId=deployed.api_key_id)["items"]
    [plan] = [p for p in plans if any(s["apiId"] == deployed.api_id for s in p["apiStages"])]
    assert plan["throttle"]["rateLimit"] > 0 and plan["throttle"]["burstLimit"] > 0
    assert plan["quota"]["period"] == "DAY" and plan["quota"]["limit"] > 0


def test_a_csv_body_in_the_3w_layout_is_accepted(deployed, localstack, target, tmp_path: Path) -> None:
    body = b"\n".join((REAL / SLICE).read_bytes().splitlines()[:61]) + b"\n"  # 60 readings
    response = _post(target, body, content_type="text/csv", well_id="WELL-09205", event_class="0")
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 60
    assert _in_curated(localstack, deployed, response.json()["event_ids"]) == 60


def test_produce_via_api_replays_a_folder_through_the_api(
    deployed, localstack, target, aws, tmp_path: Path
) -> None:
    copy = tmp_path / "0" / Path(SLICE).name.replace("WELL-00002", "WELL-09206")
    copy.parent.mkdir()
    shutil.copy(REAL / SLICE, copy)
    result = replay(aws("kinesis"), deployed.stream_name, tmp_path, api=target)
    assert not result.summary.failed and result.summary.records == len(to_records(read_file(copy), None, ""))
    assert result.summary.calls >= 1
    assert _in_curated(localstack, deployed, result.event_ids) == len(set(result.event_ids))


def test_the_url_on_aws_is_the_stages_invoke_url(deployed) -> None:
    assert api_url(None, deployed) == deployed.api_url and deployed.api_url.endswith("/v1/readings")
