"""fairpool's per-group rates to and from fairlearn's ``MetricFrame``.

fairlearn does the grouping: :func:`to_metric_frame` hands it fairpool's rate
functions (read off one 2 x 2 confusion table per group with
:func:`fairpool.metrics.rates_from_confusion`, so an undefined rate is NaN as
everywhere in fairpool), and :func:`from_metric_frame` reads any MetricFrame of rates
back as a :class:`~fairpool.metrics.GroupReport`. See docs/monitoring.md, "Interop".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    UnknownNameError,
)
from fairpool.metrics import (
    RATE_NAMES,
    GroupReport,
    as_checked_array,
    check_binary_labels,
    rates_from_confusion,
)

__all__ = ["FAIRLEARN_NAMES", "from_metric_frame", "to_metric_frame"]

#: fairlearn / scikit-learn function names of fairpool's rates (what a MetricFrame
#: built from those functions names its columns).
FAIRLEARN_NAMES: dict[str, str] = {
    "selection_rate": "selection_rate", "true_positive_rate": "tpr",
    "false_positive_rate": "fpr", "false_negative_rate": "fnr", "accuracy_score": "accuracy",
    "precision_score": "precision", "recall_score": "recall", "f1_score": "f1",
}


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """The 2 x 2 table ``[y_true, y_pred]`` of one group's 0/1 labels and predictions."""
    w = np.ones(len(y_true)) if weight is None else np.asarray(weight, dtype=np.float64)
    cell = 2 * np.asarray(y_true, dtype=np.int64) + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(cell, weights=w, minlength=4).reshape(2, 2)


def _rate_metric(rate: str) -> Callable[..., float]:
    def metric(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        return float(rates_from_confusion(_confusion(y_true, y_pred, sample_weight))[rate])

    metric.__name__ = rate
    return metric


def to_metric_frame(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    rates: tuple[str, ...] = RATE_NAMES,
) -> Any:
    """A fairlearn ``MetricFrame`` of fairpool's rates per group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        0/1 labels and predictions.
    sensitive_features : array-like, Series, DataFrame or dict
        As fairlearn takes them; several columns give intersections.
    sample_weight : array-like of shape (n,), optional
        Row weights of the rates (``count`` stays rows).
    rates : tuple of str, default every rate of :data:`fairpool.metrics.RATE_NAMES`
        Which rates; ``count`` (fairlearn's) is always added.

    Returns
    -------
    fairlearn.metrics.MetricFrame
        Columns ``count`` and the rates by fairpool's names (``tpr``, ``fpr``, ...);
        a rate whose denominator is zero in a group is NaN (fairlearn's own
        ``true_positive_rate`` would report 0 there).

    Raises
    ------
    UnknownNameError
        If a rate is not one of fairpool's.
    MissingValueError, NonBinaryLabelError, LengthMismatchError, EmptyInputError
        If labels or predictions have missing values or values other than 0/1,
        the arguments differ in length, or there are no rows.
    """
    from fairlearn.metrics import MetricFrame, count

    unknown = [r for r in rates if r not in RATE_NAMES]
    if unknown:
        raise UnknownNameError(f"unknown rate(s) {unknown}; rates are: {', '.join(RATE_NAMES)}")
    y_true = as_checked_array(y_true, "y_true")
    y_pred = as_checked_array(y_pred, "y_pred")
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        check_binary_labels(values, who=f"to_metric_frame's {name}")
    lengths = {"y_true": len(y_true), "y_pred": len(y_pred),
               "sensitive_features": len(sensitive_features)}
    if sample_weight is not None:
        lengths["sample_weight"] = len(sample_weight)
    if len(set(lengths.values())) > 1:
        raise LengthMismatchError("arguments must have the same number of rows: " + ", ".join(
            f"{k} has {v}" for k, v in lengths.items()))
    if not len(y_true):
        raise EmptyInputError("y_true is empty")
    metrics: dict[str, Callable[..., float]] = {"count": count}
    metrics.update({r: _rate_metric(r) for r in rates})
    params = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        params = {r: {"sample_weight": weights} for r in rates}
    return MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred,
                       sensitive_features=sensitive_features, sample_params=params)


def from_metric_frame(frame: Any) -> GroupReport:
    """Read a fairlearn ``MetricFrame`` of rates as a :class:`~fairpool.metrics.GroupReport`.

    Parameters
    ----------
    frame : fairlearn.metrics.MetricFrame
        With several metrics (a DataFrame ``by_group``); columns named by
        fairpool's rates or by fairlearn's / scikit-learn's functions
        (``true_positive_rate`` becomes ``tpr``, ``accuracy_score`` ``accuracy``, ...).
        Other columns are kept under their names; ``count`` becomes the row count.

    Returns
    -------
    GroupReport
        ``by_group`` indexed like the MetricFrame (a MultiIndex for several
        sensitive features), ``overall`` from ``frame.overall``.

    Raises
    ------
    InvalidInputError
        If ``frame`` is not a MetricFrame, has a single unnamed metric, or is
        conditional on control features.
    """
    from fairlearn.metrics import MetricFrame

    if not isinstance(frame, MetricFrame):
        raise InvalidInputError(f"expected a fairlearn MetricFrame, got {type(frame).__name__}")
    if frame.control_levels:
        raise InvalidInputError("a MetricFrame with control_features has one table per "
                                "control level; read each level's frame separately")
    by_group, overall = frame.by_group, frame.overall
    if isinstance(by_group, pd.Series):
        if by_group.name is None:
            raise InvalidInputError("the MetricFrame holds one unnamed metric; build it with "
                                    "metrics={name: function}")
        by_group, overall = by_group.to_frame(), pd.Series({by_group.name: overall})
    names = {c: FAIRLEARN_NAMES.get(c, c) for c in by_group.columns}
    by_group = by_group.rename(columns=names)
    overall = overall.rename(index=names)
    rates = [c for c in by_group.columns if c != "count"]
    out = by_group[rates].astype(np.float64)
    if "count" in by_group.columns:
        out.insert(0, "count", by_group["count"].astype(np.int64))
    overall_out = pd.Series({c: overall[c] for c in out.columns}, name="overall", dtype=object)
    return GroupReport(overall=overall_out, by_group=out)
