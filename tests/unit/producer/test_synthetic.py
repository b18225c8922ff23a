"""The synthetic dataset: deterministic, every class, 3W labels and quirks, plausible signatures."""

from __future__ import annotations

import hashlib

import numpy as np

from producer.synthetic import SyntheticSpec, generate, write_dataset

SPEC = SyntheticSpec(wells=4, instances_per_well=3, instance_minutes=20)


def test_same_spec_same_bytes(tmp_path):
    digests = []
    for run in ("a", "b"):
        paths = write_dataset(generate(SPEC), tmp_path / run)
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]


def test_every_class_with_transient_then_steady_labels():
    instances = generate(SPEC)
    assert {i.event_class for i in instances} == set(range(10))
    for instance in instances:
        labels = instance.frame["class"].dropna().to_numpy()
        assert len(instance.frame) == SPEC.instance_minutes * 60
        if instance.event_class == 0:
            assert set(labels) == {0}
            continue
        assert labels[0] == 0 and labels[-1] == instance.event_class  # normal first, steady last
        transient = 100 + instance.event_class
        if instance.event_class in (3, 4):
            assert transient not in labels
        else:  # the transient label comes between normal and steady
            first = np.flatnonzero(labels == transient)
            assert first.size and first[0] < np.flatnonzero(labels == instance.event_class)[0]


def test_spurious_dhsv_closure_has_its_signature():
    instance = next(i for i in generate(SPEC) if i.event_class == 2)
    frame = instance.frame
    normal, steady = frame[frame["class"] == 0], frame[frame["class"] == 2]
    assert steady["P-TPT"].mean() < 0.7 * normal["P-TPT"].mean()
    assert steady["T-TPT"].mean() < normal["T-TPT"].mean()
    assert steady["P-PDG"].mean() > normal["P-PDG"].mean()


def test_real_file_quirks_are_present():
    instances = generate(SPEC)
    frames = [i.frame for i in instances]
    assert all(f["T-JUS-CKGL"].isna().all() for f in frames)  # an empty column
    assert any(f["class"].isna().any() for f in frames)  # rows without a label
    assert any(f["P-TPT"].isna().any() or f["P-PDG"].isna().any() for f in frames)  # NaN gaps
    frozen = [(f["P-PDG"].diff() == 0).rolling(300).sum().max() for f in frames]
    assert max(frozen) >= 300  # a sensor stuck for five minutes
