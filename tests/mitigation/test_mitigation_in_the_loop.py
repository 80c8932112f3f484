"""Group-needing mitigations as the loop's learner under every strategy that predicts.

Per-group thresholds and correlation removal need each row's group at prediction time.
The loop hands the groups over (``fp.active.model_output``), and so must the strategies
that predict or fit on their own (Falcon on its validation set, also through its
postponement wrapper; group-aware random sampling; D-FA²L's per-group models; FACA-GEN's
tuner on out-of-fold predictions): each pairing runs, and ActiveLearner.predict
(what the loop records on the test rows) applies the thresholds with the rows' groups.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fairpool as fp


@pytest.fixture(scope="module")
def compas():
    return fp.datasets.load("compas", sensitive="race")


@pytest.mark.parametrize("learner", ["thresholds", "correlation_remover"])
@pytest.mark.parametrize("strategy", ["falcon", "group_random", "entropy", "fal_fast", "dfa2l",
                                      "facagen"])
def test_runs_under_the_strategy(compas, strategy, learner):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small cells warn and go on
        history = fp.active.run(compas, strategy=strategy, learner=learner, budget=40,
                                batch_size=20, seed=0)
    assert history.final["n_labelled"] > 40
    assert 0 <= history.final["demographic_parity"] <= 1


def test_the_recorded_predictions_apply_the_thresholds(compas):
    # the learner's predictions with groups are the model's thresholded decisions
    learner = fp.active.ActiveLearner(strategy="random", learner="thresholds")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(compas.y), 400, replace=False)
    test = np.setdiff1d(np.arange(len(compas.y)), rows)[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        learner.fit(compas.X[rows], compas.y[rows], compas.groups[rows])
    with_groups = learner.predict(compas.X[test], compas.groups[test])
    model = learner.model_
    Z = learner.transform(compas.X[test])
    expected = model.predict(Z, sensitive_features=compas.groups[test])
    np.testing.assert_array_equal(with_groups, expected)
    # without the groups the thresholds cannot apply: a clear error, not a silent guess
    with pytest.raises(fp.errors.InvalidInputError, match="sensitive_features"):
        learner.predict(compas.X[test])
