"""The torch classifiers against scikit-learn's converged logistic regression."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.learners import TorchLinearClassifier, TorchMLPClassifier


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, random_state=0)
    return StandardScaler().fit_transform(X), y


def _sklearn_reference(X, y, C, sample_weight=None):
    return LogisticRegression(C=C, solver="lbfgs", max_iter=10_000, tol=1e-12).fit(
        X, y, sample_weight=sample_weight
    )


@pytest.mark.parametrize("C", [0.05, 1.0])
def test_linear_matches_sklearn_logistic_regression(binary, C):
    X, y = binary
    ref = _sklearn_reference(X, y, C)
    # sklearn minimises ||w||^2/2 + C * sum(loss); ours mean(loss) + wd/2 ||w||^2.
    ours = TorchLinearClassifier(
        weight_decay=1.0 / (C * len(y)), dtype="float64", device="cpu", tol=1e-10
    )
    ours.fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_linear_float32_close_to_sklearn(binary):
    X, y = binary
    ref = _sklearn_reference(X, y, 1.0)
    ours = TorchLinearClassifier(weight_decay=1.0 / len(y), device="cpu").fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_linear_sample_weight_matches_sklearn(binary):
    X, y = binary
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    ref = _sklearn_reference(X, y, 0.5, sample_weight=w)
    ours = TorchLinearClassifier(
        weight_decay=1.0 / (0.5 * w.sum()), dtype="float64", device="cpu", tol=1e-10
    )
    ours.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_linear_multiclass_matches_sklearn_multinomial():
    X, y = make_classification(
        n_samples=450, n_features=5, n_informative=4, n_redundant=0, n_classes=3, random_state=1
    )
    X = StandardScaler().fit_transform(X)
    ref = _sklearn_reference(X, y, 1.0)
    ours = TorchLinearClassifier(
        weight_decay=1.0 / len(y), dtype="float64", device="cpu", tol=1e-10
    )
    ours.fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape == (3, 5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_string_labels_are_kept_as_classes(binary):
    X, y = binary
    labels = np.where(y == 1, "yes", "no")
    clf = TorchLinearClassifier(device="cpu").fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X)) <= {"no", "yes"}


def test_mlp_learns_a_nonlinear_boundary_a_linear_model_cannot():
    X, y = make_moons(n_samples=500, noise=0.1, random_state=0)
    linear = TorchLinearClassifier(device="cpu").fit(X, y)
    mlp = TorchMLPClassifier(hidden_layer_sizes=(32, 32), max_iter=600, device="cpu").fit(X, y)
    assert (linear.predict(X) == y).mean() < 0.9
    assert (mlp.predict(X) == y).mean() > 0.97


def test_mlp_is_seeded_and_leaves_global_torch_rng_alone():
    X, y = make_moons(n_samples=200, noise=0.2, random_state=1)
    state = torch.random.get_rng_state()
    a = TorchMLPClassifier(max_iter=50, random_state=3, device="cpu").fit(X, y)
    b = TorchMLPClassifier(max_iter=50, random_state=3, device="cpu").fit(X, y)
    c = TorchMLPClassifier(max_iter=50, random_state=4, device="cpu").fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_mlp_weight_decay_shrinks_weights():
    X, y = make_moons(n_samples=200, noise=0.2, random_state=1)

    def norm(wd):
        clf = TorchMLPClassifier(weight_decay=wd, max_iter=200, device="cpu").fit(X, y)
        params = clf.network_.named_parameters()
        return sum(float((p.detach() ** 2).sum()) for n, p in params if "weight" in n)

    assert norm(1.0) < 0.5 * norm(0.0)


def test_adam_linear_approaches_the_lbfgs_optimum(binary):
    X, y = binary
    lbfgs = TorchLinearClassifier(weight_decay=0.01, device="cpu").fit(X, y)
    adam = TorchLinearClassifier(
        weight_decay=0.01,
        optimizer="adam",
        learning_rate=0.05,
        max_iter=3000,
        tol=1e-10,
        device="cpu",
    ).fit(X, y)
    assert adam.loss_ == pytest.approx(lbfgs.loss_, rel=1e-3)


def test_clone_keeps_parameters():
    clf = TorchMLPClassifier(hidden_layer_sizes=(8,), weight_decay=0.3, random_state=5)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "network_")


def test_bad_input_is_rejected(binary):
    X, y = binary
    clf = TorchLinearClassifier(device="cpu")
    with pytest.raises(InvalidInputError, match="single class"):
        clf.fit(X, np.zeros_like(y))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(MissingValueError, match="NaN"):
        clf.fit(bad, y)
    with pytest.raises(LengthMismatchError, match="y must have shape"):
        clf.fit(X, y[:-1])
    with pytest.raises(LengthMismatchError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(NotFittedError, match="not fitted"):
        TorchLinearClassifier().predict(X)
    with pytest.raises(InvalidInputError, match="optimizer"):
        TorchLinearClassifier(optimizer="sgd", device="cpu").fit(X, y)
    fitted = TorchLinearClassifier(device="cpu").fit(X, y)
    with pytest.raises(InvalidInputError, match="features"):
        fitted.predict(X[:, :3])
    with pytest.raises(InvalidInputError, match="activation"):
        TorchMLPClassifier(activation="swish", device="cpu").fit(X, y)
