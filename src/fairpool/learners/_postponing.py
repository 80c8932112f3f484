"""Training on the labelled rows a strategy has not postponed: Falcon's learner side.

Falcon (Tae et al., PVLDB 17(5), 2024, §4.2) labels rows aimed at a target label and
*postpones* those whose revealed label misses it: they stay labelled but are not
trained on until later. The strategy (:class:`fairpool.active.strategies.FalconSampling`)
announces its targets to a :class:`PostponementLedger`; the :class:`PostponingClassifier`
it wraps around the loop's learner reads the ledger at every refit and leaves the
postponed rows out. Neither the strategy nor the ledger sees a pool label; only the
fit, which receives the labelled set, resolves the announcements.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import get_tags

from fairpool.errors import InvalidInputError, LengthMismatchError
from fairpool.learners._validation import call_with_groups, check_fit_input, check_predict_input

__all__ = ["PostponementLedger", "PostponingClassifier"]


class PostponementLedger:
    """Which labelled rows Falcon holds back from training, shared by strategy and model.

    The strategy announces, at each selection, the target label of every pick
    (-1 for picks that are not fairness-targeted) and the labelled-set size at
    that moment. The loop appends the picks, in the order returned, to the
    labelled set and refits; at that refit :meth:`resolve` sees the revealed
    labels of the new rows and marks those outside their target as postponed.
    Postponed rows are identified by their position in the labelled set, which
    only grows by appending (``ActiveLearner.teach``); a labelled set smaller
    than the last one seen means a new campaign and clears the ledger.

    A ledger is a shared handle: copying it (``copy.deepcopy``, and so
    ``sklearn.base.clone`` of a :class:`PostponingClassifier`) returns the same
    object, so every refit of the loop's cloned learner reads the same record.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every postponed row and pending announcement."""
        self.postponed = np.empty(0, dtype=np.int64)
        self.last_postponed = 0
        self._start: int | None = None
        self._targets: np.ndarray | None = None
        self._n_seen = 0

    def expect(self, n_labelled: int, targets: np.ndarray) -> None:
        """Announce picks about to be labelled: ``targets[j]`` is pick ``j``'s target label."""
        self._start = int(n_labelled)
        self._targets = np.asarray(targets, dtype=np.int64)

    def resolve(self, y: np.ndarray) -> np.ndarray:
        """Mark newly revealed off-target rows; return the mask of rows to train on.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Labels of the whole labelled set, in the loop's order.

        Returns
        -------
        ndarray of bool, shape (n,)
        """
        y = np.asarray(y)
        n = y.shape[0]
        if n < self._n_seen:
            self.clear()
        if self._targets is not None and self._start is not None:
            if n == self._start + self._targets.shape[0]:
                revealed = y[self._start:].astype(np.int64)
                off = (self._targets >= 0) & (revealed != self._targets)
                self.postponed = np.concatenate([self.postponed, self._start + np.flatnonzero(off)])
                self.last_postponed = int(off.sum())
            else:  # the loop taught something else than the picks: nothing to attribute
                self.last_postponed = 0
            self._targets = None
        self._n_seen = n
        keep = np.ones(n, dtype=bool)
        keep[self.postponed[self.postponed < n]] = False
        return keep

    def state_dict(self) -> dict[str, Any]:
        """The record as plain values and arrays, for resuming a campaign in another process.

        Returns
        -------
        dict
            ``postponed`` (int64 positions in the labelled set), ``last_postponed``,
            ``start`` and ``targets`` (the pending announcement, None when resolved)
            and ``n_seen`` (the labelled-set size at the last resolve).
        """
        return {
            "postponed": self.postponed.copy(),
            "last_postponed": int(self.last_postponed),
            "start": self._start,
            "targets": None if self._targets is None else self._targets.copy(),
            "n_seen": int(self._n_seen),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` in place (the ledger is shared with the learner).

        Raises
        ------
        InvalidInputError
            A key is missing or has the wrong shape.
        """
        required = ("postponed", "last_postponed", "start", "targets", "n_seen")
        missing = [k for k in required if k not in state]
        if missing:
            raise InvalidInputError(f"the postponement ledger's state lacks {missing}")
        postponed = np.asarray(state["postponed"], dtype=np.int64)
        targets = state["targets"]
        targets = None if targets is None else np.asarray(targets, dtype=np.int64)
        if postponed.ndim != 1 or (targets is not None and targets.ndim != 1):
            raise InvalidInputError("the postponement ledger's positions must be 1-D arrays")
        self.postponed = postponed.copy()
        self.last_postponed = int(state["last_postponed"])
        self._start = None if state["start"] is None else int(state["start"])
        self._targets = None if targets is None else targets.copy()
        self._n_seen = int(state["n_seen"])

    def __deepcopy__(self, memo: dict) -> PostponementLedger:
        return self

    def __repr__(self) -> str:
        return f"PostponementLedger(n_postponed={self.postponed.shape[0]})"


class PostponingClassifier(ClassifierMixin, BaseEstimator):
    """A learner that trains on the labelled rows Falcon has not postponed.

    Parameters
    ----------
    base : estimator
        Unfitted classifier; cloned at every fit.
    ledger : PostponementLedger, optional
        The record shared with :class:`FalconSampling`; without one nothing is
        postponed.

    Attributes
    ----------
    estimator_ : estimator
        ``base`` fitted on the kept rows.
    classes_ : ndarray
    n_postponed_ : int
        Rows left out of the last fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    ``sensitive_features`` and ``sample_weight`` are fit metadata, both optional:
    given, they are passed on (restricted to the kept rows) to ``base`` -- the
    groups only when its ``fit`` takes them. Inside a scikit-learn ``Pipeline``
    with metadata routing enabled, request them with ``set_fit_request``.
    NaN in ``X`` is left to ``base`` (the tag ``allow_nan`` is ``base``'s).
    """

    def __init__(self, base: Any, *, ledger: PostponementLedger | None = None) -> None:
        self.base = base
        self.ledger = ledger

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: NaN in ``X`` is allowed when ``base`` allows it."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self.base).input_tags.allow_nan
        return tags

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sensitive_features: Any = None,
        sample_weight: Any = None,
        clusters: Any = None,
    ) -> PostponingClassifier:
        """Fit ``base`` on the rows of ``(X, y)`` that are not postponed.

        If leaving the postponed rows out would leave a single class, every row is
        used for this fit (the base learner could not be fitted otherwise).

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Labels of the labelled set, in the loop's order.
        sensitive_features : array-like of shape (n,), optional
            Group of each row, passed on to ``base`` when its ``fit`` takes them.
        sample_weight : array-like of shape (n,), optional
            Passed on to ``base``.
        clusters : array-like of shape (n,), optional
            Cluster of each row, passed on to ``base`` when its ``fit`` takes them (a
            mixed-effects learner).

        Returns
        -------
        self

        Raises
        ------
        LengthMismatchError
            ``y``, ``sensitive_features``, ``sample_weight`` or ``clusters`` does not
            have one entry per row of ``X``.
        InvalidInputError
            ``X`` is not a non-empty 2-D array, or ``y`` is continuous.
        """
        X, y = check_fit_input(self, X, y, dtype=None, finite=False)
        for name, values in (
            ("sensitive_features", sensitive_features), ("sample_weight", sample_weight),
            ("clusters", clusters),
        ):
            if values is not None and np.asarray(values).shape != (X.shape[0],):
                raise LengthMismatchError(
                    f"{name} must have shape ({X.shape[0]},) to match X, "
                    f"got {np.asarray(values).shape}"
                )
        keep = np.ones(y.shape[0], dtype=bool) if self.ledger is None else self.ledger.resolve(y)
        if np.unique(y[keep]).shape[0] < 2 <= np.unique(y).shape[0]:
            keep[:] = True
        model = clone(self.base)
        accepted = inspect.signature(model.fit).parameters
        options: dict[str, Any] = {}
        if sensitive_features is not None and "sensitive_features" in accepted:
            options["sensitive_features"] = np.asarray(sensitive_features)[keep]
        if sample_weight is not None:
            options["sample_weight"] = np.asarray(sample_weight)[keep]
        if clusters is not None and "clusters" in accepted:
            options["clusters"] = np.asarray(clusters)[keep]
        model.fit(X[keep], y[keep], **options)
        self.estimator_ = model
        self.classes_ = getattr(model, "classes_", np.unique(y[keep]))
        self.n_postponed_ = int((~keep).sum())
        return self

    def predict_proba(self, X: Any, sensitive_features: Any = None, clusters: Any = None
                      ) -> np.ndarray:
        """``estimator_.predict_proba(X)``, shape (n, n_classes).

        ``sensitive_features`` (the rows' groups) and ``clusters`` reach a wrapped model
        that takes them.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        """
        X = check_predict_input(self, X, attribute="estimator_", dtype=None, finite=False)
        return call_with_groups(self.estimator_, "predict_proba", X, sensitive_features,
                                clusters=clusters)

    def predict(self, X: Any, sensitive_features: Any = None, clusters: Any = None
                ) -> np.ndarray:
        """``estimator_.predict(X)``, shape (n,).

        ``sensitive_features`` (the rows' groups) reach a wrapped model that takes them
        (per-group thresholds under Falcon's postponement), ``clusters`` a mixed-effects
        model.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        """
        X = check_predict_input(self, X, attribute="estimator_", dtype=None, finite=False)
        return call_with_groups(self.estimator_, "predict", X, sensitive_features,
                                clusters=clusters)
