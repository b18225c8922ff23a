"""petrostream backfill against moto's S3: files go to landing/<class>/<file> with the run and
upload ids, and only a report carrying this upload's id counts as the file's."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from petrostream import backfill
from pipeline import layout

BUCKET = "petrostream-test-lake"
REAL = Path(__file__).resolve().parents[2] / "data" / "3w-real"  # Petrobras 3W (CC BY 4.0): SOURCE.md
FILES = ("0/WELL-00002_20131211230015__slice.csv", "1/WELL-00001_20140124213136__slice.csv")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(REAL / name, tmp_path / name)
    return tmp_path


def _report(s3: Any, key: str, upload_id: str, status: str = "loaded", rows: int = 10) -> None:
    report = {
        "file": key,
        "upload_id": upload_id,
        "status": status,
        "rows": rows,
        "valid": rows,
        "discarded": 0,
    }
    if status == "refused":
        report |= {"valid": 0, "error": "cannot be read"}
    s3.put_object(Bucket=BUCKET, Key=layout.report_key(key), Body=json.dumps(report).encode())


def test_files_are_uploaded_under_their_class_folder_with_run_and_upload_ids(s3: Any, folder: Path) -> None:
    counted: list[int] = []
    uploads = backfill.upload(s3, BUCKET, folder, "run-b", counted.append)
    assert sorted(u.key for u in uploads) == [f"landing/{name}" for name in FILES] and sum(counted) == 2
    for item in uploads:
        metadata = s3.head_object(Bucket=BUCKET, Key=item.key)["Metadata"]
        assert metadata == {"run-id": "run-b", "upload-id": item.upload_id}
    assert len({u.upload_id for u in uploads}) == 2


def test_only_a_report_of_this_upload_counts(s3: Any, folder: Path) -> None:
    uploads = backfill.upload(s3, BUCKET, folder, "run-b", lambda _: None)
    first, second = sorted(uploads, key=lambda u: u.key)
    _report(s3, first.key, first.upload_id)
    _report(s3, second.key, "an-earlier-upload")
    result = backfill.BackfillResult("run-b", uploads)
    result.reports = backfill.wait_for_reports(s3, BUCKET, uploads, timeout=0.0, on_report=lambda _: None)
    assert list(result.reports) == [first.key] and result.missing == [second.key]
    assert result.failed and f"no report: {second.key}" in result.describe()


def test_a_refused_file_fails_the_backfill_and_is_named(s3: Any, folder: Path) -> None:
    uploads = backfill.upload(s3, BUCKET, folder, "run-b", lambda _: None)
    _report(s3, uploads[0].key, uploads[0].upload_id, status="refused")
    _report(s3, uploads[1].key, uploads[1].upload_id, rows=7)
    result = backfill.BackfillResult("run-b", uploads)
    result.reports = backfill.wait_for_reports(s3, BUCKET, uploads, timeout=5.0, on_report=lambda _: None)
    assert result.refused == [uploads[0].key] and result.failed
    assert result.total("valid") == 7 and f"refused: {uploads[0].key}: cannot be read" in result.describe()


def test_a_clean_backfill_does_not_fail(s3: Any, folder: Path) -> None:
    uploads = backfill.upload(s3, BUCKET, folder, "run-b", lambda _: None)
    for item in uploads:
        _report(s3, item.key, item.upload_id)
    result = backfill.BackfillResult("run-b", uploads)
    result.reports = backfill.wait_for_reports(s3, BUCKET, uploads, timeout=5.0, on_report=lambda _: None)
    assert not result.failed and result.total("rows") == 20
    assert result.describe().startswith("backfill run-b: 2 files, 2 reported; 20 rows, 20 loaded")


def test_a_stale_report_is_read_once_and_again_when_rewritten(
    s3: Any, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = backfill.upload(s3, BUCKET, folder, "run-b", lambda _: None)
    first, second = sorted(uploads, key=lambda u: u.key)
    _report(s3, first.key, first.upload_id)
    _report(s3, second.key, "an-earlier-upload")
    reads: list[str] = []
    read = backfill._report

    def counted(client: Any, bucket: str, item: backfill.Upload) -> dict[str, Any] | None:
        reads.append(item.key)
        if reads.count(second.key) == 1 and item.key == second.key:
            # the loader finishes this upload after the poller first saw the stale report
            threading.Timer(1.5, _report, (s3, second.key, second.upload_id)).start()
        return read(client, bucket, item)

    monkeypatch.setattr(backfill, "_report", counted)
    reports = backfill.wait_for_reports(s3, BUCKET, uploads, timeout=10.0, on_report=lambda _: None)
    assert sorted(reports) == [first.key, second.key]
    assert reads.count(first.key) == 1  # found in the first round, never read again
    assert reads.count(second.key) == 2  # stale once (not re-read while unchanged), then this upload's
