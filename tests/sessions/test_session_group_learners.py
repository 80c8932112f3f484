"""A session whose learner needs the rows' groups to predict (per-group thresholds,
correlation removal): its round metrics are the cross-validated predictions made with
the groups, equal to a fold-by-fold loop written here."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold

import fairpool as fp
from fairpool.sessions import Session
from fairpool.sessions._model import CV_FOLDS


@pytest.mark.parametrize("learner", ["thresholds", "correlation_remover"])
def test_round_zero_metrics_use_the_groups(tmp_path, learner):
    ds = fp.datasets.load("german")
    frame = pd.DataFrame(ds.X, columns=list(ds.feature_names))
    frame.insert(0, "rid", [f"r{i}" for i in range(ds.n_samples)])
    frame["age_group"] = [ds.group_names[g] for g in ds.groups]
    frame["credit"] = ds.y
    labelled, pool = frame.iloc[:200], frame.iloc[200:400].drop(columns="credit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        session = Session.create(tmp_path / "s", labelled=labelled, pool=pool, target="credit",
                                 sensitive="age_group", id="rid", strategy="random",
                                 learner=learner, budget=20, batch_size=10, seed=3)
    with session:
        status = session.status()
        encoded = session.encoder.transform(labelled)
    assert f"{CV_FOLDS}-fold out-of-fold" in status.evaluation
    # the reference: each fold's learner fitted with the groups, predicting with them
    X, y, g = encoded.X, encoded.y.astype(int), encoded.groups
    predicted = np.empty_like(y)
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=3)
    for train, test in folds.split(np.zeros(len(y)), y):
        al = fp.active.ActiveLearner("random", learner, seed=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            al.fit(X[train], y[train], g[train])
        predicted[test] = al.predict(X[test], g[test])
    assert status.rounds["accuracy"].iloc[0] == pytest.approx(accuracy_score(y, predicted))
