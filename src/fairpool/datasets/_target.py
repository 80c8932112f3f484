"""The target column's coding: fitted once on the labelled rows, applied to any later labels.

A two-valued column becomes 0/1 (``positive`` is 1: named by the user or read off a
recognised coding, never guessed); a float column with more than two values is a
regression target; other columns with more than two values become class codes in
sorted order. A later table's labels are coded with the fitted classes; a value outside
them is refused, listing the values.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets._binary import binary_coding
from fairpool.datasets._frames import codes_in, plain, value_codes
from fairpool.errors import InvalidInputError

__all__ = ["TASK_CHOICES", "TargetCoding", "fit_target"]


@dataclass(frozen=True)
class TargetCoding:
    """How a target column is coded.

    Attributes
    ----------
    column : str
        The target column.
    task : {"classification", "regression"}
    values : list
        Classification: the raw values in code order (binary: negative then positive;
        one class: that value; more: sorted). Regression: empty.
    classes : list of str
        ``info["classes"]``: the values as text (binary: negative, positive).
    positive : object
        The value coded 1 (binary), the only value (one class), else None.
    by_text : bool
        The values did not compare and were ordered (and are matched) as text.
    constant : int or None
        One class: the code every row gets (0, or 1 when the value is the number 1
        or equals ``positive``).
    """

    column: str
    task: str
    values: list[Any]
    classes: list[str]
    positive: Any
    by_text: bool = False
    constant: int | None = None

    def code(self, series: pd.Series) -> np.ndarray:
        """Code the labels of a later table (no missing values) with the fitted classes.

        A value that is not a class but whose text is a class's text (``"1"`` for the
        class ``1``, as a label file read as text holds it) is that class.
        """
        if self.task == "regression":
            try:
                return pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"target column {self.column!r} is a regression target, but holds "
                    "values that are not numbers"
                ) from None
        codes, unseen = codes_in(series, self.values, by_text=self.by_text)
        if unseen and not self.by_text and len(set(self.classes)) == len(self.classes):
            # Labels read as text (a label file's "1" for the class 1) match by their text.
            retry = codes < 0
            text_codes, unseen = codes_in(series[retry].astype(str), self.classes,
                                          by_text=True)
            codes[retry] = text_codes
        if unseen:
            raise InvalidInputError(
                f"target column {self.column!r} holds value(s) outside the fitted classes "
                f"{[str(v) for v in self.values]}: "
                + ", ".join(f"{v!r} ({k} row{'' if k == 1 else 's'})" for v, k in unseen)
            )
        if self.constant is not None:
            return np.full(len(series), self.constant, dtype=np.int64)
        return codes

    def to_dict(self) -> dict[str, Any]:
        """The coding as a plain dict."""
        return {
            "column": self.column,
            "task": self.task,
            "values": [plain(v) for v in self.values],
            "classes": list(self.classes),
            "positive": plain(self.positive),
            "by_text": self.by_text,
            "constant": self.constant,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TargetCoding:
        """The coding :meth:`to_dict` wrote."""
        return cls(
            column=d["column"],
            task=d["task"],
            values=list(d["values"]),
            classes=list(d["classes"]),
            positive=d["positive"],
            by_text=bool(d["by_text"]),
            constant=d["constant"],
        )


def _recognised_positive(values: Sequence[Any], column: Any) -> Any:
    """The positive one of two target values when they are a recognised coding, else raise."""
    coded = [binary_coding(v) for v in values]
    if all(c is not None for c in coded) and coded[0][0] == coded[1][0] and (
        coded[0][1] != coded[1][1]
    ):
        return values[0] if coded[0][1] else values[1]
    raise InvalidInputError(
        f"target column {column!r} has the values {[str(v) for v in values]}: pass "
        "positive=<the value that means the positive outcome>; fairpool does not guess it "
        "unless the values are 0/1, true/false or yes/no"
    )


def _named_value(positive: Any, values: Sequence[Any]) -> Any:
    """``positive`` as one of the target's ``values``: text names a value by its text.

    A command line or a config file gives ``"1"`` where the column holds the number 1
    (or ``1.0``, or ``True`` for ``"True"``); a text that names exactly one value is that
    value. Anything else is returned unchanged (and refused by the caller if unknown).
    """
    if not isinstance(positive, str) or positive in values:
        return positive
    same = [v for v in values if str(v) == positive
            or (isinstance(v, float | np.floating) and float(v).is_integer()
                and str(int(v)) == positive)]
    return same[0] if len(same) == 1 else positive


#: The values of the ``task`` option: None infers the task from the column.
TASK_CHOICES = (None, "classification", "regression")


def _regression_values(series: pd.Series, column: str) -> np.ndarray:
    """A ``task="regression"`` target as float64; text that is not a number is refused."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise InvalidInputError(
            f"target column {column!r} is boolean: it cannot be a regression target "
            "(use task='classification')"
        )
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        examples = pd.unique(series[bad].astype(str))[:5].tolist()
        raise InvalidInputError(
            f"target column {column!r} is a regression target (task='regression') but "
            f"{int(bad.sum())} value(s) are not numbers, e.g. {examples}"
        )
    y = values.to_numpy(dtype=np.float64)
    if not np.isfinite(y).all():
        raise InvalidInputError(
            f"target column {column!r} holds {int((~np.isfinite(y)).sum())} infinite value(s)"
        )
    return y


def fit_target(
    series: pd.Series, positive: Any, task: str | None = None
) -> tuple[TargetCoding, np.ndarray]:
    """Fit the coding of a target column (no missing values) and code it.

    Parameters
    ----------
    series : pandas.Series
        The target column.
    positive : object
        The value coded 1 (binary classification), or None.
    task : {None, "classification", "regression"}, default None
        None infers it: a float column with more than two values is a regression
        target, anything else classification. ``"regression"`` takes any numeric
        column, and text holding numbers, as a regression target (an integer score);
        ``"classification"`` codes a float column's values as classes.

    Returns
    -------
    coding : TargetCoding
    y : ndarray of shape (n,)
        int64 class codes, or float64 values for a regression target.

    Raises
    ------
    InvalidInputError
        ``task`` not one of the choices; ``task="regression"`` with a value that is
        not a number (the count and examples are named), a boolean column or
        ``positive``; ``positive`` not a value of a binary target.
    """
    column = str(series.name)
    if task not in TASK_CHOICES:
        raise InvalidInputError(f"task={task!r} is not allowed; choose one of {list(TASK_CHOICES)}")
    if task == "regression":
        if positive is not None:
            raise InvalidInputError(
                f"positive={positive!r} only applies to a classification target, but "
                f"task='regression' for target column {column!r}"
            )
        return TargetCoding(column, "regression", [], [], None), _regression_values(
            series, column
        )
    is_float = pd.api.types.is_float_dtype(series.dtype)
    if task is None and is_float and series.nunique() > 2:
        if positive is not None:
            raise InvalidInputError(
                f"positive={positive!r} only applies to a binary target, but target "
                f"column {column!r} is a float column with {series.nunique()} values "
                "(a regression target)"
            )
        coding = TargetCoding(column, "regression", [], [], None)
        return coding, series.to_numpy(dtype=np.float64)

    codes, values, by_text = value_codes(series)
    positive = _named_value(positive, values)
    if positive is not None and positive not in values:
        raise InvalidInputError(
            f"positive={positive!r} is not a value of target column {column!r}; "
            f"its values are {[str(v) for v in values]}"
        )
    if len(values) == 1:
        warnings.warn(
            f"target column {column!r} holds a single class ({values[0]!r}); "
            "models cannot be trained on it until both classes are present",
            UserWarning,
            stacklevel=4,
        )
        only = values[0]
        if positive is not None:
            value = int(only == positive)
        elif isinstance(only, (bool, int, float, np.number)) and float(only) in (0.0, 1.0):
            value = int(only)  # an all-0 or all-1 numeric target keeps its meaning
        else:
            value = 0
        coding = TargetCoding(
            column, "classification", [only], [str(only)],
            positive if positive is not None else only, by_text, value,
        )
        return coding, np.full(len(series), value, dtype=np.int64)
    if len(values) == 2:
        if positive is None:
            positive = _recognised_positive(values, column)
        negative = values[0] if values[1] == positive else values[1]
        y = (codes == values.index(positive)).astype(np.int64)
        coding = TargetCoding(
            column, "classification", [negative, positive], [str(negative), str(positive)],
            positive, by_text,
        )
        return coding, y
    if positive is not None:
        raise InvalidInputError(
            f"positive={positive!r} only applies to a binary target, but target column "
            f"{column!r} has {len(values)} classes"
        )
    coding = TargetCoding(
        column, "classification", list(values), [str(v) for v in values], None, by_text
    )
    return coding, codes
