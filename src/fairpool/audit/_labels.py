"""Which value is positive, and predictions read against the target's values.

An audit reports selection rates, so it must know which target value is the
positive one. It never guesses from the sort order: a target coded 0/1,
true/false or yes/no (any case) has an obvious positive value; any other
coding needs ``pos_label`` (``--positive``). Predictions must use the target's
values -- a prediction value that is not one of them is an error, never a
silent negative -- or be scores turned into predictions by a ``threshold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import binary_coding
from fairpool.errors import InvalidInputError, MissingValueError, NonBinaryLabelError

__all__ = ["Labels", "encode_predictions", "encode_target", "show_values"]

#: How many distinct values an error message lists.
_SHOW = 10


@dataclass(frozen=True)
class Labels:
    """A binary target read as 0/1.

    Attributes
    ----------
    y : ndarray of int8
        1 where the row holds the positive value.
    positive : object
        The target value counted as positive.
    negative : object or None
        The other value (None when the target holds only the positive value).
    values : list
        The target's distinct values.
    recognised : bool
        True when the positive value was read off a 0/1, true/false or yes/no
        coding, False when given as ``pos_label``.
    """

    y: np.ndarray
    positive: Any
    negative: Any
    values: list[Any]
    recognised: bool


def show_values(values: Any) -> str:
    """The distinct values for a message: their reprs, sorted, at most ten."""
    distinct = sorted({_python(v) for v in values}, key=lambda v: (str(type(v)), str(v)))
    shown = ", ".join(repr(v) for v in distinct[:_SHOW])
    more = len(distinct) - _SHOW
    return "[" + shown + (f", ... ({more} more)" if more > 0 else "") + "]"


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _distinct(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values (as Python scalars) of a column without missing values."""
    codes, uniques = pd.factorize(series, sort=False)
    return codes, [_python(v) for v in uniques]


def _matches(value: Any, label: Any) -> bool:
    """Whether ``label`` (a ``pos_label`` or a prediction value) names ``value``.

    Equal values match; so do a number and its spelling ("2" names 2 and 2.0),
    and a boolean and "true"/"false" (any case) or 0/1. Strings match exactly:
    "Approved" does not name "approved".
    """
    if isinstance(value, bool | np.bool_) or isinstance(label, bool | np.bool_):
        a, b = binary_coding(value), binary_coding(label)
        return a is not None and b is not None and a[0] == b[0] == "binary" and a[1] == b[1]
    if isinstance(value, Number):
        if isinstance(label, Number):
            return float(value) == float(label)  # type: ignore[arg-type]
        if isinstance(label, str):
            try:
                return float(label.strip()) == float(value)  # type: ignore[arg-type]
            except ValueError:
                return False
        return False
    return value == label or str(value) == str(label)


def _check_missing(series: pd.Series, role: str) -> None:
    missing = series.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise MissingValueError(
            f"{role} column {series.name!r} has {int(missing.sum())} missing value(s) "
            f"(first at row index {first}); fill or remove those rows first"
        )


def encode_target(series: pd.Series, pos_label: Any = None) -> Labels:
    """Read a binary target column as 0/1.

    Parameters
    ----------
    series : pandas.Series
        The target column (its name is used in messages).
    pos_label : optional
        The value counted as positive (``--positive``). A string also names a
        number ("2" for 2) or a boolean ("true"). Without it the target must
        be coded 0/1, true/false or yes/no (any case), whose positive value is
        1, true or yes.

    Returns
    -------
    Labels

    Raises
    ------
    MissingValueError
        If the column has missing values.
    NonBinaryLabelError
        If the column holds more than two values.
    InvalidInputError
        If ``pos_label`` is not given and the coding is not a recognised one
        (the message lists the values), or if ``pos_label`` names no value of
        the column, or names two.
    """
    column = series.name
    _check_missing(series, "target")
    codes, values = _distinct(series)
    if len(values) > 2:
        raise NonBinaryLabelError(
            f"target column {column!r} holds {len(values)} values {show_values(values)}; "
            "an audit needs a binary target (two values)"
        )
    if pos_label is None:
        coded = [binary_coding(v) for v in values]
        families = {c[0] for c in coded if c is not None}
        if None in coded or len(families) != 1 or len({c[1] for c in coded}) != len(coded):
            raise InvalidInputError(
                f"target column {column!r} holds {show_values(values)}, not a 0/1, true/false "
                "or yes/no coding, so which value is positive is not obvious; name it with "
                "--positive VALUE (pos_label= in Python)"
            )
        positive_flags = [c[1] for c in coded]  # type: ignore[index]
        recognised = True
    else:
        named = [v for v in values if _matches(v, pos_label)]
        if len(named) != 1:
            what = "no value" if not named else f"several values {show_values(named)}"
            raise InvalidInputError(
                f"positive value {pos_label!r} names {what} of target column {column!r}; "
                f"its values are {show_values(values)}"
            )
        positive_flags = [v is named[0] for v in values]
        recognised = False
    flags = np.asarray(positive_flags, dtype=np.int8)
    positive = next((v for v, f in zip(values, positive_flags, strict=True) if f), None)
    negative = next((v for v, f in zip(values, positive_flags, strict=True) if not f), None)
    if positive is None:  # a recognised coding whose positive value does not occur
        positive = _spelled_positive(values[0])
    return Labels(y=flags[codes], positive=positive, negative=negative, values=values,
                  recognised=recognised)


def _spelled_positive(negative: Any) -> Any:
    """The positive value of the coding ``negative`` belongs to (all-negative targets)."""
    if isinstance(negative, bool | np.bool_):
        return True
    if isinstance(negative, Number):
        return type(negative)(1)
    text = str(negative)
    positive = "yes" if text.strip().lower() == "no" else (
        "true" if text.strip().lower() == "false" else "1")
    return positive.upper() if text.isupper() else (
        positive.capitalize() if text[:1].isupper() else positive)


def encode_predictions(
    series: pd.Series, labels: Labels, *, target: str, threshold: float | None = None
) -> tuple[np.ndarray, str]:
    """Read a prediction column as 0/1 against the target's values, or threshold scores.

    Parameters
    ----------
    series : pandas.Series
        The prediction column: the target's values (a prediction value must name
        a target value, see :func:`encode_target`), or numeric scores with
        ``threshold``.
    labels : Labels
        The encoded target.
    target : str
        The target column's name, for messages.
    threshold : float, optional
        Scores at or above it are predictions of the positive value.

    Returns
    -------
    y_pred : ndarray of int8
    description : str
        How the predictions were read, for the output.

    Raises
    ------
    MissingValueError
        If the column has missing values.
    InvalidInputError
        If a prediction value is not a target value (the message lists them),
        or with ``threshold``, if the column is not numeric or ``threshold`` is
        not a finite number.
    """
    column = series.name
    _check_missing(series, "prediction")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, Number) or not math.isfinite(
            float(threshold)  # type: ignore[arg-type]
        ):
            raise InvalidInputError(f"threshold must be a finite number, got {threshold!r}")
        if series.dtype.kind not in "iuf":
            raise InvalidInputError(
                f"threshold needs numeric scores, but prediction column {column!r} has dtype "
                f"{series.dtype} (values {show_values(series.unique())})"
            )
        scores = series.to_numpy(dtype=np.float64)
        if not np.isfinite(scores).all():
            raise InvalidInputError(f"prediction column {column!r} holds infinite scores")
        y_pred = (scores >= float(threshold)).astype(np.int8)  # type: ignore[arg-type]
        return y_pred, (
            f"scores in column {column!r} >= {float(threshold):g} "  # type: ignore[arg-type]
            f"are predictions of {labels.positive!r} (threshold)"
        )
    codes, values = _distinct(series)
    flags: list[int] = []
    unknown: list[Any] = []
    for value in values:
        flag = _prediction_flag(value, labels)
        flags.append(0 if flag is None else flag)
        if flag is None:
            unknown.append(value)
    if unknown:
        hint = ""
        if series.dtype.kind == "f" and len(values) > 2:
            hint = f"; if {column!r} holds scores, pass --threshold T (threshold= in Python)"
        raise InvalidInputError(
            f"prediction column {column!r} holds {show_values(unknown)}, which are not values "
            f"of target column {target!r} {show_values(labels.values)}{hint}"
        )
    return np.asarray(flags, dtype=np.int8)[codes], f"column {column!r}"


def _prediction_flag(value: Any, labels: Labels) -> int | None:
    """1/0 for a prediction value that names the positive/negative target value, else None."""
    if labels.recognised:
        mine, theirs = binary_coding(value), binary_coding(labels.positive)
        if mine is None or theirs is None or mine[0] != theirs[0]:
            return None
        return int(mine[1])
    named = [v for v in labels.values if _matches(v, value)]
    if len(named) != 1:
        return None
    return int(named[0] is labels.positive)
