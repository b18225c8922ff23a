"""The end-to-end benchmark's reading of the builder's log: every "built" line, nothing else."""

from __future__ import annotations

import json

from bench.end_to_end import Builds, builds_from_log


def _built(rows: int, seconds: float) -> str:
    return json.dumps(
        {"level": "INFO", "message": "built", "curated_rows": rows, "seconds": seconds, "partitions": []}
    )


def test_builds_add_up_the_built_lines_only():
    messages = [
        "START RequestId: 1 Version: $LATEST",
        _built(72_000, 1.25),
        json.dumps({"level": "INFO", "message": "batch", "curated_rows": 999}),  # another kind of line
        "[1, 2]",  # JSON, but not an object
        _built(1_500, 0.5),
        "REPORT RequestId: 1 Duration: 1750.00 ms",
    ]
    assert builds_from_log(messages) == Builds(builds=2, rows=73_500, seconds=1.75)


def test_no_built_line_is_no_build():
    assert builds_from_log(["START RequestId: 1", "END RequestId: 1"]) == Builds(0, 0, 0.0)
