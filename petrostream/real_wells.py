"""Detection measured on 3W instances: each file replayed through the stream processor's own
code (validation, set-aside, every detector against a fresh well state: pipeline/stream.py) and
its flags compared with its labels (pipeline/evaluation.py).

No AWS is involved, so this runs in a unit test and on a laptop over a whole 3W release. Each
instance starts from an empty state, as it would on the stream: instances of one well are hours
or days apart, longer than the detector's reset gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.detector import Detector
from pipeline.evaluation import InstanceFigures, instance_figures
from pipeline.kinesis_writer import encode
from pipeline.records import to_records
from pipeline.stream import StreamRecord, StreamScorer
from pipeline.threew import discover, read_file

ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)  # arrival times do not enter detection


def _flags(path: Path, root: Path) -> Iterator[tuple[float, int | None, bool]]:
    file = read_file(path)
    scorer = StreamScorer(Detector())
    for i, record in enumerate(to_records(file, None, path.relative_to(root).as_posix())):
        row, _ = scorer.process(StreamRecord(str(i + 1), file.well_id, ARRIVAL, encode(record)))
        if row is not None:  # every real row is valid; a quarantined one has no flag to score
            moment = datetime.fromisoformat(row["event_time"]).timestamp()
            yield moment, record["label"], row["anomaly_flag"]


def evaluate(root: Path) -> list[InstanceFigures]:
    """Per-instance figures for every 3W file under root (sorted by path)."""
    return [
        instance_figures(path.relative_to(root).as_posix(), _flags(path, root)) for path in discover(root)
    ]
