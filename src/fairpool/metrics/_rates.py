"""Per-group rates (selection rate, TPR, FPR, ..., F1) read off the contingency table.

All rates come from one table built by
:func:`fairpool.metrics.count_by_group`. A rate whose denominator is
zero for a group (the true positive rate of a group with no positive labels,
the precision of a group with no predicted positives, ...) is ``NaN`` here:
it is undefined, and fairpool does not invent a value for it. (fairlearn,
through scikit-learn's ``confusion_matrix(normalize="true")``, reports such
rates as 0.)
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from fairpool.errors import InvalidInputError
from fairpool.metrics._contingency import grouped_table
from fairpool.metrics._validation import (
    as_1d_array,
    as_binary,
    as_sample_weight,
    check_lengths,
    check_option,
)

__all__ = [
    "RATE_NAMES",
    "RateName",
    "group_rates",
    "rate_by_group",
    "rates_from_confusion",
    "selection_rate",
]

RateName = Literal[
    "selection_rate", "tpr", "fpr", "fnr", "error_rate", "accuracy", "precision", "recall", "f1"
]
#: Names of the rates :func:`rates_from_confusion` returns, in report order.
RATE_NAMES: tuple[str, ...] = get_args(RateName)

#: Why each rate can be undefined for a group (used in warnings and errors).
UNDEFINED_BECAUSE: dict[str, str] = {
    "selection_rate": "its rows have zero total weight",
    "tpr": "it has no rows with y_true == 1",
    "fpr": "it has no rows with y_true == 0",
    "fnr": "it has no rows with y_true == 1",
    "error_rate": "its rows have zero total weight",
    "accuracy": "its rows have zero total weight",
    "precision": "it has no rows with y_pred == 1",
    "recall": "it has no rows with y_true == 1",
    "f1": "it has no rows with y_true == 1 or y_pred == 1",
}


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with NaN where the denominator is zero."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rates_from_confusion(table: np.ndarray) -> dict[str, np.ndarray]:
    """Every binary rate from confusion counts, NaN where a rate is undefined.

    Parameters
    ----------
    table : ndarray of shape (..., 2, 2)
        Counts or weights indexed ``[..., y_true, y_pred]``, e.g. the output of
        :func:`fairpool.metrics.confusion_by_group` (one matrix per group) or
        its sum over groups (the overall matrix).

    Returns
    -------
    dict of str to ndarray of shape (...)
        ``selection_rate`` P(ŷ=1), ``tpr`` P(ŷ=1 | y=1), ``fpr`` P(ŷ=1 | y=0),
        ``fnr`` P(ŷ=0 | y=1), ``error_rate`` P(ŷ≠y), ``accuracy`` P(ŷ=y),
        ``precision`` P(y=1 | ŷ=1), ``recall`` (= ``tpr``) and ``f1``
        2TP / (2TP + FP + FN); all weighted when the table is.

    Examples
    --------
    >>> table = np.array([[[3, 1], [2, 4]]])  # one group: TN=3, FP=1, FN=2, TP=4
    >>> r = rates_from_confusion(table)
    >>> float(r["tpr"][0]), float(r["fpr"][0]), float(r["precision"][0])
    (0.6666666666666666, 0.25, 0.8)
    """
    table = np.asarray(table)
    if table.ndim < 2 or table.shape[-2:] != (2, 2):
        raise InvalidInputError(f"table must have shape (..., 2, 2), got {table.shape}")
    tn, fp = table[..., 0, 0], table[..., 0, 1]
    fn, tp = table[..., 1, 0], table[..., 1, 1]
    total = tn + fp + fn + tp
    positives = fn + tp
    tpr = _divide(tp, positives)
    return {
        "selection_rate": _divide(fp + tp, total),
        "tpr": tpr,
        "fpr": _divide(fp, tn + fp),
        "fnr": _divide(fn, positives),
        "error_rate": _divide(fp + fn, total),
        "accuracy": _divide(tn + tp, total),
        "precision": _divide(tp, fp + tp),
        "recall": tpr.copy(),
        "f1": _divide(2 * tp, 2 * tp + fp + fn),
    }


def selection_rate(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Fraction of rows predicted positive, P(ŷ = 1), optionally weighted.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Ignored apart from its length (kept for fairlearn's signature).
    y_pred : array-like of shape (n,)
        Binary predictions (0/1 or bool).
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    EmptyInputError, LengthMismatchError, MissingValueError, NonBinaryLabelError
        On empty input, different lengths, missing values or non-binary ``y_pred``.

    Examples
    --------
    >>> selection_rate([0, 0, 1, 1], [1, 0, 0, 1])
    0.5
    """
    p = as_binary(y_pred, "y_pred")
    n = check_lengths(y_true=as_1d_array(y_true, "y_true"), y_pred=p)
    weights = as_sample_weight(sample_weight, n)
    if weights is None:
        return float(np.count_nonzero(p) / n)
    return float(np.dot(weights, p) / weights.sum())


def group_rates(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, sample_weight: Any = None
) -> pd.DataFrame:
    """Row count and every binary rate per (possibly intersectional) group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights; ``count`` stays the number of rows.

    Returns
    -------
    pandas.DataFrame
        One row per group (index: group names), columns ``count`` and
        :data:`RATE_NAMES`; undefined rates are NaN.

    Examples
    --------
    >>> group_rates([1, 0, 1, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"])[
    ...     ["count", "selection_rate", "tpr", "fpr"]]  # doctest: +NORMALIZE_WHITESPACE
                       count  selection_rate  tpr  fpr
    sensitive_feature_0
    a                      2             1.0  1.0  1.0
    b                      2             0.5  0.5  NaN
    """
    grouped = grouped_table(
        [("y_true", y_true), ("y_pred", y_pred)], sensitive_features, sample_weight
    )
    frame = pd.DataFrame(
        rates_from_confusion(grouped.table),
        index=grouped.groups.index,
    )
    counts = np.bincount(grouped.groups.codes, minlength=grouped.groups.n_groups)
    frame.insert(0, "count", counts.astype(np.int64))
    return frame


def rate_by_group(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    rate: RateName,
    sample_weight: Any = None,
) -> pd.Series:
    """One binary rate per group, e.g. the true positive rate of each group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    rate : {"selection_rate", "tpr", "fpr", "fnr", "error_rate", "accuracy", \
"precision", "recall", "f1"}
        Which rate (see :func:`rates_from_confusion`).
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    pandas.Series
        The rate of each group, NaN where undefined, named ``rate``.

    Examples
    --------
    >>> rate_by_group([1, 0, 1, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"],
    ...               rate="tpr").tolist()
    [1.0, 0.5]
    """
    check_option(rate, "rate", RATE_NAMES)
    return group_rates(
        y_true, y_pred, sensitive_features=sensitive_features, sample_weight=sample_weight
    )[rate]
