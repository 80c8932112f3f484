"""Strategies that score rows with a learner hand it the rows' clusters (issue 15).

A mixed-effects learner (Fair MEDL) predicts a row with its cluster's random effects
only when it gets the row's cluster; without it, it falls back to the fixed-effects
head. The loop's own predictions pass clusters; these tests check the strategies that
predict on the validation, labelled or pool rows themselves, or refit the learner
(group-random, Falcon, FAL's exact refits, D-FA2L's per-group models, FACA-GEN's
reward), with a MEDL classifier that records every call's clusters.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

import fairpool as fp
from fairpool.active import LabelledSet
from fairpool.learners import MEDLClassifier


class SpyMEDL(MEDLClassifier):
    """A small MEDL classifier that logs, per call, the method, its row count and clusters."""

    calls: ClassVar[list[tuple[str, int, Any]]] = []

    def fit(self, X, y, *, clusters=None, sensitive_features=None):
        SpyMEDL.calls.append(("fit", len(X), None if clusters is None else np.array(clusters)))
        return super().fit(X, y, clusters=clusters, sensitive_features=sensitive_features)

    def predict_proba(self, X, clusters=None):
        SpyMEDL.calls.append(("predict_proba", len(X),
                              None if clusters is None else np.array(clusters)))
        return super().predict_proba(X, clusters)

    def predict(self, X, clusters=None):
        SpyMEDL.calls.append(("predict", len(X), None if clusters is None else np.array(clusters)))
        return super().predict(X, clusters)


@pytest.fixture(scope="module")
def rows():
    ds = fp.datasets.load("hsb82", task="classification")
    pick = np.random.default_rng(0).permutation(ds.n_samples)[:260]
    ds = ds.subset(np.sort(pick))
    return ds


STRATEGIES = [
    ("group_random", {}),
    ("falcon", {}),
    ("fal", {"candidates": 5}),
    ("dfa2l", {}),
    ("facagen", {"gamma": 0.0, "fairness_method": "retrain"}),
]


@pytest.mark.parametrize(("name", "options"), STRATEGIES, ids=[s[0] for s in STRATEGIES])
def test_every_model_call_of_a_strategy_gets_the_rows_clusters(rows, name, options) -> None:
    ds = rows
    labelled, validation, pool = np.arange(0, 60), np.arange(60, 140), np.arange(140, 260)
    learner = SpyMEDL(hidden_layer_sizes=(8,), epochs=2, min_steps=0, device="cpu",
                      cluster_adversary_weight=0.0)
    val = LabelledSet(ds.X[validation], ds.y[validation], ds.groups[validation],
                      ds.clusters[validation])
    al = fp.active.ActiveLearner(name, learner, seed=0, validation=val,
                                 group_names=ds.group_names, strategy_options=options)
    al.fit(ds.X[labelled], ds.y[labelled], ds.groups[labelled], clusters=ds.clusters[labelled])
    SpyMEDL.calls.clear()
    for _ in range(2):  # FACA-GEN's reward compares two rounds
        picks = al.query(ds.X[pool], ds.groups[pool], 4, clusters_pool=ds.clusters[pool])
        al.teach(picks, ds.y[pool][picks])
    assert SpyMEDL.calls
    missing = [(method, n) for method, n, clusters in SpyMEDL.calls if clusters is None]
    assert not missing, f"{name}: calls without the rows' clusters: {missing[:5]}"
    # the validation rows are scored with *their* clusters, in their order
    on_validation = [c for c in SpyMEDL.calls if c[0] != "fit" and c[1] == validation.size]
    if name in ("group_random", "falcon", "fal", "facagen"):
        assert on_validation
        for _, _, clusters in on_validation:
            np.testing.assert_array_equal(clusters, ds.clusters[validation])


def test_rows_output_predicts_with_the_random_effects(rows) -> None:
    """With clusters, the spy's ME prediction; the same call without them is the FE head."""
    from fairpool.active import rows_output

    ds = rows
    model = MEDLClassifier(hidden_layer_sizes=(8,), epochs=20, min_steps=0, device="cpu",
                           learning_rate=0.05, random_state=0)
    model.fit(ds.X, ds.y, clusters=ds.clusters)
    part = LabelledSet(ds.X[:50], ds.y[:50], ds.groups[:50], ds.clusters[:50])
    np.testing.assert_allclose(rows_output(model, "predict_proba", part),
                               model.predict_proba(ds.X[:50], ds.clusters[:50]))
    parts = model.decompose(ds.X[:50], ds.clusters[:50])
    assert np.abs(parts.random).max() > 0  # the clusters changed the prediction
    np.testing.assert_allclose(rows_output(model, "predict", part, np.arange(5, 9)),
                               model.predict(ds.X[5:9], ds.clusters[5:9]))
