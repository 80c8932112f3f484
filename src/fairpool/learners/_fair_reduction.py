"""A classifier trained under a fairness constraint by fairlearn's exponentiated gradient.

:class:`FairReductionClassifier` wraps any scikit-learn classifier whose ``fit``
takes ``sample_weight`` (the base learner) in
:class:`fairlearn.reductions.ExponentiatedGradient` (Agarwal et al., "A Reductions
Approach to Fair Classification", ICML 2018). The reduction itself is fairlearn's;
this module only gives it the learner API the active-learning loop expects:
``fit(X, y, *, sensitive_features)``, ``predict_proba`` and a *seeded* ``predict``.

The reduction returns a randomised classifier: a distribution (``weights_``) over
best-response classifiers (``predictors_``). ``predict_proba`` is that randomised
classifier's probability mass function, computed from those two public attributes
as fairlearn computes it for its ``predict``: the probability that it answers the
positive class is the total weight of the best responses that predict it.
``predict`` draws from that distribution with fairlearn's ``predict``, with
``random_state`` fixed so the same model gives the same labels on every call.

``sensitive_features`` is fit metadata: inside a scikit-learn ``Pipeline`` or
``cross_val_score`` with metadata routing enabled, request it with
``set_fit_request(sensitive_features=True)``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.learners._validation import (
    check_fit_input,
    check_predict_input,
    single_class_message,
)
from fairpool.metrics import check_disparity_name

__all__ = ["FairReductionClassifier", "FairnessConstraint", "FAIRNESS_CONSTRAINTS", "check_eps"]

#: ``"error_rate"`` is the alias of ``"error_rate_parity"`` (fairlearn's ErrorRateParity).
FairnessConstraint = Literal[
    "demographic_parity", "error_rate_parity", "error_rate", "equalized_odds"
]
#: The constraint names :class:`FairReductionClassifier` accepts.
FAIRNESS_CONSTRAINTS: tuple[str, ...] = (
    "demographic_parity", "error_rate_parity", "equalized_odds"
)


def check_eps(eps: float) -> float:
    """Validate a constraint bound ``eps`` (a rate difference) and return it as a float.

    Raises
    ------
    InvalidInputError
        If ``eps`` is not a real number in the open interval (0, 1).
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"eps must be a number in (0, 1), got {eps!r}")
    eps = float(eps)
    if not math.isfinite(eps) or not 0.0 < eps < 1.0:
        raise InvalidInputError(f"eps must be a number in (0, 1), got {eps!r}")
    return eps


def check_constraint(constraint: str) -> str:
    """Validate a constraint name against :data:`FAIRNESS_CONSTRAINTS` (the vocabulary of
    :mod:`fairpool.metrics`; ``"error_rate_parity"`` may be spelt ``"error_rate"``).

    Returns
    -------
    str
        ``constraint`` as given.

    Raises
    ------
    InvalidInputError
        It names no disparity the reduction supports.
    """
    return check_disparity_name(
        constraint, ("demographic_parity", "error_rate_parity", "equalized_odds"),
        argument="constraint",
    )


def _moment(constraint: str, eps: float) -> Any:
    """The fairlearn moment for ``constraint`` with difference bound ``eps``."""
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ErrorRateParity

    moments = {
        "demographic_parity": DemographicParity,
        "error_rate_parity": ErrorRateParity,
        "equalized_odds": EqualizedOdds,
    }
    name = check_disparity_name(constraint, tuple(moments), argument="constraint", canonical=True)
    return moments[name](difference_bound=eps)


class FairReductionClassifier(ClassifierMixin, BaseEstimator):
    """A binary classifier fitted under a fairness constraint by exponentiated gradient.

    Parameters
    ----------
    base : estimator, optional
        Unfitted scikit-learn classifier whose ``fit`` accepts ``sample_weight``;
        cloned for every fit. Defaults to ``LogisticRegression(max_iter=1000)``.
    constraint : {"demographic_parity", "error_rate_parity", "equalized_odds"}
        Default ``"demographic_parity"``.
        fairlearn's ``DemographicParity``, ``ErrorRateParity`` or ``EqualizedOdds``.
    eps : float, default=0.04
        The constraint's difference bound. fairlearn bounds each group's rate
        against the *overall* rate, so the largest pairwise gap the constraint
        allows is ``2 * eps``; ``eps`` also sets the reduction's Lagrange-multiplier
        bound ``B = 1 / eps``, as in fairlearn.
    max_iter : int, default=50
        Iterations of exponentiated gradient.
    random_state : int, default=0
        Seed of the randomised ``predict``.

    Attributes
    ----------
    reduction_ : fairlearn.reductions.ExponentiatedGradient
        The fitted reduction (trained on the label codes 0 and 1).
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``array([0, 1])`` when the labels are 0 and 1
        (of any numeric dtype). The second is the positive class of the constraint.
    n_iter_ : int
        Iterations of exponentiated gradient run.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); g = (X[:, 0] > 0).astype(int)
    >>> y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    >>> clf = FairReductionClassifier(eps=0.05).fit(X, y, sensitive_features=g)
    >>> clf.predict_proba(X).shape
    (200, 2)
    """

    def __init__(
        self,
        base: Any = None,
        *,
        constraint: FairnessConstraint = "demographic_parity",
        eps: float = 0.04,
        max_iter: int = 50,
        random_state: int = 0,
    ) -> None:
        self.base = base
        self.constraint = constraint
        self.eps = eps
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a binary classifier."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(
        self, X: Any, y: Any, *, sensitive_features: Any = None
    ) -> FairReductionClassifier:
        """Fit the reduction on ``(X, y)`` with the groups ``sensitive_features``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Labels of two classes (the larger one is the positive class).
        sensitive_features : array-like of shape (n,)
            Group of each row; at least two distinct groups. Required: it is
            optional in the signature only so that its absence gets a clear error.
            In a ``Pipeline`` with metadata routing enabled, request it with
            ``set_fit_request(sensitive_features=True)``.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Bad ``constraint``, ``eps`` or ``max_iter``, a base learner whose
            ``fit`` takes no ``sample_weight``, no ``sensitive_features``, a single
            class in ``y``, or ``X`` that is not a non-empty numeric 2-D array.
        NonBinaryLabelError
            If ``y`` holds more than two classes.
        LengthMismatchError
            ``y`` or ``sensitive_features`` does not have one entry per row of ``X``.
        MissingValueError
            NaN or infinity in ``X``, NaN in ``y``.
        SingleGroupError
            If ``sensitive_features`` holds a single group.
        """
        from fairlearn.reductions import ExponentiatedGradient

        constraint = check_constraint(self.constraint)
        eps = check_eps(self.eps)
        max_iter = self.max_iter
        if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
            raise InvalidInputError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        base = LogisticRegression(max_iter=1000) if self.base is None else clone(self.base)
        if "sample_weight" not in inspect.signature(base.fit).parameters:
            raise InvalidInputError(
                f"base learner {type(base).__name__} must accept sample_weight in fit: "
                "the reduction reweights the rows it trains on"
            )
        X, y = check_fit_input(self, X, y)
        if sensitive_features is None:
            raise InvalidInputError(
                "FairReductionClassifier.fit needs sensitive_features (the group of each "
                "row): call fit(X, y, sensitive_features=groups); in a Pipeline or "
                "cross_val_score, enable metadata routing and call "
                "set_fit_request(sensitive_features=True)"
            )
        groups = np.asarray(sensitive_features)
        if groups.shape != (X.shape[0],):
            raise LengthMismatchError(
                f"sensitive_features must have shape ({X.shape[0]},) to match X, "
                f"got {groups.shape}"
            )
        labels, codes = np.unique(y, return_inverse=True)
        if labels.shape[0] < 2:
            raise InvalidInputError(single_class_message(labels[0]))
        if labels.shape[0] > 2:
            raise NonBinaryLabelError(
                "Only binary classification is supported. The fairness reduction needs y "
                f"to hold two classes, got {labels.shape[0]}: {labels[:5].tolist()}"
            )
        if np.unique(groups).size < 2:
            raise SingleGroupError(
                "sensitive_features holds a single group: a fairness constraint needs at "
                "least two groups among the rows it is fitted on"
            )
        self.reduction_ = ExponentiatedGradient(
            base, _moment(constraint, eps), eps=eps, max_iter=int(self.max_iter)
        )
        self.reduction_.fit(X, codes.astype(np.int64), sensitive_features=groups)
        numeric = labels.dtype.kind in "biuf"
        # Labels 0 and 1 of any numeric dtype are reported as the integers 0 and 1.
        self.classes_ = np.array([0, 1]) if numeric and set(labels.tolist()) == {0, 1} else labels
        self.n_iter_ = int(self.reduction_.last_iter_) + 1
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability that the randomised classifier answers each class.

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of float64, shape (n, 2)
            Columns ordered as ``classes_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        """
        X = check_predict_input(self, X, attribute="reduction_")
        reduction = self.reduction_
        # The probability mass function of fairlearn's randomised classifier, from its
        # public attributes, with the operations (and so the rounding) fairlearn uses.
        predictions = {}
        for t in range(len(reduction.predictors_)):
            if reduction.weights_[t] == 0:
                predictions[t] = np.zeros(len(X))
            else:
                predictions[t] = reduction.predictors_[t].predict(X)
        table = pd.DataFrame(predictions)
        positive = table[reduction.weights_.index].dot(reduction.weights_).to_frame()
        return np.asarray(np.concatenate((1 - positive, positive), axis=1), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Labels drawn from the randomised classifier with seed ``random_state``.

        ``classes_[reduction_.predict(X, random_state=random_state)]``.

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of shape (n,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        """
        X = check_predict_input(self, X, attribute="reduction_")
        draws = np.asarray(
            self.reduction_.predict(X, random_state=self.random_state), dtype=np.int64
        )
        return self.classes_[draws]
