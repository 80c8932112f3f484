"""Uncertainty scores against scipy / brute force, and their top-k selection."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy

from fairpool.active import LabelledSet, Pool, QueryState, make_strategy
from fairpool.active.strategies import entropy_score, least_confidence_score, margin_score
from fairpool.errors import BudgetError, EmptyInputError


def _proba(n: int, k: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(k), size=n)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_scores_match_row_by_row_references(n_classes):
    p = _proba(200, n_classes)
    p[0] = np.eye(n_classes)[0]  # a certain row: 0 log 0 = 0
    np.testing.assert_allclose(entropy_score(p), [scipy_entropy(row) for row in p], atol=1e-12)
    ordered = -np.sort(-p, axis=1)
    np.testing.assert_allclose(margin_score(p), -(ordered[:, 0] - ordered[:, 1]), atol=1e-12)
    np.testing.assert_allclose(least_confidence_score(p), 1 - ordered[:, 0], atol=1e-12)
    assert entropy_score(p)[0] == 0.0


class _FixedModel:
    """A 'model' whose probabilities are given: isolates the selection rule."""

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, X):
        return self.proba[np.asarray(X[:, 0], dtype=int)]


def _state(proba: np.ndarray) -> QueryState:
    n = proba.shape[0]
    X = np.arange(n, dtype=np.float32)[:, None]
    labelled = LabelledSet(X[:2], np.array([0, 1]), np.array([0, 1]))
    return QueryState(
        model=_FixedModel(proba),
        labelled=labelled,
        pool=Pool(X, np.zeros(n, dtype=np.int64)),
        validation=labelled,
        group_names=("a", "b"),
        feature_names=("x",),
        make_learner=lambda: None,
    )


@pytest.mark.parametrize(
    ("name", "score"),
    [
        ("entropy", entropy_score),
        ("margin", margin_score),
        ("least_confident", least_confidence_score),
    ],
)
def test_select_returns_the_top_k_by_score(name, score):
    p = _proba(500, 3, seed=1)
    picks = make_strategy(name).select(_state(p), 25, np.random.default_rng(0))
    expected = np.argsort(-score(p))[:25]
    np.testing.assert_array_equal(np.sort(picks), np.sort(expected))
    assert picks.dtype == np.int64
    # The picks come out in decreasing score order.
    assert np.all(np.diff(score(p)[picks]) <= 0)


def test_binary_margin_and_entropy_agree_on_the_order():
    p1 = np.random.default_rng(2).random(300)
    p = np.column_stack([1 - p1, p1])
    picks_e = make_strategy("entropy").select(_state(p), 30, np.random.default_rng(0))
    picks_m = make_strategy("margin").select(_state(p), 30, np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(picks_e), np.sort(picks_m))


def test_ties_are_broken_at_random_by_the_rng():
    p = np.full((100, 2), 0.5)
    strategy = make_strategy("entropy")
    a = strategy.select(_state(p), 10, np.random.default_rng(0))
    b = strategy.select(_state(p), 10, np.random.default_rng(0))
    c = strategy.select(_state(p), 10, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert set(a) != set(c)
    # Over many seeds every tied row gets picked sometimes (no low-index bias).
    seen = np.zeros(100, dtype=int)
    for seed in range(200):
        seen[strategy.select(_state(p), 10, np.random.default_rng(seed))] += 1
    assert seen.min() > 0 and seen[:10].mean() < 2 * seen.mean()


def test_query_size_is_checked():
    state = _state(_proba(5, 2))
    strategy = make_strategy("margin")
    with pytest.raises(BudgetError, match="larger than the pool"):
        strategy.select(state, 6, np.random.default_rng(0))
    with pytest.raises(BudgetError, match="positive integer"):
        strategy.select(state, 0, np.random.default_rng(0))
    with pytest.raises(EmptyInputError, match="empty"):
        strategy.select(_state(_proba(0, 2)), 1, np.random.default_rng(0))
    assert len(strategy.select(state, 5, np.random.default_rng(0))) == 5
