"""A classifier trained under a fairness constraint by fairlearn's exponentiated gradient.

:class:`FairReductionClassifier` wraps any scikit-learn classifier whose ``fit``
takes ``sample_weight`` (the base learner) in
:class:`fairlearn.reductions.ExponentiatedGradient` (Agarwal et al., "A Reductions
Approach to Fair Classification", ICML 2018). The reduction itself is fairlearn's;
this module only gives it the learner API the active-learning loop expects:
``fit(X, y, *, sensitive_features)``, ``predict_proba`` and a *seeded* ``predict``.

The reduction returns a randomised classifier: a distribution (``weights_``) over
best-response classifiers. ``predict_proba`` is that randomised classifier's
probability mass function (fairlearn's ``_pmf_predict``): the probability that it
answers 1 is the total weight of the best responses that predict 1. ``predict``
draws from that distribution exactly as fairlearn's ``predict`` does, with
``random_state`` fixed so the same model gives the same labels on every call.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    SingleGroupError,
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
        The fitted reduction.
    classes_ : ndarray
        ``array([0, 1])``.

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

    def fit(
        self, X: Any, y: Any, *, sensitive_features: Any
    ) -> FairReductionClassifier:
        """Fit the reduction on ``(X, y)`` with the groups ``sensitive_features``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Binary labels in {0, 1}.
        sensitive_features : array-like of shape (n,)
            Group of each row; at least two distinct groups.

        Raises
        ------
        InvalidInputError
            Bad ``constraint``, ``eps`` or ``max_iter``, or a base learner whose
            ``fit`` takes no ``sample_weight``.
        NonBinaryLabelError
            If ``y`` holds values other than 0 and 1.
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
        X = np.asarray(X)
        y = np.asarray(y)
        groups = np.asarray(sensitive_features)
        if X.ndim != 2:
            raise InvalidInputError(f"X must be 2-D (n, d), got shape {X.shape}")
        for arg, arr in (("y", y), ("sensitive_features", groups)):
            if arr.shape != (X.shape[0],):
                raise LengthMismatchError(
                    f"{arg} must have shape ({X.shape[0]},) to match X, got {arr.shape}"
                )
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise MissingValueError("y contains NaN")
        labels = np.unique(y)
        if not np.isin(labels, (0, 1)).all():
            raise NonBinaryLabelError(
                f"y must hold binary labels 0/1 for a fairness reduction, got {labels[:5].tolist()}"
            )
        if np.unique(groups).size < 2:
            raise SingleGroupError(
                "sensitive_features holds a single group: a fairness constraint needs at "
                "least two groups among the rows it is fitted on"
            )
        self.reduction_ = ExponentiatedGradient(
            base, _moment(constraint, eps), eps=eps, max_iter=int(self.max_iter)
        )
        self.reduction_.fit(X, y.astype(np.int64), sensitive_features=groups)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability that the randomised classifier answers 0 and 1, shape (n, 2)."""
        check_is_fitted(self, "reduction_")
        return np.asarray(self.reduction_._pmf_predict(np.asarray(X)), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Labels drawn from the randomised classifier with seed ``random_state``.

        Identical to ``reduction_.predict(X, random_state=random_state)``.
        """
        check_is_fitted(self, "reduction_")
        return np.asarray(
            self.reduction_.predict(np.asarray(X), random_state=self.random_state), dtype=np.int64
        )
