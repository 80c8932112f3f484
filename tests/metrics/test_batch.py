"""Batched DP/EO against looping the scalar metrics (hard predictions) and a brute-force loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairpool.metrics as fpm
from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
    UndefinedMetricError,
)
from fairpool.metrics import _batch as batch  # monkeypatches its dense/sparse switch

TOL = 1e-12


def _brute_soft_gap(values: np.ndarray, groups: np.ndarray, rows: np.ndarray) -> float:
    """max - min over groups of the mean of ``values`` over ``rows`` of each group."""
    means = [values[(groups == k) & rows].mean() for k in np.unique(groups)
             if ((groups == k) & rows).any()]
    return max(means) - min(means)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 80), m=st.integers(1, 6),
       k=st.integers(2, 5))
def test_hard_predictions_equal_looping_the_scalar_metrics(seed, n, m, k) -> None:
    rng = np.random.default_rng(seed)
    groups = np.concatenate([np.repeat(np.arange(k), 2), rng.integers(0, k, n)])
    y = np.concatenate([np.tile([0, 1], k), rng.integers(0, 2, n)])
    pred = rng.integers(0, 2, (m, groups.size))
    dp = fpm.demographic_parity_batch(pred, groups, n_groups=k)
    eo = fpm.equalized_odds_batch(pred, y, groups, n_groups=k)
    eo_mean = fpm.equalized_odds_batch(pred, y, groups, n_groups=k, agg="mean")
    eb = fpm.error_rate_balance_batch(pred, y, groups, n_groups=k)
    err = fpm.error_rate_difference_batch(pred, y, groups, n_groups=k)
    assert dp.shape == eo.shape == eb.shape == err.shape == (m,)
    for i in range(m):
        assert abs(dp[i] - fpm.demographic_parity_difference(
            y, pred[i], sensitive_features=groups)) <= TOL
        assert abs(eo[i] - fpm.equalized_odds_difference(
            y, pred[i], sensitive_features=groups)) <= TOL
        assert abs(eo_mean[i] - fpm.equalized_odds_difference(
            y, pred[i], sensitive_features=groups, agg="mean")) <= TOL
        assert abs(eb[i] - fpm.error_rate_balance(
            y, pred[i], sensitive_features=groups)) <= TOL
        assert abs(err[i] - fpm.error_rate_difference(
            y, pred[i], sensitive_features=groups)) <= TOL


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 80), m=st.integers(1, 6),
       float32=st.booleans())
def test_soft_predictions_equal_a_brute_force_loop(seed, n, m, float32) -> None:
    rng = np.random.default_rng(seed)
    k = 3
    groups = np.concatenate([np.repeat(np.arange(k), 2), rng.integers(0, k, n)])
    y = np.concatenate([np.tile([0, 1], k), rng.integers(0, 2, n)])
    prob = rng.random((m, groups.size)).astype(np.float32 if float32 else np.float64)
    tol = 1e-5 if float32 else TOL
    dp = fpm.demographic_parity_batch(prob, groups, n_groups=k)
    eo = fpm.equalized_odds_batch(prob, y, groups, n_groups=k)
    eb = fpm.error_rate_balance_batch(prob, y, groups, n_groups=k)
    err = fpm.error_rate_difference_batch(prob, y, groups, n_groups=k)
    everyone = np.ones(groups.size, dtype=bool)
    for i in range(m):
        values = prob[i].astype(np.float64)
        assert abs(dp[i] - _brute_soft_gap(values, groups, everyone)) <= tol
        tpr_gap = _brute_soft_gap(values, groups, y == 1)
        fpr_gap = _brute_soft_gap(values, groups, y == 0)
        assert abs(eo[i] - max(tpr_gap, fpr_gap)) <= tol
        # PANDA's EB: max over y and pairs of groups of |E[h | a, y] - E[h | a', y]|
        pairs = [abs(values[(groups == a) & (y == t)].mean()
                     - values[(groups == b) & (y == t)].mean())
                 for t in (0, 1) for a in range(k) for b in range(k)
                 if ((groups == a) & (y == t)).any() and ((groups == b) & (y == t)).any()]
        assert abs(eb[i] - max(pairs)) <= tol
        expected_error = np.where(y == 1, 1 - values, values)
        assert abs(err[i] - _brute_soft_gap(expected_error, groups, everyone)) <= tol


def test_sparse_one_hot_gives_the_same_numbers(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    groups, y = rng.integers(0, 4, 300), rng.integers(0, 2, 300)
    prob = rng.random((5, 300))
    dense_dp = fpm.demographic_parity_batch(prob, groups, n_groups=4)
    dense_eo = fpm.equalized_odds_batch(prob, y, groups, n_groups=4)
    monkeypatch.setattr(batch, "_DENSE_ONEHOT_CELLS", 0)
    np.testing.assert_allclose(fpm.demographic_parity_batch(prob, groups, n_groups=4),
                               dense_dp, rtol=0, atol=TOL)
    np.testing.assert_allclose(fpm.equalized_odds_batch(prob, y, groups, n_groups=4),
                               dense_eo, rtol=0, atol=TOL)


def test_codes_without_rows_are_ignored_and_one_vector_is_accepted() -> None:
    groups = np.array([0, 0, 2, 2])  # code 1 has no rows
    assert fpm.demographic_parity_batch([1, 1, 0, 1], groups, n_groups=3).tolist() == [0.5]


def test_undefined_cases() -> None:
    with pytest.raises(SingleGroupError, match="1 group"):
        fpm.demographic_parity_batch([[1, 0]], [1, 1], n_groups=3)
    # group 1 has no positives: left out of the TPR comparison with a warning
    y, groups = np.array([1, 0, 1, 0, 0, 0]), np.array([0, 0, 2, 2, 1, 1])
    pred = np.array([[1, 0, 0, 0, 1, 0]])
    with pytest.warns(fpm.UndefinedRateWarning, match="tpr is undefined for group\\(s\\) '1'"):
        out = fpm.equalized_odds_batch(pred, y, groups, n_groups=3)
    with pytest.warns(fpm.UndefinedRateWarning):
        expected = fpm.equalized_odds_difference(y, pred[0], sensitive_features=groups)
    assert out.tolist() == [expected]
    with pytest.raises(UndefinedMetricError, match="tpr"):
        fpm.equalized_odds_batch([[1, 0, 1, 0]], [1, 1, 0, 0], [0, 0, 1, 1], n_groups=2)


def test_bad_input() -> None:
    g = [0, 1, 0, 1]
    with pytest.raises(LengthMismatchError, match="pred has 3 columns"):
        fpm.demographic_parity_batch([[1, 0, 1]], g, n_groups=2)
    with pytest.raises(InvalidInputError, match="shape \\(m, n\\)"):
        fpm.demographic_parity_batch(np.zeros((1, 1, 4)), g, n_groups=2)
    with pytest.raises(InvalidInputError, match="probabilities in \\[0, 1\\], found 1.5"):
        fpm.demographic_parity_batch([[1, 0, 1.5, 0]], g, n_groups=2)
    with pytest.raises(MissingValueError, match="NaN"):
        fpm.demographic_parity_batch([[1, 0, np.nan, 0]], g, n_groups=2)
    with pytest.raises(InvalidInputError, match="codes in \\[0, 2\\)"):
        fpm.demographic_parity_batch([[1, 0, 1, 0]], [0, 1, 2, 1], n_groups=2)
    with pytest.raises(LengthMismatchError, match="y_true has 3 rows"):
        fpm.equalized_odds_batch([[1, 0, 1, 0]], [1, 0, 1], g, n_groups=2)
    with pytest.raises(InvalidInputError, match="agg must be one of"):
        fpm.equalized_odds_batch([[1, 0, 1, 0]], [1, 0, 1, 0], g, n_groups=2, agg="max")
