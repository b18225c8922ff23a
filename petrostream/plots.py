"""The demo's and the notebooks' plots, drawn from the lake with DuckDB (one definition of each).

`make demo` writes them as PNG files; notebooks/lake_tour.ipynb draws the same figures inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt  # headless machines fall back to Agg; Jupyter uses inline

from pipeline import evaluation
from pipeline.queries import run


def instructive_instance(con: Any) -> tuple[str, str]:
    """(well, source file) of the instance to plot: a spurious DHSV closure (class 2) if there is
    one, it has the clearest signature; else the instance with the most flagged readings."""
    return con.execute(
        "SELECT well_id, source_file FROM curated_readings GROUP BY ALL "
        "ORDER BY bool_or(event_class = 2) DESC, count_if(anomaly_flag) DESC, source_file LIMIT 1"
    ).fetchone()


def pressure_with_anomalies(con: Any, source_file: str | None = None):
    """One instance (one 3W file): P-TPT and P-PDG against time, flagged readings in red, the
    labelled event shaded."""
    well_id, source_file = (
        instructive_instance(con)
        if source_file is None
        else con.execute(
            "SELECT any_value(well_id), ? FROM curated_readings WHERE source_file = ?",
            [source_file, source_file],
        ).fetchone()
    )
    frame = con.execute(
        "SELECT event_time, p_tpt, p_pdg, anomaly_flag, label, event_class FROM curated_readings "
        "WHERE source_file = ? ORDER BY event_time",
        [source_file],
    ).df()
    fig, ax = plt.subplots(figsize=(11, 4))
    ax.plot(frame["event_time"], frame["p_tpt"] / 1e5, lw=0.8, label="P-TPT (bar)")
    ax.plot(frame["event_time"], frame["p_pdg"] / 1e5, lw=0.8, label="P-PDG (bar)")
    flagged = frame[frame["anomaly_flag"]]
    ax.scatter(flagged["event_time"], flagged["p_tpt"] / 1e5, s=4, color="red", label="flagged", zorder=3)
    labelled = frame[frame["label"].fillna(0) > 0]
    if not labelled.empty:
        ax.axvspan(
            labelled["event_time"].min(),
            labelled["event_time"].max(),
            color="orange",
            alpha=0.12,
            label="labelled event",
        )
    ax.set_title(
        f"{well_id}, {source_file} (class {int(frame['event_class'].iloc[0])}): pressure and flagged "
        "anomalies"
    )
    ax.set_ylabel("bar")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def anomaly_trend(con: Any):
    frame = run(con, "anomalies_per_hour").df()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(frame["hour_start"].astype(str), frame["anomalies"], color="tab:red")
    ax.set_title("Anomalies per hour")
    ax.tick_params(axis="x", rotation=30, labelsize=7)
    fig.tight_layout()
    return fig


def anomalies_by_event_type(con: Any):
    frame = con.execute(
        "SELECT event_class, coalesce(anomaly_type, 'none') AS anomaly_type, count(*) AS n FROM "
        "curated_readings "
        "WHERE anomaly_flag GROUP BY ALL ORDER BY ALL"
    ).df()
    pivot = frame.pivot(index="event_class", columns="anomaly_type", values="n").fillna(0)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    pivot.plot.bar(stacked=True, ax=ax)
    ax.set_title("Flagged readings by 3W event class and detector")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def detection_quality(con: Any):
    rows = [r for r in evaluation.quality(con) if r.positives]
    classes = [str(r.event_class) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.2
    for offset, (name, values) in enumerate(
        [
            ("recall", [r.recall for r in rows]),
            ("precision", [r.precision for r in rows]),
            ("baseline recall", [r.baseline_recall for r in rows]),
            ("baseline precision", [r.baseline_precision for r in rows]),
        ]
    ):
        ax.bar(
            [i + (offset - 1.5) * width for i in range(len(rows))],
            [v or 0 for v in values],
            width,
            label=name,
        )
    ax.set_xticks(range(len(rows)), classes)
    ax.set_xlabel("3W event class")
    ax.set_ylim(0, 1.3)
    ax.set_title("Detection quality per class: pipeline flags against a fixed-threshold baseline")
    ax.legend(fontsize=7, ncols=4, loc="upper center")
    fig.tight_layout()
    return fig


FIGURES = {
    "pressure_with_anomalies": pressure_with_anomalies,
    "anomaly_trend": anomaly_trend,
    "anomalies_by_event_type": anomalies_by_event_type,
    "detection_quality": detection_quality,
}


def write_all(con: Any, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in FIGURES.items():
        figure = draw(con)
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written
