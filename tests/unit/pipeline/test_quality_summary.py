"""pipeline/quality_summary.py over a lake folder: the period's quarantine and landing discards by
reason, refused files, and the wells silent for more than an hour (but not retired)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline import layout
from pipeline.quality_summary import DAY, HOUR, summarise
from pipeline.storage import DirectoryStore


def _put(root: Path, key: str, body: bytes, age: float) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    then = time.time() - age
    os.utime(path, (then, then))


def _ndjson(*reasons: str) -> bytes:
    return b"".join(json.dumps({"reason": r, "errors": []}).encode() + b"\n" for r in reasons)


def _report(status: str, by_reason: dict[str, int], file: str) -> bytes:
    return json.dumps({"file": file, "status": status, "discarded_by_reason": by_reason}).encode()


def test_the_summary_counts_the_period_only_and_lists_silent_wells(tmp_path: Path) -> None:
    quarantine, reports, states = (
        layout.prefix(z) for z in ("quarantine", "landing_reports", "detector_state")
    )
    _put(tmp_path, f"{quarantine}date=2026-12-01/a.ndjson", _ndjson("invalid_record", "invalid_record"), HOUR)
    _put(tmp_path, f"{quarantine}date=2026-12-01/b.ndjson", _ndjson("no_sensor_values"), 2 * HOUR)
    _put(tmp_path, f"{quarantine}date=2026-11-20/c.ndjson", _ndjson("invalid_record"), 10 * DAY)  # before
    _put(
        tmp_path,
        f"{reports}0/a.csv.json",
        _report("loaded_with_discards", {"unparsable_value": 3}, "a"),
        HOUR,
    )
    _put(tmp_path, f"{reports}0/b.csv.json", _report("refused", {}, "landing/0/b.csv"), HOUR)
    _put(tmp_path, f"{reports}0/c.csv.json", _report("loaded_with_discards", {"old": 9}, "c"), 3 * DAY)
    _put(tmp_path, f"{states}WELL-00001.json", b"{}", 60.0)  # heard a minute ago
    _put(tmp_path, f"{states}WELL-00002.json", b"{}", 3 * HOUR)  # silent
    _put(tmp_path, f"{states}WELL-00003.json", b"{}", 30 * DAY)  # retired long ago

    summary = summarise(DirectoryStore(tmp_path))
    message = summary.message()

    assert message["quarantined_by_reason"] == {"invalid_record": 2, "no_sensor_values": 1}
    assert message["quarantined"] == 3 and message["landing_files"] == 2
    assert message["discarded_by_reason"] == {"unparsable_value": 3} and message["discarded"] == 3
    assert message["refused_files"] == ["landing/0/b.csv"]
    assert (
        list(message["silent_wells"]) == ["WELL-00002"] and 2.9 < message["silent_wells"]["WELL-00002"] < 3.1
    )
    assert summary.attributes() == {
        "kind": "data-quality",
        "well_id": "all",
        "detector": "daily_summary",
        "severity": "warning",
    }


def test_a_quiet_lake_gives_a_clean_summary(tmp_path: Path) -> None:
    _put(tmp_path, f"{layout.prefix('detector_state')}WELL-00001.json", b"{}", 60.0)
    summary = summarise(DirectoryStore(tmp_path))
    assert summary.clean and summary.attributes()["severity"] == "info"
    assert summary.message()["quarantined"] == summary.message()["discarded"] == 0


def test_the_summary_imports_nothing_its_zip_lacks() -> None:
    """lambda/quality_summary ships Powertools only: no pydantic, DuckDB or pandas."""
    code = (
        "import sys\n"
        "for name in ('pydantic', 'pydantic_core', 'duckdb', 'pandas', 'numpy', 'pyarrow'):\n"
        "    sys.modules[name] = None\n"
        "import pipeline.quality_summary\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])
