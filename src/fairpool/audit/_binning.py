"""Sensitive or slicing columns as one pandas frame, numeric columns cut into quantile bins.

Shared by :func:`fairpool.audit.subgroups` and :func:`fairpool.audit.worst_slices`.
The cut is pandas' ``qcut`` (equal-frequency bins, right-closed intervals, edges
that coincide merged); what is written here is only the rule of which columns
are cut and the readable labels.

Binning rule: a numeric column (integers or floats, not booleans) with more
distinct values than ``n_bins`` is cut at its ``1/n_bins, 2/n_bins, ...``
quantiles; its groups are then the intervals, labelled ``"(lo, hi]"`` (the first
one ``"[lo, hi]"``) and ordered from low to high. Columns with few values, strings,
booleans and categoricals are kept as they are. Quantile (not equal-width) bins give
every bin about ``n / n_bins`` rows, so no bin is empty or tiny because of a skewed
distribution (an income column, say); ties can make bins unequal, and edges that
coincide are merged, so a column may get fewer than ``n_bins`` bins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import from_foreign_frame
from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError

__all__ = ["as_frame", "bin_numeric"]


def as_frame(values: Any, argument: str) -> pd.DataFrame:
    """``values`` as a DataFrame: a DataFrame, dict of columns, Series, list of columns,
    1-D or 2-D ``(n, k)`` array, or a polars / pyarrow table.

    Raises
    ------
    InvalidInputError
        If ``values`` is None, a scalar, or has no columns.
    LengthMismatchError
        If a dict's columns have different lengths.
    """
    if values is None:
        raise InvalidInputError(f"{argument} is required, got None")
    values = from_foreign_frame(values)
    if isinstance(values, pd.DataFrame):
        frame = values
    elif isinstance(values, Mapping):
        lengths = {str(k): len(v) for k, v in values.items()}
        if len(set(lengths.values())) > 1:
            described = ", ".join(f"{k!r} has {n}" for k, n in lengths.items())
            raise LengthMismatchError(f"the columns of {argument} differ in length: {described}")
        frame = pd.DataFrame({str(k): from_foreign_frame(v) for k, v in values.items()})
    elif isinstance(values, pd.Series):
        frame = values.to_frame(name="sensitive_feature_0" if values.name is None
                                else str(values.name))
    elif isinstance(values, list | tuple) and values and all(
            isinstance(c, list | tuple | np.ndarray | pd.Series | pd.Categorical)
            for c in values):
        # a list of columns, as fairpool.metrics reads it
        return as_frame({f"sensitive_feature_{j}": c for j, c in enumerate(values)}, argument)
    else:
        array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        if array.ndim == 1:
            frame = pd.DataFrame({"sensitive_feature_0": values})
        elif array.ndim == 2:
            frame = pd.DataFrame(array, columns=[f"sensitive_feature_{j}"
                                                 for j in range(array.shape[1])])
        else:
            raise InvalidInputError(f"{argument} must be 1-D or 2-D, got shape {array.shape}")
    if frame.shape[1] == 0:
        raise InvalidInputError(f"{argument} has no columns")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _interval_label(interval: pd.Interval, first: bool) -> str:
    return f"{'[' if first else '('}{interval.left:.4g}, {interval.right:.4g}]"


def bin_numeric(
    frame: pd.DataFrame, n_bins: int | None
) -> tuple[pd.DataFrame, dict[str, list[float]]]:
    """Cut each numeric column with more than ``n_bins`` values into quantile bins.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n, k)
    n_bins : int or None
        Bins per numeric column (at least 2); None keeps every column as it is.

    Returns
    -------
    frame : pandas.DataFrame of shape (n, k)
        Cut columns become ordered categoricals of interval labels.
    edges : dict of str to list of float
        The bin edges of each cut column.

    Raises
    ------
    InvalidInputError
        If ``n_bins`` is not an integer of at least 2.
    MissingValueError
        If a column to cut has a missing value.
    """
    if n_bins is None:
        return frame, {}
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise InvalidInputError(f"n_bins must be an integer of at least 2 or None, got {n_bins!r}")
    out, edges = {}, {}
    for name in frame.columns:
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if not numeric or column.nunique(dropna=True) <= n_bins:
            out[name] = column
            continue
        if column.isna().any():
            first = int(np.flatnonzero(column.isna().to_numpy())[0])
            raise MissingValueError(f"column {name!r} has a missing value at row {first}")
        cut, bins = pd.qcut(column, q=int(n_bins), retbins=True, duplicates="drop")
        labels = [_interval_label(iv, i == 0) for i, iv in enumerate(cut.cat.categories)]
        out[name] = pd.Categorical.from_codes(cut.cat.codes.to_numpy(), categories=labels,
                                              ordered=True)
        edges[name] = [float(b) for b in bins]
    return pd.DataFrame(out, index=frame.index), edges
