"""FairReductionClassifier against fairlearn's ExponentiatedGradient and GridSearch used
directly."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ErrorRateParity,
    ExponentiatedGradient,
    GridSearch,
)
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.learners import FairReductionClassifier

# fairlearn 0.15 on pandas 3 warns about its own Series.at use; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Setting a value on a Series via .at")


@pytest.fixture(scope="module")
def biased_data():
    """Group 1 has a shifted feature and a higher base rate: plain logreg is unfair."""
    rng = np.random.default_rng(0)
    n = 300
    groups = (rng.random(n) < 0.4).astype(np.int64)
    X = rng.normal(size=(n, 4))
    X[:, 0] += 1.0 * groups
    y = (X[:, 0] + 0.7 * X[:, 1] + 0.6 * rng.normal(size=n) > 0.5).astype(np.int64)
    return X, y, groups


@pytest.mark.parametrize(
    ("constraint", "moment"),
    [("demographic_parity", DemographicParity), ("error_rate", ErrorRateParity)],
)
def test_matches_exponentiated_gradient_used_directly(biased_data, constraint, moment):
    X, y, g = biased_data
    eps = 0.04
    ours = FairReductionClassifier(
        LogisticRegression(max_iter=1000), constraint=constraint, eps=eps, random_state=3
    ).fit(X, y, sensitive_features=g)
    direct = ExponentiatedGradient(
        LogisticRegression(max_iter=1000), moment(difference_bound=eps), eps=eps
    ).fit(X, y, sensitive_features=g)
    np.testing.assert_allclose(ours.predict_proba(X), direct._pmf_predict(X))
    np.testing.assert_array_equal(ours.predict(X), direct.predict(X, random_state=3))
    # seeded: the same labels on every call
    np.testing.assert_array_equal(ours.predict(X), ours.predict(X))


def test_demographic_parity_on_training_data_within_bound(biased_data):
    X, y, g = biased_data
    eps = 0.04
    clf = FairReductionClassifier(eps=eps).fit(X, y, sensitive_features=g)
    plain = LogisticRegression(max_iter=1000).fit(X, y).predict(X)
    assert demographic_parity_difference(y, plain, sensitive_features=g) > 0.3
    # The randomised classifier's expected positive rate per group (exact, no sampling):
    # fairlearn bounds |rate_g - overall| <= eps, so the pairwise gap is <= 2 eps.
    p1 = clf.predict_proba(X)[:, 1]
    rates = np.array([p1[g == k].mean() for k in (0, 1)])
    assert abs(rates[1] - rates[0]) <= 2 * eps + 0.01
    # Its sampled labels: the same bound plus sampling noise.
    assert demographic_parity_difference(y, clf.predict(X), sensitive_features=g) <= 2 * eps + 0.06


def test_equalized_odds_on_training_data_within_bound(biased_data):
    X, y, g = biased_data
    eps = 0.04
    clf = FairReductionClassifier(constraint="equalized_odds", eps=eps).fit(
        X, y, sensitive_features=g
    )
    p1 = clf.predict_proba(X)[:, 1]
    gaps = []
    for label in (0, 1):
        rate = [p1[(g == k) & (y == label)].mean() for k in (0, 1)]
        gaps.append(abs(rate[1] - rate[0]))
    assert max(gaps) <= 2 * eps + 0.02
    # and the sampled labels, by fairlearn's own metric, with sampling noise
    assert equalized_odds_difference(y, clf.predict(X), sensitive_features=g) <= 2 * eps + 0.1


def test_clone_and_params():
    clf = FairReductionClassifier(LogisticRegression(C=0.5), constraint="error_rate", eps=0.1)
    copy = clone(clf)
    assert copy.get_params()["base__C"] == 0.5
    assert copy.constraint == "error_rate" and copy.eps == 0.1
    assert isinstance(copy.base, LogisticRegression) and copy.base is not clf.base


@pytest.mark.parametrize("eps", [0, 1.0, -0.1, float("nan"), "0.1", True])
def test_bad_eps(biased_data, eps):
    X, y, g = biased_data
    with pytest.raises(InvalidInputError, match="eps"):
        FairReductionClassifier(eps=eps).fit(X, y, sensitive_features=g)


def test_bad_constraint_and_base(biased_data):
    X, y, g = biased_data
    with pytest.raises(InvalidInputError, match="constraint"):
        FairReductionClassifier(constraint="parity").fit(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="sample_weight"):
        FairReductionClassifier(KNeighborsClassifier()).fit(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="max_iter"):
        FairReductionClassifier(max_iter=0).fit(X, y, sensitive_features=g)


def test_bad_data(biased_data):
    X, y, g = biased_data
    with pytest.raises(SingleGroupError, match="sensitive_features"):
        FairReductionClassifier().fit(X, y, sensitive_features=np.zeros_like(g))
    with pytest.raises(NonBinaryLabelError, match="binary"):
        FairReductionClassifier().fit(X, y + (X[:, 2] > 1), sensitive_features=g)
    with pytest.raises(LengthMismatchError, match="sensitive_features"):
        FairReductionClassifier().fit(X, y, sensitive_features=g[:-1])


# -- grid search ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "moment"),
    [("demographic_parity", DemographicParity), ("error_rate", ErrorRateParity),
     ("equalized_odds", EqualizedOdds)],
)
def test_grid_search_matches_fairlearn_used_directly(biased_data, constraint, moment):
    X, y, g = biased_data
    ours = FairReductionClassifier(
        LogisticRegression(max_iter=1000), constraint=constraint, eps=0.05,
        method="grid_search", grid_size=7, grid_limit=1.5, constraint_weight=0.6,
    ).fit(X, y, sensitive_features=g)
    direct = GridSearch(
        LogisticRegression(max_iter=1000), moment(difference_bound=0.05),
        constraint_weight=0.6, grid_size=7, grid_limit=1.5,
    ).fit(X, y, sensitive_features=g)
    np.testing.assert_array_equal(ours.predict(X), direct.predict(X))
    np.testing.assert_array_equal(ours.predict_proba(X), direct.predict_proba(X))
    assert ours.reduction_.best_idx_ == direct.best_idx_
    assert ours.n_iter_ == len(direct.predictors_) == 7


def test_grid_search_lowers_disparity_and_keeps_string_labels(biased_data):
    X, y, g = biased_data
    labels = np.array(["bad", "good"])[y]
    plain = LogisticRegression(max_iter=1000).fit(X, y).predict(X)
    clf = FairReductionClassifier(method="grid_search", constraint_weight=0.9).fit(
        X, labels, sensitive_features=g)
    assert clf.classes_.tolist() == ["bad", "good"]
    predicted = clf.predict(X)
    assert set(predicted) <= {"bad", "good"}
    assert demographic_parity_difference(
        y, predicted == "good", sensitive_features=g
    ) < demographic_parity_difference(y, plain, sensitive_features=g) - 0.1
    # deterministic: the best classifier's argmax
    np.testing.assert_array_equal(
        clf.classes_[np.argmax(clf.predict_proba(X), axis=1)], predicted)


def test_grid_search_base_without_predict_proba(biased_data):
    X, y, g = biased_data
    clf = FairReductionClassifier(LinearSVC(), method="grid_search", grid_size=3).fit(
        X, y, sensitive_features=g)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], clf.predict(X))
    np.testing.assert_array_equal(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "bad",
    [{"method": "grid"}, {"grid_size": 0}, {"grid_size": 2.5}, {"grid_limit": 0},
     {"grid_limit": float("inf")}, {"constraint_weight": 1.5}, {"constraint_weight": "0.5"}],
)
def test_bad_grid_search_parameters(biased_data, bad):
    X, y, g = biased_data
    with pytest.raises(InvalidInputError, match=next(iter(bad))):
        FairReductionClassifier(**{"method": "grid_search", **bad}).fit(
            X, y, sensitive_features=g)


def test_grid_search_bad_data(biased_data):
    X, y, g = biased_data
    make = lambda: FairReductionClassifier(method="grid_search", grid_size=3)  # noqa: E731
    with pytest.raises(SingleGroupError):
        make().fit(X, y, sensitive_features=np.zeros_like(g))
    with pytest.raises(NonBinaryLabelError):
        make().fit(X, y + (X[:, 2] > 1), sensitive_features=g)
    with pytest.raises(LengthMismatchError):
        make().fit(X, y, sensitive_features=g[:-1])


class _GridSearchWithGroups(FairReductionClassifier):
    """Test-only: groups from each row alone (the parity of ``floor(1001 * sum(X[i]))``)
    when a scikit-learn check passes none, as in test_estimator_checks.py."""

    def fit(self, X, y, *, sensitive_features=None):
        if sensitive_features is None:
            try:
                total = np.asarray(X, dtype=np.float64).sum(axis=1)
                if total.size and np.isfinite(total).all():
                    sensitive_features = (np.floor(1001.0 * total) % 2).astype(np.int64)
            except (TypeError, ValueError, IndexError):
                pass
        return super().fit(X, y, sensitive_features=sensitive_features)


@parametrize_with_checks(
    [_GridSearchWithGroups(GaussianNB(), method="grid_search", grid_size=2)],
    expected_failed_checks=lambda estimator: {}, xfail_strict=True,
)
def test_grid_search_passes_the_estimator_checks(estimator, check):
    with threadpool_limits(1):
        check(estimator)
