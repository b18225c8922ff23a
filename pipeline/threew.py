"""Readers for the Petrobras 3W dataset: release 2 (Parquet) and release 1 (CSV).

Both give one normalised frame per file: event_time (UTC), label, and one column per sensor of
the schema under its lake name (P-PDG -> p_pdg). The mapping comes from schema.json's `source`.
A file that cannot be used raises InputFileError naming the file (and row and column when
there is one); a file that can be used with care gives warnings naming the file and column:
unknown columns (skipped), missing sensor columns (read as empty), suspicious units.

The producer reads strictly: the first unparsable value fails the file. The landing function
(lambda/landing_loader) reads with `rejects=True`: rows holding an unparsable value leave the
frame and are listed in `ThreeWFile.rejected` with their row and column, so one bad cell
discards its row, not the file. Both read through this one module, so a file dropped into
landing gives the records the producer would send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline import schema

# 3W 2.0 columns the lake does not carry: known, so skipped without a warning.
OTHER_3W_COLUMNS = {
    "ABER-CKGL",
    "ABER-CKP",
    "ESTADO-DHSV",
    "ESTADO-M1",
    "ESTADO-M2",
    "ESTADO-PXO",
    "ESTADO-SDV-GL",
    "ESTADO-SDV-P",
    "ESTADO-W1",
    "ESTADO-W2",
    "ESTADO-XO",
    "P-ANULAR",
    "P-JUS-BS",
    "P-JUS-CKP",
    "P-MON-CKGL",
    "P-MON-SDV-P",
    "PT-P",
    "QBS",
    "T-MON-CKP",
    "T-PDG",
    "state",
}
WELL_PATTERN = re.compile(r"^(WELL-\d+|SIMULATED_\d+|DRAWN_\d+)_")
# Medians that betray a unit other than the dataset's (Pa, degrees C).
PRESSURE_BELOW_PA = 1e4  # a well pressure under 0.1 bar: probably bar, kgf/cm2 or MPa
TEMPERATURE_ABOVE_C = 200  # probably kelvin


class InputFileError(ValueError):
    """A 3W file that cannot be replayed; the message names file, and row and column if known."""

    def __init__(self, path: Path, message: str, row: int | None = None, column: str | None = None):
        where = (
            str(path)
            + (f", row {row}" if row is not None else "")
            + (f", column {column!r}" if column else "")
        )
        super().__init__(f"{where}: {message}")
        self.path, self.row, self.column = path, row, column


@dataclass(frozen=True)
class RejectedRow:
    """A row read with rejects=True that holds a value that is not what its column needs."""

    row: int  # 1-based data row of the file (the CSV header is not counted)
    column: str  # the file's own column name
    value: str
    message: str


@dataclass
class ThreeWFile:
    path: Path
    well_id: str
    event_class: int | None  # from the class folder, when the layout has one
    frame: pd.DataFrame  # event_time, label, sensors (lake names); index: 0-based data row
    warnings: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)  # only with rejects=True


def well_of(path: Path) -> str:
    match = WELL_PATTERN.match(path.name)
    if not match:
        raise InputFileError(
            path, "file name does not start with WELL-NNNNN_, SIMULATED_NNNNN_ or DRAWN_NNNNN_"
        )
    return match.group(1)


def discover(root: Path) -> list[Path]:
    """3W files under a dataset folder: <class>/*.parquet (release 2) or <class>/*.csv (release 1)."""
    if not root.is_dir():
        raise InputFileError(root, "no such dataset folder")
    base = root / "dataset" if (root / "dataset").is_dir() else root
    files = sorted(
        p for p in base.glob("*/*") if p.suffix in {".parquet", ".csv"} and p.parent.name.isdigit()
    )
    if not files:
        raise InputFileError(base, "no <class>/*.parquet or <class>/*.csv files (3W layout) found")
    return files


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file through DuckDB, not pyarrow: the landing function ships DuckDB already,
    and pyarrow would not fit next to it in a Lambda zip. Release 2 stores the timestamp index
    as a column, which DuckDB reads like any other."""
    con = duckdb.connect()
    try:
        return con.read_parquet(str(path)).df()
    finally:
        con.close()


def _load(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            frame = _read_parquet(path)
        elif path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            raise InputFileError(path, "not a .parquet or .csv file")
    except InputFileError:
        raise
    except Exception as error:  # pyarrow and pandas raise many types for broken files
        raise InputFileError(path, f"cannot be read ({type(error).__name__}: {error})") from error
    if frame.empty:
        raise InputFileError(path, "holds no rows")
    if "timestamp" not in frame.columns:
        raise InputFileError(path, "has no timestamp column or index", column="timestamp")
    return frame


class _Reader:
    """Parses one file's columns; collects bad values (rejects=True) or raises on the first."""

    def __init__(self, path: Path, raw: pd.DataFrame, rejects: bool):
        self.path, self.raw, self.rejects = path, raw, rejects
        self.rejected: list[RejectedRow] = []

    def _bad(self, column: str, bad: pd.Series, message: str) -> None:
        rows = np.flatnonzero(bad.to_numpy())
        if not len(rows):
            return
        text = self.raw[column].astype(str)
        if not self.rejects:
            row = int(rows[0])
            raise InputFileError(self.path, message.format(repr(text.iloc[row])), row=row + 1, column=column)
        self.rejected += [
            RejectedRow(int(r) + 1, column, text.iloc[int(r)], message.format(repr(text.iloc[int(r)])))
            for r in rows
        ]

    def times(self) -> pd.Series:
        times = pd.to_datetime(self.raw["timestamp"], errors="coerce", utc=True)
        self._bad("timestamp", times.isna(), "timestamp {} cannot be parsed")
        return times.reset_index(drop=True)

    def numeric(self, column: str) -> pd.Series:
        """Numbers from a column; text that is neither a number nor empty is a bad value."""
        values = self.raw[column]
        if pd.api.types.is_numeric_dtype(values):
            return values.astype("float64").reset_index(drop=True)
        text = values.astype(str).str.strip()
        empty = text.isin(["", "nan", "NaN", "None"])
        parsed = pd.to_numeric(text.where(~empty, None), errors="coerce")
        self._bad(column, parsed.isna() & ~empty, "value {} is not a number")
        return parsed.astype("float64").reset_index(drop=True)


def _unit_warnings(path: Path, frame: pd.DataFrame) -> list[str]:
    warnings = []
    for sensor in schema.sensors():
        median = frame[sensor.name].abs().median()
        if pd.isna(median):
            continue
        if sensor.kind == "pressure" and 0 < median < PRESSURE_BELOW_PA:
            warnings.append(
                f"{path}: column {sensor.source!r}: median {median:g} looks like bar or MPa, the dataset "
                "uses Pa"
            )
        if sensor.kind == "temperature" and median > TEMPERATURE_ABOVE_C:
            warnings.append(
                f"{path}: column {sensor.source!r}: median {median:g} looks like kelvin, the dataset "
                "uses degrees C"
            )
    return warnings


def read_file(path: Path, rejects: bool = False) -> ThreeWFile:
    """Read and normalise one 3W file. rejects=False: the first bad value raises InputFileError;
    rejects=True: rows with bad values are left out and listed in `rejected`."""
    well_id = well_of(path)
    raw = _load(path)
    reader = _Reader(path, raw, rejects)
    warnings = [f"{path}: unknown column {c!r} skipped" for c in raw.columns if c not in _known_columns()]
    frame = pd.DataFrame({"event_time": reader.times()})
    label = reader.numeric("class") if "class" in raw.columns else None
    if label is None:
        warnings.append(f"{path}: column 'class' is missing: readings are replayed without labels")
    frame["label"] = label if label is not None else np.nan
    for sensor in schema.sensors():
        if sensor.source is not None and sensor.source in raw.columns:
            frame[sensor.name] = reader.numeric(sensor.source)
        else:
            warnings.append(f"{path}: column {sensor.source!r} is missing: read as empty")
            frame[sensor.name] = np.nan
    if reader.rejected:
        frame = frame.drop(index=sorted({r.row - 1 for r in reader.rejected}))
    warnings += _unit_warnings(path, frame)
    folder = path.parent.name
    event_class = int(folder) if folder.isdigit() else None
    return ThreeWFile(path, well_id, event_class, frame, warnings, reader.rejected)


def _known_columns() -> set[str]:
    return {"timestamp", "class"} | OTHER_3W_COLUMNS | {s.source for s in schema.sensors() if s.source}
