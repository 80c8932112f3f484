"""The causal consistency term: it lowers the counterfactual gap, in both modes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import fairpool as fp
from fairpool.causal import SENSITIVE, CausalGraph, CounterfactualModel, counterfactual_fairness_gap
from fairpool.errors import InvalidInputError
from fairpool.learners import CausallyConsistent, TorchLinearClassifier, causally_consistent

NAMES = ["anc=0", "anc=1", "cause", "proxy1", "proxy2"]


@pytest.fixture(scope="module")
def biased():
    """The label depends on a cause and on the group; discrete proxies carry the group."""
    rng = np.random.default_rng(0)
    n = 800
    g = rng.integers(0, 2, n)
    cause = rng.integers(0, 3, n).astype(float)
    proxies = (rng.random((n, 2)) < np.where(g[:, None] == 1, 0.85, 0.15)).astype(float)
    y = ((cause - 1 + 1.5 * g + rng.normal(scale=0.5, size=n)) > 0.5).astype(int)
    X = np.column_stack([np.eye(2)[g], cause, proxies])
    graph = CausalGraph(edges=((SENSITIVE, "proxy1"), (SENSITIVE, "proxy2"), ("cause", "<label>")))
    reference = CounterfactualModel(graph, random_state=9).fit(
        X, g, feature_names=NAMES, sensitive_columns=NAMES[:2]
    )
    return X, y, g, graph, reference


def _gap(model, biased):
    X, _, g, _, reference = biased
    return counterfactual_fairness_gap(model, X, g, reference)


@pytest.mark.parametrize(
    "base",
    [TorchLinearClassifier(device="cpu", weight_decay=1e-3), LogisticRegression(max_iter=1000)],
    ids=["torch-penalty", "logreg-augment"],
)
def test_consistency_lowers_the_counterfactual_gap(base, biased):
    X, y, g, graph, _ = biased

    def fitted(weight):
        return CausallyConsistent(
            base, graph=graph, feature_names=NAMES, sensitive_columns=NAMES[:2],
            consistency_weight=weight,
        ).fit(X, y, sensitive_features=g)

    # The penalty's weight multiplies a squared difference; augmentation's weight is
    # each counterfactual copy's, with 1 the complete balance.
    plain = fitted(0.0)
    consistent = fitted(20.0 if isinstance(base, TorchLinearClassifier) else 1.0)
    assert consistent.mode_ == ("penalty" if isinstance(base, TorchLinearClassifier)
                                else "augment")
    assert _gap(plain, biased) > 0.1
    assert _gap(consistent, biased) < 0.5 * _gap(plain, biased)
    # The cause is still used: accuracy stays well above the base rate.
    assert (consistent.predict(X) == y).mean() > max(y.mean(), 1 - y.mean()) + 0.05


def test_penalty_equals_the_mean_squared_probability_difference(biased):
    import torch

    from fairpool.learners import consistency_loss

    X, y, g, graph, reference = biased
    model = TorchLinearClassifier(device="cpu", dtype="float64").fit(X, y)
    cf, valid = reference.all_counterfactuals(X, g)
    target, source = np.nonzero(valid)
    value = consistency_loss(
        model.network_, torch.as_tensor(X), torch.as_tensor(cf[target, source]),
        torch.as_tensor(source),
    ).item()
    p, p_cf = model.predict_proba(X)[source], model.predict_proba(cf[target, source])
    assert value == pytest.approx(((p - p_cf) ** 2).sum(axis=1).mean(), rel=1e-9)


def test_registered_learners_run_in_the_loop():
    ds = fp.datasets.load("genomes1000", n_samples=300, seed=0)
    assert {"xgboost_cf", "linear_cf", "mlp_cf"} <= set(fp.active.available_learners())
    hist = fp.active.run(ds, strategy="entropy", learner="xgboost_cf",
                         learner_options={"dataset": ds, "n_estimators": 20}, budget=20,
                         batch_size=10, seed=0, split="facagen")
    assert len(hist.frame) == 3 and hist.frame["accuracy"].notna().all()
    learner = fp.active.make_learner("linear_cf", dataset=ds, device="cpu")
    assert learner.graph.admissible == frozenset(ds.info["causal_features"])


def test_bad_input_raises():
    X = np.zeros((4, 2))
    with pytest.raises(InvalidInputError, match="dataset"):
        fp.active.make_learner("xgboost_cf", known_causal_fraction=0.5)
    with pytest.warns(UserWarning, match="sensitive_features"):  # no groups: the base alone
        CausallyConsistent(LogisticRegression()).fit(X, [0, 1, 0, 1])
    with pytest.raises(InvalidInputError, match="consistency_weight"):
        CausallyConsistent(LogisticRegression(), consistency_weight=-1).fit(
            X, [0, 1, 0, 1], sensitive_features=[0, 0, 1, 1])
    with pytest.raises(InvalidInputError, match="penalty"):
        CausallyConsistent(LogisticRegression(), mode="penalty").fit(
            X, [0, 1, 0, 1], sensitive_features=[0, 0, 1, 1])
    with pytest.raises(NotFittedError, match="not fitted"):
        CausallyConsistent(LogisticRegression()).predict(X)
    with pytest.raises(InvalidInputError, match="dataset"):
        causally_consistent("logreg", None)
