"""Per-group regression errors (MSE, MAE) and how much they vary across groups.

Fair MEDL (Wang, Nguyen, Montillo, arXiv 2310.03146) reports, for regression,
each group's error and the spread of those errors across groups. The
per-group means are weighted sums from ``np.bincount`` over the group codes:
one pass, no ``groupby``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.errors import InvalidInputError
from fairpool.metrics._contingency import EncodedGroups, encode_sensitive_features
from fairpool.metrics._rates import _divide
from fairpool.metrics._spread import comparable_groups, difference
from fairpool.metrics._validation import as_real, as_sample_weight, check_lengths, check_option

__all__ = [
    "RegressionMetric",
    "mean_absolute_error_by_group",
    "mean_squared_error_by_group",
    "regression_error_difference",
    "regression_error_std",
]

RegressionMetric = Literal["mse", "mae"]
_METRICS = ("mse", "mae")


def _errors_by_group(
    y_true: Any, y_pred: Any, sensitive_features: Any, sample_weight: Any, metric: str
) -> tuple[np.ndarray, EncodedGroups]:
    """Weighted mean squared or absolute error of every group (NaN for zero weight)."""
    t = as_real(y_true, "y_true")
    p = as_real(y_pred, "y_pred")
    groups = encode_sensitive_features(sensitive_features)
    n = check_lengths(y_true=t, y_pred=p, sensitive_features=groups.codes)
    weights = as_sample_weight(sample_weight, n)
    residual = t - p
    loss = np.square(residual, out=residual) if metric == "mse" else np.abs(residual, out=residual)
    if weights is not None:
        loss *= weights
        totals = np.bincount(groups.codes, weights=weights, minlength=groups.n_groups)
    else:
        totals = np.bincount(groups.codes, minlength=groups.n_groups)
    sums = np.bincount(groups.codes, weights=loss, minlength=groups.n_groups)
    return _divide(sums, totals), groups


def _as_series(values: np.ndarray, groups: EncodedGroups, name: str) -> pd.Series:
    return pd.Series(values, index=groups.index, name=name)


def mean_squared_error_by_group(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, sample_weight: Any = None
) -> pd.Series:
    """Mean squared error of each (possibly intersectional) group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Real-valued targets and predictions.
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    pandas.Series
        Weighted MSE per group (NaN for a group whose rows all weigh 0), named ``"mse"``.

    Examples
    --------
    >>> mean_squared_error_by_group([1.0, 2.0, 3.0, 5.0], [1.0, 1.0, 3.0, 3.0],
    ...                             sensitive_features=["a", "a", "b", "b"]).tolist()
    [0.5, 2.0]
    """
    values, groups = _errors_by_group(y_true, y_pred, sensitive_features, sample_weight, "mse")
    return _as_series(values, groups, "mse")


def mean_absolute_error_by_group(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, sample_weight: Any = None
) -> pd.Series:
    """Mean absolute error of each (possibly intersectional) group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Real-valued targets and predictions.
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    pandas.Series
        Weighted MAE per group (NaN for a group whose rows all weigh 0), named ``"mae"``.

    Examples
    --------
    >>> mean_absolute_error_by_group([1.0, 2.0, 3.0, 5.0], [1.0, 1.0, 3.0, 3.0],
    ...                              sensitive_features=["a", "a", "b", "b"]).tolist()
    [0.5, 1.0]
    """
    values, groups = _errors_by_group(y_true, y_pred, sensitive_features, sample_weight, "mae")
    return _as_series(values, groups, "mae")


def _compared_errors(
    y_true: Any, y_pred: Any, sensitive_features: Any, sample_weight: Any, metric: str, name: str
) -> np.ndarray:
    check_option(metric, "metric", _METRICS)
    values, groups = _errors_by_group(y_true, y_pred, sensitive_features, sample_weight, metric)
    mask = comparable_groups(
        ~np.isnan(values), groups.names, quantity=metric, metric=name,
        because="its rows have zero total weight",
    )
    return values[mask]


def regression_error_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    metric: RegressionMetric = "mse",
    sample_weight: Any = None,
) -> float:
    """Largest minus smallest per-group error (MSE or MAE).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Real-valued targets and predictions.
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    metric : {"mse", "mae"}, default "mse"
        Which per-group error.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.

    Examples
    --------
    >>> regression_error_difference([1.0, 2.0, 3.0, 5.0], [1.0, 1.0, 3.0, 3.0],
    ...                             sensitive_features=["a", "a", "b", "b"])
    1.5
    """
    values = _compared_errors(
        y_true, y_pred, sensitive_features, sample_weight, metric, "regression_error_difference"
    )
    return float(difference(values, 0.0, method="between_groups"))


def regression_error_std(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    metric: RegressionMetric = "mse",
    ddof: int = 0,
    sample_weight: Any = None,
) -> float:
    """Standard deviation of the per-group errors (MSE or MAE) across groups.

    Every group counts once, whatever its size (the spread Fair MEDL reports).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Real-valued targets and predictions.
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    metric : {"mse", "mae"}, default "mse"
        Which per-group error.
    ddof : int, default 0
        Delta degrees of freedom: 0 treats the groups as the whole population
        of groups (the default), 1 as a sample of groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    InvalidInputError
        If ``ddof`` is not 0 or 1.

    Examples
    --------
    >>> regression_error_std([1.0, 2.0, 3.0, 5.0], [1.0, 1.0, 3.0, 3.0],
    ...                      sensitive_features=["a", "a", "b", "b"])
    0.75
    """
    if ddof not in (0, 1):
        raise InvalidInputError(f"ddof must be 0 or 1, got {ddof!r}")
    values = _compared_errors(
        y_true, y_pred, sensitive_features, sample_weight, metric, "regression_error_std"
    )
    return float(np.std(values, ddof=ddof))
