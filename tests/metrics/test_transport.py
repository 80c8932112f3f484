"""Wasserstein-1 distance: exact against scipy and geometry, the approximations against exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fairpool.errors import EmptyInputError, InvalidInputError, MissingValueError
from fairpool.metrics import optimal_transport_distance

FINITE = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=30, deadline=None)
@given(a=arrays(np.float64, st.integers(1, 40), elements=FINITE),
       b=arrays(np.float64, st.integers(1, 40), elements=FINITE))
def test_one_dimensional_equals_scipy(a: np.ndarray, b: np.ndarray) -> None:
    expected = scipy.stats.wasserstein_distance(a, b)
    tol = 1e-9 * max(1.0, expected)
    assert abs(optimal_transport_distance(a, b, method="exact") - expected) <= tol  # ot.emd2
    assert abs(optimal_transport_distance(a, b) - expected) <= tol  # quantile formula


def test_one_dimensional_auto_is_exact_at_any_size() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200_000), rng.exponential(size=150_000)
    assert abs(optimal_transport_distance(pd.Series(a), b)
               - scipy.stats.wasserstein_distance(a, b)) <= 1e-9


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 4), n=st.integers(1, 60))
def test_translation_moves_every_point_by_the_shift(seed: int, d: int, n: int) -> None:
    # W1(mu, mu + v) = |v|: the shift is a coupling of cost |v|, and the 1-Lipschitz
    # function x -> <x, v/|v|> shows no coupling is cheaper.
    rng = np.random.default_rng(seed)
    a, shift = rng.normal(size=(n, d)), rng.normal(size=d)
    expected = float(np.linalg.norm(shift))
    assert abs(optimal_transport_distance(a, a + shift) - expected) <= 1e-9
    assert abs(optimal_transport_distance(a, a + shift, method="exact") - expected) <= 1e-9


def test_subsample_is_within_six_percent_of_exact() -> None:
    # 800 points per sample in 2-D, subsamples of 400 (max_exact_pairs = 400**2), 3 repeats:
    # measured relative errors -4% .. +3% over seeds 0-4 (docs/metrics.md).
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(800, 2)), rng.normal(size=(800, 2)) + np.array([1.0, 0.0])
    exact = optimal_transport_distance(a, b, method="exact")
    for seed in range(5):
        approx = optimal_transport_distance(a, b, max_exact_pairs=400**2, seed=seed)
        assert abs(approx - exact) <= 0.06 * exact
    assert optimal_transport_distance(a, b, max_exact_pairs=400**2, seed=7) == \
        optimal_transport_distance(a, b, max_exact_pairs=400**2, seed=7)


def test_sliced_is_a_seeded_lower_bound_and_exact_in_one_dimension() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 3)), rng.normal(size=(250, 3)) + 0.7
    exact = optimal_transport_distance(a, b, method="exact")
    sliced = optimal_transport_distance(a, b, method="sliced", seed=3)
    assert 0 < sliced <= exact
    assert sliced == optimal_transport_distance(a, b, method="sliced", seed=3)
    x, y = rng.normal(size=100), rng.normal(size=90) + 1
    assert abs(optimal_transport_distance(x, y, method="sliced")
               - scipy.stats.wasserstein_distance(x, y)) <= 1e-9


def test_unbalanced_subsample_sizes_fit_the_budget() -> None:
    rng = np.random.default_rng(2)
    small, big = rng.normal(size=(5, 2)), rng.normal(size=(3000, 2))
    exact = optimal_transport_distance(small, big, method="exact")
    # 5 x 3000 > 10_000 pairs: keeps all 5 points and 2000 of the 3000
    approx = optimal_transport_distance(small, big, max_exact_pairs=10_000)
    assert abs(approx - exact) <= 0.1 * exact


@pytest.mark.parametrize(
    ("a", "b", "error", "message"),
    [
        ([], [1.0], EmptyInputError, "a is empty"),
        ([1.0], None, InvalidInputError, "b is required"),
        ([1.0, np.nan], [1.0], MissingValueError, "a has a NaN or infinite value in row 1"),
        ([[1.0, 2.0]], [[1.0]], InvalidInputError, "same number of features, got 2 and 1"),
        (np.zeros((2, 2, 2)), [1.0], InvalidInputError, "1-D \\(scores\\) or 2-D"),
        (["x"], [1.0], InvalidInputError, "must hold numbers"),
    ],
)
def test_bad_input(a, b, error, message) -> None:
    with pytest.raises(error, match=message):
        optimal_transport_distance(a, b)


def test_bad_options() -> None:
    with pytest.raises(InvalidInputError, match="method must be one of"):
        optimal_transport_distance([1.0], [2.0], method="sinkhorn")
    with pytest.raises(InvalidInputError, match="max_exact_pairs"):
        optimal_transport_distance([1.0], [2.0], max_exact_pairs=0)
    with pytest.raises(InvalidInputError, match="n_projections"):
        optimal_transport_distance([1.0], [2.0], n_projections=0)
