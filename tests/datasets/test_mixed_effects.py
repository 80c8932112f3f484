"""make_mixed_effects: the drawn data follow the stated model (checked with statsmodels)."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError


def test_shapes_and_codes() -> None:
    ds, truth = fp.datasets.make_mixed_effects(12, 25, n_features=4, n_random_slopes=2,
                                               random_state=5)
    assert ds.n_samples == 300 and ds.n_features == 4 and ds.task == "regression"
    assert ds.n_clusters == 12
    np.testing.assert_array_equal(np.bincount(ds.clusters), np.full(12, 25))
    assert truth.intercepts.shape == (12,) and truth.slopes.shape == (12, 2)
    assert truth.slope_features == (0, 1) and truth.fixed_effects.shape == (4,)
    again, truth2 = fp.datasets.make_mixed_effects(12, 25, n_features=4, n_random_slopes=2,
                                                   random_state=5)
    np.testing.assert_array_equal(ds.y, again.y)
    np.testing.assert_array_equal(truth.intercepts, truth2.intercepts)


def test_linear_predictor_is_the_stated_model() -> None:
    ds, t = fp.datasets.make_mixed_effects(8, 40, n_features=3, n_random_slopes=1,
                                           group_effect=0.7, noise_sd=0.0, random_state=2)
    X = ds.X.astype(np.float64)
    c = ds.clusters
    # a brute-force loop over rows, the reference for the vectorised draw
    want = [X[i] @ t.fixed_effects + t.intercepts[c[i]] + X[i, 0] * t.slopes[c[i], 0]
            + 0.7 * ds.groups[i] for i in range(ds.n_samples)]
    np.testing.assert_allclose(t.linear_predictor, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ds.y, t.linear_predictor)  # no noise


def test_mixedlm_recovers_the_random_effects() -> None:
    """statsmodels' MixedLM (REML) on the drawn data finds the drawn effects."""
    sm = pytest.importorskip("statsmodels.formula.api")
    import pandas as pd

    ds, t = fp.datasets.make_mixed_effects(30, 40, n_features=2, n_random_slopes=1,
                                           intercept_sd=1.0, slope_sd=0.7, noise_sd=0.5,
                                           random_state=0)
    df = pd.DataFrame(ds.X.astype(np.float64), columns=["x0", "x1"]).assign(
        y=ds.y, cluster=ds.clusters)
    fit = sm.mixedlm("y ~ x0 + x1", df, groups=df["cluster"], re_formula="~x0").fit()
    # the fixed parts absorb the drawn effects' sample means (30 clusters)
    assert fit.fe_params["x1"] == pytest.approx(t.fixed_effects[1], abs=0.1)
    assert fit.fe_params["x0"] == pytest.approx(t.fixed_effects[0] + t.slopes.mean(), abs=0.1)
    assert fit.fe_params["Intercept"] == pytest.approx(t.intercepts.mean(), abs=0.1)
    re = pd.DataFrame(fit.random_effects).T.sort_index()
    assert np.corrcoef(re.iloc[:, 0] + fit.fe_params["Intercept"], t.intercepts)[0, 1] > 0.95
    assert np.corrcoef(re.iloc[:, 1], t.slopes[:, 0])[0, 1] > 0.95
    assert np.sqrt(fit.scale) == pytest.approx(0.5, rel=0.1)


def test_classification_follows_the_logistic_link() -> None:
    ds, t = fp.datasets.make_mixed_effects(40, 200, n_features=2, task="classification",
                                           random_state=1)
    assert ds.task == "classification" and set(np.unique(ds.y)) == {0, 1}
    p = 1 / (1 + np.exp(-t.linear_predictor))
    # per cluster, the observed rate within 4 binomial standard errors of the expected one
    for j in range(40):
        rows = ds.clusters == j
        se = np.sqrt(p[rows].mean() * (1 - p[rows].mean()) / rows.sum())
        assert abs(ds.y[rows].mean() - p[rows].mean()) < 4 * se + 1e-9


@pytest.mark.parametrize("kwargs, match", [
    ({"n_clusters": 0}, "n_clusters"),
    ({"n_per_cluster": 0}, "n_per_cluster"),
    ({"n_random_slopes": 9}, "n_random_slopes"),
    ({"slope_sd": -1.0}, "slope_sd"),
    ({"noise_sd": float("nan")}, "noise_sd"),
    ({"task": "ranking"}, "task"),
    ({"group_effect": float("inf")}, "group_effect"),
])
def test_bad_arguments(kwargs, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        fp.datasets.make_mixed_effects(**kwargs)


def test_one_row_clusters_are_allowed() -> None:
    ds, truth = fp.datasets.make_mixed_effects(5, 1, random_state=0)
    assert ds.n_samples == 5 and truth.intercepts.shape == (5,)
