"""The contract every registered strategy fulfils (picked up from available_strategies()).

A strategy returns k distinct pool positions, is deterministic under a seed, sees
the pool without labels (the Pool type has no label field), and its picks do not
depend on the hidden labels of the pool. Strategies that are slow at default
settings declare small options in ``contract_test_options``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fairpool.active import (
    ActiveLearner,
    Pool,
    QueryState,
    available_strategies,
    make_strategy,
    run,
)
from fairpool.datasets import Dataset

STRATEGIES = available_strategies()


def _strategy(name: str):
    options = dict(getattr(make_strategy(name), "contract_test_options", {}) or {})
    return make_strategy(name, **options)


@pytest.fixture(scope="module")
def contract_data(dataset_factory, split_factory):
    ds = dataset_factory(200, seed=3)
    parts = split_factory(ds, n_test=50, n_validation=40, n_initial=24, seed=3)
    pool = np.setdiff1d(parts["pool"], parts["initial"])
    return ds, parts, pool


def _learner(name: str, ds: Dataset, parts, seed: int = 0) -> ActiveLearner:
    validation = ds.subset(parts["validation"])
    strategy = _strategy(name)
    al = ActiveLearner(
        strategy,
        "logreg",
        seed=seed,
        validation=validation,
        group_names=ds.group_names,
        feature_names=ds.feature_names,
        info=ds.info,
    )
    if getattr(strategy, "requires_fit", False):
        al.fit_strategy(ds.subset(np.union1d(parts["initial"], parts["validation"])))
    d0 = parts["initial"]
    return al.fit(ds.X[d0], ds.y[d0], ds.groups[d0])


def test_the_builtin_strategies_are_registered():
    assert {"random", "entropy", "margin", "least_confident", "group_random"} <= set(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
def test_returns_k_distinct_positions_inside_the_pool(name, contract_data):
    ds, parts, pool = contract_data
    al = _learner(name, ds, parts)
    X_pool, g_pool = ds.X[pool], ds.groups[pool]
    for k in (1, 7):
        picks = al.query(X_pool, g_pool, k)
        assert isinstance(picks, np.ndarray) and picks.dtype.kind in "iu"
        assert picks.shape == (k,) and np.unique(picks).size == k
        assert picks.min() >= 0 and picks.max() < len(pool)
        al.teach(picks, ds.y[pool[picks]])
    # k equal to the whole (tiny) pool returns every row.
    tiny = pool[:6]
    picks = _learner(name, ds, parts).query(ds.X[tiny], ds.groups[tiny], 6)
    assert sorted(picks.tolist()) == list(range(6))


@pytest.mark.parametrize("name", STRATEGIES)
def test_deterministic_under_a_seed(name, contract_data):
    ds, parts, pool = contract_data
    X_pool, g_pool = ds.X[pool], ds.groups[pool]

    def picks(seed):
        al = _learner(name, ds, parts, seed=seed)  # a fresh strategy instance each time
        out = []
        for _ in range(2):
            idx = al.query(X_pool, g_pool, 4)
            al.teach(idx, ds.y[pool[idx]])
            out.append(idx)
        return np.concatenate(out)

    np.testing.assert_array_equal(picks(5), picks(5))


@pytest.mark.parametrize("name", STRATEGIES)
def test_the_strategy_sees_a_pool_without_labels(name, contract_data):
    ds, parts, pool = contract_data
    assert "y" not in {f.name for f in dataclasses.fields(Pool)}
    al = _learner(name, ds, parts)
    seen = []
    select = al.strategy_.select

    def spy(state, k, rng):
        seen.append(state)
        return select(state, k, rng)

    al.strategy_.select = spy
    al.query(ds.X[pool], ds.groups[pool], 3)
    (state,) = seen
    assert isinstance(state, QueryState) and type(state.pool) is Pool
    assert not hasattr(state.pool, "y") and len(state.pool) == len(pool)


@pytest.mark.parametrize("name", STRATEGIES)
def test_hidden_pool_labels_do_not_change_the_picks(name, contract_data):
    ds, parts, pool = contract_data
    kwargs = dict(
        budget=6,
        batch_size=3,
        seed=1,
        split=parts,
        metrics=["accuracy"],
        strategy_options=dict(getattr(make_strategy(name), "contract_test_options", {}) or {}),
    )
    first = run(ds, name, "logreg", **kwargs)
    picked = np.concatenate([np.asarray(p, dtype=np.int64) for p in first.frame["picked"]])
    # Permute the labels of pool rows nobody picked: an honest strategy cannot notice.
    hidden = np.setdiff1d(pool, picked)
    y = ds.y.copy()
    y[hidden] = np.random.default_rng(0).permutation(y[hidden])
    y[hidden[: len(hidden) // 2]] = 1 - y[hidden[: len(hidden) // 2]]  # and flip half
    shuffled = dataclasses.replace(ds, y=y)
    second = run(shuffled, name, "logreg", **kwargs)
    assert first.frame["picked"].tolist() == second.frame["picked"].tolist()
