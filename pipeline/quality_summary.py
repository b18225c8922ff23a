"""The daily data-quality summary, without any AWS call: what the lake set aside, and who went quiet.

Three things a person on call wants each morning (docs/decisions/0003-scheduling.md):

- quarantined stream records of the period, by reason (the stream processor's quarantine
  objects: one NDJSON object per batch, under quarantine/date=<arrival date>/);
- landing files of the period and their discarded rows by reason, and refused files (the
  landing loader's reports, landing-reports/);
- wells silent for more than an hour: each well's detector state (state/detector/<well>.json)
  is rewritten with every batch that brings its readings, so its age is the time since the well
  was last heard from. Wells silent for longer than `forget_after` are left out as retired.

Objects are chosen by their age (S3's LastModified), so the summary reads only the period's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline import layout
from pipeline.storage import LakeStore

DAY = 24 * 3600.0
HOUR = 3600.0


@dataclass
class QualitySummary:
    period_seconds: float
    generated_at: str
    quarantined: Counter[str] = field(default_factory=Counter)  # reason -> records
    discarded: Counter[str] = field(default_factory=Counter)  # reason -> landing rows
    landing_files: int = 0
    refused_files: list[str] = field(default_factory=list)
    silent_wells: dict[str, float] = field(default_factory=dict)  # well -> hours since last heard

    @property
    def clean(self) -> bool:
        return not (self.quarantined or self.discarded or self.refused_files or self.silent_wells)

    def message(self) -> dict[str, Any]:
        """The summary as published on the data-quality topic."""
        return {
            "source": "data-quality",
            "issue": "daily_summary",
            "generated_at": self.generated_at,
            "period_hours": round(self.period_seconds / HOUR, 2),
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(sorted(self.quarantined.items())),
            "landing_files": self.landing_files,
            "discarded": sum(self.discarded.values()),
            "discarded_by_reason": dict(sorted(self.discarded.items())),
            "refused_files": sorted(self.refused_files),
            "silent_wells": {well: round(hours, 2) for well, hours in sorted(self.silent_wells.items())},
        }

    def attributes(self) -> dict[str, str]:
        """SNS message attributes, as the other data-quality messages carry (pipeline/stream.py)."""
        return {
            "kind": "data-quality",
            "well_id": "all",
            "detector": "daily_summary",
            "severity": "info" if self.clean else "warning",
        }


def _lines(store: LakeStore, key: str) -> list[dict[str, Any]]:
    found = store.read(key)
    if found is None:  # expired or deleted since it was listed
        return []
    return [json.loads(line) for line in found[0].splitlines() if line.strip()]


def summarise(
    store: LakeStore,
    period: float = DAY,
    silent_after: float = HOUR,
    forget_after: float = 7 * DAY,
) -> QualitySummary:
    """The summary of the last `period` seconds of the lake in `store`."""
    # not pipeline.stream.iso: that module needs pydantic, which this function's zip does not ship
    summary = QualitySummary(period, datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))
    for key, age in store.ages(layout.prefix("quarantine")).items():
        if age <= period:
            summary.quarantined.update(entry["reason"] for entry in _lines(store, key))
    for key, age in store.ages(layout.prefix("landing_reports")).items():
        if age > period or not key.endswith(".json"):
            continue
        found = store.read(key)
        if found is None:
            continue
        report = json.loads(found[0])
        summary.landing_files += 1
        summary.discarded.update(report.get("discarded_by_reason") or {})
        if report.get("status") == "refused":
            summary.refused_files.append(report["file"])
    state_prefix = layout.prefix("detector_state")
    for key, age in store.ages(state_prefix).items():
        if silent_after < age <= forget_after and key.endswith(".json"):
            summary.silent_wells[key.removeprefix(state_prefix).removesuffix(".json")] = age / HOUR
    return summary
