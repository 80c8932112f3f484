"""UCI Adult: counts checked against the raw text read independently of the loader."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError


@pytest.fixture(scope="module")
def raw_rows(raw_lines) -> list[list[str]]:
    lines = raw_lines("adult/adult.data.gz") + raw_lines("adult/adult.test.gz")[1:]
    return [[f.strip() for f in line.split(",")] for line in lines if line.strip()]


def test_rows_label_rate_and_groups(adult, raw_rows) -> None:
    assert adult.n_samples == len(raw_rows) == 48_842
    positives = sum(r[-1].rstrip(".") == ">50K" for r in raw_rows)
    assert int(adult.y.sum()) == positives
    assert adult.y.mean() == pytest.approx(0.239, abs=0.001)
    females = sum(r[9] == "Female" for r in raw_rows)
    assert adult.group_counts() == {"Female": females, "Male": 48_842 - females}
    assert adult.info["task"] == "classification"
    assert {"source", "licence", "sensitive", "sensitive_columns", "label"} <= set(adult.info)


def test_encoding_keeps_question_mark_as_a_category(adult, raw_rows) -> None:
    assert adult.n_features == 108
    column = adult.X[:, adult.feature_index("workclass=?")]
    assert int(column.sum()) == sum(r[1] == "?" for r in raw_rows)
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    assert adult.info["numeric_columns"] == numeric
    np.testing.assert_array_equal(adult.X[:, 0], [int(r[0]) for r in raw_rows])
    # each categorical's one-hot block sums to exactly 1 per row
    for col in adult.info["categorical_columns"]:
        block = [i for i, n in enumerate(adult.feature_names) if n.startswith(col + "=")]
        np.testing.assert_array_equal(adult.X[:, block].sum(axis=1), 1.0)
    assert adult.info["sensitive_columns"] == ["sex=Female", "sex=Male"]


def test_age_buckets_and_intersections(raw_rows) -> None:
    ds = fp.datasets.load("adult", sensitive=["sex", "age"], sensitive_as_feature=False)
    ages = np.array([int(r[0]) for r in raw_rows])
    buckets = np.digitize(ages, [25, 45, 65])  # <25, 25-44, 45-64, 65+
    sexes = np.array([r[9] for r in raw_rows])
    labels = ["<25", "25-44", "45-64", "65+"]
    expected = {f"{s}|{labels[b]}": int(((sexes == s) & (buckets == b)).sum())
                for s in ("Female", "Male") for b in range(4)}
    assert ds.group_counts() == expected
    assert "age" not in ds.feature_names and "sex=Male" not in ds.feature_names
    assert ds.info["sensitive"] == ["sex", "age"]
    with_age = fp.datasets.load("adult", sensitive="age")
    assert with_age.info["sensitive_columns"] == ["age"]


def test_race_and_standardize() -> None:
    ds = fp.datasets.load("adult", sensitive="race", standardize=True)
    assert ds.n_groups == 5 and ds.group_counts()["White"] == 41_762
    for col in ds.info["numeric_columns"]:
        values = ds.X[:, ds.feature_index(col)].astype(np.float64)
        assert values.mean() == pytest.approx(0.0, abs=1e-5)
        assert values.std() == pytest.approx(1.0, abs=1e-5)


def test_bad_sensitive_value_names_the_choices() -> None:
    with pytest.raises(InvalidInputError, match=r"sensitive='income'.*'sex', 'race', 'age'"):
        fp.datasets.load("adult", sensitive="income")
