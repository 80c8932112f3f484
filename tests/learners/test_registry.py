"""Learners built by name."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from fairpool.active import available_learners, make_learner
from fairpool.errors import UnknownNameError
from fairpool.learners import TorchLinearClassifier, TorchMLPClassifier


def test_builtin_learners_are_registered():
    assert {"logreg", "xgboost", "linear", "mlp"} <= set(available_learners())


def test_logreg_options():
    clf = make_learner("logreg", C=0.3)
    assert isinstance(clf, LogisticRegression)
    assert (clf.C, clf.solver, clf.max_iter) == (0.3, "lbfgs", 1000)


def test_xgboost_options():
    clf = make_learner("xgboost", max_depth=2, random_state=7)
    assert isinstance(clf, XGBClassifier)
    params = clf.get_params()
    assert (params["tree_method"], params["max_depth"], params["n_jobs"]) == ("hist", 2, 1)
    assert params["n_estimators"] == 100 and params["random_state"] == 7


def test_torch_learners():
    assert isinstance(make_learner("linear", weight_decay=0.5), TorchLinearClassifier)
    assert make_learner("mlp", hidden_layer_sizes=(4,)).hidden_layer_sizes == (4,)
    assert isinstance(make_learner("mlp"), TorchMLPClassifier)


@pytest.mark.parametrize("name", ["logreg", "xgboost", "linear", "mlp"])
def test_every_learner_fits_and_is_seeded(name):
    X, y = make_classification(n_samples=150, n_features=5, random_state=0)
    a = make_learner(name, random_state=1).fit(X, y).predict_proba(X)
    b = make_learner(name, random_state=1).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (150, 2)
    assert ((a.argmax(axis=1)) == y).mean() > 0.8


def test_unknown_learner_lists_the_available_ones():
    with pytest.raises(UnknownNameError, match="available: .*logreg"):
        make_learner("svm")
