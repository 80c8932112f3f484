"""FAL and fal_fast: the selection rule against a brute-force loop, the nested variant,
the batch rule, candidate subsampling, the registry, and bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference
from sklearn.linear_model import LogisticRegression

from fairpool.active import LabelledSet, Pool, QueryState, make_strategy
from fairpool.active.strategies import FairActiveLearning, FastFairActiveLearning, min_max_scale
from fairpool.errors import BudgetError, EmptyInputError, InvalidInputError, SingleGroupError


def _learner() -> LogisticRegression:
    # tightly converged, so warm-started and cold refits land on the same optimum
    return LogisticRegression(solver="newton-cholesky", tol=1e-10)


def _state(seed: int = 0, *, n_labelled: int = 60, n_pool: int = 25, n_ref: int = 200):
    rng = np.random.default_rng(seed)
    n = n_labelled + n_pool + n_ref
    groups = (rng.random(n) < 0.4).astype(np.int64)
    X = rng.normal(size=(n, 4)) + 0.6 * groups[:, None] * (np.arange(4) == 1)
    y = (X[:, 0] + 0.8 * groups + rng.normal(scale=0.9, size=n) > 0.3).astype(np.int64)
    lab, pool = slice(0, n_labelled), slice(n_labelled, n_labelled + n_pool)
    ref = slice(n_labelled + n_pool, None)
    return QueryState(
        model=_learner().fit(X[lab], y[lab]),
        labelled=LabelledSet(X[lab], y[lab], groups[lab]),
        pool=Pool(X[pool], groups[pool]),
        validation=LabelledSet(X[ref], y[ref], groups[ref]),
        group_names=("a", "b"),
        feature_names=("x0", "x1", "x2", "x3"),
        make_learner=_learner,
    )


def _entropy(state: QueryState) -> np.ndarray:
    proba = state.model.predict_proba(state.pool.X)
    return np.array([-sum(p * np.log(p) for p in row if p > 0) for row in proba])


def _brute_force_expected_dp(state: QueryState, rows) -> np.ndarray:
    """Expected DP of each candidate by a plain loop: refit, predict, fairlearn."""
    ref = state.validation
    proba = state.model.predict_proba(state.pool.X)
    expected = np.zeros(len(state.pool))
    for row in rows:
        for label in (0, 1):
            X = np.vstack([state.labelled.X, state.pool.X[row]])
            fitted = _learner().fit(X, np.append(state.labelled.y, label))
            dp = demographic_parity_difference(
                ref.y, fitted.predict(ref.X), sensitive_features=ref.groups
            )
            expected[row] += proba[row, label] * dp
    return expected


def _brute_force_score(entropy: np.ndarray, expected: np.ndarray, alpha: float) -> np.ndarray:
    def scaled(v):
        return (v - v.min()) / (v.max() - v.min())

    return alpha * scaled(entropy) + (1 - alpha) * scaled(-expected)


def test_fal_picks_the_brute_force_argmax():
    state = _state()
    entropy = _entropy(state)
    expected = _brute_force_expected_dp(state, range(len(state.pool)))
    for alpha, k in ((0.6, 1), (0.2, 4)):
        score = _brute_force_score(entropy, expected, alpha)
        picks = FairActiveLearning(alpha=alpha).select(state, k, np.random.default_rng(0))
        # k = 1 is the argmax; the batch rule is the top-k of the same score
        assert set(picks.tolist()) == set(np.argsort(-score)[:k].tolist())


def test_fal_fast_agrees_with_fal_on_a_small_pool():
    state = _state(seed=1, n_pool=40)
    rng = np.random.default_rng(0)
    exact = FairActiveLearning().scores(state, np.arange(40))
    fast = FastFairActiveLearning().scores(state, np.arange(40))
    assert np.argmax(fast) == np.argmax(exact)
    np.testing.assert_allclose(fast, exact, atol=0.05)
    assert FastFairActiveLearning().select(state, 1, rng)[0] == np.argmax(exact)


def test_nested_variant_picks_the_fairest_of_the_most_uncertain():
    state = _state(seed=2)
    bucket = np.argsort(-_entropy(state))[:6]
    expected = _brute_force_expected_dp(state, bucket)
    strategy = FairActiveLearning(variant="nested", nested_k=6)
    pick = strategy.select(state, 1, np.random.default_rng(0))
    assert pick[0] in bucket
    assert pick[0] == bucket[np.argmin(expected[bucket])]
    picks = strategy.select(state, 3, np.random.default_rng(0))
    assert set(picks.tolist()) == set(bucket[np.argsort(expected[bucket])[:3]].tolist())


def test_alpha_one_is_entropy_sampling():
    state = _state(seed=3)
    picks = FastFairActiveLearning(alpha=1.0).select(state, 5, np.random.default_rng(0))
    assert set(picks.tolist()) == set(np.argsort(-_entropy(state))[:5].tolist())


def test_candidates_subsample_is_seeded_and_respected():
    state = _state(seed=4, n_pool=40)
    strategy = FastFairActiveLearning(candidates=10)
    first = strategy.select(state, 3, np.random.default_rng(7))
    again = strategy.select(state, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(first, again)
    drawn = np.sort(np.random.default_rng(7).choice(40, size=10, replace=False))
    assert set(first.tolist()) <= set(drawn.tolist())
    with pytest.raises(BudgetError, match="candidates=10"):
        strategy.select(state, 11, np.random.default_rng(0))


def test_min_max_scale():
    np.testing.assert_allclose(min_max_scale(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(min_max_scale(np.array([1.0, 1.0])), [0.0, 0.0])


def test_registered_names_build_the_strategies():
    fal = make_strategy("fal", alpha=0.3, fairness="equalized_odds")
    fast = make_strategy("fal_fast", variant="nested", nested_k=5)
    assert isinstance(fal, FairActiveLearning) and not isinstance(fal, FastFairActiveLearning)
    assert fal.alpha == 0.3 and fal.fairness == "equalized_odds"
    assert isinstance(fast, FastFairActiveLearning) and fast.variant == "nested"


def test_equalized_odds_option_changes_what_is_measured():
    state = _state(seed=5)
    dp = FastFairActiveLearning(alpha=0.0).scores(state, np.arange(len(state.pool)))
    eo = FastFairActiveLearning(alpha=0.0, fairness="equalized_odds").scores(
        state, np.arange(len(state.pool))
    )
    assert not np.allclose(dp, eo)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [-0.1, 1.5, "0.5", True, float("nan")])
def test_alpha_outside_the_unit_interval_is_rejected(alpha):
    strategy = FairActiveLearning(alpha=alpha)  # stored as given, checked at select
    assert strategy.alpha is alpha
    with pytest.raises(InvalidInputError, match="alpha"):
        strategy.select(_state(), 3, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="alpha"):
        make_strategy("fal", alpha=alpha)  # built by name: checked at once


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"fairness": "parity"}, "fairness"),
        ({"variant": "greedy"}, "variant"),
        ({"nested_k": 0}, "nested_k"),
        ({"candidates": 2.5}, "candidates"),
        ({"newton_steps": 0}, "newton_steps"),
        ({"chunk_size": -1}, "chunk_size"),
    ],
)
def test_bad_options_are_rejected(options, match):
    strategy = FastFairActiveLearning(**options)
    with pytest.raises(InvalidInputError, match=match):
        strategy.select(_state(), 3, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match=match):
        make_strategy("fal_fast", **options)


def test_a_single_group_is_rejected():
    state = _state()
    ref = state.validation
    one_group = replace(state, validation=LabelledSet(ref.X, ref.y, np.ones_like(ref.groups)))
    for strategy in (FairActiveLearning(), FastFairActiveLearning()):
        with pytest.raises(SingleGroupError):
            strategy.select(one_group, 1, np.random.default_rng(0))


def test_an_empty_pool_is_rejected():
    state = _state()
    empty = replace(state, pool=Pool(state.pool.X[:0], state.pool.groups[:0]))
    with pytest.raises(EmptyInputError, match="pool is empty"):
        FastFairActiveLearning().select(empty, 1, np.random.default_rng(0))


def test_nested_bucket_smaller_than_k_is_rejected():
    with pytest.raises(BudgetError, match="nested_k=2"):
        FastFairActiveLearning(variant="nested", nested_k=2).select(
            _state(), 3, np.random.default_rng(0)
        )


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["adult", "compas"])
def test_fal_fast_picks_what_fal_picks_on_real_data(dataset):
    """A small version of benchmarks/fal_agreement.py: same pick in most rounds."""
    import fairpool as fp
    from fairpool.active import LabelledScaler

    ds = fp.datasets.load(dataset)
    order = np.random.default_rng(11).permutation(ds.n_samples)
    labelled, pool, ref = order[:200], order[200:500], order[500:1500]
    same = 0
    for _ in range(4):
        scaler = LabelledScaler().fit(ds.X[labelled])
        X_lab = scaler.transform(ds.X, labelled)
        state = QueryState(
            model=_learner().fit(X_lab, ds.y[labelled]),
            labelled=LabelledSet(X_lab, ds.y[labelled], ds.groups[labelled]),
            pool=Pool(scaler.transform(ds.X, pool), ds.groups[pool]),
            validation=LabelledSet(scaler.transform(ds.X, ref), ds.y[ref], ds.groups[ref]),
            group_names=ds.group_names,
            feature_names=ds.feature_names,
            make_learner=_learner,
        )
        exact = FairActiveLearning().select(state, 1, np.random.default_rng(0))[0]
        fast = FastFairActiveLearning().select(state, 1, np.random.default_rng(0))[0]
        same += int(exact == fast)
        labelled, pool = np.append(labelled, pool[exact]), np.delete(pool, exact)
    assert same >= 3
