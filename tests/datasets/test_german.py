"""Statlog German credit: label, groups from the codebook, readable one-hot names."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp


@pytest.fixture(scope="module")
def raw_rows(raw_lines) -> list[list[str]]:
    return [line.split() for line in raw_lines("german/german.data.gz") if line.strip()]


def test_rows_label_and_age_groups(raw_rows) -> None:
    ds = fp.datasets.load("german")
    assert ds.n_samples == len(raw_rows) == 1_000
    np.testing.assert_array_equal(ds.y, [1 if r[-1] == "1" else 0 for r in raw_rows])
    assert ds.y.mean() == pytest.approx(0.7)
    young = sum(int(r[12]) <= 25 for r in raw_rows)
    assert ds.group_counts() == {"<=25": young, ">25": 1_000 - young}
    assert ds.info["sensitive_columns"] == ["age"]
    assert ds.n_features == 61


def test_sex_from_personal_status(raw_rows) -> None:
    ds = fp.datasets.load("german", sensitive="sex")
    female = np.array([r[8] in ("A92", "A95") for r in raw_rows])
    np.testing.assert_array_equal(ds.groups, np.where(female, 0, 1))
    assert ds.group_names == ("female", "male")
    assert all(n.startswith("personal_status=") for n in ds.info["sensitive_columns"])
    hidden = fp.datasets.load("german", sensitive="sex", sensitive_as_feature=False)
    assert not any(n.startswith("personal_status") for n in hidden.feature_names)
    assert "age" in hidden.feature_names


def test_readable_names(raw_rows) -> None:
    ds = fp.datasets.load("german")
    column = ds.X[:, ds.feature_index("checking_status=no checking account")]
    np.testing.assert_array_equal(column, [r[0] == "A14" for r in raw_rows])
    assert "purpose=radio/television" in ds.feature_names
    assert not any("=A" in n and n.split("=")[1][1:].isdigit() for n in ds.feature_names)
