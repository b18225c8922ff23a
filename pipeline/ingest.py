"""What the HTTP ingestion API does to a request, without any AWS call.

A gateway that speaks HTTPS rather than the Kinesis API POSTs readings to the API
(infra/api.tf). The body is either JSON, `{"readings": [ {...}, ... ]}` with the schema's
record-stage fields, or a CSV in the 3W layout (one well's readings, the well in the query
string). Every reading is validated with the stream processor's own validation
(pipeline/validation.py) before any is sent: a request with an invalid reading is refused whole,
400 with each reading's index, field and reason, so the client keeps the batch and nothing is
half sent. A reading with every sensor empty is valid here, as in a 3W file: it is sent, and the
stream processor quarantines it (`no_sensor_values`) as it does a streamed one. Accepted
readings get the producer's event id when they carry none (derived from the well and the time,
so a request sent twice sends the same ids and the lake keeps one copy), and go to Kinesis keyed
by well (pipeline/kinesis_writer.py).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.records import event_id_at
from pipeline.validation import validate

# lake.json, where infra/api.tf's request model reads them too: one PutRecords call of readings
MAX_BODY_BYTES: int = layout.ingest_api()["max_body_bytes"]  # larger bodies: 413
MAX_READINGS: int = layout.ingest_api()["max_readings"]
DEFAULT_SOURCE = "api"  # source_file of readings that name none


@dataclass
class Refusal(Exception):
    """A request the API refuses: the HTTP status and a body that says why."""

    status: int
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors} if self.errors else {"message": self.message}


def check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(
            413,
            f"the body has {len(body):,} bytes; the API takes at most {MAX_BODY_BYTES:,} per request "
            f"(and {MAX_READINGS} readings): split it, or use `petrostream backfill` for files",
        )


def readings_from_json(body: bytes) -> list[dict[str, Any]]:
    """The readings of a JSON body; a body that is not {"readings": [objects]} is a 400."""
    try:
        document = json.loads(body)
    except ValueError as error:
        raise Refusal(400, f"the body is not JSON: {error}") from error
    readings = document.get("readings") if isinstance(document, dict) else None
    if not isinstance(readings, list) or not all(isinstance(r, dict) for r in readings):
        raise Refusal(400, 'the body must be {"readings": [ {reading}, ... ]}')
    return readings


def readings_from_csv(body: bytes, well_id: str | None, event_class: str | None) -> list[dict[str, Any]]:
    """The readings of a CSV body in the 3W layout, read by the producer's own reader (strictly:
    the first bad value is a 400 naming its row and column)."""
    from pipeline.records import to_records  # pandas: loaded only for CSV bodies
    from pipeline.threew import WELL_PATTERN, InputFileError, read_file

    if not well_id or not WELL_PATTERN.fullmatch(f"{well_id}_"):  # the whole value, nothing after
        raise Refusal(400, "a CSV body needs ?well_id=WELL-NNNNN (the well its readings are from)")
    if event_class is not None and not event_class.isdigit():
        raise Refusal(400, f"event_class must be a 3W class number (0-9), not {event_class!r}")
    with tempfile.TemporaryDirectory() as scratch:
        # the reader takes the class from the folder and the well from the file name, as in 3W
        path = Path(scratch) / (event_class or "unknown") / f"{well_id}_api.csv"
        path.parent.mkdir()
        path.write_bytes(body)
        try:
            file = read_file(path)
        except InputFileError as error:
            raise Refusal(
                400,
                str(error).replace(str(path), "body"),
                [{"row": error.row, "field": error.column, "message": str(error).split(": ", 1)[-1]}],
            ) from error
        return to_records(file, None, DEFAULT_SOURCE)


def checked(readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The readings completed (event_id, source_file) and validated; a Refusal if any is invalid."""
    if not readings:
        raise Refusal(400, "the request holds no reading")
    if len(readings) > MAX_READINGS:
        raise Refusal(
            413, f"the request holds {len(readings)} readings; the API takes at most {MAX_READINGS}"
        )
    errors: list[dict[str, Any]] = []
    accepted = []
    for index, reading in enumerate(readings):
        completed = {"source_file": DEFAULT_SOURCE, **reading}
        record, _, problems = validate(json.dumps({"event_id": "-", **completed}))
        if record is None:
            errors += [{"index": index, **problem} for problem in problems]
            continue
        if "event_id" not in completed:
            completed["event_id"] = event_id_at(record["well_id"], record["event_time"])
        accepted.append(completed)
    if errors:
        raise Refusal(
            400, f"{len({e['index'] for e in errors})} of {len(readings)} readings are invalid", errors
        )
    return accepted
