"""One benchmark run's results, written as JSON (for machines) and Markdown (for the README).

Every measurement is kept with the reference it was measured against in the same run, the target
from issue 5 where there is one, and notes that name the bottleneck when the target is missed.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Measurement:
    """A figure, its unit, and whether more or less is better (for the target check)."""

    name: str
    value: float
    unit: str
    higher_is_better: bool = True
    target: float | None = None  # on the value
    reference: float | None = None  # the same figure for the reference, measured in this run
    target_ratio: float | None = None  # on value / reference, where the target is relative
    reference_name: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """value / reference: how many times the reference (>1 is more)."""
        return self.value / self.reference if self.reference else None

    @property
    def met(self) -> bool | None:
        checks = []
        if self.target is not None:
            checks.append(self.value >= self.target if self.higher_is_better else self.value <= self.target)
        if self.target_ratio is not None and self.ratio is not None:
            checks.append(
                self.ratio >= self.target_ratio if self.higher_is_better else self.ratio <= self.target_ratio
            )
        return all(checks) if checks else None


@dataclass
class BenchResult:
    """One benchmark: its measurements, the set-up it ran with, and its profile if it has one."""

    benchmark: str
    setup: dict[str, Any]
    measurements: list[Measurement]
    seconds: float
    profile: list[str] = field(default_factory=list)  # top lines of a profile, when a target is missed


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def to_json(results: list[BenchResult]) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "benchmarks": [
            {
                **asdict(r),
                "measurements": [{**asdict(m), "ratio": m.ratio, "met": m.met} for m in r.measurements],
            }
            for r in results
        ],
    }


def ratio_text(ratio: float) -> str:
    """0.75× as it is, a ratio far below 0.1 with its two significant digits (0.0039×), not 0.00×."""
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.2g}×"


def _figure(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def to_markdown(results: list[BenchResult]) -> str:
    doc = to_json(results)
    lines = [
        "# PetroStream benchmark report",
        "",
        f"{doc['generated_at']} on {doc['machine']['cpus']} CPUs, Python {doc['machine']['python']}",
        "",
        "| benchmark | measurement | value | reference | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for m in r.measurements:
            reference = f"{_figure(m.reference)} ({m.reference_name})" if m.reference is not None else ""
            sign = "≥" if m.higher_is_better else "≤"
            target = f"{sign} {_figure(m.target)}" if m.target is not None else ""
            target += f"{sign} {m.target_ratio:g}× reference" if m.target_ratio is not None else ""
            met = {None: "", True: "yes", False: "**no**"}[m.met]
            ratio = ratio_text(m.ratio) if m.ratio is not None else ""
            lines.append(
                f"| {r.benchmark} | {m.name} | {_figure(m.value)} {m.unit} | {reference} | {ratio} "
                f"| {target} | {met} |"
            )
    for r in results:
        lines += [
            "",
            f"## {r.benchmark}",
            "",
            f"Ran for {r.seconds:.1f} s with " + ", ".join(f"{k}={v}" for k, v in r.setup.items()) + ".",
        ]
        for m in r.measurements:
            lines += [f"- {m.name}: {note}" for note in m.notes]
        if r.profile:
            lines += ["", "```", *r.profile, "```"]
    return "\n".join(lines) + "\n"


def write(results: list[BenchResult], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(json.dumps(to_json(results), indent=2) + "\n")
    md_path.write_text(to_markdown(results))
    return json_path, md_path
