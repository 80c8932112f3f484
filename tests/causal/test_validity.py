"""Causal validity measures against brute force, sklearn and constructed ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from xgboost import XGBClassifier

import fairpool as fp
from fairpool.causal import (
    SENSITIVE,
    CausalGraph,
    CounterfactualModel,
    accuracy_by_group,
    causal_importance_share,
    counterfactual_fairness_gap,
    counterfactual_inconsistency,
    validity_metrics,
)
from fairpool.errors import InvalidInputError, LengthMismatchError, UnknownColumnError


@pytest.fixture(scope="module")
def three_groups():
    rng = np.random.default_rng(2)
    n = 300
    g = rng.integers(0, 3, n)
    proxy = (rng.random(n) < np.array([0.1, 0.5, 0.9])[g]).astype(float)
    other = rng.integers(0, 3, n).astype(float)
    X = np.column_stack([proxy, other])
    y = rng.integers(0, 3, n)
    graph = CausalGraph(edges=((SENSITIVE, "proxy"),))
    model = CounterfactualModel(graph).fit(X, g, feature_names=["proxy", "other"])
    clf = LogisticRegression(max_iter=1000).fit(X, y)  # three classes
    return X, g, model, clf


def test_inconsistency_equals_a_brute_force_total_variation(three_groups):
    X, g, model, clf = three_groups
    values = counterfactual_inconsistency(clf, X, g, model)
    cf, valid = model.all_counterfactuals(X, g)
    for i in range(0, len(X), 37):
        p = clf.predict_proba(X[i : i + 1])[0]
        tvs = [0.5 * np.abs(clf.predict_proba(cf[t, i : i + 1])[0] - p).sum()
               for t in range(3) if valid[t, i]]
        assert values[i] == pytest.approx(np.mean(tvs), abs=1e-12)
    assert counterfactual_fairness_gap(clf, X, g, model) == pytest.approx(values.mean())
    # A model of the non-descendant column alone is counterfactually fair.
    blind = LogisticRegression().fit(X[:, [1]], (X[:, 1] > 0).astype(int))
    assert counterfactual_fairness_gap(lambda Z: blind.predict_proba(Z[:, [1]]), X, g,
                                       model) == 0.0


def test_causal_share_is_one_or_zero_when_the_model_uses_only_one_side():
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 4))
    names = ["c1", "c2", "n1", "n2"]
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    on_causal = XGBClassifier(n_estimators=20, max_depth=2).fit(
        np.column_stack([X[:, :2], np.zeros((n, 2))]), y
    )
    share = causal_importance_share(on_causal, X, y, feature_names=names,
                                    causal_features=["c1", "c2"])
    assert share == pytest.approx(1.0)
    on_noise = XGBClassifier(n_estimators=20, max_depth=2).fit(
        np.column_stack([np.zeros((n, 2)), X[:, 2:]]), y
    )
    assert causal_importance_share(on_noise, X, y, feature_names=names,
                                   causal_features=["c1", "c2"]) == pytest.approx(0.0)


def test_permutation_share_matches_sklearn_permutation_importance():
    from sklearn.inspection import permutation_importance

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (2 * X[:, 0] + 0.5 * X[:, 2] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    ref = permutation_importance(clf, X, y, n_repeats=5, random_state=0, scoring="accuracy")
    imp = np.clip(ref.importances_mean, 0, None)
    share = causal_importance_share(clf, X, y, feature_names=["a", "b", "c"],
                                    causal_features=["a"], method="permutation")
    assert share == pytest.approx(imp[0] / imp.sum())


def test_accuracy_by_group_matches_sklearn():
    rng = np.random.default_rng(3)
    y, p, g = rng.integers(0, 2, 100), rng.integers(0, 2, 100), rng.integers(0, 3, 100)
    out = accuracy_by_group(y, p, g, group_names=["a", "b", "c", "empty"])
    for code, name in enumerate("abc"):
        assert out[name] == pytest.approx(accuracy_score(y[g == code], p[g == code]))
    assert np.isnan(out["empty"])


def test_validity_metrics_are_recorded_by_the_loop():
    ds = fp.datasets.load("genomes1000", n_samples=300, seed=0)
    parts = fp.datasets.split(ds, "facagen", seed=0).indices
    train = np.concatenate([parts["initial"], parts["pool"]])
    hist = fp.active.run(
        ds, strategy="entropy", learner="xgboost", budget=20, batch_size=10, seed=0,
        split="facagen", model_metrics=validity_metrics(ds, fit_rows=train),
        learner_options={"n_estimators": 20},
    )
    frame = hist.frame
    for column in ("cf_gap", "causal_share", "acc_true_all", "acc_true_worst", "acc_true_EUR"):
        assert column in frame and frame[column].notna().all()
    assert ((frame["cf_gap"] >= 0) & (frame["cf_gap"] <= 1)).all()


def test_bad_input_raises(three_groups):
    X, g, model, clf = three_groups
    with pytest.raises(UnknownColumnError, match="zz"):
        causal_importance_share(clf, X, g, feature_names=["proxy", "other"],
                                causal_features=["zz"])
    with pytest.raises(InvalidInputError, match="method"):
        causal_importance_share(clf, X, g, feature_names=["proxy", "other"],
                                causal_features=["proxy"], method="gain")
    with pytest.raises(InvalidInputError, match="xgboost"):
        causal_importance_share(clf, X, g, feature_names=["proxy", "other"],
                                causal_features=["proxy"], method="shap")
    with pytest.raises(LengthMismatchError):
        causal_importance_share(clf, X, g, feature_names=["proxy"], causal_features=[])
    with pytest.raises(LengthMismatchError):
        accuracy_by_group([0, 1], [0], [0, 0], group_names=["a"])
