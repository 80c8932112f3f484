"""top_k and check_query_size: the helpers every strategy shares."""

from __future__ import annotations

import numpy as np
import pytest

from fairpool.active import check_query_size, top_k
from fairpool.errors import BudgetError, EmptyInputError


@pytest.mark.parametrize("k", [1, 7, 250, 499, 500])
def test_top_k_takes_the_largest_scores_in_decreasing_order(k):
    scores = np.random.default_rng(0).integers(0, 6, 500).astype(float)  # many ties
    picks = top_k(scores, k, np.random.default_rng(1))
    assert picks.dtype == np.int64 and np.unique(picks).size == k
    np.testing.assert_array_equal(scores[picks], np.sort(scores)[::-1][:k])


def test_top_k_breaks_boundary_ties_uniformly():
    scores = np.array([5.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    counts = np.zeros(6)
    for seed in range(2000):
        picks = top_k(scores, 2, np.random.default_rng(seed))
        assert picks[0] == 0
        counts[picks[1]] += 1
    # Each of the four tied rows is the second pick ~500 times (sd ~19).
    assert np.all(np.abs(counts[1:5] - 500) < 80) and counts[5] == 0


def test_top_k_ranks_nan_last_and_is_seeded():
    scores = np.array([np.nan, 0.2, 0.9, 0.5])
    np.testing.assert_array_equal(top_k(scores, 3, np.random.default_rng(0)), [2, 3, 1])
    assert top_k(scores, 4, np.random.default_rng(0))[-1] == 0
    ties = np.zeros(100)
    a = top_k(ties, 5, np.random.default_rng(3))
    np.testing.assert_array_equal(a, top_k(ties, 5, np.random.default_rng(3)))


def test_check_query_size():
    assert check_query_size(3, 10) == 3
    with pytest.raises(EmptyInputError):
        check_query_size(1, 0)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(BudgetError):
            check_query_size(bad, 10)
    with pytest.raises(BudgetError, match="larger than the pool"):
        check_query_size(11, 10)
