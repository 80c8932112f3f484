"""D-FA²L: decoupled-model disagreement against a brute-force computation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import fairpool as fp
from fairpool.active import LabelledSet, Pool, QueryState
from fairpool.active.strategies import (
    DecoupledDisagreementSampling,
    disagreement,
    group_model_probabilities,
)
from fairpool.errors import InvalidInputError, SingleGroupError


def _state(labelled_groups: np.ndarray, *, n_groups: int, seed: int = 0) -> QueryState:
    """Each group has its own decision rule, so group models really disagree."""
    rng = np.random.default_rng(seed)
    n_lab = labelled_groups.shape[0]
    X = rng.normal(size=(n_lab + 150, 3))
    pool_groups = rng.integers(0, n_groups, size=150)
    groups = np.concatenate([labelled_groups, pool_groups])
    direction = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, -0.8, 0.0]])[groups % 3]
    y = ((X * direction).sum(axis=1) + 0.3 * rng.normal(size=X.shape[0]) > 0).astype(np.int64)
    model = LogisticRegression().fit(X[:n_lab], y[:n_lab])
    labelled = LabelledSet(X[:n_lab], y[:n_lab], labelled_groups)
    return QueryState(
        model=model,
        labelled=labelled,
        pool=Pool(X[n_lab:], pool_groups),
        validation=labelled,
        group_names=tuple(f"g{i}" for i in range(n_groups)),
        feature_names=("a", "b", "c"),
        make_learner=LogisticRegression,
    )


def _brute_force(state: QueryState) -> np.ndarray:
    """max over group pairs and pool rows of |p_g(1|x) - p_h(1|x)|, one row at a time."""
    lab = state.labelled
    models = [
        LogisticRegression().fit(lab.X[lab.groups == g], lab.y[lab.groups == g])
        for g in range(state.n_groups)
    ]
    out = np.zeros(len(state.pool))
    for i, x in enumerate(state.pool.X):
        p = [m.predict_proba(x[None, :])[0, 1] for m in models]
        out[i] = max(abs(a - b) for a, b in itertools.combinations(p, 2))
    return out


@pytest.mark.parametrize("n_groups", [2, 3])
def test_disagreement_equals_brute_force(n_groups):
    labelled_groups = np.repeat(np.arange(n_groups), 40)
    state = _state(labelled_groups, n_groups=n_groups)
    proba, own = group_model_probabilities(state)
    assert own.all()
    expected = _brute_force(state)
    np.testing.assert_allclose(disagreement(proba), expected, atol=1e-12)
    picks = fp.active.make_strategy("dfa2l").select(state, 10, np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(picks), np.sort(np.argsort(-expected)[:10]))


def test_disagreement_formula_matches_pairwise_max_over_classes():
    proba = np.random.default_rng(1).dirichlet(np.ones(3), size=(4, 25))  # 4 groups, 3 classes
    pairwise = np.max(
        [np.abs(proba[g] - proba[h]).max(axis=1) for g, h in itertools.combinations(range(4), 2)],
        axis=0,
    )
    np.testing.assert_allclose(disagreement(proba), pairwise)


def test_small_group_falls_back_to_the_shared_model():
    labelled_groups = np.concatenate([np.zeros(60, dtype=np.int64), np.ones(3, dtype=np.int64)])
    state = _state(labelled_groups, n_groups=2)
    proba, own = group_model_probabilities(state, min_group_size=5)
    assert own.tolist() == [True, False]
    np.testing.assert_allclose(proba[1], state.model.predict_proba(state.pool.X))
    lab = state.labelled
    group0 = LogisticRegression().fit(lab.X[lab.groups == 0], lab.y[lab.groups == 0])
    np.testing.assert_allclose(
        disagreement(proba),
        np.abs(group0.predict_proba(state.pool.X)[:, 1] - state.pool_proba[:, 1]),
    )


def test_one_class_group_gets_laplace_smoothed_constant_model():
    labelled_groups = np.repeat([0, 1], 30)
    state = _state(labelled_groups, n_groups=2)
    y = state.labelled.y.copy()
    y[labelled_groups == 1] = 1  # group 1 only ever labelled positive
    state = QueryState(
        model=state.model,
        labelled=LabelledSet(state.labelled.X, y, labelled_groups),
        pool=state.pool,
        validation=state.validation,
        group_names=state.group_names,
        feature_names=state.feature_names,
        make_learner=LogisticRegression,
    )
    proba, own = group_model_probabilities(state)
    assert own.all()
    np.testing.assert_allclose(proba[1], np.tile([1 / 32, 31 / 32], (len(state.pool), 1)))


def test_threshold_mode():
    labelled_groups = np.repeat([0, 1], 40)
    state = _state(labelled_groups, n_groups=2)
    scores = disagreement(group_model_probabilities(state)[0])
    alpha = float(np.quantile(scores, 0.8))  # 30 rows above
    strategy = DecoupledDisagreementSampling(threshold=alpha)
    picks = strategy.select(state, 10, np.random.default_rng(0))
    assert (scores[picks] > alpha).all()
    assert strategy.last_info["n_above_threshold"] == int((scores > alpha).sum())
    # drawn uniformly among the rows above, not simply the top 10
    other = strategy.select(state, 10, np.random.default_rng(1))
    assert set(picks) != set(other)
    # fewer rows above than asked: all of them, then the highest below
    high = float(np.sort(scores)[-4])  # 3 rows strictly above
    picks = DecoupledDisagreementSampling(threshold=high).select(
        state, 6, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(np.sort(picks), np.sort(np.argsort(-scores)[:6]))


def test_single_group_raises():
    state = _state(np.zeros(40, dtype=np.int64), n_groups=1)
    with pytest.raises(SingleGroupError, match="two"):
        fp.active.make_strategy("dfa2l").select(state, 3, np.random.default_rng(0))


@pytest.mark.parametrize(
    "options",
    [{"threshold": 1.0}, {"threshold": -0.1}, {"threshold": "0.2"}, {"min_group_size": 1},
     {"min_group_size": 2.5}],
)
def test_bad_options(options):
    strategy = DecoupledDisagreementSampling(**options)  # stored as given
    state = _state(np.repeat([0, 1], 10), n_groups=2)
    with pytest.raises(InvalidInputError):
        strategy.select(state, 3, np.random.default_rng(0))
    with pytest.raises(InvalidInputError):
        fp.active.make_strategy("dfa2l", **options)


def test_group_needing_learners_fit_their_plain_model_per_group():
    # a reduction refuses one group: each decoupled model is the estimator it wraps,
    # so the disagreement equals the plain logistic regressions' (the brute force)
    import fairpool.mitigation  # noqa: F401  (registers the mitigation learners)

    state = _state(np.repeat(np.arange(3), 40), n_groups=3)
    for name in ("thresholds", "reduction", "reweighing"):
        wrapped = QueryState(**{**state.__dict__, "make_learner": lambda n=name: fp.learners
                                .make_learner(n, estimator=LogisticRegression())})
        proba, own = group_model_probabilities(wrapped)
        assert own.all()
        np.testing.assert_allclose(disagreement(proba), _brute_force(state), atol=1e-6)


def test_a_learner_that_needs_groups_and_wraps_nothing_is_refused():
    from fairpool.mitigation import FairVotingClassifier

    state = _state(np.repeat(np.arange(2), 40), n_groups=2)
    members = [("a", LogisticRegression()), ("b", LogisticRegression(C=0.1))]
    wrapped = QueryState(**{**state.__dict__,
                            "make_learner": lambda: FairVotingClassifier(members)})
    with pytest.raises(InvalidInputError, match="dfa2l fits one model per group"):
        group_model_probabilities(wrapped)
