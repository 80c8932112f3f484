"""Per-group regression errors against fairlearn's MetricFrame and a brute-force loop."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

import fairpool.metrics as fpm
from fairpool.errors import InvalidInputError, MissingValueError, SingleGroupError

from .problems import reference_fairlearn_metrics

flm = reference_fairlearn_metrics()

TOL = 1e-12


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60), k=st.integers(2, 4),
       weighted=st.booleans())
def test_errors_by_group_equal_fairlearn_and_brute_force(seed, n, k, weighted) -> None:
    rng = np.random.default_rng(seed)
    g = np.concatenate([np.arange(k), rng.integers(0, k, n)])
    y, p = rng.normal(size=g.size) * 3, rng.normal(size=g.size)
    w = rng.uniform(0.1, 5, g.size) if weighted else None
    mse = fpm.mean_squared_error_by_group(y, p, sensitive_features=g, sample_weight=w)
    mae = fpm.mean_absolute_error_by_group(y, p, sensitive_features=g, sample_weight=w)
    frame = flm.MetricFrame(
        metrics={"mse": skm.mean_squared_error, "mae": skm.mean_absolute_error},
        y_true=y, y_pred=p, sensitive_features=g,
        sample_params={"mse": {"sample_weight": w}, "mae": {"sample_weight": w}},
    )
    np.testing.assert_allclose(mse.to_numpy(), frame.by_group["mse"].to_numpy(), atol=TOL,
                               rtol=1e-12)
    np.testing.assert_allclose(mae.to_numpy(), frame.by_group["mae"].to_numpy(), atol=TOL,
                               rtol=1e-12)
    weights = np.ones(g.size) if w is None else w
    brute = {}
    for metric, loss in (("mse", (y - p) ** 2), ("mae", np.abs(y - p))):
        brute[metric] = [float(np.sum(weights[g == j] * loss[g == j]) / np.sum(weights[g == j]))
                         for j in range(k)]
        assert abs(fpm.regression_error_difference(y, p, sensitive_features=g, metric=metric,
                                                   sample_weight=w)
                   - (max(brute[metric]) - min(brute[metric]))) <= 1e-10
        for ddof in (0, 1):
            assert abs(fpm.regression_error_std(y, p, sensitive_features=g, metric=metric,
                                                ddof=ddof, sample_weight=w)
                       - float(np.std(brute[metric], ddof=ddof))) <= 1e-10


def test_undefined_and_bad_input() -> None:
    with pytest.raises(SingleGroupError):
        fpm.regression_error_difference([1.0, 2.0], [1.0, 1.0], sensitive_features=["a", "a"])
    with pytest.warns(fpm.UndefinedRateWarning, match="mse is undefined for group\\(s\\) 'c'"):
        value = fpm.regression_error_difference(
            [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], sensitive_features=["a", "b", "c"],
            sample_weight=[1, 1, 0],
        )
    assert value == 1.0
    with pytest.raises(MissingValueError, match="y_pred has a missing value"):
        fpm.mean_squared_error_by_group([1.0, 2.0], [1.0, None], sensitive_features=["a", "b"])
    with pytest.raises(InvalidInputError, match="metric must be one of"):
        fpm.regression_error_std([1.0, 2.0], [1.0, 1.0], sensitive_features=["a", "b"],
                                 metric="rmse")
    with pytest.raises(InvalidInputError, match="ddof must be 0 or 1"):
        fpm.regression_error_std([1.0, 2.0], [1.0, 1.0], sensitive_features=["a", "b"], ddof=2)
