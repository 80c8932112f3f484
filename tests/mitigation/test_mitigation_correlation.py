"""CorrelationRemover and CorrelationRemovedClassifier: equality with fairlearn's own
remover on the one-hot groups, an independent least-squares projection, zero
correlation with the groups, bad input, pipelines, Adult, the loop, estimator checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
import sklearn
from fairlearn.preprocessing import CorrelationRemover as FairlearnRemover
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import fairpool as fp
from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.mitigation import CorrelationRemovedClassifier, CorrelationRemover

from .support import with_groups


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: tiny fits on a small shared machine contend otherwise."""
    with threadpool_limits(1):
        yield


def _data(n=200, seed=0, n_groups=3):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    X = rng.normal(size=(n, 4)) + np.outer(g, [1.0, -0.5, 0.0, 2.0])
    y = (X[:, 0] + rng.normal(size=n) > 1.0).astype(int)
    return X, y, np.array(["a", "b", "c"])[g]


def _fairlearn_on_dummies(X_fit, g_fit, X_new, g_new, alpha=1.0):
    """fairlearn's remover on a DataFrame of X and the group dummies, built by hand."""
    columns = [f"x{i}" for i in range(X_fit.shape[1])]
    names = sorted(set(g_fit))

    def frame(X, g):
        dummies = pd.get_dummies(pd.Categorical(g, categories=names), dtype=float)
        dummies.columns = [f"g_{c}" for c in names]
        return pd.concat([pd.DataFrame(X, columns=columns), dummies], axis=1)

    remover = FairlearnRemover(sensitive_feature_ids=[f"g_{c}" for c in names], alpha=alpha)
    remover.fit(frame(X_fit, g_fit))
    return remover.transform(frame(X_new, g_new))


@pytest.mark.parametrize("alpha", [1.0, 0.4, 0.0])
def test_equals_fairlearns_own_remover_on_the_one_hot_groups(alpha):
    X, _, g = _data()
    X_new, _, g_new = _data(n=50, seed=1)
    ours = CorrelationRemover(alpha=alpha).fit(X, sensitive_features=g)
    np.testing.assert_allclose(
        ours.transform(X, sensitive_features=g),
        _fairlearn_on_dummies(X, g, X, g, alpha), rtol=0, atol=1e-10,
    )
    np.testing.assert_allclose(
        ours.transform(X_new, sensitive_features=g_new),
        _fairlearn_on_dummies(X, g, X_new, g_new, alpha), rtol=0, atol=1e-10,
    )
    # rows of a single group are encoded as in fit, not re-coded among themselves
    only_c = g_new == "c"
    np.testing.assert_allclose(
        ours.transform(X_new[only_c], sensitive_features=g_new[only_c]),
        _fairlearn_on_dummies(X, g, X_new, g_new, alpha)[only_c], rtol=0, atol=1e-10,
    )


def test_equals_an_independent_least_squares_projection():
    X, _, g = _data(seed=2)
    S = (g[:, None] == np.array(["a", "b", "c"])).astype(float)
    S_c = S[:, 1:] - S[:, 1:].mean(axis=0)  # a full-rank basis of the centred indicators
    beta = np.linalg.solve(S_c.T @ S_c, S_c.T @ X)
    np.testing.assert_allclose(
        CorrelationRemover().fit_transform(X, sensitive_features=g), X - S_c @ beta,
        rtol=0, atol=1e-10,
    )


def test_transformed_features_are_uncorrelated_with_every_group_indicator():
    X, _, g = _data(seed=3)
    Z = CorrelationRemover().fit_transform(X, sensitive_features=g)
    S = (g[:, None] == np.array(["a", "b", "c"])).astype(float)
    covariance = (S - S.mean(0)).T @ (Z - Z.mean(0)) / len(g)
    np.testing.assert_allclose(covariance, 0.0, atol=1e-12)
    means = np.array([Z[g == c].mean(axis=0) for c in "abc"])
    np.testing.assert_allclose(means - means[0], 0.0, atol=1e-10)
    before = (S - S.mean(0)).T @ (X - X.mean(0)) / len(g)
    assert np.abs(before).max() > 0.1  # there was correlation to remove


def test_intersectional_groups_and_pandas_polars_input():
    X, _, g = _data(seed=4)
    band = (X[:, 2] > 0).astype(int)
    frame = pd.DataFrame({"g": g, "band": band})
    key = np.char.add(np.char.add(g.astype(str), "|"), band.astype(str))
    expected = CorrelationRemover().fit_transform(X, sensitive_features=key)
    np.testing.assert_allclose(
        CorrelationRemover().fit_transform(X, sensitive_features=frame), expected, atol=1e-12
    )
    X_frame = pd.DataFrame(X, columns=list("pqrs"))
    remover = CorrelationRemover().fit(X_frame, sensitive_features=pd.Series(key))
    np.testing.assert_array_equal(remover.get_feature_names_out(), list("pqrs"))
    np.testing.assert_allclose(
        remover.transform(pl.DataFrame(X_frame), sensitive_features=pl.Series(key).to_numpy()),
        expected, atol=1e-12,
    )


def test_a_group_unseen_in_fit_warns_and_its_rows_stay_as_they_are():
    X, _, g = _data(seed=5)
    remover = CorrelationRemover().fit(X[g != "c"], sensitive_features=g[g != "c"])
    with pytest.warns(UserWarning, match=r"groups not seen in fit: \['c'\]"):
        Z = remover.transform(X, sensitive_features=g)
    np.testing.assert_array_equal(Z[g == "c"], X[g == "c"])
    np.testing.assert_allclose(
        Z[g != "c"], remover.transform(X[g != "c"], sensitive_features=g[g != "c"])
    )


def test_a_single_group_warns_and_leaves_x_as_it_is():
    X, _, _ = _data()
    with pytest.warns(UserWarning, match="single group"):
        Z = CorrelationRemover().fit_transform(X, sensitive_features=np.zeros(len(X)))
    np.testing.assert_allclose(Z, X, atol=1e-12)


def test_bad_input():
    X, y, g = _data(n=40)
    with pytest.raises(MissingValueError):
        CorrelationRemover().fit(X, sensitive_features=np.where(g == "a", None, g))
    with pytest.raises(MissingValueError, match="NaN or infinity"):
        CorrelationRemover().fit(np.where(X > 2, np.nan, X), sensitive_features=g)
    with pytest.raises(LengthMismatchError, match="one group per row"):
        CorrelationRemover().fit(X, sensitive_features=g[:-1])
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        CorrelationRemover().fit(X)
    remover = CorrelationRemover().fit(X, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        remover.transform(X)
    with pytest.raises(InvalidInputError):
        remover.transform(X[:, :3], sensitive_features=g)
    for alpha in (-0.1, 1.5, "1", True):
        with pytest.raises(InvalidInputError, match="alpha"):
            CorrelationRemover(alpha=alpha).fit(X, sensitive_features=g)
    with pytest.raises(TypeError):
        CorrelationRemover().fit(sp.csr_matrix(X), sensitive_features=g)
    with pytest.raises(InvalidInputError, match="single class"):
        CorrelationRemovedClassifier().fit(X, np.zeros(40), sensitive_features=g)
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        CorrelationRemovedClassifier().fit(X, y)


# -- the classifier -------------------------------------------------------------------


def test_classifier_equals_logistic_regression_on_the_transformed_features():
    X, y, g = _data(seed=6)
    X_new, _, g_new = _data(n=60, seed=7)
    clf = CorrelationRemovedClassifier(LogisticRegression(C=0.7), alpha=0.8).fit(
        X, y, sensitive_features=g
    )
    remover = CorrelationRemover(alpha=0.8).fit(X, sensitive_features=g)
    by_hand = LogisticRegression(C=0.7).fit(remover.transform(X, sensitive_features=g), y)
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)
    Z_new = remover.transform(X_new, sensitive_features=g_new)
    np.testing.assert_array_equal(
        clf.predict_proba(X_new, sensitive_features=g_new), by_hand.predict_proba(Z_new)
    )
    np.testing.assert_array_equal(
        clf.decision_function(X_new, sensitive_features=g_new),
        by_hand.decision_function(Z_new),
    )


def test_prediction_without_groups_is_refused_saying_why():
    X, y, g = _data(n=60)
    clf = CorrelationRemovedClassifier().fit(X, y, sensitive_features=g)
    for method in (clf.predict, clf.predict_proba, clf.decision_function):
        with pytest.raises(InvalidInputError, match="needs sensitive_features to predict.*"
                                                    "group-dependent shift"):
            method(X)


def test_three_classes():
    X, _, g = _data(seed=8)
    y = np.digitize(X[:, 1], [-0.5, 0.5])
    clf = CorrelationRemovedClassifier().fit(X, y, sensitive_features=g)
    assert clf.predict_proba(X, sensitive_features=g).shape == (len(y), 3)


def test_sklearn_pipeline_with_metadata_routing_matches_the_classifier():
    X, y, g = _data(seed=9)
    with sklearn.config_context(enable_metadata_routing=True):
        remover = CorrelationRemover().set_fit_request(sensitive_features=True)
        remover = remover.set_transform_request(sensitive_features=True)
        pipe = make_pipeline(remover, LogisticRegression(max_iter=1000))
        pipe.fit(X, y, sensitive_features=g)
        proba = pipe.predict_proba(X, sensitive_features=g)
    clf = CorrelationRemovedClassifier().fit(X, y, sensitive_features=g)
    np.testing.assert_allclose(proba, clf.predict_proba(X, sensitive_features=g), atol=1e-12)


@pytest.fixture(scope="module")
def adult():
    ds = fp.datasets.load("adult", sensitive="sex", standardize=True)
    rows = np.random.default_rng(0).permutation(ds.n_samples)[:8000]
    return ds.subset(rows)


def test_correlation_removal_lowers_demographic_parity_on_adult(adult):
    X, y, g = adult.X, adult.y, adult.groups
    train, test = np.arange(5000), np.arange(5000, 8000)
    plain = LogisticRegression(max_iter=1000).fit(X[train], y[train])
    fair = CorrelationRemovedClassifier().fit(X[train], y[train], sensitive_features=g[train])

    def dp(y_pred):
        return fp.metrics.demographic_parity_difference(
            y[test], y_pred, sensitive_features=g[test]
        )

    assert dp(fair.predict(X[test], sensitive_features=g[test])) < 0.6 * dp(
        plain.predict(X[test]))
    assert (fair.predict(X[test], sensitive_features=g[test]) == y[test]).mean() > 0.8


def test_works_as_the_active_learning_loop_learner(adult):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        history = fp.active.run(
            adult.subset(np.arange(3000)), strategy="entropy",
            learner=CorrelationRemovedClassifier(), budget=40, batch_size=20, seed=0,
            metrics=["accuracy", "demographic_parity"],
        )
    assert len(history.to_frame()) == 3


# -- scikit-learn's estimator checks --------------------------------------------------

# a module-level name, so that the checks can pickle it
CorrelationRemovedClassifierWithGroups = with_groups(CorrelationRemovedClassifier)


@parametrize_with_checks(
    [CorrelationRemovedClassifierWithGroups()],
    expected_failed_checks=lambda est: {}, xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # the checks' tiny data may hold one group, or groups unseen in fit
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
