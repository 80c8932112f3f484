"""What the two torch in-processing mitigations share: fit-input checks and prediction.

:class:`~fairpool.mitigation.AdversarialDebiasingClassifier` and
:class:`~fairpool.mitigation.FairnessPenaltyClassifier` both train one of fairpool's
torch classifiers (:class:`~fairpool.learners.TorchLinearClassifier`,
:class:`~fairpool.learners.TorchMLPClassifier`) on the label codes 0/1 with a fairness
term, and predict through it. This module holds, once, the checks of their ``fit``
input (binary labels, required group labels, sample weights) and the delegation of
``decision_function`` / ``predict_proba`` / ``predict`` to the fitted torch model.
Written here because the checks combine fairpool's learner and metric validators
(:func:`~fairpool.learners.check_fit_input`,
:func:`~fairpool.metrics.encode_sensitive_features`,
:func:`~fairpool.metrics.as_sample_weight`) in the way both estimators need.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    NonBinaryLabelError,
)
from fairpool.learners import check_fit_input, check_predict_input, single_class_message
from fairpool.metrics import as_sample_weight, encode_sensitive_features

__all__ = ["FitInput", "GroupedTorchClassifier", "check_grouped_fit_input"]


@dataclass(frozen=True)
class FitInput:
    """Validated training data of a grouped binary classifier.

    Attributes
    ----------
    X : ndarray of shape (n, d)
    target : ndarray of int64, shape (n,)
        0 for ``classes[0]``, 1 for ``classes[1]``.
    classes : ndarray of shape (2,)
    groups : ndarray of int64, shape (n,)
        Group codes ``0 .. len(group_names) - 1``.
    group_names : tuple of str
    weight : ndarray of float64, shape (n,)
        The sample weights (ones when none were given).
    """

    X: np.ndarray
    target: np.ndarray
    classes: np.ndarray
    groups: np.ndarray
    group_names: tuple[str, ...]
    weight: np.ndarray


def check_grouped_fit_input(
    estimator: Any, X: Any, y: Any, sensitive_features: Any, sample_weight: Any
) -> FitInput:
    """Check the input of a grouped binary classifier's ``fit``.

    Sets ``n_features_in_`` (and ``feature_names_in_``) on ``estimator``.

    Parameters
    ----------
    estimator : estimator
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
        Two distinct labels.
    sensitive_features : array-like, Series or DataFrame
        One group label per row; several columns form intersectional groups.
    sample_weight : array-like of shape (n,) or None

    Returns
    -------
    FitInput

    Raises
    ------
    InvalidInputError
        ``sensitive_features`` missing, a single class in ``y``, or bad ``X``.
    NonBinaryLabelError
        More than two classes in ``y``.
    LengthMismatchError
        ``y``, ``sensitive_features`` or ``sample_weight`` of another length than ``X``.
    MissingValueError
        NaN in ``X``, ``y`` or ``sensitive_features``.

    Warns
    -----
    UserWarning
        A single group: the fairness term has nothing to compare (what each
        estimator then does is in its docstring).
    """
    name = type(estimator).__name__
    X, y = check_fit_input(estimator, X, y)
    if sensitive_features is None:
        raise InvalidInputError(
            f"{name}.fit needs sensitive_features=: one group label per row of X "
            "(it cannot mitigate a disparity between groups it does not know)"
        )
    classes, target = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise InvalidInputError(single_class_message(classes[0]))
    if classes.shape[0] > 2:
        raise NonBinaryLabelError(
            f"Only binary classification is supported by {name}; y has "
            f"{classes.shape[0]} classes {classes.tolist()!r}: map them to two classes first"
        )
    encoded = encode_sensitive_features(sensitive_features)
    groups = np.asarray(encoded.codes, dtype=np.int64)
    if groups.shape[0] != X.shape[0]:
        raise LengthMismatchError(
            f"sensitive_features has {groups.shape[0]} rows, X has {X.shape[0]}: "
            "pass one group label per row"
        )
    weight = as_sample_weight(sample_weight, X.shape[0])
    if weight is None:
        weight = np.ones(X.shape[0])
    if len(encoded.names) < 2:
        warnings.warn(
            f"{name}.fit got a single group ({encoded.names[0]!r}) in sensitive_features: "
            "there is no disparity to mitigate, so the classifier is fitted without "
            "its fairness term",
            UserWarning,
            stacklevel=3,
        )
    return FitInput(
        X=X,
        target=target.astype(np.int64),
        classes=classes,
        groups=groups,
        group_names=tuple(encoded.names),
        weight=weight,
    )


class GroupedTorchClassifier(ClassifierMixin, BaseEstimator):
    """Prediction shared by the torch mitigations: through the fitted ``estimator_``.

    ``estimator_`` is a fitted fairpool torch classifier trained on the label codes
    0/1; ``classes_`` holds the original labels.
    """

    def __sklearn_tags__(self) -> Any:
        """Binary classification only."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def decision_function(self, X: Any) -> np.ndarray:
        """The logit of ``classes_[1]`` for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` with another number of features (or other names) than in ``fit``.
        MissingValueError
            NaN or infinity in ``X``.
        """
        X = check_predict_input(self, X, attribute="estimator_")
        return self.estimator_.decision_function(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``; no groups needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        X = check_predict_input(self, X, attribute="estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class of each row (threshold 0.5).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)  # checks the fit before classes_ is read
        return self.classes_[(scores > 0).astype(np.int64)]
