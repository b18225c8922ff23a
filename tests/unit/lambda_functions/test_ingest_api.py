"""lambda/ingest_api/handler.py against moto's Kinesis: the REST proxy event fixture's readings
are accepted (202 and their event ids), bad requests are refused with reasons, and readings
Kinesis keeps refusing are reported as 429 with the ids to send again."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from pipeline.records import event_id
from services.settings import DEFAULT_REGION as REGION
from tests.unit.lambda_functions.support import LoadFunction, invoke, load_event

EVENT = "apiGatewayProxyEvent.json"
STREAM = "petrostream-test-readings"
REAL = Path(__file__).resolve().parents[2] / "data" / "3w-real"  # Petrobras 3W (CC BY 4.0): SOURCE.md


@pytest.fixture
def kinesis(aws: None) -> Any:
    client = boto3.client("kinesis", region_name=REGION)
    client.create_stream(StreamName=STREAM, ShardCount=1)
    return client


@pytest.fixture
def api(load_function: LoadFunction, kinesis: Any) -> ModuleType:
    return load_function("ingest_api", {"STREAM_NAME": STREAM})


def _records(kinesis: Any) -> list[dict[str, Any]]:
    shard = kinesis.list_shards(StreamName=STREAM)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    found = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [{"key": r["PartitionKey"], **json.loads(r["Data"])} for r in found]


def _post(api: ModuleType, body: bytes | str, content_type: str = "application/json", **query: str) -> Any:
    event = load_event(EVENT)
    if content_type == "text/csv":  # the CSV resource, a child of /readings
        event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = "/readings/csv"
    event["body"] = body if isinstance(body, str) else base64.b64encode(body).decode()
    event["isBase64Encoded"] = not isinstance(body, str)
    event["headers"]["Content-Type"] = content_type
    event["queryStringParameters"] = query or None
    response = invoke(api, event)
    return response["statusCode"], json.loads(response["body"]), response.get("multiValueHeaders") or {}


def test_readings_are_accepted_with_the_producers_event_ids(api: ModuleType, kinesis: Any) -> None:
    response = invoke(api, load_event(EVENT))
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    expected = [
        event_id("WELL-00042", pd.Timestamp(t, tz="UTC"))
        for t in ("2017-02-01 02:02:07", "2017-02-01 02:02:08")
    ]
    assert body == {"accepted": 2, "event_ids": expected}
    sent = _records(kinesis)
    assert [(r["key"], r["event_id"], r["source_file"]) for r in sent] == [
        ("WELL-00042", expected[0], "api"),
        ("WELL-00042", expected[1], "api"),
    ]
    again = json.loads(invoke(api, load_event(EVENT))["body"])
    assert again["event_ids"] == expected  # sent twice, the same ids: the lake keeps one copy


def test_invalid_readings_are_refused_whole_with_their_index_and_field(api: ModuleType, kinesis: Any) -> None:
    readings = json.loads(load_event(EVENT)["body"])["readings"]
    readings[1]["p_pdg"] = "a lot"
    readings.append({"well_id": "WELL-00042"})  # no event_time
    status, body, _ = _post(api, json.dumps({"readings": readings}))
    assert status == 400 and body["message"] == "2 of 3 readings are invalid"
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "p_pdg"), (2, "event_time")}
    assert _records(kinesis) == []  # nothing half sent


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("not json", "application/json", 400, "the body is not JSON"),
        ('{"rows": []}', "application/json", 400, '{"readings": ['),
        ('{"readings": []}', "application/json", 400, "no reading"),
        ("x" * (1024 * 1024 + 1), "application/json", 413, "at most 1,048,576"),
        ("<readings/>", "application/xml", 415, "send application/json here"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(
    api: ModuleType, body: str, content_type: str, status: int, message: str
) -> None:
    got, answer, _ = _post(api, body, content_type)
    assert got == status and message in answer["message"]


def test_more_readings_than_one_put_records_call_is_a_413(api: ModuleType) -> None:
    reading = json.loads(load_event(EVENT)["body"])["readings"][0]
    status, body, _ = _post(api, json.dumps({"readings": [reading] * 501}))
    assert status == 413 and "at most 500" in body["message"]


def test_a_csv_body_in_the_3w_layout_is_read_by_the_producers_reader(api: ModuleType, kinesis: Any) -> None:
    csv = (REAL / "1" / "WELL-00001_20140124213136__slice.csv").read_bytes()
    rows = csv.count(b"\n") - 1
    small = b"\n".join(csv.splitlines()[:101]) + b"\n"  # header and 100 readings
    status, body, _ = _post(api, small, "text/csv", well_id="WELL-00001", event_class="1")
    assert status == 202 and body["accepted"] == 100 < rows
    sent = _records(kinesis)
    assert {r["event_class"] for r in sent} == {1} and {r["well_id"] for r in sent} == {"WELL-00001"}


def test_a_csv_body_without_a_well_or_with_a_bad_value_is_a_400(api: ModuleType) -> None:
    csv = b"timestamp,P-PDG,class\n2014-01-24 21:31:36,oops,0\n"
    status, body, _ = _post(api, csv, "text/csv")
    assert status == 400 and "well_id" in body["message"]
    for wrong in ("WELL-00001_typo", "WELL-1_a/b", "PUMP-3"):  # the whole value is a well id, or refused
        status, body, _ = _post(api, csv, "text/csv", well_id=wrong)
        assert status == 400 and "well_id" in body["message"], wrong
    status, body, _ = _post(api, csv, "text/csv", well_id="WELL-00001")
    assert status == 400 and body["errors"] == [
        {"row": 1, "field": "P-PDG", "message": "value 'oops' is not a number"}
    ]


class Throttling:
    """A Kinesis stub that keeps refusing the reading of 02:02:08 (its shard is over its limit)."""

    def __init__(self) -> None:
        self.calls = 0

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        answers: list[dict[str, str]] = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
            if b"02:02:08" in entry["Data"]
            else {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}
            for entry in Records
        ]
        failed = sum("ErrorCode" in a for a in answers)
        return {"FailedRecordCount": failed, "Records": answers}


def test_readings_kinesis_keeps_refusing_are_a_429_naming_them(api: ModuleType) -> None:
    stub = Throttling()
    api.clients = api.Clients(kinesis=stub)
    response = invoke(api, load_event(EVENT))
    body = json.loads(response["body"])
    assert response["statusCode"] == 429 and response["multiValueHeaders"]["Retry-After"] == ["1"]
    assert len(body["event_ids"]) == 1 and len(body["not_sent"]) == 1
    assert stub.calls == api.ATTEMPTS  # the refused reading was tried again before giving up


def test_a_reading_without_sensor_values_is_sent_for_the_stream_to_quarantine(
    api: ModuleType, kinesis: Any
) -> None:
    csv = b"timestamp,P-PDG,P-TPT,class\n2014-01-24 21:31:36,,,0\n2014-01-24 21:31:37,1.5e7,,0\n"
    status, body, _ = _post(api, csv, "text/csv", well_id="WELL-00001", event_class="0")
    assert status == 202 and body["accepted"] == 2
    assert [r["p_pdg"] for r in _records(kinesis)] == [None, 1.5e7]  # as the 3W file holds them


class Failing:
    """A Kinesis stub whose PutRecords fails as a whole (botocore's own retries exhausted)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "PutRecords")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 429),
        ("KMSThrottlingException", 429),
        ("AccessDeniedException", 503),
    ],
)
def test_a_put_records_call_that_fails_whole_names_every_reading_not_sent(
    api: ModuleType, code: str, status: int
) -> None:
    api.clients = api.Clients(kinesis=Failing(code))
    response = invoke(api, load_event(EVENT))
    body = json.loads(response["body"])
    sent = json.loads(load_event(EVENT)["body"])["readings"]
    assert response["statusCode"] == status and response["multiValueHeaders"]["Retry-After"] == ["1"]
    assert body["event_ids"] == [] and len(body["not_sent"]) == len(sent) and code in body["message"]
