"""The landing zone on LocalStack: 3W files uploaded by `petrostream backfill` are loaded by the
deployed landing loader (the zip Terraform deploys), their valid rows reach curated through the
curated builder, bad rows reach discard/, and each file gets a report.

Files are real 3W slices (Petrobras 3W, CC BY 4.0: tests/data/3w-real/SOURCE.md) copied under
well ids of their own (WELL-09xxx), so each test counts its own readings apart from the others'.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from petrostream.backfill import BackfillResult, backfill
from producer.replay import replay
from tests.lake_reads import builder_idle, curated_rows, curated_when

pytestmark = pytest.mark.integration

REAL = Path(__file__).resolve().parents[1] / "data" / "3w-real"
SLICE = "8/WELL-00021_20170509013517__slice.csv"  # flagged often: the flags are worth comparing
HEADER = "timestamp,P-PDG,P-TPT,T-TPT,P-MON-CKP,T-JUS-CKP,P-JUS-CKGL,T-JUS-CKGL,QGL,class"
# Columns that say where and when a row arrived, not what it is.
ARRIVAL = {"event_id", "well_id", "source_file", "run_id", "ingested_at", "sequence_number", "date", "hour"}


def _as_well(folder: Path, well: str, source: str = SLICE) -> Path:
    """A copy of a real slice in a 3W folder of its own, named for another well."""
    target = folder / Path(source).parent.name / Path(source).name.replace("WELL-00021", well, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL / source, target)
    return folder


def _curated(localstack: Any, deployed: Any, well: str) -> list[dict[str, Any]]:
    return curated_rows(localstack.endpoint, deployed.lake_bucket, well)


def _curated_when(localstack: Any, deployed: Any, well: str, rows: int, seconds: float = 180.0) -> list[dict]:
    return curated_when(localstack.endpoint, deployed.lake_bucket, well, rows, seconds)


def _backfill(aws: Any, deployed: Any, folder: Path) -> BackfillResult:
    return backfill(aws("s3"), deployed.lake_bucket, folder, timeout=240.0)


def test_a_good_file_reaches_curated_and_uploading_it_again_adds_nothing(
    deployed, aws, localstack, tmp_path: Path
) -> None:
    folder = _as_well(tmp_path, "WELL-09001")
    first = _backfill(aws, deployed, folder)
    assert not first.failed, first.describe()
    [report] = first.reports.values()
    assert report["status"] == "loaded" and report["valid"] == report["rows"] > 0
    assert report["wells"] == ["WELL-09001"]
    rows = _curated_when(localstack, deployed, "WELL-09001", report["valid"])
    assert len(rows) == report["valid"]
    assert {row["run_id"] for row in rows} == {first.run_id}

    again = _backfill(aws, deployed, folder)
    [report_again] = again.reports.values()
    assert not again.failed and report_again["valid"] == report["valid"]
    builder_idle(aws, deployed)
    rows = _curated(localstack, deployed, "WELL-09001")
    assert len(rows) == len({row["event_id"] for row in rows}) == report["valid"]


def test_bad_rows_are_discarded_with_their_reasons_and_the_rest_is_loaded(
    deployed, aws, localstack, tmp_path: Path
) -> None:
    path = tmp_path / "0" / "WELL-09002_20170201020207.csv"
    path.parent.mkdir()
    path.write_text(
        HEADER + "\n"
        "2017-02-01 02:02:07,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
        "2017-02-01 02:02:08,2.1e7,oops,100,4e6,50,8e6,,1.0,0\n"
        "2017-02-01 02:02:09,,,,,,,,,0\n"
        "2017-02-01 02:02:10,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
    )
    result = _backfill(aws, deployed, tmp_path)
    assert not result.failed, result.describe()  # discards are reported, the file is loaded
    [report] = result.reports.values()
    assert (report["status"], report["valid"], report["discarded"]) == ("loaded_with_discards", 2, 2)
    assert report["discarded_by_reason"] == {"no_sensor_values": 1, "unparsable_value": 1}
    body = aws("s3").get_object(Bucket=deployed.lake_bucket, Key=report["discard_object"])["Body"].read()
    discards = [json.loads(line) for line in body.splitlines()]
    assert [(d["row"], d["column"], d["reason"]) for d in discards] == [
        (2, "P-TPT", "unparsable_value"),
        (3, "<sensors>", "no_sensor_values"),
    ]
    assert {d["file"] for d in discards} == {"landing/0/WELL-09002_20170201020207.csv"}
    assert len(_curated_when(localstack, deployed, "WELL-09002", 2)) == 2


def test_a_broken_file_is_refused_and_the_backfill_fails(deployed, aws, tmp_path: Path) -> None:
    path = tmp_path / "3" / "WELL-09003_20170201020207.parquet"
    path.parent.mkdir()
    path.write_bytes(b"PAR1 not a parquet file")
    result = _backfill(aws, deployed, tmp_path)
    assert result.failed and result.refused == ["landing/3/WELL-09003_20170201020207.parquet"]
    [report] = result.reports.values()
    assert report["reason"] == "unreadable_file" and report["raw_objects"] == []
    assert "cannot be read" in result.describe()


def test_a_file_through_landing_gives_the_rows_and_flags_the_stream_gives(
    deployed, aws, localstack, tmp_path: Path
) -> None:
    streamed = replay(aws("kinesis"), deployed.stream_name, _as_well(tmp_path / "stream", "WELL-09004"))
    assert not streamed.summary.failed
    landed = _backfill(aws, deployed, _as_well(tmp_path / "landing", "WELL-09005"))
    assert not landed.failed, landed.describe()
    expected = streamed.summary.records
    via_stream = _curated_when(localstack, deployed, "WELL-09004", expected)
    via_landing = _curated_when(localstack, deployed, "WELL-09005", expected)
    assert len(via_stream) == len(via_landing) == expected
    assert any(row["anomaly_flag"] for row in via_stream), "the slice is one the detectors flag"
    for a, b in zip(via_stream, via_landing, strict=True):
        assert {k: v for k, v in a.items() if k not in ARRIVAL} == {
            k: v for k, v in b.items() if k not in ARRIVAL
        }
