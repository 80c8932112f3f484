"""Input conversion: binary labels without copies, clear errors for everything else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
)
from fairpool.metrics._validation import (
    as_1d_array,
    as_binary,
    as_real,
    as_sample_weight,
    check_lengths,
    check_option,
)


def test_binary_arrays_are_not_copied() -> None:
    y = np.array([0, 1, 1, 0], dtype=np.int8)
    for arr in (y, y.astype(bool), y.astype(np.uint8), y.astype(np.int64)):
        assert as_binary(arr, "y") is arr


def test_float_object_and_pandas_labels_are_converted() -> None:
    assert as_binary(np.array([0.0, 1.0]), "y").dtype == np.int8
    assert as_binary(np.array([True, 0, 1.0], dtype=object), "y").tolist() == [1, 0, 1]
    assert as_binary(pd.Series([1, 0], dtype="Int64"), "y").tolist() == [1, 0]
    assert as_binary(pd.Series([True, False], dtype="boolean"), "y").tolist() == [1, 0]
    assert as_binary([[1], [0]], "y").tolist() == [1, 0]  # an (n, 1) column


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ([0, 2, 1], NonBinaryLabelError, "y must hold binary labels .* found 2 at position 1"),
        ([0, -1], NonBinaryLabelError, "found -1 at position 1"),
        ([0.0, 0.5], NonBinaryLabelError, "found 0.5 at position 1"),
        (["0", "1"], NonBinaryLabelError, "found '0' at position 0"),
        (np.array([1, "x"], dtype=object), NonBinaryLabelError, "found 'x' at position 1"),
        ([1.0, np.nan], MissingValueError, "y has a missing value .* position 1"),
        ([1, None], MissingValueError, "position 1"),
        (pd.Series([1, None], dtype="Int64"), MissingValueError, "position 1"),
        ([], EmptyInputError, "y is empty"),
        (None, InvalidInputError, "y is required"),
        (3, InvalidInputError, "y must be 1-D"),
        (np.zeros((3, 2)), InvalidInputError, "shape \\(3, 2\\)"),
        (pd.DataFrame({"a": [0], "b": [1]}), InvalidInputError, "one column"),
    ],
)
def test_bad_labels_raise_naming_the_argument(values, error, message) -> None:
    with pytest.raises(error, match=message):
        as_binary(values, "y")


def test_errors_are_also_builtin_value_errors() -> None:
    with pytest.raises(ValueError):
        as_binary([0, 2], "y")


def test_real_values() -> None:
    assert as_real([1, 2], "y").dtype == np.float64
    with pytest.raises(MissingValueError, match="infinite value at position 1"):
        as_real([1.0, np.inf], "y")
    with pytest.raises(InvalidInputError, match="must hold numbers"):
        as_real(["a", "b"], "y")


def test_sample_weight() -> None:
    assert as_sample_weight(None, 3) is None
    assert as_sample_weight([1, 2, 0], 3).tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(LengthMismatchError, match="sample_weight has 2 rows, expected 3"):
        as_sample_weight([1, 2], 3)
    with pytest.raises(InvalidInputError, match="found -2.0 at position 1"):
        as_sample_weight([1, -2, 0], 3)
    with pytest.raises(InvalidInputError, match="at least one positive weight"):
        as_sample_weight([0, 0, 0], 3)
    with pytest.raises(MissingValueError, match="sample_weight has a missing value"):
        as_sample_weight([1, np.nan, 0], 3)


def test_lengths_and_options() -> None:
    a, b = as_1d_array([1, 2], "a"), as_1d_array([1, 2, 3], "b")
    assert check_lengths(a=a, c=a) == 2
    with pytest.raises(LengthMismatchError, match="a has 2, b has 3"):
        check_lengths(a=a, b=b)
    assert check_option("mean", "agg", ("worst_case", "mean")) == "mean"
    with pytest.raises(InvalidInputError, match="agg must be one of 'worst_case', 'mean', got 3"):
        check_option(3, "agg", ("worst_case", "mean"))
