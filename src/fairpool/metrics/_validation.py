"""Input checks shared by every metric: arrays in, clear errors out.

Each check converts one argument to the array the counting code needs and
raises a :class:`fairpool.errors.FairpoolError` subclass whose message names the
argument and what was expected. Conversions avoid copies where the input is
already usable (``bool`` and integer 0/1 arrays are returned as they are), so
the metrics stay cheap on large inputs.

The policy for quantities that are undefined on valid input (a group with no
positives, a ratio of zeros) lives with the metrics; they warn with
:class:`UndefinedRateWarning`, defined here so that callers can filter it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import from_foreign_frame
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
)

__all__ = [
    "UndefinedRateWarning",
    "as_1d_array",
    "as_checked_array",
    "check_binary_labels",
    "as_binary",
    "as_real",
    "as_sample_weight",
    "check_lengths",
    "check_option",
    "warn_undefined",
]


class UndefinedRateWarning(UserWarning):
    """A rate or ratio is undefined for some group, and fairpool chose a documented value.

    Raised (as a warning) when a group is left out of a comparison because its
    rate has a zero denominator (for example the true positive rate of a group
    with no positive labels), or when a ratio of rates is 0/0.
    """


def warn_undefined(message: str) -> None:
    """Emit :class:`UndefinedRateWarning` attributed to the first caller outside this package."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package_dir):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UndefinedRateWarning, stacklevel=level)


def check_option(value: Any, name: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`InvalidInputError`."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise InvalidInputError(f"{name} must be one of {choices}, got {value!r}")
    return value


def as_checked_array(values: Any, name: str, *, check_objects: bool = True) -> np.ndarray:
    """``values`` as an ndarray, refusing missing values before numpy can disguise them.

    ``np.asarray(["a", "b", float("nan")])`` is the string array ``['a', 'b', 'nan']``
    and ``np.asarray(["x", None])`` an object array; either way a missing value would
    become a group or a class of its own. Plain sequences are therefore checked
    element by element as Python objects first (fairlearn did the same for its issue
    1155); arrays and pandas objects are checked after conversion.

    Parameters
    ----------
    values : array-like
        A list, tuple, ndarray, Series or Index (any number of dimensions).
    name : str
        The argument's name, for the message.
    check_objects : bool, default True
        Check object arrays (not plain sequences, which are always checked). A caller
        that factorizes the values next passes False and reads the missing values off
        the factorization's -1 codes instead of scanning the objects twice.

    Returns
    -------
    ndarray
        ``np.asarray(values)`` (a pandas object's ``to_numpy()``).

    Raises
    ------
    MissingValueError
        A value is NaN, None, ``pd.NA`` or NaT; the message gives its position.
    """
    values = from_foreign_frame(values)
    if isinstance(values, list | tuple):
        _raise_if_missing(pd.isna(np.asarray(values, dtype=object)), name)
        arr = np.asarray(values)
    else:
        arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.dtype.kind in ("fmM" + ("O" if check_objects else "")):
        _raise_if_missing(pd.isna(arr), name)
    return arr


def _raise_if_missing(missing: np.ndarray, name: str) -> None:
    if np.ndim(missing) and missing.any():
        where = np.argwhere(missing)[0]
        position = int(where[0]) if where.size == 1 else tuple(int(i) for i in where)
        raise MissingValueError(f"{name} has a missing value (NaN or None) at position {position}")


def check_binary_labels(y: Any, *, who: str) -> None:
    """Refuse labels other than 0/1 for a computation that only exists for binary labels.

    The one label check of every binary-only strategy and learner (the loop applies it
    for strategies that declare ``needs_binary_labels``), so a 3-class target gets the
    same :class:`~fairpool.errors.NonBinaryLabelError` everywhere instead of whatever
    error a library raises deep inside.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels (bool, 0/1 integers or floats).
    who : str
        What needs binary labels, for the message (``"strategy 'facagen'"``).

    Raises
    ------
    NonBinaryLabelError
        A label is not 0 or 1; the message lists the values found.
    """
    values = pd.unique(np.asarray(y).ravel())
    if all(_is_zero_or_one(v) for v in values):
        return
    shown = sorted(map(str, values))[:6]
    raise NonBinaryLabelError(
        f"{who} needs binary 0/1 labels, got the values {shown}"
        f"{' ...' if len(values) > 6 else ''}; encode a two-valued target as 0/1 first "
        "(fp.datasets.from_frame does it, with positive= naming the value coded 1)"
    )


def as_1d_array(values: Any, name: str, *, check_objects: bool = True) -> np.ndarray:
    """Convert a list, tuple, Series, single-column frame or array to a 1-D ndarray.

    Raises
    ------
    InvalidInputError
        If ``values`` is None, a scalar, or has more than one column.
    EmptyInputError
        If it holds no rows.
    """
    if values is None:
        raise InvalidInputError(f"{name} is required, got None")
    values = from_foreign_frame(values)
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InvalidInputError(
                f"{name} must be one column, got a DataFrame with {values.shape[1]} columns"
            )
        values = values.iloc[:, 0]
    arr = as_checked_array(values, name, check_objects=check_objects)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D (one value per row), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise EmptyInputError(f"{name} is empty; metrics need at least one row")
    return arr


def as_binary(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D array of 0/1 labels (bool, int or uint), copying only if needed.

    ``bool`` arrays and integer arrays already holding only 0 and 1 are returned
    without a copy; float and object arrays holding only 0/1 (or True/False) are
    converted to ``int8``.

    Raises
    ------
    MissingValueError
        If a value is NaN or None.
    NonBinaryLabelError
        If a value is not 0 or 1; the message names the first offending value.
    """
    arr = as_1d_array(values, name)
    kind = arr.dtype.kind
    if kind == "b":
        return arr
    if kind in "iu":
        if arr.max() > 1 or (kind == "i" and arr.min() < 0):
            _raise_non_binary(arr, name)
        return arr
    if kind == "f":
        if not ((arr == 0) | (arr == 1)).all():
            _raise_non_binary(arr, name)
        return arr.astype(np.int8)
    if kind == "O":
        inferred = pd.api.types.infer_dtype(arr, skipna=False)
        if inferred in ("string", "bytes") or (
            inferred.startswith("mixed") and any(isinstance(v, str | bytes) for v in arr.tolist())
        ):
            _raise_non_binary(arr, name)
        try:
            numeric = arr.astype(np.float64)
        except (TypeError, ValueError):
            _raise_non_binary(arr, name)
        if not ((numeric == 0) | (numeric == 1)).all():
            _raise_non_binary(arr, name)
        return numeric.astype(np.int8)
    _raise_non_binary(arr, name)
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_non_binary(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind in "iuf":
        position = int(np.flatnonzero((arr != 0) & (arr != 1))[0])
    else:  # object or string values: compare one by one (error path only)
        position = next((i for i, v in enumerate(arr.tolist()) if not _is_zero_or_one(v)), 0)
    value = arr[position : position + 1].tolist()[0]  # a Python scalar, for a plain repr
    raise NonBinaryLabelError(
        f"{name} must hold binary labels 0/1 (or True/False); "
        f"found {value!r} at position {position}"
    )


def _is_zero_or_one(value: Any) -> bool:
    if isinstance(value, str | bytes):
        return False
    try:
        return bool(value == 0 or value == 1)
    except (TypeError, ValueError):
        return False


def as_real(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a finite 1-D float64 array (regression targets or predictions).

    Raises
    ------
    MissingValueError
        If a value is NaN, None or infinite.
    InvalidInputError
        If a value is not a number.
    """
    arr = as_1d_array(values, name)
    try:
        out = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must hold numbers, got dtype {arr.dtype}") from None
    if not np.isfinite(out).all():
        position = int(np.flatnonzero(~np.isfinite(out))[0])
        raise MissingValueError(f"{name} has an infinite value at position {position}")
    return out


def as_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """Return ``sample_weight`` as a float64 array of ``n`` finite, non-negative weights.

    ``None`` stays ``None`` (every row weighs 1).

    Raises
    ------
    LengthMismatchError
        If the length is not ``n``.
    MissingValueError
        If a weight is NaN, None or infinite.
    InvalidInputError
        If a weight is negative or all weights are zero.
    """
    if sample_weight is None:
        return None
    w = as_real(sample_weight, "sample_weight")
    if w.shape[0] != n:
        raise LengthMismatchError(f"sample_weight has {w.shape[0]} rows, expected {n}")
    if (w < 0).any():
        position = int(np.flatnonzero(w < 0)[0])
        raise InvalidInputError(
            f"sample_weight must be non-negative; found {float(w[position])} at position {position}"
        )
    if not (w > 0).any():
        raise InvalidInputError(
            "sample_weight must have at least one positive weight (all weights are zero)"
        )
    return w


def check_lengths(**arrays: np.ndarray) -> int:
    """Return the common length of ``arrays``, or raise :class:`LengthMismatchError`.

    The message names every argument with its length.
    """
    lengths = {name: int(arr.shape[0]) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise LengthMismatchError(f"arguments must have the same number of rows: {described}")
    return next(iter(lengths.values()))
