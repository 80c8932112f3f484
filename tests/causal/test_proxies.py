"""Proxies of the sensitive attribute: the correlation ratio against OLS R^2 and a loop,
the association screen on a copied column, the graph's non-admissible descendants."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import fairpool as fp
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
)


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(3)
    n = 500
    g = rng.integers(0, 3, n)
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n) + g, g.astype(float),
                         np.full(n, 2.0)])
    return X, g


def test_correlation_ratio_is_the_r2_of_a_regression_on_group_dummies(rows):
    X, g = rows
    eta = fp.causal.correlation_ratio(X, g)
    dummies = np.eye(3)[g]
    for j in range(3):
        r2 = LinearRegression().fit(dummies, X[:, j]).score(dummies, X[:, j])
        assert eta[j] == pytest.approx(r2, abs=1e-12)
        # and a loop over groups (Fisher's eta squared)
        between = sum((g == k).sum() * (X[g == k, j].mean() - X[:, j].mean()) ** 2
                      for k in range(3))
        assert eta[j] == pytest.approx(between / ((X[:, j] - X[:, j].mean()) ** 2).sum())
    assert eta[2] == pytest.approx(1.0) and eta[3] == 0.0  # the copy; the constant


def test_the_association_screen_finds_the_copy_first(rows):
    X, g = rows
    names = ["noise", "shifted", "copy", "const"]
    found = fp.causal.association_proxies(X, g, feature_names=names, threshold=0.3)
    assert found[0] == "copy" and "noise" not in found and "const" not in found
    assert fp.causal.association_proxies(X, g, feature_names=names, exclude=["copy"])[:1] != [
        "copy"]


def test_graph_proxies_are_the_non_admissible_descendants_on_adult():
    ds = fp.datasets.load("adult")
    found = fp.causal.graph_proxies(ds)
    variables = {fp.causal.variable_of(c) for c in found}
    # sex -> marital status, relationship, occupation, hours per week (docs/causal.md)
    assert variables == {"marital_status", "relationship", "occupation", "hours_per_week"}
    assert not set(found) & set(ds.info["sensitive_columns"])
    assert fp.causal.proxy_features(ds) == found
    assert fp.causal.proxy_features(ds, method="association") == ["relationship=Husband"]


def test_a_user_table_uses_the_association_screen():
    import pandas as pd

    rng = np.random.default_rng(0)
    sex = rng.choice(["F", "M"], 300)
    frame = pd.DataFrame({"x": rng.normal(size=300), "twin": (sex == "M").astype(float),
                          "sex": sex, "y": rng.integers(0, 2, 300)})
    ds = fp.datasets.from_frame(frame, target="y", sensitive="sex")
    assert fp.causal.proxy_features(ds) == ["twin"]


def test_bad_inputs(rows):
    X, g = rows
    with pytest.raises(EmptyInputError):
        fp.causal.correlation_ratio(X[:0], g[:0])
    with pytest.raises(LengthMismatchError):
        fp.causal.correlation_ratio(X, g[:-1])
    with pytest.raises(MissingValueError):
        fp.causal.correlation_ratio(np.where(X == X[0, 0], np.nan, X), g)
    with pytest.raises(InvalidInputError):
        fp.causal.correlation_ratio(X, g - 1)
    with pytest.raises(InvalidInputError, match="threshold"):
        fp.causal.association_proxies(X, g, feature_names=list("abcd"), threshold=0)
    with pytest.raises(LengthMismatchError):
        fp.causal.association_proxies(X, g, feature_names=list("abc"))
    with pytest.raises(InvalidInputError, match="proxy method"):
        fp.causal.proxy_features(fp.datasets.load("german"), method="magic")
