"""Cluster codes reach a learner that takes them, through the loop's one mechanism."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import fairpool as fp
from fairpool.errors import InvalidInputError, MissingValueError


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that records the clusters each call receives (class-level log)."""

    calls: ClassVar[list[tuple[str, int, Any]]] = []

    def fit(self, X, y, *, clusters=None):
        RecordingClassifier.calls.append(("fit", len(X), None if clusters is None
                                          else np.array(clusters)))
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X, clusters=None):
        RecordingClassifier.calls.append(("predict_proba", len(X), None if clusters is None
                                          else np.array(clusters)))
        return self.model_.predict_proba(X)

    def predict(self, X, clusters=None):
        RecordingClassifier.calls.append(("predict", len(X), None if clusters is None
                                          else np.array(clusters)))
        return self.model_.predict(X)


@pytest.fixture
def clustered():
    ds = fp.datasets.load("hsb82", task="classification")
    return ds.subset(np.arange(0, ds.n_samples, 7))  # ~1,000 rows, every school


def test_run_passes_the_rows_clusters(clustered) -> None:
    ds = clustered
    rng = np.random.default_rng(0)
    order = rng.permutation(ds.n_samples)
    parts = {"initial": np.sort(order[:40]), "pool": np.sort(order[40:700]),
             "test": np.sort(order[700:])}
    RecordingClassifier.calls.clear()
    hist = fp.active.run(ds, "entropy", RecordingClassifier(), budget=60, batch_size=20,
                         split=parts, metrics=["accuracy"])
    fits = [c for c in RecordingClassifier.calls if c[0] == "fit"]
    assert len(fits) == 4  # round 0 and three rounds
    labelled = parts["initial"]
    for k, (_, n, clusters) in enumerate(fits):
        if k:
            labelled = np.concatenate([labelled, np.asarray(hist.frame["picked"].iloc[k])])
        assert n == labelled.shape[0]
        np.testing.assert_array_equal(clusters, ds.clusters[labelled])
    predicts = [c for c in RecordingClassifier.calls if c[0] == "predict"]
    assert len(predicts) == 4
    for _, _n, clusters in predicts:  # the test rows, with their clusters
        np.testing.assert_array_equal(clusters, ds.clusters[parts["test"]])
    probas = [c for c in RecordingClassifier.calls if c[0] == "predict_proba"]
    assert probas and all(c[2] is not None for c in probas)
    # entropy scores the pool rows not yet taught: their clusters, in pool order
    first = probas[0]
    np.testing.assert_array_equal(first[2], ds.clusters[parts["pool"]])


def test_learners_without_clusters_are_unchanged(clustered) -> None:
    parts = fp.datasets.split(clustered, "random", seed=1, initial_size=40)
    plain = fp.active.run(clustered, "entropy", "logreg", budget=40, batch_size=20,
                          split=parts, metrics=["accuracy"])
    stripped = fp.active.run(
        fp.datasets.Dataset(clustered.X, clustered.y, clustered.groups,
                            clustered.group_names, clustered.feature_names,
                            info=clustered.info),
        "entropy", "logreg", budget=40, batch_size=20, split=dict(parts.indices),
        metrics=["accuracy"])
    assert plain.frame["picked"].tolist() == stripped.frame["picked"].tolist()
    assert plain.final["accuracy"] == stripped.final["accuracy"]


def test_active_learner_checks_clusters(clustered) -> None:
    ds = clustered
    al = fp.active.ActiveLearner("entropy", RecordingClassifier(), seed=0)
    al.fit(ds.X[:50], ds.y[:50], ds.groups[:50], clusters=ds.clusters[:50])
    with pytest.raises(InvalidInputError, match="clusters_pool"):
        al.query(ds.X[50:100], ds.groups[50:100], 5)
    picks = al.query(ds.X[50:100], ds.groups[50:100], 5, clusters_pool=ds.clusters[50:100])
    al.teach(picks, ds.y[50:100][picks])
    np.testing.assert_array_equal(
        al.labelled_.clusters, np.concatenate([ds.clusters[:50], ds.clusters[50:100][picks]]))
    RecordingClassifier.calls.clear()
    al.predict(ds.X[:3], clusters=ds.clusters[:3])
    np.testing.assert_array_equal(RecordingClassifier.calls[-1][2], ds.clusters[:3])
    with pytest.raises(MissingValueError):
        al.fit(ds.X[:4], ds.y[:4], ds.groups[:4], clusters=[0.0, np.nan, 1.0, 2.0])
    with pytest.raises(InvalidInputError, match="cluster codes"):
        al.fit(ds.X[:4], ds.y[:4], ds.groups[:4], clusters=["a", "b", "a", "b"])
    no_clusters = fp.active.ActiveLearner("entropy", "logreg", seed=0)
    no_clusters.fit(ds.X[:50], ds.y[:50], ds.groups[:50])
    with pytest.raises(InvalidInputError, match="no clusters"):
        no_clusters.query(ds.X[50:60], ds.groups[50:60], 2, clusters_pool=ds.clusters[50:60])


def test_call_with_groups_passes_only_what_a_method_takes() -> None:
    from fairpool.learners import call_with_groups

    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    RecordingClassifier.calls.clear()
    model = call_with_groups(RecordingClassifier(), "fit", X, np.zeros(4), clusters=[0, 0, 1, 1],
                             y=y)
    assert RecordingClassifier.calls[-1][2].tolist() == [0, 0, 1, 1]
    call_with_groups(model, "predict", X, np.zeros(4))  # groups not taken, clusters absent
    assert RecordingClassifier.calls[-1][2] is None
    plain = call_with_groups(LogisticRegression(), "fit", X, np.zeros(4), clusters=[0, 0, 1, 1],
                             y=y)
    assert call_with_groups(plain, "predict", X, clusters=[0, 0, 1, 1]).shape == (4,)
