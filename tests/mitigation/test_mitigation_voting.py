"""FairVotingClassifier: the weights against a brute-force loop over the grid with
scikit-learn's own VotingClassifier, tradeoff 0 picks the most accurate combination, a
positive tradeoff lowers DP on Adult, the bound, bad input, the loop, and scikit-learn's
estimator checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import fairpool as fp
from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.mitigation import FairVotingClassifier

from .support import with_groups


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: tiny fits on a small shared machine contend otherwise."""
    with threadpool_limits(1):
        yield


def _members():
    return [
        ("lr", LogisticRegression()),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def _data(n=400, seed=0, n_groups=2):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    X = rng.normal(size=(n, 4))
    X[:, 0] += 0.9 * g
    y = (X[:, 0] + X[:, 1] ** 2 - 0.5 + rng.normal(size=n) > 0.6).astype(int)
    return X, y, g


def _brute_force(X, y, g, constraint, tradeoff, resolution, voting):
    """Every weight vector by a loop, each scored by scikit-learn's VotingClassifier
    (fitted on all rows, as with holdout_fraction=0) and fairlearn's metrics."""
    vote = VotingClassifier(_members(), voting=voting).fit(X, y)
    best, rows = None, []
    m = len(_members())
    for a in range(resolution + 1):
        for b in range(resolution + 1 - a):
            w = np.array([a, b, resolution - a - b], dtype=float)[:m] / resolution
            vote.weights = w
            p = vote.predict(X)
            metric = (demographic_parity_difference if constraint == "demographic_parity"
                      else equalized_odds_difference)
            score = (1 - np.mean(p == y)) + tradeoff * metric(y, p, sensitive_features=g)
            rows.append((w, np.mean(p == y), score))
            if best is None or score < best[1] - 1e-12:
                best = (w, score)
    return best[0], rows


@pytest.mark.parametrize("voting", ["soft", "hard"])
@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds"])
def test_weights_equal_a_brute_force_loop(constraint, voting):
    X, y, g = _data()
    clf = FairVotingClassifier(
        _members(), voting=voting, constraint=constraint, tradeoff=0.7, holdout_fraction=0,
        weight_grid=6,
    ).fit(X, y, sensitive_features=g)
    weights, rows = _brute_force(X, y, g, constraint, 0.7, 6, voting)
    # the grid is in lexicographic order, as the loop's, so ties resolve alike
    np.testing.assert_allclose(clf.cv_results_["weights"], [r[0] for r in rows])
    np.testing.assert_allclose(clf.cv_results_["accuracy"], [r[1] for r in rows])
    np.testing.assert_allclose(clf.cv_results_["objective"], [r[2] for r in rows], atol=1e-12)
    np.testing.assert_allclose(clf.weights_, weights)
    assert clf.cv_results_["rank_objective"][np.argmin(clf.cv_results_["objective"])] == 1
    np.testing.assert_array_equal(clf.voting_.weights, clf.weights_)
    vote = VotingClassifier(_members(), voting=voting, weights=weights).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), vote.predict(X))
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[np.argmax(proba, axis=1)], clf.predict(X))
    if voting == "soft":
        np.testing.assert_allclose(proba, vote.predict_proba(X))


def test_tradeoff_zero_picks_the_most_accurate_combination():
    X, y, g = _data(seed=1)
    clf = FairVotingClassifier(_members(), tradeoff=0, random_state=0).fit(
        X, y, sensitive_features=g)
    accuracy = clf.cv_results_["accuracy"]
    assert clf.validation_accuracy_ == accuracy.max()
    assert int(np.argmax(accuracy)) == int(np.argmin(clf.cv_results_["objective"]))


def test_the_bound_is_met_or_the_least_disparate_is_taken():
    X, y, g = _data(seed=2)
    free = FairVotingClassifier(_members(), tradeoff=0, random_state=0).fit(
        X, y, sensitive_features=g)
    bound = float(np.median(free.cv_results_["disparity"]))
    clf = FairVotingClassifier(_members(), tradeoff=0, max_disparity=bound, random_state=0).fit(
        X, y, sensitive_features=g)
    results = clf.cv_results_
    assert clf.validation_disparity_ <= bound
    assert clf.validation_accuracy_ == results["accuracy"][results["feasible"]].max()
    with pytest.warns(UserWarning, match="least disparate"):
        tight = FairVotingClassifier(_members(), max_disparity=0.0, weight_grid=[[1, 0, 0], [
            0, 1, 0]], random_state=0).fit(X, y, sensitive_features=g)
    assert tight.validation_disparity_ == tight.cv_results_["disparity"].min()
    np.testing.assert_allclose(tight.cv_results_["weights"].sum(axis=1), 1)


def test_holdout_is_reproducible_and_members_see_the_rest():
    X, y, g = _data(seed=3)
    one = FairVotingClassifier(_members(), random_state=4).fit(X, y, sensitive_features=g)
    two = FairVotingClassifier(_members(), random_state=4).fit(X, y, sensitive_features=g)
    np.testing.assert_array_equal(one.weights_, two.weights_)
    full = LogisticRegression().fit(X, y)
    assert not np.allclose(one.named_estimators_["lr"].coef_, full.coef_)
    grid = FairVotingClassifier(_members(), weight_grid=10).fit(X, y, sensitive_features=g)
    assert len(grid.cv_results_["objective"]) == 66  # C(12, 2)


def test_a_positive_tradeoff_lowers_demographic_parity_on_adult():
    data = fp.datasets.load("adult", sensitive="sex")
    rows = np.random.default_rng(0).permutation(data.n_samples)[:6000]
    X, y, g = np.asarray(data.X, dtype=np.float64)[rows], data.y[rows], data.groups[rows]
    train, test = train_test_split(np.arange(rows.size), test_size=0.5, random_state=0,
                                   stratify=g * 2 + y)
    members = [("lr", make_pipeline(StandardScaler(), LogisticRegression())),
               ("nb", GaussianNB()), ("tree", DecisionTreeClassifier(max_depth=6, random_state=0))]
    results = {}
    for tradeoff in (0.0, 2.0):
        clf = FairVotingClassifier(members, tradeoff=tradeoff, random_state=0).fit(
            X[train], y[train], sensitive_features=g[train])
        p = clf.predict(X[test])
        results[tradeoff] = (
            np.mean(p == y[test]), demographic_parity_difference(
                y[test], p, sensitive_features=g[test]), clf.validation_disparity_)
    assert results[2.0][2] < results[0.0][2]  # on the held-out rows, by construction
    assert results[2.0][1] < results[0.0][1] - 0.02  # and on unseen rows
    assert results[2.0][0] > 0.75


def test_string_labels_pandas_and_polars():
    X, y, g = _data(seed=5)
    labels = np.array(["no", "yes"])[y]
    expected = FairVotingClassifier(_members(), random_state=0).fit(X, labels, sensitive_features=g)
    assert set(expected.predict(X)) <= {"no", "yes"}
    frame = pd.DataFrame(X, columns=list("abcd"))
    for Xs, gs in ((frame, pd.Series(g)), (pl.from_pandas(frame), pl.Series(g))):
        clf = FairVotingClassifier(_members(), random_state=0).fit(
            Xs, pd.Series(labels), sensitive_features=gs)
        np.testing.assert_array_equal(clf.weights_, expected.weights_)


def test_bad_input():
    X, y, g = _data(n=120, seed=6)
    make = FairVotingClassifier
    with pytest.raises(InvalidInputError, match="sensitive_features"):
        make(_members()).fit(X, y)
    with pytest.raises(MissingValueError):
        make(_members()).fit(X, y, sensitive_features=np.where(g == 0, np.nan, g))
    with pytest.raises(SingleGroupError, match="single group"):
        make(_members()).fit(X, y, sensitive_features=np.zeros_like(g))
    with pytest.raises(LengthMismatchError):
        make(_members()).fit(X, y, sensitive_features=g[:-1])
    with pytest.raises(NonBinaryLabelError, match="got 3"):
        make(_members()).fit(X, y + (X[:, 1] > 1), sensitive_features=g)
    with pytest.raises(InvalidInputError, match="single class"):
        make(_members()).fit(X, np.zeros_like(y), sensitive_features=g)
    with pytest.raises(TypeError):
        make(_members()).fit(sp.csr_matrix(X), y, sensitive_features=g)
    for bad in ({"estimators": []}, {"voting": "median"}, {"constraint": "equal_opportunity"},
                {"tradeoff": -1}, {"max_disparity": 2}, {"holdout_fraction": 1},
                {"weight_grid": 0}, {"weight_grid": [[1, 0]]}, {"weight_grid": [[0, 0, 0]]}):
        options = {"estimators": _members(), **bad}
        with pytest.raises(InvalidInputError, match=next(iter(bad))):
            make(**options).fit(X, y, sensitive_features=g)
    with pytest.raises(NotFittedError):
        make(_members()).predict(X)


def test_tiny_cells_fall_back_to_all_rows_with_a_warning():
    X, y, g = _data(n=30, seed=7)
    g = g.copy()
    g[0] = 5
    with pytest.warns(UserWarning, match="held-out rows miss a group"):
        clf = FairVotingClassifier(_members(), random_state=0).fit(X, y, sensitive_features=g)
    assert clf.predict(X).shape == y.shape


def test_works_as_the_active_learning_loop_learner():
    data = fp.datasets.load("adult", sensitive="sex")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tiny groups may lack a label
        history = fp.active.run(
            data.subset(np.arange(3000)), strategy="entropy",
            learner=FairVotingClassifier(_members(), random_state=0), budget=40,
            batch_size=20, seed=0, metrics=["accuracy", "demographic_parity"],
        )
    frame = history.to_frame()
    assert len(frame) == 3 and frame["accuracy"].iloc[-1] > 0.6


def test_clone_keeps_the_members():
    clf = FairVotingClassifier(_members(), voting="hard", tradeoff=2.0, weight_grid=[[1, 1, 0]])
    copy = clone(clf)
    assert copy.tradeoff == 2.0 and copy.weight_grid == [[1, 1, 0]]
    assert [name for name, _ in copy.estimators] == ["lr", "nb", "tree"]
    assert copy.estimators[0][1] is not clf.estimators[0][1]


FairVotingClassifierWithGroups = with_groups(FairVotingClassifier)


@parametrize_with_checks(
    [FairVotingClassifierWithGroups(_members(), weight_grid=3, random_state=0),
     FairVotingClassifierWithGroups(_members(), voting="hard", weight_grid=3, random_state=0)],
    expected_failed_checks=lambda estimator: {}, xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
