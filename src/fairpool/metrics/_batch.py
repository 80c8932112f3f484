"""Disparities of many hypothetical prediction vectors at once, for acquisition functions.

FAL's expected fairness and FACA-GEN's demographic-parity penalty ask "what
would the disparity be if the model predicted this?" for many candidate
prediction vectors over the same rows. Looping the scalar metrics would count
the groups once per candidate; here every candidate's per-group means come
from one matrix product ``pred @ onehot(groups)``, a BLAS call (written by
hand: no library offers a batched group metric). Soft predictions
(probabilities) give the expected selection rates and expected TPR/FPR.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
)
from fairpool.metrics._contingency import check_group_codes, count_by_group
from fairpool.metrics._disparity import _AGGREGATIONS, Aggregation
from fairpool.metrics._rates import UNDEFINED_BECAUSE
from fairpool.metrics._spread import comparable_groups, difference
from fairpool.metrics._validation import as_binary, check_option

__all__ = [
    "demographic_parity_batch",
    "equalized_odds_batch",
    "error_rate_balance_batch",
    "error_rate_difference_batch",
]

#: One-hot matrices with more cells than this are built sparse (CSR) instead of dense.
_DENSE_ONEHOT_CELLS = 1 << 22


def _check_labelled_predictions(
    pred: Any, y_true: Any, groups: Any, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group codes, binary labels and the (m, n) predictions, checked against each other."""
    codes = check_group_codes(groups, n_groups)
    labels = as_binary(y_true, "y_true")
    if labels.shape[0] != codes.shape[0]:
        raise LengthMismatchError(
            f"y_true has {labels.shape[0]} rows but groups has {codes.shape[0]}"
        )
    return codes, labels, _check_predictions(pred, codes.shape[0])


def _check_predictions(pred: Any, n: int) -> np.ndarray:
    """``pred`` as a 2-D float array of shape (m, n) with values in [0, 1]."""
    arr = np.asarray(pred)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise InvalidInputError(f"pred must have shape (m, n), got shape {arr.shape}")
    if arr.shape[1] != n:
        raise LengthMismatchError(
            f"pred has {arr.shape[1]} columns but groups has {n} rows; "
            "pred must have one column per row"
        )
    if arr.shape[0] == 0:
        raise InvalidInputError("pred has no rows: give at least one prediction vector")
    if arr.dtype.kind == "b" or arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError(f"pred must hold numbers, got dtype {arr.dtype}") from None
    lo, hi = arr.min(), arr.max()
    if np.isnan(lo) or np.isnan(hi):
        raise MissingValueError("pred contains NaN")
    if lo < 0 or hi > 1:
        bad = lo if lo < 0 else hi
        raise InvalidInputError(
            f"pred must hold 0/1 predictions or probabilities in [0, 1], found {bad}"
        )
    return arr


def _group_sums(pred: np.ndarray, slots: np.ndarray, n_slots: int) -> np.ndarray:
    """``pred @ onehot(slots)``: the sum of each row of ``pred`` within each slot, (m, n_slots)."""
    n = slots.shape[0]
    if n * n_slots <= _DENSE_ONEHOT_CELLS:
        onehot = np.zeros((n, n_slots), dtype=pred.dtype)
        onehot[np.arange(n), slots] = 1
        return pred @ onehot
    onehot = sp.csr_matrix(
        (np.ones(n, dtype=pred.dtype), (np.arange(n), slots)), shape=(n, n_slots)
    )
    return np.asarray((onehot.T @ pred.T).T)


def _present_groups(counts: np.ndarray, metric: str) -> np.ndarray:
    """Mask of the group codes that have rows; codes without rows are not groups of this data."""
    present = counts > 0
    if np.count_nonzero(present) < 2:
        raise SingleGroupError(
            f"{metric} compares groups, but the rows belong to "
            f"{np.count_nonzero(present)} group(s)"
        )
    return present


def demographic_parity_batch(pred: Any, groups: Any, *, n_groups: int) -> np.ndarray:
    """Demographic parity difference of each of ``m`` prediction vectors, in one matrix product.

    Parameters
    ----------
    pred : array-like of shape (m, n)
        Row ``i`` is one hypothetical prediction of every one of the ``n``
        rows: hard 0/1 labels or probabilities of the positive class. A 1-D
        array is one vector (``m = 1``). ``float32`` input is kept ``float32``.
    groups : array-like of int, shape (n,)
        Group codes in ``0 .. n_groups - 1`` (see :func:`encode_groups`).
    n_groups : int
        Number of group codes; codes with no rows are ignored.

    Returns
    -------
    ndarray of shape (m,)
        For each vector, ``max - min`` over the groups present of the group's
        mean prediction (its selection rate, or expected selection rate for
        probabilities). Equal to :func:`demographic_parity_difference` on hard
        predictions.

    Raises
    ------
    SingleGroupError
        If fewer than two groups have rows.
    InvalidInputError, LengthMismatchError, MissingValueError
        On bad shapes, codes, or values outside [0, 1].

    Examples
    --------
    >>> demographic_parity_batch([[1, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]], [0, 0, 1, 1], n_groups=2)
    array([0.5, 0. ])
    """
    codes = check_group_codes(groups, n_groups)
    arr = _check_predictions(pred, codes.shape[0])
    counts = count_by_group(codes, int(n_groups))
    present = _present_groups(counts, "demographic_parity_batch")
    sums = _group_sums(arr, codes, int(n_groups))[:, present]
    return difference(sums / counts[present], 0.0, method="between_groups")


def equalized_odds_batch(
    pred: Any,
    y_true: Any,
    groups: Any,
    *,
    n_groups: int,
    agg: Aggregation = "worst_case",
) -> np.ndarray:
    """Equalized odds difference of each of ``m`` prediction vectors, in one matrix product.

    Parameters
    ----------
    pred : array-like of shape (m, n)
        Hypothetical predictions (0/1) or positive-class probabilities, one
        vector per row; a 1-D array is one vector.
    y_true : array-like of shape (n,)
        The true binary labels, shared by all vectors.
    groups : array-like of int, shape (n,)
        Group codes in ``0 .. n_groups - 1``.
    n_groups : int
        Number of group codes; codes with no rows are ignored.
    agg : {"worst_case", "mean"}, default "worst_case"
        Larger of the TPR and FPR differences, or their mean.

    Returns
    -------
    ndarray of shape (m,)
        Equal to :func:`equalized_odds_difference` on hard predictions; for
        probabilities, the same formula with expected TPR and FPR.

    Raises
    ------
    SingleGroupError
        If fewer than two groups have rows.
    UndefinedMetricError
        If fewer than two groups have positives (TPR) or negatives (FPR).

    Warns
    -----
    UndefinedRateWarning
        If a group present has no positives or no negatives; it is left out
        of that rate's comparison.

    Examples
    --------
    >>> equalized_odds_batch([[1, 0, 0, 0], [1, 0, 1, 0]], [1, 0, 1, 0], [0, 0, 1, 1],
    ...                      n_groups=2)
    array([1., 0.])
    """
    check_option(agg, "agg", _AGGREGATIONS)
    metric = "equalized_odds_batch"
    codes, labels, arr = _check_labelled_predictions(pred, y_true, groups, n_groups)
    n_groups = int(n_groups)
    counts = count_by_group(codes, n_groups, labels)  # (n_groups, 2): [negatives, positives]
    names = [str(g) for g in range(n_groups)]
    present = _present_groups(counts.sum(axis=1), metric)
    slots = np.empty(codes.shape[0], dtype=np.intp)
    np.copyto(slots, codes, casting="unsafe")
    slots <<= 1
    np.add(slots, labels, out=slots, dtype=np.intp, casting="unsafe")
    sums = _group_sums(arr, slots, 2 * n_groups).reshape(arr.shape[0], n_groups, 2)
    gaps = []
    for label, quantity in ((1, "tpr"), (0, "fpr")):
        defined = counts[:, label] > 0
        mask = comparable_groups(
            defined[present], [n for n, p in zip(names, present, strict=True) if p],
            quantity=quantity, metric=metric, because=UNDEFINED_BECAUSE[quantity],
        )
        used = np.flatnonzero(present)[mask]
        rates = sums[:, used, label] / counts[used, label]
        gaps.append(difference(rates, 0.0, method="between_groups"))
    stacked = np.stack(gaps)
    return stacked.max(axis=0) if agg == "worst_case" else stacked.mean(axis=0)


def error_rate_balance_batch(pred: Any, y_true: Any, groups: Any, *, n_groups: int) -> np.ndarray:
    """PANDA's error-rate balance Δ^EB of each of ``m`` prediction vectors.

    ``max over y and pairs of groups of |P(ŷ=1 | g=a, Y=y) - P(ŷ=1 | g=a', Y=y)|``
    (Sharaf, Daumé III, Ni, FAccT 2022, Table 1): the worst-case between-groups gap of
    the FPR and TPR, i.e. :func:`equalized_odds_batch` with ``agg="worst_case"``.

    Parameters
    ----------
    pred : array-like of shape (m, n)
        Hard 0/1 predictions or positive-class probabilities; 1-D means ``m = 1``.
    y_true : array-like of shape (n,)
        Binary labels of the ``n`` rows.
    groups : array-like of int, shape (n,)
        Group codes in ``0 .. n_groups - 1``.
    n_groups : int
        Number of group codes.

    Returns
    -------
    ndarray of shape (m,)
        Equal to :func:`fairpool.metrics.error_rate_balance` on hard predictions.

    Raises
    ------
    SingleGroupError
        If fewer than two groups have rows.
    UndefinedMetricError
        If fewer than two groups have positives or negatives.

    Examples
    --------
    >>> error_rate_balance_batch([[1, 0, 0, 0], [1, 0, 1, 0]], [1, 0, 1, 0], [0, 0, 1, 1],
    ...                          n_groups=2)
    array([1., 0.])
    """
    return equalized_odds_batch(pred, y_true, groups, n_groups=n_groups, agg="worst_case")


def error_rate_difference_batch(
    pred: Any, y_true: Any, groups: Any, *, n_groups: int
) -> np.ndarray:
    """Misclassification-rate parity (spread of P(ŷ ≠ y | group)) of ``m`` prediction vectors.

    The error indicator of a prediction p against a 0/1 label y is
    ``p (1 - y) + (1 - p) y`` (exact for hard labels, the expected error for
    probabilities), so the gap is :func:`demographic_parity_batch` of the error
    matrix: one matrix product again. The quantity of fairlearn's ``ErrorRateParity``
    (Agarwal et al., ICML 2018).

    Parameters
    ----------
    pred : array-like of shape (m, n)
        Hard 0/1 predictions or positive-class probabilities; 1-D means ``m = 1``.
    y_true : array-like of shape (n,)
        Binary labels of the ``n`` rows.
    groups : array-like of int, shape (n,)
        Group codes in ``0 .. n_groups - 1``.
    n_groups : int
        Number of group codes.

    Returns
    -------
    ndarray of shape (m,)
        Equal to :func:`fairpool.metrics.error_rate_difference` on hard predictions.

    Raises
    ------
    SingleGroupError
        If fewer than two groups have rows.

    Examples
    --------
    >>> error_rate_difference_batch([[1, 0, 0, 0], [1, 0, 1, 0]], [1, 0, 1, 0], [0, 0, 1, 1],
    ...                             n_groups=2)
    array([0.5, 0. ])
    """
    codes, labels, arr = _check_labelled_predictions(pred, y_true, groups, n_groups)
    label_row = labels.astype(arr.dtype)
    errors = arr + label_row - 2 * arr * label_row  # p(1-y) + (1-p)y, shape (m, n)
    return demographic_parity_batch(errors, codes, n_groups=n_groups)
