"""Disparities against fairlearn 0.15.0 (property-based) and against brute-force group loops."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fairpool.metrics as fpm
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    SingleGroupError,
    UndefinedMetricError,
)

from .problems import Problem, brute_by_group, problems, reference_fairlearn_metrics

flm = reference_fairlearn_metrics()

TOL = 1e-12
FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
METHODS = st.sampled_from(["between_groups", "to_overall"])
AGGS = st.sampled_from(["worst_case", "mean"])


def _args(problem: Problem) -> dict:
    return {
        "sensitive_features": problem.sensitive_features,
        "sample_weight": problem.sample_weight,
    }


def _quiet(fn, *args, **kwargs):
    """Call a fairlearn function with its (scikit-learn / pandas) warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# --- equal to fairlearn where fairlearn defines the metric --------------------------------


@FAST
@given(problem=problems(), method=METHODS)
def test_demographic_parity_difference_equals_fairlearn(problem: Problem, method: str) -> None:
    ours = fpm.demographic_parity_difference(
        problem.y_true, problem.y_pred, method=method, **_args(problem)
    )
    theirs = _quiet(flm.demographic_parity_difference, problem.y_true, problem.y_pred,
                    method=method, **_args(problem))
    assert abs(ours - theirs) <= TOL


@FAST
@given(problem=problems(), method=METHODS)
def test_demographic_parity_ratio_equals_fairlearn(problem: Problem, method: str) -> None:
    theirs = _quiet(flm.demographic_parity_ratio, problem.y_true, problem.y_pred,
                    method=method, **_args(problem))
    if not problem.y_pred.any():  # 0/0: fairlearn NaN, fairpool 1.0 with a warning
        assert np.isnan(theirs)
        with pytest.warns(fpm.UndefinedRateWarning, match="0/0"):
            ours = fpm.demographic_parity_ratio(
                problem.y_true, problem.y_pred, method=method, **_args(problem)
            )
        assert ours == 1.0
        return
    ours = fpm.demographic_parity_ratio(
        problem.y_true, problem.y_pred, method=method, **_args(problem)
    )
    assert abs(ours - theirs) <= TOL


@FAST
@given(problem=problems(), method=METHODS, agg=AGGS)
def test_equalized_odds_difference_equals_fairlearn(
    problem: Problem, method: str, agg: str
) -> None:
    ours = fpm.equalized_odds_difference(
        problem.y_true, problem.y_pred, method=method, agg=agg, **_args(problem)
    )
    theirs = _quiet(flm.equalized_odds_difference, problem.y_true, problem.y_pred,
                    method=method, agg=agg, **_args(problem))
    assert abs(ours - theirs) <= TOL


@FAST
@given(problem=problems(), method=METHODS, agg=AGGS)
def test_equalized_odds_ratio_equals_fairlearn(problem: Problem, method: str, agg: str) -> None:
    y, p = problem.y_true, problem.y_pred
    if not p[y == 1].any() or not p[y == 0].any():
        return  # a rate that is 0 in every group: covered by test_ratio_of_zeros_*
    ours = fpm.equalized_odds_ratio(y, p, method=method, agg=agg, **_args(problem))
    theirs = _quiet(flm.equalized_odds_ratio, y, p, method=method, agg=agg, **_args(problem))
    assert abs(ours - theirs) <= TOL


@FAST
@given(problem=problems(), method=METHODS)
def test_equal_opportunity_equals_fairlearn(problem: Problem, method: str) -> None:
    y, p = problem.y_true, problem.y_pred
    ours = fpm.equal_opportunity_difference(y, p, method=method, **_args(problem))
    theirs = _quiet(flm.equal_opportunity_difference, y, p, method=method, **_args(problem))
    assert abs(ours - theirs) <= TOL
    if p[y == 1].any():
        ours = fpm.equal_opportunity_ratio(y, p, method=method, **_args(problem))
        theirs = _quiet(flm.equal_opportunity_ratio, y, p, method=method, **_args(problem))
        assert abs(ours - theirs) <= TOL


@FAST
@given(problem=problems(), method=METHODS)
def test_error_rate_difference_equals_fairlearn_zero_one_loss(
    problem: Problem, method: str
) -> None:
    ours = fpm.error_rate_difference(problem.y_true, problem.y_pred, method=method,
                                     **_args(problem))
    theirs = _quiet(flm.zero_one_loss_difference, problem.y_true, problem.y_pred,
                    method=method, **_args(problem))
    assert abs(ours - theirs) <= TOL


# --- equal to a brute-force loop where fairlearn has no such metric ---------------------


@FAST
@given(problem=problems(), data=st.data())
def test_disparate_impact_equals_brute_force(problem: Problem, data: st.DataObject) -> None:
    rates = {k: r["selection_rate"] for k, r in brute_by_group(problem).items()}
    privileged = data.draw(st.sampled_from(sorted(rates)))
    others = [v for k, v in rates.items() if k != privileged]
    if rates[privileged] == 0:
        return  # undefined reference: covered by test_disparate_impact_undefined_cases
    ours = fpm.disparate_impact_ratio(problem.y_true, problem.y_pred,
                                      privileged=privileged, **_args(problem))
    assert abs(ours - min(others) / rates[privileged]) <= TOL
    if max(rates.values()) > 0:
        ours = fpm.disparate_impact_ratio(problem.y_true, problem.y_pred, **_args(problem))
        assert abs(ours - min(rates.values()) / max(rates.values())) <= TOL


def test_disparate_impact_privileged_tuple_for_intersections() -> None:
    sf = pd.DataFrame({"sex": ["F", "F", "M", "M"], "race": ["a", "b", "a", "a"]})
    p = [1, 0, 1, 1]
    assert fpm.disparate_impact_ratio([0] * 4, p, sensitive_features=sf,
                                      privileged=("M", "a")) == 0.0
    assert fpm.disparate_impact_ratio([0] * 4, p, sensitive_features=sf,
                                      privileged="F|a") == 0.0


def test_disparate_impact_undefined_cases() -> None:
    g = ["m", "m", "f", "f"]
    with pytest.raises(InvalidInputError, match="privileged group 'x'"):
        fpm.disparate_impact_ratio([0] * 4, [1, 0, 1, 0], sensitive_features=g, privileged="x")
    with pytest.raises(UndefinedMetricError, match="infinite"):
        fpm.disparate_impact_ratio([0] * 4, [0, 0, 1, 0], sensitive_features=g, privileged="m")
    with pytest.warns(fpm.UndefinedRateWarning, match="0/0"):
        assert fpm.disparate_impact_ratio([0] * 4, [0] * 4, sensitive_features=g,
                                          privileged="m") == 1.0


# --- undefined cases: decided, documented, tested -------------------------------------


ALL_BINARY = [
    fpm.demographic_parity_difference,
    fpm.demographic_parity_ratio,
    fpm.equalized_odds_difference,
    fpm.equalized_odds_ratio,
    fpm.equal_opportunity_difference,
    fpm.equal_opportunity_ratio,
    fpm.error_rate_balance,
    fpm.error_rate_difference,
    fpm.disparate_impact_ratio,
]


@pytest.mark.parametrize("metric", ALL_BINARY, ids=lambda f: f.__name__)
def test_single_group_raises(metric) -> None:
    # fairlearn returns 0 (difference) or 1 (ratio); a disparity needs two groups.
    with pytest.raises(SingleGroupError, match="single group \\('a'\\)"):
        metric([0, 1, 1], [1, 1, 0], sensitive_features=["a", "a", "a"])


@pytest.mark.parametrize("metric", ALL_BINARY, ids=lambda f: f.__name__)
def test_bad_input_raises_naming_the_argument(metric) -> None:
    g = ["a", "b", "a", "b"]
    with pytest.raises(EmptyInputError, match="is empty"):
        metric([], [], sensitive_features=[])
    with pytest.raises(LengthMismatchError, match="y_pred has 3"):
        metric([0, 1, 1, 0], [1, 0, 1], sensitive_features=g)
    with pytest.raises(LengthMismatchError, match="sensitive_features has 3"):
        metric([0, 1, 1, 0], [1, 0, 1, 1], sensitive_features=g[:3])
    with pytest.raises(MissingValueError, match="y_pred has a missing value .* position 2"):
        metric([0, 1, 1, 0], [1, 0, np.nan, 1], sensitive_features=g)
    with pytest.raises(MissingValueError, match="y_pred has a missing value .* position 0"):
        metric([0, 1, 1, 0], [None, 0, 1, 1], sensitive_features=g)
    with pytest.raises(MissingValueError, match="sensitive_features has a missing value"):
        metric([0, 1, 1, 0], [1, 0, 1, 1], sensitive_features=["a", None, "a", "b"])
    with pytest.raises(NonBinaryLabelError, match="y_pred must hold binary labels.*found 2"):
        metric([0, 1, 1, 0], [1, 0, 2, 1], sensitive_features=g)
    with pytest.raises(NonBinaryLabelError, match="found 'yes' at position 0"):
        metric([0, 1, 1, 0], ["yes", "no", "no", "yes"], sensitive_features=g)
    with pytest.raises(InvalidInputError, match="sample_weight must be non-negative"):
        metric([0, 1, 1, 0], [1, 0, 1, 1], sensitive_features=g, sample_weight=[1, -1, 1, 1])
    with pytest.raises(MissingValueError, match="sample_weight"):
        metric([0, 1, 1, 0], [1, 0, 1, 1], sensitive_features=g, sample_weight=[1, np.nan, 1, 1])
    with pytest.raises(InvalidInputError, match="sensitive_features is required"):
        metric([0, 1, 1, 0], [1, 0, 1, 1], sensitive_features=None)


@pytest.mark.parametrize(
    "metric",
    [fpm.equalized_odds_difference, fpm.equal_opportunity_difference, fpm.error_rate_balance,
     fpm.equalized_odds_ratio, fpm.equal_opportunity_ratio],
    ids=lambda f: f.__name__,
)
def test_non_binary_y_true_raises(metric) -> None:
    with pytest.raises(NonBinaryLabelError, match="y_true .* found 3 at position 1"):
        metric([0, 3, 1, 0], [1, 0, 1, 1], sensitive_features=["a", "b", "a", "b"])


def test_demographic_parity_ignores_y_true_values_like_fairlearn() -> None:
    # selection rates do not depend on y_true; only its length is checked
    value = fpm.demographic_parity_difference(
        [0.3, 7, -1, 2], [1, 0, 1, 1], sensitive_features=["a", "b", "a", "b"]
    )
    assert value == 0.5


@pytest.mark.parametrize("bad", [("method", "pairwise"), ("agg", "max")])
def test_unknown_option_raises(bad) -> None:
    name, value = bad
    with pytest.raises(InvalidInputError, match=f"{name} must be one of"):
        fpm.equalized_odds_difference([0, 1], [0, 1], sensitive_features=["a", "b"],
                                      **{name: value})


def test_group_without_positives_is_left_out_with_a_warning() -> None:
    # group "c" has no positives: its TPR is undefined (fairlearn counts it as 0)
    y = np.array([1, 0, 1, 0, 0, 0])
    p = np.array([1, 0, 0, 0, 1, 0])
    g = np.array(["a", "a", "b", "b", "c", "c"])
    with pytest.warns(fpm.UndefinedRateWarning, match="tpr is undefined for group\\(s\\) 'c'"):
        ours = fpm.equal_opportunity_difference(y, p, sensitive_features=g)
    assert ours == 1.0  # TPR a = 1, b = 0; c left out
    with pytest.warns(fpm.UndefinedRateWarning):
        eo = fpm.equalized_odds_difference(y, p, sensitive_features=g)
    assert eo == 1.0  # max(TPR gap 1.0, FPR gap 0.5)
    # fairlearn treats c's TPR as 0, which here happens to give the same TPR gap but a
    # different answer as soon as c's missing TPR would otherwise not be an extreme:
    y2, p2 = np.array([1, 1, 0, 1, 1, 0, 0, 0]), np.array([1, 1, 0, 1, 1, 0, 1, 0])
    g2 = np.array(["a", "a", "a", "b", "b", "b", "c", "c"])
    with pytest.warns(fpm.UndefinedRateWarning):
        assert fpm.equal_opportunity_difference(y2, p2, sensitive_features=g2) == 0.0
    assert _quiet(flm.equal_opportunity_difference, y2, p2, sensitive_features=g2) == 1.0


def test_too_few_defined_groups_raises() -> None:
    y = np.array([1, 1, 0, 0])
    with pytest.raises(UndefinedMetricError, match="tpr is undefined for group\\(s\\) 'b'"):
        fpm.equal_opportunity_difference(y, [1, 0, 1, 0], sensitive_features=["a", "a", "b", "b"])
    with pytest.raises(UndefinedMetricError, match="fewer than two groups"):
        fpm.equalized_odds_difference(y, [1, 0, 1, 0], sensitive_features=["a", "a", "b", "b"])


def test_zero_weight_group_is_left_out_of_demographic_parity() -> None:
    with pytest.warns(fpm.UndefinedRateWarning, match="zero total weight"):
        value = fpm.demographic_parity_difference(
            [0] * 6, [1, 0, 0, 0, 1, 1], sensitive_features=["a", "a", "b", "b", "c", "c"],
            sample_weight=[1, 1, 1, 1, 0, 0],
        )
    assert value == 0.5


def test_ratio_of_zeros_is_one_with_a_warning() -> None:
    y, g = [1, 0, 1, 0], ["a", "a", "b", "b"]
    for method in ("between_groups", "to_overall"):
        with pytest.warns(fpm.UndefinedRateWarning, match="ratio is 0/0"):
            assert fpm.demographic_parity_ratio(y, [0] * 4, sensitive_features=g,
                                                method=method) == 1.0
        assert np.isnan(_quiet(flm.demographic_parity_ratio, y, [0] * 4, sensitive_features=g,
                               method=method))
    # a perfect classifier: every FPR is 0, so the FPR ratio is 0/0 -> 1.0; TPR ratio is 1
    with pytest.warns(fpm.UndefinedRateWarning, match="fpr is 0 for every group"):
        assert fpm.equalized_odds_ratio(y, y, sensitive_features=g, agg="mean") == 1.0


def test_warning_points_at_the_caller() -> None:
    with pytest.warns(fpm.UndefinedRateWarning) as record:
        fpm.demographic_parity_ratio([0, 1], [0, 0], sensitive_features=["a", "b"])
    assert record[0].filename == __file__


def test_accepts_lists_series_bool_and_int8_without_changing_the_value() -> None:
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    g = rng.choice(["u", "v", "w"], 200)
    expected = fpm.equalized_odds_difference(y, p, sensitive_features=g)
    variants = [
        (y.tolist(), p.tolist(), g.tolist()),
        (pd.Series(y), pd.Series(p), pd.Series(g)),
        (y.astype(bool), p.astype(bool), pd.Categorical(g)),
        (y.astype(np.int8), p.astype(np.uint8), g.astype(object)),
        (y.astype(float), p.astype(float), pd.DataFrame({"g": g})),
    ]
    for yt, yp, sf in variants:
        assert fpm.equalized_odds_difference(yt, yp, sensitive_features=sf) == expected


def test_intersectional_inputs_agree_across_containers() -> None:
    rng = np.random.default_rng(4)
    y, p = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    a, b = rng.choice(["x", "y"], 300), rng.integers(0, 3, 300)
    frame = pd.DataFrame({"a": a, "b": b})
    expected = _quiet(flm.demographic_parity_difference, y, p, sensitive_features=frame)
    for sf in (frame, {"a": a, "b": b}, [a, b], np.column_stack([a, b.astype(str)])):
        assert abs(fpm.demographic_parity_difference(y, p, sensitive_features=sf)
                   - expected) <= TOL
