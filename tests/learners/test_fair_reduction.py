"""FairReductionClassifier against fairlearn's ExponentiatedGradient used directly."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from fairlearn.reductions import (
    DemographicParity,
    ErrorRateParity,
    ExponentiatedGradient,
)
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

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
