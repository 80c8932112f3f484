"""What a query strategy is allowed to see: the loop's state, without the pool's labels.

The pool is a :class:`Pool`, a type that has no label field at all, so a strategy
cannot read hidden labels even by accident: the contract is enforced by structure,
not by convention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from fairpool.learners import call_with_groups

__all__ = ["LabelledSet", "Pool", "QueryState", "model_output", "rows_output"]


def model_output(
    model: Any, method: str, X: Any, groups: Any = None, clusters: Any = None
) -> np.ndarray:
    """``model.<method>(X)``, passing the rows' groups and clusters where the method takes them.

    Group-aware models (per-group thresholds, correlation removal) need the rows' groups
    at prediction time, mixed-effects models their clusters; the loop knows both for the
    pool, the validation and the test rows, and hands them over through this one
    function (:func:`fairpool.learners.call_with_groups`).

    Parameters
    ----------
    model : estimator
        A fitted model.
    method : {"predict", "predict_proba", "decision_function"}
    X : array-like of shape (n, d)
    groups : array-like of shape (n,), optional
        Group codes of the rows; passed as ``sensitive_features`` when not None.
    clusters : array-like of shape (n,), optional
        Cluster codes of the rows; passed as ``clusters`` when not None.

    Returns
    -------
    numpy.ndarray
    """
    return np.asarray(call_with_groups(model, method, X, groups, clusters=clusters))


def rows_output(model: Any, method: str, rows: Any, index: Any = None) -> np.ndarray:
    """:func:`model_output` on a :class:`LabelledSet` or :class:`Pool`: its features with
    its groups *and* its clusters.

    Strategies that score the validation, labelled or pool rows with a model go through
    this one function, so a mixed-effects learner (Fair MEDL) makes its mixed-effects
    prediction from the rows' clusters there, as the loop's own predictions do, instead
    of falling back to its fixed-effects head.

    Parameters
    ----------
    model : estimator
        A fitted model.
    method : {"predict", "predict_proba", "decision_function"}
    rows : LabelledSet or Pool
    index : array-like of int or bool, optional
        Only these rows (positions or a mask into ``rows``).

    Returns
    -------
    numpy.ndarray
        ``model.<method>`` of the rows, shape (n,) or (n, n_classes).
    """
    X, groups, clusters = rows.X, rows.groups, rows.clusters
    if index is not None:
        X, groups = X[index], np.asarray(groups)[index]
        clusters = None if clusters is None else np.asarray(clusters)[index]
    return model_output(model, method, X, groups, clusters)


@dataclass(frozen=True, eq=False)
class LabelledSet:
    """Rows whose labels are known: features (as the model sees them), labels, groups.

    ``clusters`` holds the rows' cluster codes when the data has clusters, else None.
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    clusters: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass(frozen=True, eq=False)
class Pool:
    """Unlabelled candidate rows: features (as the model sees them), groups, clusters.

    ``clusters`` holds the rows' cluster codes when the data has clusters, else None.
    """

    X: np.ndarray
    groups: np.ndarray
    clusters: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass(frozen=True, eq=False)
class QueryState:
    """Everything a :class:`~fairpool.active.Strategy` may use to choose.

    Parameters
    ----------
    model : estimator
        The learner fitted on ``labelled``; has ``predict_proba``.
    labelled : LabelledSet
        The labelled data the model was fitted on.
    pool : Pool
        The candidates. ``select`` returns positions ``0 .. len(pool) - 1``.
    validation : LabelledSet
        A labelled reference set for measuring disparity (the split's validation
        part where it has one, otherwise the labelled set itself).
    group_names : tuple of str
        Names of the group codes used in ``groups`` arrays.
    feature_names : tuple of str
        Names of the feature columns.
    make_learner : callable
        Returns a fresh, unfitted copy of the loop's learner (for strategies that
        retrain, such as FAL).
    round : int
        Zero-based round number.
    info : mapping
        The dataset's ``info`` (sensitive attribute names, causal features, ...).
    """

    model: Any
    labelled: LabelledSet
    pool: Pool
    validation: LabelledSet
    group_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    make_learner: Callable[[], Any]
    round: int = 0
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_groups(self) -> int:
        """Number of group codes."""
        return len(self.group_names)

    @cached_property
    def pool_proba(self) -> np.ndarray:
        """``model.predict_proba(pool.X)``, computed once per state and shared."""
        return np.asarray(
            model_output(self.model, "predict_proba", self.pool.X, self.pool.groups,
                         self.pool.clusters),
            dtype=np.float64,
        )
