"""Detection on real 3W wells (tests/data/3w-real, CC BY 4.0, see its SOURCE.md), through the
stream processor's own code, held to the targets of issue 13 instance by instance.

An instance that misses a target is listed in KNOWN_MISSES with the targets it misses and why
(the README's table says the same): the test fails if it misses another target, and also if it
starts meeting one, so the README is kept true either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from petrostream.real_wells import evaluate
from pipeline.evaluation import InstanceFigures, instances_markdown

REAL = Path(__file__).resolve().parents[2] / "data" / "3w-real"

KNOWN_MISSES = {
    # T-TPT rises 5 degC and P-MON-CKP swings 30% six minutes before the first hydrate label, in
    # readings labelled normal; the hydrate itself shows in P-TPT, which reads 8.8e8 Pa on this
    # well (mis-scaled in the source) and is set aside as out of its physical range.
    "8/WELL-00021_20170509013517__slice.csv": {"normal_flagged", "false_alarms", "event_flagged"},
}


@pytest.fixture(scope="module")
def figures() -> dict[str, InstanceFigures]:
    return {row.instance: row for row in evaluate(REAL)}


def test_every_real_instance_is_scored(figures):
    assert len(figures) == len(list(REAL.glob("*/*.csv"))) == 6
    assert sum(row.event for row in figures.values()) > 3000  # labelled events, not only normal data
    assert (REAL / "SOURCE.md").exists()  # the attribution the licence asks for travels with the data


@pytest.mark.parametrize("instance", sorted(p.relative_to(REAL).as_posix() for p in REAL.glob("*/*.csv")))
def test_each_instance_meets_the_targets_or_misses_only_what_the_readme_says(figures, instance):
    row = figures[instance]
    assert set(row.misses()) == KNOWN_MISSES.get(instance, set()), instances_markdown([row])


def test_normal_slices_raise_no_alarm_at_all(figures):
    """The whole-normal slices, among them WELL-00002's, which the old fixed envelope flagged entirely."""
    normal_only = [row for row in figures.values() if not row.event]
    assert len(normal_only) == 2
    assert all(row.normal_flagged == 0 for row in normal_only)
