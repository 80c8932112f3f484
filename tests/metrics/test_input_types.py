"""Other dataframe libraries reach the metrics with their names and missing values intact
(issue 11, fault 6): polars and pyarrow go through their own ``to_pandas``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairpool.metrics as fpm
from fairpool.errors import MissingValueError

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

Y = [1, 0, 1, 0, 1, 0, 1, 1]
P = [1, 0, 0, 1, 1, 1, 0, 1]
SEX = ["f", "f", "f", "m", "m", "m", "f", "m"]
RACE = ["x", "y", "x", "y", "x", "y", "y", "x"]


def _reference(sf) -> float:
    return fpm.demographic_parity_difference(np.array(Y), np.array(P), sensitive_features=sf)


@pytest.mark.parametrize("make", [
    lambda: pl.DataFrame({"sex": SEX, "race": RACE}),
    lambda: pl.DataFrame({"sex": SEX, "race": RACE}).lazy(),
    lambda: pa.table({"sex": SEX, "race": RACE}),
], ids=["polars", "polars-lazy", "pyarrow"])
def test_two_column_frames_are_intersectional_groups_as_with_pandas(make):
    expected = _reference(pd.DataFrame({"sex": SEX, "race": RACE}))
    assert fpm.demographic_parity_difference(pl.Series(Y), pa.array(P),
                                         sensitive_features=make()) == expected
    report = fpm.group_report(Y, P, sensitive_features=make())
    assert list(report.by_group.index.names) == ["sex", "race"]


@pytest.mark.parametrize("series", [pl.Series, pa.array, pa.chunked_array],
                         ids=["polars", "pyarrow-array", "pyarrow-chunked"])
def test_single_columns_of_any_library_match_numpy(series):
    values = SEX if series is not pa.chunked_array else [SEX]
    result = fpm.demographic_parity_difference(Y, P, sensitive_features=series(values))
    assert result == _reference(SEX)


def test_missing_values_in_polars_and_pyarrow_are_refused_with_their_position():
    with pytest.raises(MissingValueError, match="position 2"):
        fpm.demographic_parity_difference(Y, P, sensitive_features=pl.Series(
            ["f", "f", None, "m", "m", "m", "f", "m"]))
    with pytest.raises(MissingValueError, match="y_pred .*position 1"):
        fpm.demographic_parity_difference(Y, pa.array([1, None, 0, 1, 1, 1, 0, 1]),
                                          sensitive_features=SEX)
