"""D-FA²L: query where decoupled per-group models disagree.

D-FA²L ("Fairness-aware active learning for decoupled model", IJCNN 2022; the
baseline Falcon compares with) trains one model per sensitive group on that
group's labelled rows and labels the pool rows on which these *decoupled* models
disagree: a row the groups' models would decide differently is one where the
group attribute, not the features, drives the decision.

Disagreement of a pool row ``x`` over the group models ``p_1 .. p_G``::

    d(x) = max_{g, h} max_c |p_g(c | x) - p_h(c | x)| = max_c (max_g p_g(c|x) - min_g p_g(c|x))

For two groups and binary labels this is ``|p_1(1|x) - p_2(1|x)|``; for more groups
it is the largest pairwise gap (the most discordant pair decides). The second form
is what is computed: one max and one min over the stacked group probabilities.

Groups without enough labelled rows to fit a model (fewer than ``min_group_size``)
are represented by the loop's shared model, so they add no disagreement of their
own; a group whose labelled rows hold one class gets a constant model that
predicts its Laplace-smoothed class frequencies. See
``docs/strategies-fair-baselines.md``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import clone

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState, model_output
from fairpool.active._strategy import Strategy, check_query_size, top_k
from fairpool.errors import InvalidInputError, SingleGroupError
from fairpool.learners import fit_with_groups

__all__ = ["DecoupledDisagreementSampling", "group_model_probabilities", "disagreement"]


def _aligned_proba(
    model: Any, X: np.ndarray, classes: np.ndarray, groups: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> np.ndarray:
    """``model.predict_proba(X)`` (with the rows' ``groups`` and ``clusters`` where the
    model takes them), its columns placed at ``classes`` (absent ones 0)."""
    proba = np.asarray(model_output(model, "predict_proba", X, groups, clusters),
                       dtype=np.float64)
    model_classes = np.asarray(getattr(model, "classes_", classes[: proba.shape[1]]))
    out = np.zeros((X.shape[0], classes.shape[0]))
    out[:, np.searchsorted(classes, model_classes)] = proba
    return out


def _decoupled_model(learner: Any, X: np.ndarray, y: np.ndarray, group: int,
                     clusters: np.ndarray | None = None) -> Any:
    """``learner`` fitted on one group's rows (with their ``clusters`` where it takes them).

    A learner that needs the groups gets the group's code for every row. A mitigation has
    nothing to equalise within one group: those that accept a single group (reweighing,
    resampling, correlation removal, the torch penalties) fit as their plain model and
    their single-group warning is expected here, so it is silenced; those that refuse one
    (reductions, per-group thresholds) are replaced by the model they wrap (their
    ``estimator``, or a reduction's ``base``), which is what they would decide with no
    constraint to meet. Fair voting wraps several models and is refused.
    """
    groups = np.full(y.shape[0], group)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*single group")
            return fit_with_groups(learner, X, y, groups, clusters=clusters)
    except SingleGroupError:
        base = getattr(learner, "estimator", None) or getattr(learner, "base", None)
        if base is None or isinstance(base, str):
            raise InvalidInputError(
                f"dfa2l fits one model per group, and the learner "
                f"{type(learner).__name__} needs several groups and wraps no estimator "
                "to fit on one group's rows; use a learner that fits on a single group"
            ) from None
        return fit_with_groups(clone(base), X, y, groups, clusters=clusters)


def group_model_probabilities(
    state: QueryState, *, min_group_size: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities of each group's decoupled model on the pool.

    Parameters
    ----------
    state : QueryState
    min_group_size : int, default=5
        Fewest labelled rows a group needs for a model of its own.

    Returns
    -------
    proba : ndarray of shape (n_groups, n_pool, n_classes)
        ``proba[g]`` is group ``g``'s model on every pool row. Columns follow the
        sorted labels of the labelled set.
    own_model : ndarray of bool, shape (n_groups,)
        False where the group had too few rows and the shared model stands in.
    """
    labelled = state.labelled
    classes = np.unique(labelled.y)
    pool_X = state.pool.X
    pool_c = state.pool.clusters
    shared = _aligned_proba(state.model, pool_X, classes, state.pool.groups, pool_c)
    proba = np.empty((state.n_groups, pool_X.shape[0], classes.shape[0]))
    own_model = np.zeros(state.n_groups, dtype=bool)
    counts = np.bincount(labelled.groups, minlength=state.n_groups)
    # One fit per group; the pool is scored by each fitted model in one vectorised call.
    for g in range(state.n_groups):
        if counts[g] < min_group_size:
            proba[g] = shared
            continue
        rows = labelled.groups == g
        y_g = labelled.y[rows]
        own_model[g] = True
        present, n_per_class = np.unique(y_g, return_counts=True)
        if present.shape[0] < 2:
            # A constant model: the group's class frequencies, Laplace-smoothed.
            freq = np.ones(classes.shape[0])
            freq[np.searchsorted(classes, present)] += n_per_class
            proba[g] = freq / freq.sum()
            continue
        c_g = None if labelled.clusters is None else np.asarray(labelled.clusters)[rows]
        model = _decoupled_model(state.make_learner(), labelled.X[rows], y_g, g, c_g)
        # group g's model decides every pool row as if it were one of group g's
        proba[g] = _aligned_proba(model, pool_X, classes, np.full(pool_X.shape[0], g), pool_c)
    return proba, own_model


def disagreement(proba: np.ndarray) -> np.ndarray:
    """Largest pairwise gap between group models, per pool row.

    Parameters
    ----------
    proba : ndarray of shape (n_groups, n_pool, n_classes)

    Returns
    -------
    ndarray of shape (n_pool,)
        ``max_c (max_g proba[g, :, c] - min_g proba[g, :, c])``, which equals
        ``max_{g,h} max_c |proba[g, :, c] - proba[h, :, c]|``.
    """
    proba = np.asarray(proba, dtype=np.float64)
    return (proba.max(axis=0) - proba.min(axis=0)).max(axis=1)


@register_strategy("dfa2l")
class DecoupledDisagreementSampling(Strategy):
    """Label the pool rows on which per-group (decoupled) models disagree most.

    Parameters
    ----------
    threshold : float, optional
        Without it (default) the ``k`` rows of largest disagreement are taken.
        With it (D-FA²L's α), ``k`` rows are drawn uniformly among those whose
        disagreement exceeds ``threshold``; if fewer than ``k`` do, all of them are
        taken and the rest are the most disagreed-upon rows below the threshold.
    min_group_size : int, default=5
        Fewest labelled rows a group needs for a model of its own.

    Attributes
    ----------
    last_info : dict
        ``max_disagreement``, ``n_above_threshold`` and ``groups_with_model`` of the
        last selection.
    """

    name = "dfa2l"
    needs_groups = True

    def __init__(self, *, threshold: float | None = None, min_group_size: int = 5) -> None:
        self.threshold = threshold
        self.min_group_size = min_group_size

    def _validate_params(self) -> None:
        """Check the options and keep their converted values."""
        threshold, min_group_size = self.threshold, self.min_group_size
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float | np.integer | np.floating)
            or not 0.0 <= float(threshold) < 1.0
        ):
            raise InvalidInputError(
                f"threshold must be None or a number in [0, 1), got {threshold!r}"
            )
        if (
            isinstance(min_group_size, bool)
            or not isinstance(min_group_size, int | np.integer)
            or min_group_size < 2
        ):
            raise InvalidInputError(
                f"min_group_size must be an integer >= 2, got {min_group_size!r}"
            )
        self._threshold = None if threshold is None else float(threshold)
        self._min_group_size = int(min_group_size)

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Pick ``k`` pool positions by decoupled-model disagreement.

        Raises
        ------
        SingleGroupError
            If the data has fewer than two groups.
        """
        self._validate_params()
        if state.n_groups < 2:
            raise SingleGroupError(
                f"strategy {self.name!r} fits one model per group and needs at least two "
                f"groups, got {list(state.group_names)}"
            )
        k = check_query_size(k, len(state.pool))
        proba, own_model = group_model_probabilities(state, min_group_size=self._min_group_size)
        scores = disagreement(proba)
        n_above = None
        if self._threshold is None:
            picks = top_k(scores, k, rng)
        else:
            above = np.flatnonzero(scores > self._threshold)
            n_above = int(above.shape[0])
            if n_above >= k:
                picks = rng.choice(above, size=k, replace=False).astype(np.int64)
            else:
                rest = scores.copy()
                rest[above] = np.inf  # all rows above the threshold first
                picks = top_k(rest, k, rng)
        self.last_scores = scores[picks]  # the disagreement, also when a threshold ruled
        self.last_info = {
            "max_disagreement": float(scores.max()),
            "n_above_threshold": n_above,
            "groups_with_model": [state.group_names[g] for g in np.flatnonzero(own_model)],
        }
        return picks
