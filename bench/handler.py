"""Stream handler cost per record, in process, in batches of 1,000: the processor's own work
from a record's bytes to its NDJSON line for Firehose (pipeline.stream.process_batch: two-tier
pydantic validation, out-of-range sensors set aside, quality notes, every detector against the
well's state; then ndjson_line) against a plain per-record Python implementation of the same
validation and the same detectors (bench/reference_detector.py) serialised with json.dumps,
written here as the reference.

Both run over the same batches built from the synthetic dataset; their lines must hold the same
rows, or the comparison would be of two different things. The Lambda wraps this in Powertools'
BatchProcessor (per-record failure reporting); its cost per record is measured apart, with a
record handler that only decodes, and reported beside the figure.
"""

from __future__ import annotations

import base64
import cProfile
import json
import math
import pstats
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from bench.reference_detector import ReferenceDetector
from bench.report import BenchResult, Measurement
from bench.workload import readings
from pipeline import schema
from pipeline.detector import Detector, WellState
from pipeline.kinesis_writer import encode
from pipeline.stream import StreamRecord, StreamScorer, iso, ndjson_line, process_batch

BATCH = 1_000
TARGET_US = 5.0

_FIELDS = {f.name: f for f in schema.fields("record")}
_REQUIRED = {f.name for f in _FIELDS.values() if f.required}
_PLAIN_TYPES = {"string": str, "int": int, "double": float}


def reference_record(item: StreamRecord, detector: ReferenceDetector) -> dict[str, Any] | None:
    """The processor's rules, by hand: strict types, NaN as missing, out-of-range values set
    aside, then the detector. Returns the raw row, or None where the processor would quarantine."""
    try:
        record = json.loads(item.data)
    except ValueError:
        return None
    if not isinstance(record, dict) or not record.keys() >= _REQUIRED or not record.keys() <= _FIELDS.keys():
        return None
    values: dict[str, Any] = dict.fromkeys(_FIELDS)
    aside: dict[str, float] = {}
    for name, value in record.items():
        spec = _FIELDS[name]
        if value is None:
            if spec.required:
                return None
            continue
        if spec.type == "timestamp":
            if not isinstance(value, str):
                return None
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return None
            values[name] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            continue
        wanted = _PLAIN_TYPES[spec.type]
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not wanted:
            return None
        if spec.is_sensor and isinstance(value, float):
            if math.isnan(value):
                continue
            low = -math.inf if spec.min is None else spec.min
            high = math.inf if spec.max is None else spec.max
            if not low <= value <= high:
                aside[name] = value
                continue
        values[name] = value
    if not aside and all(values[s.name] is None for s in schema.sensors()):
        return None
    flag, types, score, notes = detector.score(
        values["well_id"], values["event_time"].timestamp(), values, aside
    )
    return {
        **values,
        "event_time": iso(values["event_time"]),
        "ingested_at": iso(item.arrival),
        "sequence_number": item.sequence_number,
        "quality_issues": ",".join(notes) or None,
        "set_aside": json.dumps(aside) if aside else None,
        "anomaly_flag": flag,
        "anomaly_type": ",".join(types) or None,
        "anomaly_score": score,
    }


def ours(groups: Sequence[list[StreamRecord]]) -> list[bytes]:
    """What the processor does to each batch before Firehose, in order, each batch starting from
    the states the one before left (as the Lambda loads what the previous invocation committed)."""
    lines: list[bytes] = []
    states: dict[str, WellState] = {}
    detector = Detector()
    for group in groups:
        scorer = StreamScorer(detector, states)
        lines += [ndjson_line(row) for _, row in process_batch(group, scorer).rows]
        states = scorer.states
    return lines


def reference(groups: Sequence[list[StreamRecord]]) -> list[bytes]:
    detector = ReferenceDetector()
    rows = (reference_record(item, detector) for group in groups for item in group)
    return [json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows if row is not None]


def batches(records: int) -> list[list[StreamRecord]]:
    arrival = datetime.now(UTC)
    items = [StreamRecord(str(i), r["well_id"], arrival, encode(r)) for i, r in enumerate(readings(records))]
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


def _per_record_us(work: Callable[[Any], object], groups: Sequence[Sequence[Any]], repeats: int) -> float:
    """Best of ``repeats`` passes of ``work`` over all batches, in microseconds per record."""
    count = sum(len(g) for g in groups)
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        work(groups)
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


def run(records: int = 60_000, repeats: int = 3) -> BenchResult:
    started = time.monotonic()
    groups = batches(records)
    if [json.loads(line) for line in ours(groups)] != [json.loads(line) for line in reference(groups)]:
        raise AssertionError("the reference handler disagrees with the processor: fix the reference first")
    ours_us = _per_record_us(ours, groups, repeats)
    reference_us = _per_record_us(reference, groups, repeats)
    wrapper_us = powertools_us(groups, repeats)
    measurement = Measurement(
        "handler cost per record (bytes in, NDJSON line out)",
        ours_us,
        "µs",
        higher_is_better=False,
        target=TARGET_US,
        reference=reference_us,
        reference_name="plain per-record Python detectors and json.dumps",
        notes=[
            f"Powertools' BatchProcessor around it, as the Lambda runs it, "
            f"adds {wrapper_us:.1f} µs per record"
        ],
    )
    setup = {"records": records, "batch": BATCH, "repeats": repeats}
    return BenchResult("stream handler", setup, [measurement], time.monotonic() - started, profile(groups))


def powertools_us(groups: list[list[StreamRecord]], repeats: int) -> float:
    """Powertools' BatchProcessor over Kinesis events of the same batches, its handler only decoding."""
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    events = [[_kinesis_event_record(item) for item in group] for group in groups]

    def decode(record: KinesisStreamRecord) -> bytes:
        return record.kinesis.data_as_bytes()

    def work(batches: list[list[dict[str, Any]]]) -> None:
        for event in batches:
            with processor(records=event, handler=decode):
                processor.process()
            if processor.response()["batchItemFailures"]:  # a failing decode would time the error path
                raise AssertionError("Powertools reported failures for well-formed records")

    return _per_record_us(work, events, repeats)


def _kinesis_event_record(item: StreamRecord) -> dict[str, Any]:
    return {
        "eventSource": "aws:kinesis",
        "eventID": f"shardId-000000000000:{item.sequence_number}",
        "kinesis": {
            "data": base64.b64encode(item.data).decode(),
            "sequenceNumber": item.sequence_number,
            "partitionKey": item.partition_key,
            "approximateArrivalTimestamp": item.arrival.timestamp(),
        },
    }


def profile(groups: list[list[StreamRecord]], top: int = 10) -> list[str]:
    """cProfile of one pass of the processor's work: the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.runcall(ours, groups)
    stats = pstats.Stats(profiler)
    own_times = stats.stats  # type: ignore[attr-defined]  # pstats' table, not in typeshed
    total = sum(row[2] for row in own_times.values())  # own time of every function
    count = sum(len(g) for g in groups)
    rows = sorted(own_times.items(), key=lambda item: -item[1][2])[:top]
    lines = [
        f"cProfile of process_batch and ndjson_line over {count:,} records "
        "(profiling slows it; shares are what count):"
    ]
    for (file, line, name), (_, calls, own, _, _) in rows:
        where = name if file == "~" else f"{Path(file).name}:{line} {name}"
        lines.append(f"  {own / total:5.1%}  {own / count * 1e6:5.2f} µs/record  {calls:>7,} calls  {where}")
    return lines
