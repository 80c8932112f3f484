"""Random sampling and PANDA's group-aware random baseline."""

from __future__ import annotations

import numpy as np
import pytest

from fairpool.active import LabelledSet, Pool, QueryState, make_strategy
from fairpool.active.strategies import group_error_rates


class _FixedPredictions:
    """Predicts a stored label for each validation row (its feature 0 is the row id)."""

    def __init__(self, predictions):
        self.predictions = np.asarray(predictions)

    def predict(self, X):
        return self.predictions[np.asarray(X[:, 0], dtype=int)]

    def predict_proba(self, X):
        return np.full((X.shape[0], 2), 0.5)


def _state(val_groups, val_y, val_pred, pool_groups, names=("a", "b", "c")) -> QueryState:
    n_val = len(val_y)
    validation = LabelledSet(
        np.arange(n_val, dtype=np.float32)[:, None], np.asarray(val_y), np.asarray(val_groups)
    )
    pool_groups = np.asarray(pool_groups, dtype=np.int64)
    return QueryState(
        model=_FixedPredictions(val_pred),
        labelled=validation,
        pool=Pool(np.zeros((pool_groups.size, 1), dtype=np.float32), pool_groups),
        validation=validation,
        group_names=names,
        feature_names=("x",),
        make_learner=lambda: None,
    )


def test_group_error_rates_against_a_loop():
    rng = np.random.default_rng(0)
    y, p, g = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.integers(0, 3, 300)
    expected = [np.mean(y[g == k] != p[g == k]) for k in range(3)]
    np.testing.assert_allclose(group_error_rates(y, p, g, n_groups=4)[:3], expected)
    assert np.isnan(group_error_rates(y, p, g, n_groups=4)[3])


def test_targets_the_group_with_the_higher_validation_error():
    # group a: 1 error in 4, group b: 3 errors in 4, group c: 0 in 4
    val_groups = [0] * 4 + [1] * 4 + [2] * 4
    val_y = [0, 1, 0, 1] * 3
    val_pred = [0, 1, 0, 0] + [1, 0, 1, 1] + [0, 1, 0, 1]
    pool_groups = np.repeat([0, 1, 2], 20)
    strategy = make_strategy("group_random")
    picks = strategy.select(
        _state(val_groups, val_y, val_pred, pool_groups), 10, np.random.default_rng(0)
    )
    assert np.all(pool_groups[picks] == 1)
    assert len(set(picks)) == 10
    assert strategy.last_info == {"target_group": "b"}


def test_uniform_within_the_target_group():
    val_groups, val_y, val_pred = [0, 1], [0, 0], [1, 0]  # group a errs
    pool_groups = np.array([0] * 10 + [1] * 10)
    counts = np.zeros(20)
    strategy = make_strategy("group_random")
    for seed in range(300):
        counts[
            strategy.select(
                _state(val_groups, val_y, val_pred, pool_groups), 3, np.random.default_rng(seed)
            )
        ] += 1
    assert counts[10:].sum() == 0
    # 900 draws over 10 rows: each ~90; a binomial 3-sigma band is about +-28.
    assert np.all(np.abs(counts[:10] - 90) < 30)


def test_fills_from_other_groups_when_the_target_runs_out():
    val_groups, val_y, val_pred = [0, 1], [0, 0], [1, 0]
    pool_groups = np.array([0, 0] + [1] * 8)
    picks = make_strategy("group_random").select(
        _state(val_groups, val_y, val_pred, pool_groups), 5, np.random.default_rng(0)
    )
    assert {0, 1} <= set(picks.tolist()) and len(set(picks)) == 5


def test_a_group_absent_from_the_pool_cannot_be_the_target():
    val_groups, val_y, val_pred = [0, 1], [0, 0], [1, 0]  # a errs, but the pool has only b
    picks = make_strategy("group_random").select(
        _state(val_groups, val_y, val_pred, np.ones(6, dtype=int)), 2, np.random.default_rng(0)
    )
    assert len(picks) == 2


def test_ties_are_drawn_by_the_rng():
    val_groups, val_y, val_pred = [0, 1], [0, 0], [1, 1]  # both err equally
    pool_groups = np.repeat([0, 1], 10)
    targets = set()
    strategy = make_strategy("group_random")
    for seed in range(20):
        strategy.select(
            _state(val_groups, val_y, val_pred, pool_groups), 2, np.random.default_rng(seed)
        )
        targets.add(strategy.last_info["target_group"])
    assert targets == {"a", "b"}


def test_group_random_declares_it_needs_groups():
    assert make_strategy("group_random").needs_groups
    assert not make_strategy("random").needs_groups


def test_random_is_uniform_and_seeded():
    state = _state([0], [0], [0], np.zeros(50, dtype=int))
    strategy = make_strategy("random")
    a = strategy.select(state, 10, np.random.default_rng(3))
    np.testing.assert_array_equal(a, strategy.select(state, 10, np.random.default_rng(3)))
    counts = np.zeros(50)
    for seed in range(500):
        counts[strategy.select(state, 10, np.random.default_rng(seed))] += 1
    # 5000 draws over 50 rows: each ~100 (sd ~9).
    assert counts.min() > 65 and counts.max() < 135


@pytest.mark.parametrize("k", [1, 50])
def test_random_edge_sizes(k):
    state = _state([0], [0], [0], np.zeros(50, dtype=int))
    picks = make_strategy("random").select(state, k, np.random.default_rng(0))
    assert len(set(picks)) == k
