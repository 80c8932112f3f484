"""Reweighing: the weights against an independent count, independence under the weights,
the meta-estimator against a hand-weighted fit, parity on Adult, bad input, the loop,
and scikit-learn's estimator checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import fairpool as fp
from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.mitigation import Reweighing, reweighing_weights

from .support import with_groups


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: tiny fits on a small shared machine contend otherwise."""
    with threadpool_limits(1):
        yield


def _brute_force(y, g, s=None):
    """The paper's formula by a loop over rows, with weighted counts."""
    y, g = list(y), list(g)
    s = [1.0] * len(y) if s is None else list(s)
    total = sum(s)
    out = []
    for yi, gi in zip(y, g, strict=True):
        w_g = sum(w for w, gj in zip(s, g, strict=True) if gj == gi)
        w_y = sum(w for w, yj in zip(s, y, strict=True) if yj == yi)
        w_gy = sum(w for w, yj, gj in zip(s, y, g, strict=True) if yj == yi and gj == gi)
        out.append((w_g / total) * (w_y / total) / (w_gy / total))
    return np.array(out)


def _data(n=300, seed=0, n_groups=3, n_classes=2):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    y = (rng.random(n) < 0.2 + 0.25 * g / max(n_groups - 1, 1)).astype(int)
    if n_classes > 2:
        y = y + (rng.random(n) < 0.3).astype(int) * (n_classes - 2 + (y == 0))
    return y, g


# -- the weights ----------------------------------------------------------------------


def test_weights_equal_a_brute_force_loop_and_a_crosstab():
    y, g = _data()
    names = np.array(["a", "b", "c"])[g]
    w = reweighing_weights(y, sensitive_features=names)
    np.testing.assert_allclose(w, _brute_force(y, names), rtol=1e-12, atol=0)
    table = pd.crosstab(names, y)  # counts n_gy
    n = len(y)
    expected = np.array([
        table.loc[gi].sum() * table[yi].sum() / (n * table.loc[gi, yi])
        for gi, yi in zip(names, y, strict=True)
    ])
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=0)


def test_weighted_frequencies_equal_the_brute_force_loop_and_repeated_rows():
    y, g = _data(n=120, seed=1)
    s = np.random.default_rng(2).integers(1, 4, len(y)).astype(float)
    w = reweighing_weights(y, sensitive_features=g, sample_weight=s)
    np.testing.assert_allclose(w, _brute_force(y, g, s), rtol=1e-12, atol=0)
    repeat = np.repeat(np.arange(len(y)), s.astype(int))
    w_rep = reweighing_weights(y[repeat], sensitive_features=g[repeat])
    np.testing.assert_allclose(w[repeat], w_rep, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_and_group_are_independent_under_the_weights(n_classes):
    y, g = _data(n=500, seed=3, n_classes=n_classes)
    w = reweighing_weights(y, sensitive_features=g)
    overall = np.array([np.mean(y == c) for c in np.unique(y)])
    for group in np.unique(g):
        rows = g == group
        rates = np.array([w[rows & (y == c)].sum() / w[rows].sum() for c in np.unique(y)])
        np.testing.assert_allclose(rates, overall, rtol=0, atol=1e-12)
    # the total weight is kept: each cell carries n P(g) P(y)
    assert w.sum() == pytest.approx(len(y), rel=1e-12)


def test_intersectional_groups_from_a_dataframe():
    y, g = _data(n=200, seed=4)
    frame = pd.DataFrame({"sex": np.where(g == 0, "F", "M"), "band": g % 2})
    w = reweighing_weights(y, sensitive_features=frame)
    key = frame["sex"] + "|" + frame["band"].astype(str)
    np.testing.assert_allclose(w, _brute_force(y, key), rtol=1e-12, atol=0)


def test_zero_weight_rows_count_for_nothing():
    y = np.array([0, 1, 0, 1, 1, 0, 1])
    g = np.array([0, 0, 0, 1, 1, 1, 1])
    s = np.array([1, 1, 1, 1, 1, 1, 0.0])
    w = reweighing_weights(y, sensitive_features=g, sample_weight=s)
    np.testing.assert_allclose(w[:6], reweighing_weights(y[:6], sensitive_features=g[:6]))


def test_pandas_and_polars_input():
    y, g = _data(n=100, seed=5)
    expected = reweighing_weights(y, sensitive_features=g)
    np.testing.assert_array_equal(
        reweighing_weights(pd.Series(y), sensitive_features=pd.Series(g)), expected
    )
    np.testing.assert_array_equal(
        reweighing_weights(pl.Series(y), sensitive_features=pl.Series(g).to_numpy()),
        expected,
    )


# -- bad input ------------------------------------------------------------------------


def test_a_group_with_no_positives_warns_naming_it():
    y = np.array([0, 0, 0, 1, 0, 1])
    g = np.array(["x", "x", "x", "y", "y", "y"])
    with pytest.warns(UserWarning, match=r"group 'x' has no rows with label\(s\) \[1\]"):
        w = reweighing_weights(y, sensitive_features=g)
    np.testing.assert_allclose(w, _brute_force(y, g), rtol=1e-12)


def test_a_single_group_warns_and_weighs_every_row_one():
    with pytest.warns(UserWarning, match="single group"):
        w = reweighing_weights([0, 1, 1, 0], sensitive_features=["a"] * 4)
    np.testing.assert_allclose(w, 1.0, rtol=1e-15)


def test_bad_groups_and_lengths():
    with pytest.raises(MissingValueError):
        reweighing_weights([0, 1, 0], sensitive_features=["a", None, "b"])
    with pytest.raises(MissingValueError):
        reweighing_weights([0, 1, 0], sensitive_features=np.array([0.0, np.nan, 1.0]))
    with pytest.raises(LengthMismatchError, match="one group per row"):
        reweighing_weights([0, 1, 0], sensitive_features=[0, 1])
    with pytest.raises(LengthMismatchError):
        reweighing_weights([0, 1, 0], sensitive_features=[0, 1, 1], sample_weight=[1, 1])
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        reweighing_weights([0, 1], sensitive_features=None)
    with pytest.raises(InvalidInputError, match="non-empty 1-D"):
        reweighing_weights([], sensitive_features=[])
    with pytest.raises(MissingValueError):
        reweighing_weights([0, None, 1], sensitive_features=[0, 1, 1])


# -- the meta-estimator ---------------------------------------------------------------


def _classification(n=300, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    X = np.column_stack([rng.normal(size=n) + g, rng.normal(size=n), g])
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0.6).astype(int)
    return X, y, g


def test_same_model_as_logistic_regression_fitted_with_the_weights_by_hand():
    X, y, g = _classification()
    s = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    clf = Reweighing(LogisticRegression(C=0.5)).fit(X, y, sensitive_features=g, sample_weight=s)
    by_hand = LogisticRegression(C=0.5).fit(
        X, y, sample_weight=s * reweighing_weights(y, sensitive_features=g, sample_weight=s)
    )
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)
    np.testing.assert_array_equal(clf.predict_proba(X), by_hand.predict_proba(X))
    np.testing.assert_array_equal(clf.decision_function(X), by_hand.decision_function(X))
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_default_estimator_and_delegated_methods():
    X, y, g = _classification()
    clf = Reweighing().fit(X, y, sensitive_features=g)
    assert isinstance(clf.estimator_, LogisticRegression)
    assert clf.estimator_.max_iter == 1000
    assert clf.estimator is None
    svc = Reweighing(LinearSVC())
    assert not hasattr(svc, "predict_proba")
    assert hasattr(svc.fit(X, y, sensitive_features=g), "decision_function")


def test_estimator_without_sample_weight_is_refused():
    X, y, g = _classification(n=40)
    with pytest.raises(InvalidInputError, match="KNeighborsClassifier.fit does not"):
        Reweighing(KNeighborsClassifier()).fit(X, y, sensitive_features=g)


def test_fit_bad_input():
    X, y, g = _classification(n=40)
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        Reweighing().fit(X, y)
    with pytest.raises(InvalidInputError, match="single class"):
        Reweighing().fit(X, np.zeros(40, dtype=int), sensitive_features=g)
    with pytest.raises(LengthMismatchError):
        Reweighing().fit(X, y, sensitive_features=g[:-1])
    with pytest.raises(MissingValueError):
        Reweighing().fit(X, y, sensitive_features=np.where(g == 0, np.nan, 1.0))
    with pytest.raises(TypeError):
        Reweighing().fit(sp.csr_matrix(X), y, sensitive_features=g)


def test_three_classes_are_reweighed_too():
    X, _, g = _classification()
    y = np.digitize(X[:, 0], [0.0, 1.0])
    clf = Reweighing().fit(X, y, sensitive_features=g)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(y), 3)


def test_pandas_and_polars_frames_fit_alike():
    X, y, g = _classification(n=100)
    expected = Reweighing().fit(X, y, sensitive_features=g).predict_proba(X)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    clf = Reweighing().fit(frame, pd.Series(y), sensitive_features=pd.Series(g))
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c"])
    np.testing.assert_array_equal(clf.predict_proba(frame), expected)
    clf = Reweighing().fit(pl.DataFrame(frame), pl.Series(y), sensitive_features=g)
    np.testing.assert_array_equal(clf.predict_proba(pl.DataFrame(frame)), expected)


def test_metadata_routing_through_cross_val_score():
    X, y, g = _classification()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = Reweighing().set_fit_request(sensitive_features=True, sample_weight=False)
        scores = cross_val_score(clf, X, y, cv=3, params={"sensitive_features": g})
    assert scores.shape == (3,) and np.all(scores > 0.6)


@pytest.fixture(scope="module")
def adult():
    ds = fp.datasets.load("adult", sensitive="sex", standardize=True)
    rows = np.random.default_rng(0).permutation(ds.n_samples)[:8000]
    return ds.subset(rows)


def test_reweighing_lowers_demographic_parity_on_adult(adult):
    X, y, g = adult.X, adult.y, adult.groups
    train, test = np.arange(5000), np.arange(5000, 8000)
    plain = LogisticRegression(max_iter=1000).fit(X[train], y[train])
    fair = Reweighing().fit(X[train], y[train], sensitive_features=g[train])

    def dp(model):
        return fp.metrics.demographic_parity_difference(
            y[test], model.predict(X[test]), sensitive_features=g[test]
        )

    assert dp(fair) < 0.75 * dp(plain)
    assert (fair.predict(X[test]) == y[test]).mean() > 0.8


def test_works_as_the_active_learning_loop_learner(adult):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tiny groups may lack a label
        history = fp.active.run(
            adult.subset(np.arange(3000)), strategy="entropy", learner=Reweighing(),
            budget=40, batch_size=20, seed=0, metrics=["accuracy", "demographic_parity"],
        )
    frame = history.to_frame()
    assert len(frame) == 3  # rounds 0, 1, 2
    assert frame["accuracy"].iloc[-1] > 0.6


def test_the_loop_with_tiny_race_groups_warns_and_goes_on():
    ds = fp.datasets.load("adult", sensitive="race", standardize=True)
    ds = ds.subset(np.random.default_rng(0).permutation(ds.n_samples)[:3000])
    with pytest.warns(UserWarning, match="has no rows with label"):
        history = fp.active.run(
            ds, strategy="entropy", learner=Reweighing(), budget=40, batch_size=20, seed=0,
            metrics=["accuracy"],
        )
    assert history.to_frame()["accuracy"].iloc[-1] > 0.6


# -- scikit-learn's estimator checks --------------------------------------------------


def test_clone_keeps_the_parameters():
    est = Reweighing(LogisticRegression(C=3.0))
    assert clone(est).estimator.C == 3.0


# a module-level name, so that the checks can pickle it
ReweighingWithGroups = with_groups(Reweighing)


@parametrize_with_checks(
    [ReweighingWithGroups()], expected_failed_checks=lambda est: {}, xfail_strict=True
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # the checks' tiny data hold groups without some class: a documented warning
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
