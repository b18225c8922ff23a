"""pipeline/landing.py: a landing file gives the stream's rows and flags, bad rows are discarded
with their file, row and column, and files the function cannot take are refused with a reason."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import to_json

from pipeline.detector import Detector
from pipeline.landing import FileLimits, LandedFile, land_file
from pipeline.records import to_records
from pipeline.stream import StreamRecord, ndjson_line, process_batch
from pipeline.threew import read_file

ARRIVAL = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMITS = FileLimits(max_bytes=10**9, max_rows=10**7)
HEADER = "timestamp,P-PDG,P-TPT,T-TPT,P-MON-CKP,T-JUS-CKP,P-JUS-CKGL,T-JUS-CKGL,QGL,class"
REAL = Path(__file__).resolve().parents[2] / "data" / "3w-real"  # Petrobras 3W (CC BY 4.0): SOURCE.md


def _land(path: Path, limits: FileLimits = LIMITS):
    key = f"landing/{path.parent.name}/{path.name}"
    return land_file(path, key, ARRIVAL, run_id="run-landing", detector=Detector(), limits=limits, etag="e1")


def _rows(landed: LandedFile) -> list[dict[str, Any]]:
    return [json.loads(line) for line in landed.lines]


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "0" / "WELL-00042_20170201020207.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n" + body)
    return path


# Columns the stream and a landing file may differ in: where and when each row arrived.
ARRIVAL_COLUMNS = {"ingested_at", "sequence_number"}


@pytest.mark.parametrize(
    "name", ["1/WELL-00001_20140124213136__slice.csv", "8/WELL-00021_20170509013517__slice.csv"]
)
def test_a_real_file_lands_as_the_stream_scores_it(name: str) -> None:
    """Same rows, same flags, as the producer's records replayed through the stream's scorer."""
    path = REAL / name
    landed = _land(path)
    records = to_records(read_file(path), "run-landing", f"landing/{name}")
    items = [StreamRecord(f"{i:056d}", r["well_id"], ARRIVAL, to_json(r)) for i, r in enumerate(records)]
    streamed = process_batch(items).rows
    rows = _rows(landed)
    assert len(rows) == len(streamed) and rows
    for ours, (_, theirs) in zip(rows, streamed, strict=True):
        theirs = json.loads(ndjson_line(theirs))  # as the raw zone holds it
        assert {k: v for k, v in ours.items() if k not in ARRIVAL_COLUMNS} == {
            k: v for k, v in theirs.items() if k not in ARRIVAL_COLUMNS
        }
    report = landed.report
    assert report["status"] == "loaded" and report["rows"] == report["valid"] == len(records)
    assert report["anomalies"] == sum(row["anomaly_flag"] for row in rows)
    assert (report["first_event_time"], report["last_event_time"]) == (
        rows[0]["event_time"],
        rows[-1]["event_time"],
    )


def test_bad_rows_are_discarded_with_file_row_column_and_reason(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "2017-02-01 02:02:07,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
        "2017-02-01 02:02:08,2.1e7,oops,100,4e6,50,8e6,,1.0,0\n"  # row 2: not a number
        "not a time,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"  # row 3: no timestamp
        "2017-02-01 02:02:10,,,,,,,,,0\n"  # row 4: no sensor value at all
        "2017-02-01 02:02:11,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n",
    )
    landed = _land(path)
    key = "landing/0/WELL-00042_20170201020207.csv"
    assert [(d["file"], d["row"], d["column"], d["reason"]) for d in landed.discarded] == [
        (key, 2, "P-TPT", "unparsable_value"),
        (key, 3, "timestamp", "unparsable_value"),
        (key, 4, "<sensors>", "no_sensor_values"),
    ]
    assert landed.discarded[0]["value"] == "oops"
    assert [row["event_time"] for row in _rows(landed)] == [
        "2017-02-01T02:02:07.000000Z",
        "2017-02-01T02:02:11.000000Z",
    ]
    assert [row["sequence_number"].lstrip("0") for row in _rows(landed)] == ["1", "5"]
    report = landed.report
    assert (report["status"], report["rows"], report["valid"], report["discarded"]) == (
        "loaded_with_discards",
        5,
        2,
        3,
    )
    assert report["discarded_by_reason"] == {"no_sensor_values": 1, "unparsable_value": 2}
    assert landed.discard_body().count(b"\n") == 3


def test_a_broken_file_is_refused_and_nothing_reaches_the_lake(tmp_path: Path) -> None:
    path = tmp_path / "3" / "WELL-00042_20170201020207.parquet"
    path.parent.mkdir()
    path.write_bytes(b"PAR1 this is not parquet")
    landed = _land(path)
    assert landed.lines == [] and landed.report["status"] == "refused"
    assert landed.report["reason"] == "unreadable_file"
    assert landed.report["error"].startswith("landing/3/WELL-00042_20170201020207.parquet: cannot be read")
    assert str(tmp_path) not in landed.report["error"]  # the object's key, not the function's copy


def test_files_over_the_limits_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "0" / "WELL-00001_20140124213136__slice.csv"
    path.parent.mkdir()
    shutil.copy(REAL / "1" / path.name, path)
    landed = _land(path, FileLimits(max_bytes=10**9, max_rows=100))
    assert landed.report["status"] == "refused" and landed.report["reason"] == "too_many_rows"
    assert "at most 100 (LANDING_MAX_ROWS)" in landed.report["error"]
    assert FileLimits(max_bytes=10, max_rows=1).refuse_size(11) is not None
    assert FileLimits(max_bytes=10, max_rows=1).refuse_size(10) is None


def test_raw_objects_split_at_the_byte_limit_without_splitting_a_row() -> None:
    landed = _land(REAL / "0" / "WELL-00002_20131211230015__slice.csv")
    bodies = list(landed.raw_objects(64 * 1024))
    assert len(bodies) > 1 and all(len(b) <= 64 * 1024 for b in bodies)
    assert b"".join(bodies) == b"".join(landed.lines)
