"""Readers for 3W release 2 (Parquet) and release 1 (CSV): normalised frames, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import schema
from pipeline.records import event_id, to_records
from pipeline.threew import InputFileError, discover, read_file

CSV_HEADER = "timestamp,P-PDG,P-TPT,T-TPT,P-MON-CKP,T-JUS-CKP,P-JUS-CKGL,T-JUS-CKGL,QGL,class"


def _csv(tmp_path, body: str, header: str = CSV_HEADER, name: str = "WELL-00007_20170201020207.csv"):
    path = tmp_path / "2" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + body)
    return path


def test_release_2_parquet_files_are_found_and_normalised(small_dataset):
    files = discover(small_dataset)
    assert len(files) == 12 and all(p.suffix == ".parquet" for p in files)
    read = read_file(files[0])
    assert list(read.frame.columns) == ["event_time", "label", *[s.name for s in schema.sensors()]]
    assert str(read.frame["event_time"].dt.tz) == "UTC"
    assert read.warnings == [] and read.well_id.startswith("WELL-")


def test_release_1_csv_is_read(tmp_path):
    path = _csv(
        tmp_path,
        "2017-02-01 02:02:07.000000,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
        "2017-02-01 02:02:08.000000,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,102\n",
    )
    read = read_file(path)
    assert read.event_class == 2 and read.well_id == "WELL-00007"
    assert read.frame["label"].tolist() == [0, 102]
    assert read.frame["t_jus_ckgl"].isna().all()
    records = to_records(read, "run", "2/x.csv")
    assert records[1]["label"] == 102 and records[1]["event_class"] == 2
    assert records[0]["event_id"] == event_id("WELL-00007", pd.Timestamp("2017-02-01 02:02:07", tz="UTC"))


def test_text_in_a_number_column_names_file_row_and_column(tmp_path):
    path = _csv(
        tmp_path,
        "2017-02-01 02:02:07,2.1e7,1.2e7,100,4e6,50,8e6,,1.0,0\n"
        "2017-02-01 02:02:08,2.1e7,oops,100,4e6,50,8e6,,1.0,0\n",
    )
    with pytest.raises(InputFileError) as error:
        read_file(path)
    assert (error.value.row, error.value.column) == (2, "P-TPT")
    assert str(path) in str(error.value)


def test_unknown_and_missing_columns_and_units_are_warned_about(tmp_path):
    header = "timestamp,P-PDG,P-TPT,T-TPT,P-MON-CKP,T-JUS-CKP,QGL,class,MYSTERY"
    path = _csv(tmp_path, "2017-02-01 02:02:07,210,120,373,40,50,1.0,0,1\n", header=header)
    warnings = "\n".join(read_file(path).warnings)
    assert "unknown column 'MYSTERY'" in warnings
    assert "'P-JUS-CKGL' is missing" in warnings
    assert "'P-PDG': median 210 looks like bar or MPa" in warnings
    assert "'T-TPT': median 373 looks like kelvin" in warnings


@pytest.mark.parametrize(
    "content,message",
    [(b"", "cannot be read"), (b"PAR1garbage", "cannot be read")],
)
def test_broken_parquet_is_an_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "1" / "WELL-00001_20170101000000.parquet"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as error:
        read_file(path)
    assert error.value.path == path


def test_a_file_name_without_a_well_is_refused(tmp_path):
    path = _csv(tmp_path, "2017-02-01 02:02:07,1,1,1,1,1,1,,1,0\n", name="something.csv")
    with pytest.raises(InputFileError, match="file name does not start with WELL-"):
        read_file(path)
