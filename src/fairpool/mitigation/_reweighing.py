"""Reweighing (Kamiran & Calders 2012): per-row weights that make the label independent
of the group, and a meta-estimator that trains any learner with them.

Kamiran and Calders ("Data preprocessing techniques for classification without
discrimination", Knowledge and Information Systems 33(1), 2012, section 4.2,
"Reweighing") give each row of group ``g`` and label ``y`` the weight

    w(g, y) = P(g) * P(y) / P(g, y),

the probability the cell would have if group and label were independent divided by the
probability it has. Under these weights ``P_w(y | g) = P(y)`` for every group: the
weighted data has demographic parity, and a learner trained on it sees no association
between group and label.

Written by hand because no installed library does it for fairpool's data: fairlearn has
no reweighing (its users have asked for one since 2021) and AIF360's ``Reweighing``
needs its own ``BinaryLabelDataset`` type. The formula is a few lines of counting.

Empty cells. A (group, label) cell with no rows gives no row a weight, so the formula
is always defined for the rows that exist. But when a group lacks a label that other
groups have (a group with no positives, say), its rows of the other label all get the
weight ``P(y)``, and no weighting can give that group a positive rate: the weighted
data cannot reach parity. :func:`reweighing_weights` then warns (a ``UserWarning`` that
names the group and the missing label) and returns the formula's weights for the rows
that exist. It warns rather than raises because the active-learning loop fits on small
labelled sets where such a group is common in the first rounds, and the weights are
still the best the data allow. A single group also warns: every weight is then 1.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from fairpool.errors import InvalidInputError, LengthMismatchError
from fairpool.learners import check_fit_input, check_predict_input, single_class_message
from fairpool.metrics import as_checked_array, as_sample_weight, encode_sensitive_features

__all__ = ["Reweighing", "reweighing_weights"]


def _group_codes(sensitive_features: Any, n: int, owner: str) -> tuple[np.ndarray, tuple]:
    """Integer group codes and names of ``sensitive_features``, one per row of ``n``."""
    if sensitive_features is None:
        raise InvalidInputError(
            f"{owner} needs sensitive_features (the group of each row): pass "
            "sensitive_features=groups; in a Pipeline or cross_val_score enable metadata "
            "routing and call set_fit_request(sensitive_features=True)"
        )
    encoded = encode_sensitive_features(sensitive_features)
    codes = np.asarray(encoded.codes)
    if codes.shape[0] != n:
        raise LengthMismatchError(
            f"sensitive_features has {codes.shape[0]} rows but y has {n}: give one group "
            "per row"
        )
    return codes, tuple(encoded.names)


def reweighing_weights(
    y: Any, *, sensitive_features: Any, sample_weight: Any = None
) -> np.ndarray:
    """Kamiran & Calders' reweighing weights ``P(g) P(y) / P(g, y)``, one per row.

    The probabilities are the empirical frequencies of the rows (weighted by
    ``sample_weight`` when given). Under the returned weights (times ``sample_weight``)
    the label is independent of the group: ``P_w(y | g) = P(y)`` for every group that
    holds every label.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels (any number of classes).
    sensitive_features : array-like of shape (n,), or DataFrame / dict of columns
        Group of each row; several columns make intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights: the frequencies are weighted sums. The returned
        weights do not include them; train with ``sample_weight * weights``. A row
        whose (group, label) cell has total weight 0 gets weight 0.

    Returns
    -------
    ndarray of float64, shape (n,)
        Row ``i`` of group ``g`` and label ``c`` gets
        ``(W_g / W) * (W_c / W) / (W_gc / W)`` where ``W_*`` are the (weighted) counts.

    Raises
    ------
    LengthMismatchError
        ``sensitive_features`` or ``sample_weight`` has another length than ``y``.
    MissingValueError
        NaN or None in ``y``, ``sensitive_features`` or ``sample_weight``.
    InvalidInputError
        ``y`` is not 1-D or is empty, ``sensitive_features`` is None, or the weights are
        negative or all zero.

    Warns
    -----
    UserWarning
        A group lacks a label that the data hold (e.g. a group with no positives): the
        weighted data cannot reach parity for that group; the message names the group
        and the label. Also when there is a single group (every weight is then 1).

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for classification without
    discrimination", Knowledge and Information Systems 33(1):1-33, 2012, section 4.2.

    Examples
    --------
    >>> y = [1, 1, 0, 0, 0, 1]
    >>> g = ["a", "a", "a", "b", "b", "b"]
    >>> reweighing_weights(y, sensitive_features=g).round(3).tolist()
    [0.75, 0.75, 1.5, 0.75, 0.75, 1.5]
    """
    labels = as_checked_array(y, "y")
    if labels.ndim != 1 or labels.shape[0] == 0:
        raise InvalidInputError(
            f"y must be a non-empty 1-D array of labels, got shape {labels.shape}"
        )
    n = labels.shape[0]
    groups, names = _group_codes(sensitive_features, n, "reweighing_weights")
    weights = as_sample_weight(sample_weight, n)
    if weights is None:
        weights = np.ones(n)
    classes, label_codes = np.unique(labels, return_inverse=True)
    mass = np.zeros((len(names), classes.shape[0]))
    np.add.at(mass, (groups, label_codes), weights)
    total = mass.sum()
    p_group = mass.sum(axis=1) / total
    p_label = mass.sum(axis=0) / total
    p_cell = mass / total
    factor = np.divide(
        np.outer(p_group, p_label), p_cell, out=np.zeros_like(p_cell), where=p_cell > 0
    )
    present = p_group > 0
    if present.sum() < 2:
        warnings.warn(
            "reweighing_weights got a single group (" + ", ".join(
                repr(names[i]) for i in np.flatnonzero(present)
            ) + "): group and label are already independent, every weight is 1",
            UserWarning, stacklevel=2,
        )
    else:
        for g in np.flatnonzero(present):
            missing = [classes[k] for k in np.flatnonzero((mass[g] == 0) & (p_label > 0))]
            if missing:
                warnings.warn(
                    f"group {names[g]!r} has no rows with label(s) "
                    f"{[m.item() if hasattr(m, 'item') else m for m in missing]}: "
                    "reweighing cannot give it the other groups' label rates, so the "
                    "weighted data do not reach parity for it; its rows keep the "
                    "formula's weights P(g)P(y)/P(g,y)",
                    UserWarning, stacklevel=2,
                )
    return factor[groups, label_codes]


class Reweighing(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train ``estimator`` with Kamiran & Calders' reweighing weights.

    ``fit`` computes :func:`reweighing_weights` from ``y`` and the groups and fits a
    clone of ``estimator`` with ``sample_weight`` equal to those weights (times the
    given ``sample_weight``). Prediction needs no groups: it is the fitted estimator's.

    Parameters
    ----------
    estimator : classifier, optional
        Unfitted scikit-learn classifier whose ``fit`` takes ``sample_weight``.
        Default ``LogisticRegression(max_iter=1000)``.

    Attributes
    ----------
    estimator_ : classifier
        The clone of ``estimator`` fitted with the weights.
    weights_ : ndarray of shape (n,)
        The reweighing weights of the training rows (without ``sample_weight``).
    classes_ : ndarray
        The estimator's classes.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for classification without
    discrimination", Knowledge and Information Systems 33(1):1-33, 2012, section 4.2.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); g = (X[:, 0] > 0).astype(int)
    >>> y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    >>> clf = Reweighing().fit(X, y, sensitive_features=g)
    >>> clf.predict_proba(X).shape
    (200, 2)
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def _estimator(self) -> Any:
        return LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator

    def fit(
        self, X: Any, y: Any, *, sensitive_features: Any = None, sample_weight: Any = None
    ) -> Reweighing:
        """Fit a clone of ``estimator`` on ``(X, y)`` weighted by reweighing.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Labels; at least two classes.
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row. Required (optional in the signature only so its absence
            gets a clear error). With metadata routing, request it with
            ``set_fit_request(sensitive_features=True)``.
        sample_weight : array-like of shape (n,), optional
            Row weights; the frequencies are weighted by them and the estimator is
            fitted with ``sample_weight * reweighing_weights(...)``.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            An estimator whose ``fit`` takes no ``sample_weight``, no
            ``sensitive_features``, a single class in ``y``, bad ``X``.
        LengthMismatchError
            ``y``, ``sensitive_features`` or ``sample_weight`` has another length than X.
        MissingValueError
            NaN in ``X``, ``y``, ``sensitive_features`` or ``sample_weight``.
        TypeError
            Sparse ``X``.

        Warns
        -----
        UserWarning
            As :func:`reweighing_weights`: a group without some label, or one group.
        """
        estimator = clone(self._estimator())
        if not has_fit_parameter(estimator, "sample_weight"):
            raise InvalidInputError(
                f"Reweighing needs an estimator whose fit takes sample_weight; "
                f"{type(estimator).__name__}.fit does not. Use a learner that accepts "
                "weights (LogisticRegression, gradient boosting, ...) or resample instead "
                "(fp.mitigation.ResampledClassifier)"
            )
        X, y = check_fit_input(self, X, y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        weights = reweighing_weights(
            y, sensitive_features=sensitive_features, sample_weight=sample_weight
        )
        given = as_sample_weight(sample_weight, y.shape[0])
        estimator.fit(X, y, sample_weight=weights if given is None else given * weights)
        self.estimator_ = estimator
        self.weights_ = weights
        self.classes_ = estimator.classes_
        return self

    def _has(name: str):  # noqa: N805 - a decorator factory used in the class body
        def check(self: Reweighing) -> bool:
            if hasattr(self, "estimator_"):
                return hasattr(self.estimator_, name)
            return hasattr(self._estimator(), name)

        return check

    @available_if(_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        """The fitted estimator's labels for ``X``, shape (n,)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(check_predict_input(self, X, attribute="estimator_"))

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """The fitted estimator's class probabilities for ``X``, shape (n, n_classes)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(
            check_predict_input(self, X, attribute="estimator_")
        )

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """The fitted estimator's decision function for ``X``."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(
            check_predict_input(self, X, attribute="estimator_")
        )

    del _has
