"""A missing value never becomes a group or a class (issue 11, fault 1, and its siblings).

numpy turns ``["a", float("nan")]`` into the strings ``['a', 'nan']``; every public
entry point that takes groups or labels as a plain list must refuse the missing value,
naming its position, instead of measuring a made-up group ``'nan'``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairpool.metrics as fpm
from fairpool.errors import MissingValueError

Y_TRUE = [1, 0, 1, 0, 1, 0, 1]
Y_PRED = [1, 0, 0, 1, 1, 1, 0]
MISSING = [float("nan"), None, pd.NA, np.nan]


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_the_reported_case_raises_naming_position_6(missing):
    groups = ["a", "a", "a", "b", "b", "b", missing]
    with pytest.raises(MissingValueError, match="sensitive_features .*position 6"):
        fpm.demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=groups)


@pytest.mark.parametrize(
    "metric",
    [
        fpm.demographic_parity_difference,
        fpm.demographic_parity_ratio,
        fpm.equalized_odds_difference,
        fpm.equal_opportunity_difference,
        fpm.error_rate_balance,
        fpm.error_rate_difference,
        fpm.disparate_impact_ratio,
    ],
)
@pytest.mark.parametrize("where", ["y_true", "y_pred", "sensitive_features"])
def test_every_binary_metric_refuses_a_missing_value_in_every_argument(metric, where):
    args = {"y_true": list(Y_TRUE), "y_pred": list(Y_PRED),
            "sensitive_features": ["a", "a", "a", "b", "b", "b", "a"]}
    args[where][3] = float("nan")
    with pytest.raises(MissingValueError, match=f"{where} .*position 3"):
        metric(args["y_true"], args["y_pred"], sensitive_features=args["sensitive_features"])


def test_string_labels_with_a_missing_value_are_refused_not_stringified():
    with pytest.raises(MissingValueError, match="position 2"):
        fpm.as_checked_array(["yes", "no", float("nan")], "y")
    with pytest.raises(MissingValueError, match=r"position \(1, 0\)"):
        fpm.as_checked_array([["a"], [None]], "groups")


def test_intersectional_columns_refuse_missing_values_too():
    sf = {"sex": ["f", "m", "f", "m", "f", "m", "f"],
          "race": ["x", "y", "x", float("nan"), "x", "y", "y"]}
    with pytest.raises(MissingValueError, match="'race'.*position 3"):
        fpm.demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=sf)


def test_group_report_refuses_missing_groups():
    with pytest.raises(MissingValueError, match="position 6"):
        fpm.group_report(Y_TRUE, Y_PRED, sensitive_features=["a"] * 6 + [None])


def test_arrays_without_missing_values_pass_unchanged():
    arr = np.array(["a", "b"])
    assert fpm.as_checked_array(arr, "g") is arr
    np.testing.assert_array_equal(fpm.as_checked_array(["a", "nan"], "g"), ["a", "nan"])
    assert fpm.demographic_parity_difference(
        Y_TRUE, Y_PRED, sensitive_features=["a", "a", "a", "b", "b", "b", "a"]
    ) == pytest.approx(1.0 - 1 / 4)  # group a predicts 1 on 1 of 4 rows, group b on 3 of 3
