"""Input checks shared by fairpool's estimators: scikit-learn's validation, fairpool's errors.

scikit-learn's public :func:`~sklearn.utils.validation.validate_data` does the work
(dense 2-D input, feature counts and names, ``n_features_in_``); a ``ValueError`` it
raises is re-raised as :class:`~fairpool.errors.InvalidInputError` with the same
message, so a caller can catch fairpool's errors and scikit-learn's estimator checks
still read the message they expect. Sparse input is refused with scikit-learn's
``TypeError``. The checks fairpool names itself come first and raise the narrower
fairpool errors (:class:`~fairpool.errors.LengthMismatchError`,
:class:`~fairpool.errors.MissingValueError`).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.metrics import as_checked_array

__all__ = [
    "call_with_groups",
    "check_fit_input",
    "fit_with_groups",
    "check_predict_input",
    "single_class_message",
]


def _n_rows(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(X)
    except TypeError:
        return None


def _check_finite(X: np.ndarray) -> None:
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise MissingValueError("X contains NaN or infinite values")


def single_class_message(label: Any) -> str:
    """The error message for a classifier fitted on labels of a single class."""
    return (
        f"y has a single class ({label!r}): with one class there is nothing to learn; "
        "a classifier needs at least two"
    )


def check_fit_input(
    estimator: Any, X: Any, y: Any, *, dtype: Any = "numeric", finite: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a classifier's training data and set ``n_features_in_`` on ``estimator``.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted; receives ``n_features_in_`` (and
        ``feature_names_in_`` when ``X`` is a DataFrame with string column names).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels (a column vector is raveled with scikit-learn's
        ``DataConversionWarning``).
    dtype : "numeric", type or None, default="numeric"
        Passed to ``validate_data``: ``"numeric"`` keeps numeric dtypes and turns
        object arrays into float64; None keeps every dtype.
    finite : bool, default=True
        Refuse NaN and infinite values in ``X`` (otherwise the caller's model decides).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)

    Raises
    ------
    LengthMismatchError
        ``y`` does not have one label per row of ``X``.
    MissingValueError
        ``y`` holds NaN, or (``finite=True``) ``X`` holds NaN or infinity.
    InvalidInputError
        Any other bad input scikit-learn's ``validate_data`` refuses (``y`` None, 1-D
        or empty ``X``, complex values), or a continuous target ("Unknown label type").
    TypeError
        Sparse ``X``.
    """
    n = _n_rows(X)
    if y is not None:
        # the metrics' check: a missing label in a plain list is refused before numpy
        # can turn it into the class 'nan'
        labels = as_checked_array(y, "y")
        if labels.ndim >= 1 and n is not None and labels.shape[0] != n:
            raise LengthMismatchError(
                f"y must have shape ({n},) to match X, got {labels.shape}"
            )
    try:
        X, y = validate_data(estimator, X, y, dtype=dtype, ensure_all_finite=False)
        check_classification_targets(y)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    if finite:
        _check_finite(X)
    return X, y


def check_predict_input(
    estimator: Any, X: Any, *, attribute: str | None = None, dtype: Any = "numeric",
    finite: bool = True,
) -> np.ndarray:
    """Check that ``estimator`` is fitted and ``X`` matches what it was fitted on.

    Parameters
    ----------
    estimator : estimator
    X : array-like of shape (n_samples, n_features)
    attribute : str, optional
        The fitted attribute that proves a fit (default: any attribute ending in ``_``).
    dtype, finite : see :func:`check_fit_input`.

    Returns
    -------
    ndarray of shape (n_samples, n_features)

    Raises
    ------
    sklearn.exceptions.NotFittedError
        ``estimator`` is not fitted (a ``ValueError`` and an ``AttributeError``).
    InvalidInputError
        ``X`` is not 2-D, or has another number of features (or other feature
        names) than the training data.
    MissingValueError
        (``finite=True``) ``X`` holds NaN or infinity.
    TypeError
        Sparse ``X``.
    """
    check_is_fitted(estimator, attribute)
    try:
        X = validate_data(estimator, X, reset=False, dtype=dtype, ensure_all_finite=False)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    if finite:
        _check_finite(X)
    return X


def call_with_groups(
    model: Any, method: str, X: Any, groups: Any = None, *, clusters: Any = None, y: Any = None
) -> Any:
    """``model.<method>(X)``, with the rows' groups and clusters where the method takes them.

    Group-aware models (per-group thresholds, correlation removal) need the rows' groups
    at prediction time, and mixed-effects models (Fair MEDL) the rows' clusters at fit
    and, optionally, at prediction; a wrapper (Falcon's postponement) and the
    active-learning loop hand them over through this one function, and models that take
    neither are called as usual. ``groups`` goes as ``sensitive_features=`` and
    ``clusters`` as ``clusters=``, each only when the method's signature names it.

    Parameters
    ----------
    model : estimator
        A model (fitted, unless ``method`` is ``"fit"``).
    method : {"fit", "predict", "predict_proba", "decision_function"}
    X : array-like of shape (n, d)
    groups : array-like of shape (n,), optional
        The rows' groups; not passed when None.
    clusters : array-like of shape (n,), optional
        The rows' cluster codes; not passed when None.
    y : array-like of shape (n,), optional
        The labels, passed after ``X`` (for ``method="fit"``).

    Returns
    -------
    The method's output (``fit``: the model, as scikit-learn's ``fit`` returns it).
    """
    function = getattr(model, method)
    options: dict[str, Any] = {}
    if groups is not None or clusters is not None:
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            parameters = {}
        if groups is not None and "sensitive_features" in parameters:
            options["sensitive_features"] = groups
        if clusters is not None and "clusters" in parameters:
            options["clusters"] = clusters
    if y is not None:
        return function(X, y, **options)
    return function(X, **options)


def fit_with_groups(model: Any, X: Any, y: Any, groups: Any = None, *, clusters: Any = None
                    ) -> Any:
    """``model.fit(X, y)``, with ``sensitive_features=groups`` (and ``clusters=``) where
    ``fit`` takes them: :func:`call_with_groups` for ``fit``.

    The loop, its strategies' own refits (FAL's, FACA-GEN's cross-validation, D-FA²L's
    decoupled models), the labelling sessions and the mitigation report fit a learner
    through this one function, so a learner that needs the groups (reweighing,
    reductions, per-group thresholds) gets them everywhere.

    Parameters
    ----------
    model : estimator
        Unfitted.
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
    groups : array-like of shape (n,), optional
        The rows' groups; not passed when None.
    clusters : array-like of shape (n,), optional
        The rows' clusters (mixed-effects learners); not passed when None.

    Returns
    -------
    The fitted ``model`` (what its ``fit`` returns).
    """
    return call_with_groups(model, "fit", X, groups, clusters=clusters, y=y)
