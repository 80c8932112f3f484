"""ActiveLearner: fit / query / teach, checked against a hand-built pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

from fairpool.active import ActiveLearner, Strategy, register_strategy, unregister_strategy
from fairpool.errors import (
    BudgetError,
    EmptyInputError,
    FairpoolError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
    UnknownNameError,
)


@pytest.fixture
def data(small_dataset):
    ds = small_dataset
    return ds.X[:40], ds.y[:40], ds.groups[:40], ds.X[40:], ds.y[40:], ds.groups[40:]


def test_entropy_query_matches_a_hand_built_pipeline(data):
    X0, y0, g0, Xp, _, gp = data
    picks = ActiveLearner("entropy", "logreg", seed=0).fit(X0, y0, g0).query(Xp, gp, 15)
    scaler = StandardScaler().fit(X0)
    model = LogisticRegression(max_iter=1000).fit(scaler.transform(X0), y0)
    proba = model.predict_proba(scaler.transform(Xp))
    expected = np.argsort([-scipy_entropy(row) for row in proba])[:15]
    np.testing.assert_array_equal(np.sort(picks), np.sort(expected))


def test_teach_appends_exactly_the_taught_rows_and_refits(data):
    X0, y0, g0, Xp, yp, gp = data
    al = ActiveLearner("random", "logreg", seed=0).fit(X0, y0, g0)
    idx = al.query(Xp, gp, 10)
    al.teach(idx, yp[idx])
    lab = al.labelled_
    np.testing.assert_array_equal(lab.X, np.concatenate([X0, Xp[idx]]))
    np.testing.assert_array_equal(lab.y, np.concatenate([y0, yp[idx]]))
    np.testing.assert_array_equal(lab.groups, np.concatenate([g0, gp[idx]]))
    assert al.n_labelled_ == 50
    # The model is the one a user would fit on the same rows.
    scaler = StandardScaler().fit(lab.X)
    ref = LogisticRegression(max_iter=1000).fit(scaler.transform(lab.X), lab.y)
    np.testing.assert_allclose(
        al.predict_proba(Xp), ref.predict_proba(scaler.transform(Xp)), atol=1e-6
    )
    np.testing.assert_array_equal(al.predict(Xp), ref.predict(scaler.transform(Xp)))


def test_the_same_pool_object_continues_and_never_repeats_a_row(data):
    X0, y0, g0, Xp, yp, gp = data
    al = ActiveLearner("entropy", "logreg", seed=0).fit(X0, y0, g0)
    seen = []
    for _ in range(5):
        idx = al.query(Xp, gp, 20)
        al.teach(idx, yp[idx])
        seen.extend(idx.tolist())
    assert len(seen) == len(set(seen)) == 100
    assert al.n_queries_ == 5
    # A new pool object starts afresh: its positions refer to the new array.
    fresh = Xp.copy()
    idx = al.query(fresh, gp, 3)
    assert idx.max() < len(fresh)


def test_query_can_take_the_whole_remaining_pool_but_not_more(data):
    X0, y0, g0, Xp, yp, gp = data
    Xp, gp = Xp[:30], gp[:30]
    al = ActiveLearner("margin", "logreg", seed=0).fit(X0, y0, g0)
    idx = al.query(Xp, gp, 25)
    al.teach(idx, yp[:30][idx])
    with pytest.raises(BudgetError, match="larger than the pool"):
        al.query(Xp, gp, 6)
    rest = al.query(Xp, gp, 5)
    assert set(rest) | set(idx) == set(range(30))
    al.teach(rest, yp[:30][rest])
    with pytest.raises(EmptyInputError, match="pool is empty"):
        al.query(Xp, gp, 1)


def test_same_seed_same_queries(data):
    X0, y0, g0, Xp, yp, gp = data

    def picks(seed):
        al = ActiveLearner("random", "xgboost", seed=seed).fit(X0, y0, g0)
        out = []
        for _ in range(3):
            idx = al.query(Xp, gp, 7)
            al.teach(idx, yp[idx])
            out.append(idx)
        return np.concatenate(out), al.predict_proba(Xp)

    a, pa = picks(0)
    b, pb = picks(0)
    c, _ = picks(1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a, c)


def test_learner_by_name_is_seeded_by_the_seed(data):
    X0, y0, g0, *_ = data
    assert ActiveLearner("random", "mlp", seed=11).fit(X0, y0, g0).model_.random_state == 11
    kept = ActiveLearner("random", "mlp", seed=11, learner_options={"random_state": 2})
    assert kept.fit(X0, y0, g0).model_.random_state == 2


def test_any_sklearn_classifier_is_a_learner_and_is_not_modified(data):
    X0, y0, g0, Xp, yp, gp = data
    template = GaussianNB()
    al = ActiveLearner("least_confident", template).fit(X0, y0, g0)
    idx = al.query(Xp, gp, 5)
    al.teach(idx, yp[idx])
    assert isinstance(al.model_, GaussianNB) and al.model_ is not template
    assert not hasattr(template, "classes_")


def test_string_groups_and_group_names(data):
    X0, y0, g0, Xp, _, gp = data
    names = np.array(["female", "male"])
    al = ActiveLearner("group_random", seed=0).fit(X0, y0, names[g0])
    assert al.group_names_ == ("female", "male")
    al.query(Xp, names[gp], 4)
    assert al.last_info_["target_group"] in {"female", "male"}
    # With group_names, codes and names are both accepted.
    al = ActiveLearner("random", group_names=("female", "male", "other")).fit(X0, y0, g0)
    al.query(Xp, names[gp], 2)
    assert al.group_names_ == ("female", "male", "other")
    with pytest.raises(InvalidInputError, match="outside the groups"):
        ActiveLearner("random").fit(X0, y0, g0).query(Xp, np.full(len(gp), 7), 2)


def test_validation_set_is_what_group_random_measures(small_dataset):
    ds = small_dataset
    X0, y0, g0 = ds.X[:40], ds.y[:40], ds.groups[:40]
    vX, vy, vg = ds.X[40:100], ds.y[40:100], ds.groups[40:100]
    al = ActiveLearner(
        "group_random", seed=0, validation=(vX, vy, vg), group_names=ds.group_names
    ).fit(X0, y0, g0)
    al.query(ds.X[100:], ds.groups[100:], 5)
    pred = al.predict(vX)
    errors = [np.mean(pred[vg == k] != vy[vg == k]) for k in (0, 1)]
    assert al.last_info_["target_group"] == ds.group_names[int(np.argmax(errors))]
    # A Dataset works as a validation set too.
    al = ActiveLearner("group_random", validation=ds.subset(np.arange(40, 100))).fit(X0, y0, g0)
    al.query(ds.X[100:], ds.groups[100:], 5)


def test_a_pool_without_some_group_is_allowed(data):
    X0, y0, g0, Xp, _, gp = data
    only_one = np.flatnonzero(gp == 1)
    al = ActiveLearner("group_random", seed=0).fit(X0, y0, g0)
    idx = al.query(Xp[only_one], gp[only_one], 5)
    assert np.all(gp[only_one][idx] == 1)


class _BrokenOnBigFit(ClassifierMixin, BaseEstimator):
    def __init__(self, limit=45):
        self.limit = limit

    def fit(self, X, y):
        if len(X) > self.limit:
            raise RuntimeError("learner crashed")
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_a_failing_refit_keeps_what_was_taught(data):
    X0, y0, g0, Xp, yp, gp = data
    al = ActiveLearner("random", _BrokenOnBigFit()).fit(X0, y0, g0)
    idx = al.query(Xp, gp, 10)
    with pytest.raises(RuntimeError, match="crashed"):
        al.teach(idx, yp[idx])
    assert len(al.labelled_.y) == 50


def test_labelled_data_is_read_only(data):
    X0, y0, g0, *_ = data
    al = ActiveLearner().fit(X0, y0, g0)
    with pytest.raises(ValueError, match="read-only"):
        al.labelled_.y[0] = 1


def test_fit_sensitive_features_reach_learners_that_take_them(data):
    X0, y0, g0, Xp, _, gp = data

    class GroupAware(ClassifierMixin, BaseEstimator):
        def fit(self, X, y, sensitive_features=None):
            self.seen_ = np.asarray(sensitive_features)
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    al = ActiveLearner("random", GroupAware()).fit(X0, y0, g0)
    np.testing.assert_array_equal(al.model_.seen_, g0)


def test_a_strategy_may_wrap_the_learner(data, monkeypatch):
    X0, y0, g0, Xp, _, gp = data

    class Wrapping(Strategy):
        def wrap_learner(self, learner):
            return GaussianNB()

        def select(self, state, k, rng):
            return np.arange(k)

    al = ActiveLearner(Wrapping(), "logreg").fit(X0, y0, g0)
    assert isinstance(al.model_, GaussianNB)


# -- bad input -------------------------------------------------------------------


def test_unknown_names_list_the_available_ones():
    with pytest.raises(UnknownNameError, match="available: .*entropy"):
        ActiveLearner("entrop")
    with pytest.raises(UnknownNameError, match="available: .*logreg"):
        ActiveLearner("entropy", "svm")


def test_fit_rejects_bad_input(data):
    X0, y0, g0, *_ = data
    al = ActiveLearner()
    with pytest.raises(InvalidInputError, match="single class.*'logreg'"):
        al.fit(X0, np.zeros_like(y0), g0)
    bad = X0.copy()
    bad[3, 1] = np.nan
    with pytest.raises(MissingValueError, match="X contains NaN"):
        al.fit(bad, y0, g0)
    with pytest.raises(LengthMismatchError, match="y must have shape"):
        al.fit(X0, y0[:-1], g0)
    with pytest.raises(LengthMismatchError, match="groups must be 1-D"):
        al.fit(X0, y0, g0[:-2])
    with pytest.raises(MissingValueError, match="y has a missing value"):
        al.fit(X0, np.where(np.arange(40) == 0, np.nan, y0), g0)
    with pytest.raises(EmptyInputError):
        al.fit(X0[:0], y0[:0], g0[:0])
    with pytest.raises(InvalidInputError, match="2-D"):
        al.fit(X0[:, 0], y0, g0)
    with pytest.raises(InvalidInputError, match="not fitted"):
        ActiveLearner().query(X0, g0, 1)
    with pytest.raises(InvalidInputError, match="seed"):
        ActiveLearner(seed="zero")


@pytest.mark.parametrize("learner", ["logreg", "xgboost", "linear", "mlp"])
def test_one_class_initial_set_is_a_clear_error_for_every_learner(data, learner):
    X0, y0, g0, *_ = data
    with pytest.raises(FairpoolError, match=f"single class.*{learner}"):
        ActiveLearner("random", learner).fit(X0, np.ones_like(y0), g0)


def test_query_rejects_bad_input(data):
    X0, y0, g0, Xp, _, gp = data
    al = ActiveLearner().fit(X0, y0, g0)
    bad = Xp.copy()
    bad[0, 0] = np.inf
    with pytest.raises(MissingValueError, match="X_pool contains NaN"):
        al.query(bad, gp, 3)
    with pytest.raises(InvalidInputError, match="feature columns"):
        al.query(Xp[:, :2], gp, 3)
    with pytest.raises(LengthMismatchError, match="groups_pool"):
        al.query(Xp, gp[:-1], 3)
    with pytest.raises(BudgetError, match="positive integer"):
        al.query(Xp, gp, 0)
    with pytest.raises(EmptyInputError, match="X_pool is empty"):
        al.query(Xp[:0], gp[:0], 1)


def test_group_strategy_on_one_group_is_a_clear_error(data):
    X0, y0, _, Xp, _, gp = data
    al = ActiveLearner("group_random").fit(X0, y0, np.zeros(40, dtype=int))
    with pytest.raises(SingleGroupError, match="group_random.*two groups"):
        al.query(Xp, np.zeros(len(Xp), dtype=int), 3)


def test_teach_validates_before_changing_anything(data):
    X0, y0, g0, Xp, yp, gp = data
    al = ActiveLearner("random").fit(X0, y0, g0)
    with pytest.raises(InvalidInputError, match="call query first"):
        al.teach([0], [1])
    idx = al.query(Xp, gp, 5)
    cases = [
        (np.array([idx[0], idx[0]]), [0, 1], InvalidInputError, "repeat"),
        (np.array([len(Xp)]), [1], InvalidInputError, "outside the pool"),
        (np.array([-1]), [1], InvalidInputError, "outside the pool"),
        (idx, yp[idx][:-1], LengthMismatchError, "labels must have shape"),
        (idx, np.where(np.arange(5) == 2, np.nan, 1.0), MissingValueError, "NaN"),
        (idx, [None, 1, 0, 1, 0], MissingValueError, "None"),
        (idx.astype(float), yp[idx], InvalidInputError, "integer pool positions"),
        (np.array([], dtype=int), [], EmptyInputError, "nothing to teach"),
    ]
    for indices, labels, error, message in cases:
        with pytest.raises(error, match=message):
            al.teach(indices, labels)
        assert al.n_labelled_ == 40
    al.teach(idx, yp[idx])
    with pytest.raises(InvalidInputError, match="already taught"):
        al.teach(idx[:1], yp[idx[:1]])
    assert al.n_labelled_ == 45


def test_requires_fit_strategy_by_name_must_be_trained(data):
    X0, y0, g0, Xp, _, gp = data

    class Trained(Strategy):
        requires_fit = True

        def fit(self, dataset, rng):
            self.seen_ = len(dataset)
            return self

        def select(self, state, k, rng):
            return np.arange(k)

    register_strategy("needs_training", Trained)
    try:
        al = ActiveLearner("needs_training").fit(X0, y0, g0)
        with pytest.raises(InvalidInputError, match="fit_strategy"):
            al.query(Xp, gp, 2)
        al.fit_strategy(X0)
        np.testing.assert_array_equal(al.query(Xp, gp, 2), [0, 1])
    finally:
        unregister_strategy("needs_training")


def test_strategy_returning_bad_picks_is_caught(data):
    X0, y0, g0, Xp, _, gp = data

    class Repeats(Strategy):
        def select(self, state, k, rng):
            return np.zeros(k, dtype=int)

    with pytest.raises(InvalidInputError, match="same pool position twice"):
        ActiveLearner(Repeats()).fit(X0, y0, g0).query(Xp, gp, 3)
