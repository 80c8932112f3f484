"""PANDA's Table 1 disparities (Sharaf, Daumé III, Ni, FAccT 2022) by brute-force loops.

Δ^DP = max_a |E[h | g=a] - E[h]|, Δ^EO = max_{a,y} |E[h | g=a, Y=y] - E[h | Y=y]| and
Δ^EB = max_{a,a',y} |E[h | g=a, Y=y] - E[h | g=a', Y=y]|, written out as loops over
groups and labels and compared with fairpool's metrics and with fairlearn's reduction
moments (whose ``gamma`` is the same signed group-minus-overall vector).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import fairpool.metrics as fpm

from .problems import Problem, problems

TOL = 1e-12
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mean(values: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> float | None:
    """Weighted mean of ``values`` over ``rows``; None when they carry no weight."""
    total = float(weights[rows].sum())
    return None if total == 0 else float((values[rows] * weights[rows]).sum() / total)


def _groups(problem: Problem) -> list[np.ndarray]:
    return [problem.group_id == a for a in np.unique(problem.group_id)]


def _weights(problem: Problem) -> np.ndarray:
    n = problem.y_true.shape[0]
    return np.ones(n) if problem.sample_weight is None else problem.sample_weight


def brute_dp(problem: Problem) -> float:
    """Δ^DP: each group's selection rate against the overall one."""
    h, w = problem.y_pred.astype(float), _weights(problem)
    overall = _mean(h, w, np.ones(h.shape[0], dtype=bool))
    gaps = []
    for rows in _groups(problem):
        rate = _mean(h, w, rows)
        if rate is not None:
            gaps.append(abs(rate - overall))
    return max(gaps)


def brute_eo(problem: Problem) -> float:
    """Δ^EO: each group's P(h=1 | Y=y) against P(h=1 | Y=y), worst group and label."""
    h, w, y = problem.y_pred.astype(float), _weights(problem), problem.y_true
    gaps = []
    for label in (0, 1):
        overall = _mean(h, w, y == label)
        for rows in _groups(problem):
            rate = _mean(h, w, rows & (y == label))
            if rate is not None and overall is not None:
                gaps.append(abs(rate - overall))
    return max(gaps)


def brute_eb(problem: Problem) -> float:
    """Δ^EB: P(h=1 | g, Y=y) compared between every pair of groups, worst label."""
    h, w, y = problem.y_pred.astype(float), _weights(problem), problem.y_true
    gaps = []
    for label in (0, 1):
        for rows_a in _groups(problem):
            for rows_b in _groups(problem):
                a = _mean(h, w, rows_a & (y == label))
                b = _mean(h, w, rows_b & (y == label))
                if a is not None and b is not None:
                    gaps.append(abs(a - b))
    return max(gaps)


def _args(problem: Problem) -> dict:
    return {"sensitive_features": problem.sensitive_features,
            "sample_weight": problem.sample_weight}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fpm.UndefinedRateWarning)
        return fn(*args, **kwargs)


@FAST
@given(problem=problems(weighted=False))
def test_error_rate_balance_is_table_1_eb(problem: Problem) -> None:
    ours = _quiet(fpm.error_rate_balance, problem.y_true, problem.y_pred, **_args(problem))
    assert abs(ours - brute_eb(problem)) <= TOL


@FAST
@given(problem=problems(weighted=True))
def test_error_rate_balance_is_table_1_eb_with_weights(problem: Problem) -> None:
    w = _weights(problem)
    for label in (0, 1):  # the brute force skips weightless cells; the metric needs two
        cells = [w[rows & (problem.y_true == label)].sum() > 0 for rows in _groups(problem)]
        if sum(cells) < 2:
            return
    ours = _quiet(fpm.error_rate_balance, problem.y_true, problem.y_pred, **_args(problem))
    assert abs(ours - brute_eb(problem)) <= TOL


@FAST
@given(problem=problems(weighted=False))
def test_to_overall_readings_are_table_1_dp_and_eo(problem: Problem) -> None:
    dp = fpm.demographic_parity_difference(problem.y_true, problem.y_pred, method="to_overall",
                                           **_args(problem))
    assert abs(dp - brute_dp(problem)) <= TOL
    eo = fpm.equalized_odds_difference(problem.y_true, problem.y_pred, method="to_overall",
                                       **_args(problem))
    assert abs(eo - brute_eo(problem)) <= TOL
    eb_overall = fpm.error_rate_balance(problem.y_true, problem.y_pred, method="to_overall",
                                        **_args(problem))
    assert abs(eb_overall - brute_eo(problem)) <= TOL


@FAST
@given(problem=problems(weighted=False))
def test_misclassification_parity_is_error_rate_difference(problem: Problem) -> None:
    # The reading error_rate_balance had before issue 16, kept under its own name.
    h, y = problem.y_pred, problem.y_true
    errors = (h != y).astype(float)
    ones = np.ones(h.shape[0])
    rates = [_mean(errors, ones, rows) for rows in _groups(problem)]
    ours = fpm.error_rate_difference(y, h, **_args(problem))
    assert abs(ours - (max(rates) - min(rates))) <= TOL


def test_table_1_differs_from_misclassification_parity_on_a_hand_example() -> None:
    # Group a: FPR 1, TPR 0; group b: FPR 0, TPR 1. Error rates: 1 and 0.
    y, h, g = [0, 1, 0, 1], [1, 0, 0, 1], ["a", "a", "b", "b"]
    assert fpm.error_rate_balance(y, h, sensitive_features=g) == 1.0
    assert fpm.error_rate_difference(y, h, sensitive_features=g) == 1.0
    # Both groups err once in two rows (error rates equal), but on opposite labels.
    y, h = [0, 1, 0, 1], [1, 1, 0, 0]
    assert fpm.error_rate_balance(y, h, sensitive_features=g) == 1.0
    assert fpm.error_rate_difference(y, h, sensitive_features=g) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_to_overall_readings_equal_fairlearns_constraint_moments(seed: int) -> None:
    # fairlearn's DemographicParity / EqualizedOdds moments bound exactly these gaps:
    # gamma holds E[h | g=a] - E[h] (per label for EO), so max |gamma| is Δ^DP / Δ^EO,
    # and a reduction trained with eps = rho constrains the quantity PANDA's rho bounds.
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ErrorRateParity

    rng = np.random.default_rng(seed)
    n = 400
    X = pd.DataFrame({"x": rng.random(n)})
    y = pd.Series(rng.integers(0, 2, n))
    g = pd.Series(rng.integers(0, 2 + seed % 3, n))
    h = rng.integers(0, 2, n)
    moments = {}
    for name, moment in (("dp", DemographicParity()), ("eo", EqualizedOdds()),
                         ("err", ErrorRateParity())):
        with warnings.catch_warnings():  # fairlearn's own pandas deprecations
            warnings.simplefilter("ignore")
            moment.load_data(X, y, sensitive_features=g)
        moments[name] = float(moment.gamma(lambda _X: h).abs().max())
    args = {"sensitive_features": g, "method": "to_overall"}
    assert abs(fpm.demographic_parity_difference(y, h, **args) - moments["dp"]) <= TOL
    assert abs(fpm.equalized_odds_difference(y, h, **args) - moments["eo"]) <= TOL
    assert abs(fpm.error_rate_difference(y, h, **args) - moments["err"]) <= TOL


def test_error_rate_balance_is_fairlearns_equalized_odds_difference() -> None:
    from fairlearn.metrics import equalized_odds_difference

    rng = np.random.default_rng(0)
    y, p, g = rng.integers(0, 2, 500), rng.integers(0, 2, 500), rng.integers(0, 4, 500)
    for method in ("between_groups", "to_overall"):
        ours = fpm.error_rate_balance(y, p, sensitive_features=g, method=method)
        ref = equalized_odds_difference(y, p, sensitive_features=g, method=method)
        assert abs(ours - ref) <= TOL
