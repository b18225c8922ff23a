"""What the landing function does to one 3W file, without any AWS call.

A file dropped into the landing zone is read by the producer's own reader (pipeline/threew.py,
with bad rows set aside instead of failing the file), turned into the producer's records
(pipeline/records.py), and each record is validated and scored by the stream processor's own
StreamScorer, in file order, from a fresh state for each well of the file. So the file gives the
rows, the flags and the quarantine reasons the stream gives for the same readings replayed into
a well with no history; docs/landing.md says why a file does not continue the stream's state.

The outcome is the raw rows (written to the raw zone, where the curated builder takes them the
way it takes Firehose's objects), the discarded rows (each with its file, row, column and
reason) and the file's quality report.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic_core import to_json

from pipeline.batching import chunks
from pipeline.detector import Detector
from pipeline.records import iter_records
from pipeline.stream import StreamRecord, StreamScorer, iso, ndjson_line
from pipeline.threew import InputFileError, read_file

SEQUENCE_DIGITS = 20  # a landing row's sequence number: its row, zero-padded so text order is row order


@dataclass(frozen=True)
class FileLimits:
    """What one invocation of the landing function takes on (docs/landing.md, measured)."""

    max_bytes: int  # larger objects are refused before they are read
    max_rows: int  # files with more rows are refused after reading

    def refuse_size(self, size: int) -> str | None:
        if size > self.max_bytes:
            return (
                f"the file has {size:,} bytes; the landing function takes at most {self.max_bytes:,} "
                "(LANDING_MAX_BYTES): split it, or replay it with `petrostream produce`"
            )
        return None


@dataclass
class LandedFile:
    """The outcome of one landing file: raw rows (as NDJSON lines), discarded rows, the report.

    Rows are kept serialised, not as dicts: a dict per row costs several times its JSON line,
    and the function's memory bounds the rows it can take (docs/landing.md, Limits)."""

    key: str  # the landing object's key
    lines: list[bytes] = field(default_factory=list)  # raw-zone rows as NDJSON lines, in file order
    discarded: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def raw_objects(self, max_bytes: int) -> Iterator[bytes]:
        """The valid rows as NDJSON bodies of at most max_bytes each (one row never splits)."""
        for chunk in chunks(self.lines, len(self.lines) + 1, max_bytes, len):
            yield b"".join(chunk)

    def discard_body(self) -> bytes:
        return b"".join(ndjson_line(entry) for entry in self.discarded)


@dataclass
class _Tally:
    """What the report says about the valid rows, counted as they pass."""

    wells: set[str] = field(default_factory=set)
    first: str | None = None
    last: str | None = None
    anomalies: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.wells.add(row["well_id"])
        moment = row["event_time"]  # ISO text in UTC: compares like the time
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)
        self.anomalies += row["anomaly_flag"]


def refused(
    key: str, reason: str, error: str, *, etag: str = "", size: int | None = None, sha256: str | None = None
) -> LandedFile:
    """A file the function does not load: nothing reaches the lake; the report says why."""
    landed = LandedFile(key)
    landed.discarded = [{"file": key, "row": None, "column": None, "reason": reason, "error": error}]
    landed.report = {
        "file": key,
        "etag": etag,
        "sha256": sha256,
        "bytes": size,
        "status": "refused",
        "reason": reason,
        "error": error,
        "rows": 0,
        "valid": 0,
        "discarded": 0,
        "discarded_by_reason": {},
    }
    return landed


def _discard(key: str, row: int, reason: str, errors: list[dict[str, str]], payload: Any) -> dict[str, Any]:
    column = errors[0]["field"] if errors else None
    return {"file": key, "row": row, "column": column, "reason": reason, "errors": errors, **payload}


def land_file(
    path: Path,
    key: str,
    arrival: datetime,
    *,
    run_id: str | None,
    detector: Detector,
    limits: FileLimits,
    etag: str = "",
) -> LandedFile:
    """Read, validate and score one local copy of a landing object.

    path: the copy, under a folder named like the file's 3W class folder (the reader takes the
    instance's class from it); key: the object's key, the rows' source_file and the discards'
    file; arrival: the object's creation time, every row's ingested_at (the same on a retry)."""
    started = time.monotonic()
    size = path.stat().st_size
    with path.open("rb") as copy:
        sha256 = hashlib.file_digest(copy, "sha256").hexdigest()  # what the lake keys the file's rows by
    try:
        file = read_file(path, rejects=True)
    except InputFileError as error:
        return refused(
            key, "unreadable_file", str(error).replace(str(path), key), etag=etag, size=size, sha256=sha256
        )
    if len(file.frame) + len(file.rejected) > limits.max_rows:
        return refused(
            key,
            "too_many_rows",
            f"the file has {len(file.frame) + len(file.rejected):,} rows; the landing function takes "
            f"at most {limits.max_rows:,} (LANDING_MAX_ROWS)",
            etag=etag,
            size=size,
            sha256=sha256,
        )
    landed = LandedFile(key)
    warnings = [w.replace(str(path), key) for w in file.warnings]
    for bad in file.rejected:
        problem = {"field": bad.column, "error": "unparsable", "message": bad.message}
        landed.discarded.append(_discard(key, bad.row, "unparsable_value", [problem], {"value": bad.value}))
    scorer = StreamScorer(detector, commits=False)
    tally = _Tally()
    for row_index, record in zip(file.frame.index, iter_records(file, run_id, key), strict=True):
        row = int(row_index) + 1
        row_text = str(row).zfill(SEQUENCE_DIGITS)
        item = StreamRecord(row_text, record["well_id"], arrival, to_json(record))
        raw, quarantined = scorer.process(item)
        if raw is not None:
            landed.lines.append(ndjson_line(raw))
            tally.add(raw)
        elif quarantined is not None:
            payload = {k: v for k, v in quarantined.items() if k.startswith("payload")}
            landed.discarded.append(_discard(key, row, quarantined["reason"], quarantined["errors"], payload))
    landed.discarded.sort(key=lambda entry: entry["row"])
    del file  # the frame: its memory is the rows' (reports and raw objects are made from the lines)
    landed.report = _report(
        landed, warnings, etag, size, tally, len(scorer.faults), time.monotonic() - started
    ) | {"sha256": sha256}
    return landed


def _report(
    landed: LandedFile,
    warnings: list[str],
    etag: str,
    size: int,
    tally: _Tally,
    faults: int,
    seconds: float,
) -> dict[str, Any]:
    reasons = Counter(entry["reason"] for entry in landed.discarded)
    return {
        "file": landed.key,
        "etag": etag,
        "bytes": size,
        "status": "loaded_with_discards" if landed.discarded else "loaded",
        "rows": len(landed.lines) + len(landed.discarded),
        "valid": len(landed.lines),
        "discarded": len(landed.discarded),
        "discarded_by_reason": dict(sorted(reasons.items())),
        "wells": sorted(tally.wells),
        "first_event_time": tally.first,
        "last_event_time": tally.last,
        "anomalies": tally.anomalies,
        "sensor_faults": faults,
        "warnings": warnings,
        "seconds": round(seconds, 3),
        "loaded_at": iso(datetime.now().astimezone()),
    }
