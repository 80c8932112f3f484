"""A classifier trained under a fairness constraint by one of fairlearn's reductions.

:class:`FairReductionClassifier` wraps any scikit-learn classifier whose ``fit``
takes ``sample_weight`` (the base learner) in
:class:`fairlearn.reductions.ExponentiatedGradient` (Agarwal et al., "A Reductions
Approach to Fair Classification", ICML 2018) or, with ``method="grid_search"``, in
:class:`fairlearn.reductions.GridSearch` (the same paper's grid over the Lagrange
multipliers, Section 3.4). The reductions themselves are fairlearn's;
this module only gives them the learner API the active-learning loop expects:
``fit(X, y, *, sensitive_features)``, ``predict_proba`` and a *seeded* ``predict``.

Grid search returns one deterministic classifier, the grid's best trade-off of error
and constraint violation (``best_idx_``): ``predict`` and ``predict_proba`` are that
classifier's (0/1 probabilities when the base learner has no ``predict_proba``).

The reduction returns a randomised classifier: a distribution (``weights_``) over
best-response classifiers (``predictors_``). ``predict_proba`` is that randomised
classifier's probability mass function, computed from those two public attributes
as fairlearn computes it for its ``predict``: the probability that it answers the
positive class is the total weight of the best responses that predict it.
``predict`` draws from that distribution with fairlearn's ``predict``, with
``random_state`` fixed so the same model gives the same labels on every call.
(That is exponentiated gradient; grid search's one classifier needs no draw.)

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
from sklearn.utils import check_random_state

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

__all__ = [
    "FAIRNESS_CONSTRAINTS", "REDUCTION_METHODS", "FairReductionClassifier",
    "FairnessConstraint", "check_eps",
]

#: ``"error_rate"`` is the alias of ``"error_rate_parity"`` (fairlearn's ErrorRateParity).
FairnessConstraint = Literal[
    "demographic_parity", "error_rate_parity", "error_rate", "equalized_odds"
]
#: The constraint names :class:`FairReductionClassifier` accepts.
FAIRNESS_CONSTRAINTS: tuple[str, ...] = (
    "demographic_parity", "error_rate_parity", "equalized_odds"
)


#: The reductions :class:`FairReductionClassifier` runs (``method``).
REDUCTION_METHODS: tuple[str, ...] = ("exponentiated_gradient", "grid_search")


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
    """A binary classifier fitted under a fairness constraint by a fairlearn reduction.

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
        Iterations of exponentiated gradient (not used by grid search).
    random_state : int, default=0
        Seed of the randomised ``predict`` (exponentiated gradient only).
    method : {"exponentiated_gradient", "grid_search"}
        fairlearn's ``ExponentiatedGradient`` (a randomised classifier meeting the
        bound) or ``GridSearch`` (the best of ``grid_size`` deterministic classifiers
        by ``constraint_weight``; the bound is not enforced).
    grid_size : int, default=10
        Grid search: number of Lagrange-multiplier vectors tried (fairlearn's
        ``grid_size``).
    grid_limit : float, default=2.0
        Grid search: the multipliers range over ``[-grid_limit, grid_limit]``.
    constraint_weight : float in [0, 1], default=0.5
        Grid search: the best classifier minimises
        ``(1 - constraint_weight) * error + constraint_weight * violation``.

    Attributes
    ----------
    reduction_ : fairlearn.reductions.ExponentiatedGradient or GridSearch
        The fitted reduction (trained on the label codes 0 and 1). Not saved by
        ``skops.io`` (fairlearn's objects hold closures and DataFrames): a model loaded
        from a skops file lacks it and predicts from ``predictors_`` and ``weights_``.
    predictors_ : list of classifiers
        The reduction's fitted classifiers (fairlearn's ``predictors_``, in their order);
        for grid search only the best one (``best_idx_``).
    weights_ : ndarray of float64, shape (len(predictors_),)
        Exponentiated gradient: the randomised classifier's weight of each classifier
        (fairlearn's ``weights_``); grid search: ``[1.0]``.
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``array([0, 1])`` when the labels are 0 and 1
        (of any numeric dtype). The second is the positive class of the constraint.
    n_iter_ : int
        Iterations of exponentiated gradient run, or classifiers fitted by grid search.
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
    >>> grid = FairReductionClassifier(method="grid_search", grid_size=5)
    >>> grid.fit(X, y, sensitive_features=g).n_iter_
    5
    """

    def __init__(
        self,
        base: Any = None,
        *,
        constraint: FairnessConstraint = "demographic_parity",
        eps: float = 0.04,
        max_iter: int = 50,
        random_state: int = 0,
        method: Literal["exponentiated_gradient", "grid_search"] = "exponentiated_gradient",
        grid_size: int = 10,
        grid_limit: float = 2.0,
        constraint_weight: float = 0.5,
    ) -> None:
        self.base = base
        self.constraint = constraint
        self.eps = eps
        self.max_iter = max_iter
        self.random_state = random_state
        self.method = method
        self.grid_size = grid_size
        self.grid_limit = grid_limit
        self.constraint_weight = constraint_weight

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
            Bad ``constraint``, ``eps``, ``max_iter``, ``method``, ``grid_size``,
            ``grid_limit`` or ``constraint_weight``, a base learner whose
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
        constraint = check_constraint(self.constraint)
        self._check_method()
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
        self.reduction_ = self._reduction(base, constraint, eps)
        self.reduction_.fit(X, codes.astype(np.int64), sensitive_features=groups)
        numeric = labels.dtype.kind in "biuf"
        # Labels 0 and 1 of any numeric dtype are reported as the integers 0 and 1.
        self.classes_ = np.array([0, 1]) if numeric and set(labels.tolist()) == {0, 1} else labels
        reduction = self.reduction_
        if self.method == "grid_search":
            self.n_iter_ = len(reduction.predictors_)
            self.predictors_ = [reduction.predictors_[reduction.best_idx_]]
            self.weights_ = np.ones(1)
            self._weight_order = np.zeros(1, dtype=np.int64)
        else:
            self.n_iter_ = int(reduction.last_iter_) + 1
            count = len(reduction.predictors_)
            self.predictors_ = [reduction.predictors_[t] for t in range(count)]
            self.weights_ = np.array([reduction.weights_[t] for t in range(count)],
                                     dtype=np.float64)
            # fairlearn sums the weighted predictions in the order of its weights' index;
            # kept so that the sum rounds as fairlearn's does.
            self._weight_order = np.asarray(reduction.weights_.index, dtype=np.int64)
        return self

    def __getstate__(self) -> dict[str, Any]:
        # skops (no pickle) cannot hold fairlearn's reduction (closures, DataFrames);
        # prediction needs only predictors_ and weights_, which it can.
        state = dict(super().__getstate__())
        state.pop("reduction_", None)
        return state

    def _check_method(self) -> None:
        """Validate ``method`` and the grid-search parameters."""
        if self.method not in REDUCTION_METHODS:
            raise InvalidInputError(
                f"method must be one of {REDUCTION_METHODS}, got {self.method!r}"
            )
        size = self.grid_size
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise InvalidInputError(f"grid_size must be a positive integer, got {size!r}")
        for name, bounds, inside in (
            ("grid_limit", "a positive number", lambda v: v > 0),
            ("constraint_weight", "a number in [0, 1]", lambda v: 0 <= v <= 1),
        ):
            value = getattr(self, name)
            real = not isinstance(value, bool) and isinstance(value, int | float | np.number)
            if not (real and math.isfinite(value) and inside(value)):
                raise InvalidInputError(f"{name} must be {bounds}, got {value!r}")

    def _reduction(self, base: Any, constraint: str, eps: float) -> Any:
        """The unfitted fairlearn reduction ``method`` names."""
        from fairlearn.reductions import ExponentiatedGradient, GridSearch

        if self.method == "grid_search":
            return GridSearch(
                base, _moment(constraint, eps), constraint_weight=float(self.constraint_weight),
                grid_size=int(self.grid_size), grid_limit=float(self.grid_limit),
            )
        return ExponentiatedGradient(
            base, _moment(constraint, eps), eps=eps, max_iter=int(self.max_iter)
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability that the randomised classifier answers each class.

        For grid search: the best classifier's ``predict_proba`` (its 0/1 predictions
        when the base learner has none).

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
        X = check_predict_input(self, X, attribute="predictors_")
        if self.method == "grid_search":
            best = self.predictors_[0]
            if hasattr(best, "predict_proba"):
                return np.asarray(best.predict_proba(X), dtype=np.float64)
            positive = np.asarray(best.predict(X), dtype=np.float64)
            return np.column_stack((1.0 - positive, positive))
        # The probability mass function of fairlearn's randomised classifier, from its
        # public attributes, with the operations (and so the rounding) fairlearn uses.
        predictions = {}
        for t, predictor in enumerate(self.predictors_):
            if self.weights_[t] == 0:
                predictions[t] = np.zeros(len(X))
            else:
                predictions[t] = predictor.predict(X)
        table = pd.DataFrame(predictions)
        order = self._weight_order
        weights = pd.Series(self.weights_[order], index=order)
        positive = table[order].dot(weights).to_frame()
        return np.asarray(np.concatenate((1 - positive, positive), axis=1), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Labels drawn from the randomised classifier with seed ``random_state``.

        ``classes_[reduction_.predict(X, random_state=random_state)]``, computed as
        fairlearn does (a class-1 probability from :meth:`predict_proba` against
        ``RandomState(random_state).rand``) so that a model loaded without ``reduction_``
        gives the same labels; for grid search the best classifier's labels.

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
        X = check_predict_input(self, X, attribute="predictors_")
        if self.method == "grid_search":
            draws = np.asarray(self.predictors_[0].predict(X), dtype=np.int64)
        else:
            positive = self.predict_proba(X)[:, 1]
            uniforms = check_random_state(self.random_state).rand(len(positive))
            draws = (positive >= uniforms).astype(np.int64)
        return self.classes_[draws]
