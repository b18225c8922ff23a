"""Backfill: upload a 3W folder into the landing zone and wait for each file's quality report.

The landing loader (lambda/landing_loader) does the work; this side only uploads and waits. A
file is done when its report (layout.report_key) carries the upload id this upload set on the
object, so a report left by an earlier upload of the same file is not mistaken for this one's.
Uploads and report reads run on a few threads: S3 takes thousands of requests a second per
prefix, and each file is one PUT and, usually, one GET of its report (polls LIST the reports).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pipeline import layout
from pipeline.threew import discover

RUN_ID_METADATA = "run-id"  # what the landing loader reads as the rows' run_id (x-amz-meta-run-id)
UPLOAD_ID_METADATA = "upload-id"  # echoed in the file's report: this upload's, not an earlier one's
THREADS = 8
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Upload:
    path: Path
    key: str
    upload_id: str


@dataclass
class BackfillResult:
    run_id: str
    uploads: list[Upload]
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # landing key -> its report

    @property
    def missing(self) -> list[str]:
        """Files whose report did not come before the deadline."""
        return [u.key for u in self.uploads if u.key not in self.reports]

    @property
    def refused(self) -> list[str]:
        return [key for key, report in self.reports.items() if report["status"] == "refused"]

    @property
    def failed(self) -> bool:
        return bool(self.missing or self.refused)

    def total(self, name: str) -> int:
        return sum(int(report.get(name) or 0) for report in self.reports.values())

    def describe(self) -> str:
        lines = [
            f"backfill {self.run_id}: {len(self.uploads)} files, {len(self.reports)} reported; "
            f"{self.total('rows')} rows, {self.total('valid')} loaded, {self.total('discarded')} discarded, "
            f"{len(self.refused)} files refused, {len(self.missing)} without a report"
        ]
        for key in sorted(self.refused):
            lines.append(f"  refused: {key}: {self.reports[key]['error']}")
        for key in self.missing:
            lines.append(f"  no report: {key} (see the landing loader's logs and dead-letter queue)")
        return "\n".join(lines)


def landing_key(path: Path) -> str:
    """landing/<class>/<file>: the class folder travels with the file (the reader needs it)."""
    return f"{layout.prefix('landing')}{path.parent.name}/{path.name}"


def upload(s3: Any, bucket: str, root: Path, run_id: str, on_file: Callable[[int], None]) -> list[Upload]:
    files = discover(root)

    def put(path: Path) -> Upload:
        key, upload_id = landing_key(path), uuid.uuid4().hex
        metadata = {RUN_ID_METADATA: run_id, UPLOAD_ID_METADATA: upload_id}
        with path.open("rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
        on_file(1)
        return Upload(path, key, upload_id)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(put, files))


def _report(s3: Any, bucket: str, item: Upload) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=layout.report_key(item.key))["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    report: dict[str, Any] = json.loads(body)
    return report if report.get("upload_id") == item.upload_id else None


def _listed_reports(s3: Any, bucket: str) -> dict[str, str]:
    """Every report's key and ETag: one LIST a thousand reports instead of a GET for each file."""
    listed: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=layout.prefix("landing_reports")
    ):
        listed.update({item["Key"]: item["ETag"] for item in page.get("Contents", [])})
    return listed


def wait_for_reports(
    s3: Any, bucket: str, uploads: Iterable[Upload], timeout: float, on_report: Callable[[int], None]
) -> dict[str, dict[str, Any]]:
    """Poll until every upload has its report, or the deadline; returns those that came.

    Each round lists the reports and reads only those that are new or rewritten since the last
    look (a report left by an earlier upload is read once, found to carry another upload id, and
    not read again until it changes), so a backfill of thousands of files does not put a GET per
    pending file per second on the bucket the landing loader is writing to.
    """
    pending = list(uploads)
    reports: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}  # report key -> the ETag last read
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(THREADS) as pool:
        while pending:
            listed = _listed_reports(s3, bucket)
            fresh = [
                item
                for item in pending
                if (etag := listed.get(layout.report_key(item.key))) is not None
                and seen.get(layout.report_key(item.key)) != etag
            ]
            for item in fresh:
                seen[layout.report_key(item.key)] = listed[layout.report_key(item.key)]
            for item, report in zip(
                fresh, pool.map(lambda item: _report(s3, bucket, item), fresh), strict=True
            ):
                if report is not None:
                    reports[item.key] = report
                    on_report(1)
            pending = [item for item in pending if item.key not in reports]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
    return reports


def backfill(
    s3: Any,
    bucket: str,
    root: Path,
    *,
    timeout: float = 900.0,
    run_id: str | None = None,
    on_uploaded: Callable[[int], None] = lambda _: None,
    on_reported: Callable[[int], None] = lambda _: None,
) -> BackfillResult:
    run_id = run_id or f"backfill-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:4]}"
    uploads = upload(s3, bucket, root, run_id, on_uploaded)
    result = BackfillResult(run_id, uploads)
    result.reports = wait_for_reports(s3, bucket, uploads, timeout, on_reported)
    return result
