"""inject_bias: exact counts, only the chosen group touched, provenance recorded."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError, NonBinaryLabelError, UnknownColumnError


@pytest.fixture(scope="module")
def german() -> fp.datasets.Dataset:
    return fp.datasets.load("german", sensitive="sex")


@pytest.mark.parametrize("rate", [0.0, 0.33, 0.5, 1.0])
def test_label_flip_exact_count_in_one_group(german, rate: float) -> None:
    biased = fp.datasets.inject_bias(german, kind="label_flip", group="female", rate=rate, seed=1)
    female = german.groups == 0
    positives = int((german.y[female] == 1).sum())
    flipped = biased.y != german.y
    assert flipped.sum() == round(rate * positives)
    assert not flipped[~female].any()
    assert (german.y[flipped] == 1).all() and (biased.y[flipped] == 0).all()
    np.testing.assert_array_equal(biased.y_true, german.y)
    record = biased.info["bias_injection"]
    assert record["n_affected"] == flipped.sum() and record["n_eligible"] == positives
    np.testing.assert_array_equal(record["rows"], np.flatnonzero(flipped))
    np.testing.assert_array_equal(biased.X, german.X)


def test_label_flip_directions_and_existing_truth(german, genomes) -> None:
    up = fp.datasets.inject_bias(german, kind="label_flip", group=1, rate=0.4,
                                 direction="negative_to_positive")
    male_negatives = int(((german.groups == 1) & (german.y == 0)).sum())
    assert (up.y != german.y).sum() == round(0.4 * male_negatives)
    both = fp.datasets.inject_bias(german, kind="label_flip", group="male", rate=0.1,
                                   direction="both")
    assert (both.y != german.y).sum() == round(0.1 * (german.groups == 1).sum())
    # a dataset with its own ground truth keeps it
    g = fp.datasets.inject_bias(genomes, kind="label_flip", group="EUR", rate=0.5)
    np.testing.assert_array_equal(g.y_true, genomes.y_true)


def test_undersample(german) -> None:
    fewer = fp.datasets.inject_bias(german, kind="undersample", group="female", rate=0.5, seed=2)
    n_female = int((german.groups == 0).sum())
    assert fewer.n_samples == german.n_samples - round(0.5 * n_female)
    assert fewer.group_counts()["male"] == german.group_counts()["male"]
    kept = fewer.info["bias_injection"]["kept_rows"]
    np.testing.assert_array_equal(fewer.X, german.X[kept])
    pos = fp.datasets.inject_bias(german, kind="undersample", group="female", rate=0.3,
                                  direction="positive")
    female_pos = int(((german.groups == 0) & (german.y == 1)).sum())
    assert german.n_samples - pos.n_samples == round(0.3 * female_pos)
    female_neg = ((german.groups == 0) & (german.y == 0)).sum()
    assert ((pos.groups == 0) & (pos.y == 0)).sum() == female_neg


def test_feature_noise(german) -> None:
    noisy = fp.datasets.inject_bias(german, kind="feature_noise", group="female", rate=1.0,
                                    columns=["credit_amount", "age"], scale=0.5, seed=3)
    changed = noisy.X != german.X
    cols = [german.feature_index("credit_amount"), german.feature_index("age")]
    assert not changed[german.groups == 1].any()
    assert changed[:, cols][german.groups == 0].all()
    other = np.setdiff1d(np.arange(german.n_features), cols)
    assert not changed[:, other].any()
    amount = cols[0]
    delta = (noisy.X - german.X)[german.groups == 0, amount].astype(np.float64)
    assert delta.std() == pytest.approx(0.5 * german.X[:, amount].std(), rel=0.15)
    default = fp.datasets.inject_bias(german, kind="feature_noise", group="male", rate=0.2)
    assert set(default.info["bias_injection"]["columns"]) == set(german.info["numeric_columns"])
    assert (default.X != german.X).any(axis=1).sum() == round(0.2 * (german.groups == 1).sum())


def test_seeded_and_stacked(german) -> None:
    a = fp.datasets.inject_bias(german, kind="label_flip", group="female", rate=0.5, seed=9)
    b = fp.datasets.inject_bias(german, kind="label_flip", group="female", rate=0.5, seed=9)
    np.testing.assert_array_equal(a.y, b.y)
    twice = fp.datasets.inject_bias(a, kind="undersample", group="male", rate=0.1)
    assert twice.info["bias_injection"]["previous"]["kind"] == "label_flip"


def test_bad_arguments(german) -> None:
    with pytest.raises(InvalidInputError, match="group 'other'.*'female', 'male'"):
        fp.datasets.inject_bias(german, kind="label_flip", group="other", rate=0.1)
    with pytest.raises(InvalidInputError, match="rate"):
        fp.datasets.inject_bias(german, kind="label_flip", group="male", rate=1.5)
    with pytest.raises(InvalidInputError, match="kind='swap'"):
        fp.datasets.inject_bias(german, kind="swap", group="male", rate=0.1)
    with pytest.raises(InvalidInputError, match="direction='up'"):
        fp.datasets.inject_bias(german, kind="label_flip", group="male", rate=0.1, direction="up")
    with pytest.raises(UnknownColumnError, match="'salary'"):
        fp.datasets.inject_bias(german, kind="feature_noise", group="male", rate=0.1,
                                columns=["salary"])
    import pandas as pd

    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": ["a", "b", "a", "b"], "y": [0, 1, 2, 1]})
    multi = fp.datasets.from_frame(df, target="y", sensitive="g")
    with pytest.raises(NonBinaryLabelError):
        fp.datasets.inject_bias(multi, kind="label_flip", group="a", rate=0.5)
