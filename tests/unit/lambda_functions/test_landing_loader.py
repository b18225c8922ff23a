"""lambda/landing_loader/handler.py against moto's S3 and SNS: a landing object announced by the
SQS event fixture becomes raw rows, discards and a report, and unclean files are announced."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline import layout
from tests.unit.lambda_functions.support import (
    LAKE_BUCKET,
    Alerting,
    LoadFunction,
    emitted,
    invoke,
    load_event,
    metric_values,
)

EVENT = "sqsS3LandingEvent.json"
KEY = "landing/1/WELL-00001_20140124213136__slice.csv"  # the object the event announces
REAL = Path(__file__).resolve().parents[2] / "data" / "3w-real"  # Petrobras 3W (CC BY 4.0): SOURCE.md
HEADER = "timestamp,P-PDG,P-TPT,T-TPT,P-MON-CKP,T-JUS-CKP,P-JUS-CKGL,T-JUS-CKGL,QGL,class"


@pytest.fixture
def loader(load_function: LoadFunction, s3: Any, alerting: Alerting, tmp_path: Path) -> ModuleType:
    return load_function(
        "landing_loader",
        {"LAKE_BUCKET": LAKE_BUCKET, "QUALITY_TOPIC_ARN": alerting.quality_topic, "TMPDIR": str(tmp_path)},
    )


def _report(s3: Any) -> dict[str, Any]:
    body = s3.get_object(Bucket=LAKE_BUCKET, Key=layout.report_key(KEY))["Body"].read()
    report: dict[str, Any] = json.loads(body)
    return report


def _raw_lines(s3: Any, keys: list[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read().splitlines()
    ]


def test_a_good_file_becomes_raw_rows_and_a_report(
    loader: ModuleType, s3: Any, alerting: Alerting, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (REAL / "1" / Path(KEY).name).read_bytes()
    s3.put_object(
        Bucket=LAKE_BUCKET, Key=KEY, Body=body, Metadata={"run-id": "run-backfill-1", "upload-id": "u-1"}
    )
    response = invoke(loader, load_event(EVENT))
    assert response == {"batchItemFailures": []}
    report = _report(s3)
    rows = body.count(b"\n") - 1  # the header
    assert (report["status"], report["rows"], report["valid"], report["discarded"]) == (
        "loaded",
        rows,
        rows,
        0,
    )
    assert report["wells"] == ["WELL-00001"] and report["discard_object"] is None
    assert report["upload_id"] == "u-1"  # what petrostream backfill waits for
    assert report["max_rss_mb"] > 10  # this process's peak memory, in MB (a Python process with pandas)
    assert all(key.startswith(layout.prefix("raw") + "landing/1/") for key in report["raw_objects"])
    # keyed by the bytes, not the ETag (an SSE-KMS object's ETag changes with every upload on AWS)
    assert report["sha256"] == hashlib.sha256(body).hexdigest()
    assert all(f"/{report['sha256'][:32]}-" in key for key in report["raw_objects"])
    lines = _raw_lines(s3, report["raw_objects"])
    assert len(lines) == rows and {line["run_id"] for line in lines} == {"run-backfill-1"}
    assert {line["source_file"] for line in lines} == {KEY}
    assert alerting.received() == []  # a clean file tells nobody
    _, metrics = emitted(capsys.readouterr().out)
    assert metric_values(metrics)["LandingRowsValid"] == rows


def test_a_file_with_bad_rows_is_discarded_row_by_row_and_announced(
    loader: ModuleType, s3: Any, alerting: Alerting
) -> None:
    good = "2014-01-24 21:31:36,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
    s3.put_object(
        Bucket=LAKE_BUCKET, Key=KEY, Body=(HEADER + "\n" + good + "2014-01-24 21:31:37,x,,,,,,,,0\n").encode()
    )
    assert invoke(loader, load_event(EVENT)) == {"batchItemFailures": []}
    report = _report(s3)
    assert report["status"] == "loaded_with_discards" and report["discarded_by_reason"] == {
        "unparsable_value": 1
    }
    [discard] = _raw_lines(s3, [report["discard_object"]])
    assert (discard["file"], discard["row"], discard["column"]) == (KEY, 2, "P-PDG")
    [message] = alerting.received()
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "kind": "data-quality",
        "well_id": "WELL-00001",
        "detector": "landing_loaded_with_discards",
        "severity": "warning",
    }
    assert json.loads(message["Body"])["report"] == layout.report_key(KEY)


def test_a_file_over_the_size_limit_is_refused_unread(
    load_function: LoadFunction, s3: Any, alerting: Alerting, tmp_path: Path
) -> None:
    loader = load_function(
        "landing_loader",
        {"LAKE_BUCKET": LAKE_BUCKET, "QUALITY_TOPIC_ARN": alerting.quality_topic, "LANDING_MAX_BYTES": "100"},
    )
    s3.put_object(Bucket=LAKE_BUCKET, Key=KEY, Body=(REAL / "1" / Path(KEY).name).read_bytes())
    assert invoke(loader, load_event(EVENT)) == {"batchItemFailures": []}
    report = _report(s3)
    assert (report["status"], report["reason"], report["raw_objects"]) == ("refused", "file_too_large", [])
    assert "LANDING_MAX_BYTES" in report["error"]
    assert len(alerting.received()) == 1


def test_a_missing_object_fails_the_invocation(loader: ModuleType, s3: Any) -> None:
    """The object is gone (deleted before the function ran): the message goes back to the queue,
    and after its last receive to the dead-letter queue; no report claims the file was loaded."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError, match="HeadObject"):
        invoke(loader, load_event(EVENT))
    assert s3.list_objects_v2(Bucket=LAKE_BUCKET).get("KeyCount") == 0


def test_a_bad_setting_names_the_variable(load_function: LoadFunction) -> None:
    with pytest.raises(Exception, match="LANDING_MAX_ROWS must be a positive whole number"):
        load_function("landing_loader", {"LAKE_BUCKET": LAKE_BUCKET, "LANDING_MAX_ROWS": "lots"})
