"""Readers for the Petrobras 3W dataset: release 2 (Parquet) and release 1 (CSV).

Both give one normalised frame per file: event_time (UTC), label, and one column per sensor of
the schema under its lake name (P-PDG -> p_pdg). The mapping comes from schema.json's `source`.
A file that cannot be used raises InputFileError naming the file (and row and column when
there is one); a file that can be used with care gives warnings naming the file and column:
unknown columns (skipped), missing sensor columns (read as empty), suspicious units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class ThreeWFile:
    path: Path
    well_id: str
    event_class: int | None  # from the class folder, when the layout has one
    frame: pd.DataFrame  # event_time, label, sensors (lake names)
    warnings: list[str] = field(default_factory=list)


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


def _load(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            if "timestamp" not in frame.columns:
                frame = frame.reset_index()
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


def _numeric(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    """Numbers from a column; text that is neither a number nor empty is an error naming its row."""
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype(str).str.strip()
    parsed = pd.to_numeric(text.where(~text.isin(["", "nan", "NaN", "None"]), None), errors="coerce")
    bad = parsed.isna() & ~text.isin(["", "nan", "NaN", "None"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(path, f"value {text.iloc[row]!r} is not a number", row=row + 1, column=column)
    return parsed.astype("float64")


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


def read_file(path: Path) -> ThreeWFile:
    raw = _load(path)
    warnings = [f"{path}: unknown column {c!r} skipped" for c in raw.columns if c not in _known_columns()]
    times = pd.to_datetime(raw["timestamp"], errors="coerce", utc=True)
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise InputFileError(
            path,
            f"timestamp {raw['timestamp'].iloc[row]!r} cannot be parsed",
            row=row + 1,
            column="timestamp",
        )
    frame = pd.DataFrame({"event_time": times.reset_index(drop=True)})
    label = _numeric(path, raw, "class").reset_index(drop=True) if "class" in raw.columns else None
    if label is None:
        warnings.append(f"{path}: column 'class' is missing: readings are replayed without labels")
    frame["label"] = label if label is not None else np.nan
    for sensor in schema.sensors():
        if sensor.source is not None and sensor.source in raw.columns:
            frame[sensor.name] = _numeric(path, raw, sensor.source).reset_index(drop=True)
        else:
            warnings.append(f"{path}: column {sensor.source!r} is missing: read as empty")
            frame[sensor.name] = np.nan
    warnings += _unit_warnings(path, frame)
    folder = path.parent.name
    return ThreeWFile(path, well_of(path), int(folder) if folder.isdigit() else None, frame, warnings)


def _known_columns() -> set[str]:
    return {"timestamp", "class"} | OTHER_3W_COLUMNS | {s.source for s in schema.sensors() if s.source}
