"""``Strategy.last_scores`` / ``ActiveLearner.last_scores_``: the score of each picked row,
aligned with the picks, from the array the ranking used; ``None`` for random sampling."""

from __future__ import annotations

import numpy as np
import pytest

from fairpool.active import ActiveLearner, top_k
from fairpool.active.strategies import entropy_score


def _learner(ds, strategy, *, n_initial=60, n_validation=60, **options):
    val = slice(n_initial, n_initial + n_validation)
    al = ActiveLearner(strategy, "logreg", seed=0, strategy_options=options,
                       validation=(ds.X[val], ds.y[val], ds.groups[val]))
    al.fit(ds.X[:n_initial], ds.y[:n_initial], ds.groups[:n_initial])
    start = n_initial + n_validation
    return al, ds.X[start:], ds.groups[start:]


def test_entropy_scores_are_the_entropy_of_the_picked_rows(small_dataset):
    al, X_pool, g_pool = _learner(small_dataset, "entropy")
    picks = al.query(X_pool, g_pool, 15)
    scores = al.last_scores_
    assert scores.dtype == np.float64 and scores.shape == picks.shape

    proba = al.predict_proba(X_pool)
    # Brute force: -sum p log p, row by row.
    reference = np.array([-sum(p * np.log(p) for p in row if p > 0)
                          for row in proba.astype(np.float64)])
    np.testing.assert_allclose(scores, reference[picks], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(scores, entropy_score(proba)[picks])
    assert np.all(np.diff(scores) <= 0)  # in the picks' order: best first
    # The picks are the top of the recomputed scores (continuous: no ties, any rng).
    np.testing.assert_array_equal(top_k(reference, 15, np.random.default_rng(1)), picks)

    view = al.strategy_.last_scores
    assert not view.flags.writeable
    np.testing.assert_array_equal(view, scores)
    assert "last_scores" not in str(sorted(al.strategy_.state_dict()))


def test_scores_stay_aligned_when_the_pool_continues(small_dataset):
    al, X_pool, g_pool = _learner(small_dataset, "entropy")
    first = al.query(X_pool, g_pool, 10)
    al.teach(first, small_dataset.y[120:][first])
    second = al.query(X_pool, g_pool, 10)  # positions into X_pool, taught rows left out
    np.testing.assert_array_equal(
        al.last_scores_, entropy_score(al.predict_proba(X_pool))[second])


def test_random_sampling_has_no_scores(small_dataset):
    al, X_pool, g_pool = _learner(small_dataset, "random")
    al.query(X_pool, g_pool, 10)
    assert al.last_scores_ is None and al.strategy_.last_scores is None


@pytest.mark.parametrize("strategy", ["margin", "least_confident", "fal", "fal_fast", "dfa2l",
                                      "facagen", "fairlearn_al"])
def test_scoring_strategies_report_ranked_scores(small_dataset, strategy):
    al, X_pool, g_pool = _learner(small_dataset, strategy)
    picks = al.query(X_pool, g_pool, 8)
    scores = al.last_scores_
    assert scores is not None and scores.dtype == np.float64 and scores.shape == picks.shape
    assert np.all(np.isfinite(scores)) and np.all(np.diff(scores) <= 0)
