"""Group fairness disparities of binary predictions: DP, EO, equal opportunity, EB, DI.

PANDA's Table 1 (Sharaf, Daumé III, Ni, FAccT 2022) in these terms: Δ^DP is
``demographic_parity_difference(method="to_overall")``, Δ^EO is
``equalized_odds_difference(method="to_overall")`` (= ``error_rate_balance(method=
"to_overall")``) and Δ^EB is ``error_rate_balance()`` (between pairs of groups). The
defaults stay fairlearn's (``between_groups``).

Each function counts one contingency table
(:mod:`fairpool.metrics._contingency`), reads the per-group rates off it
(:mod:`fairpool.metrics._rates`) and reduces them with the rules of
:mod:`fairpool.metrics._spread`. Where fairlearn 0.15 defines the same metric the
result equals fairlearn's to floating-point rounding; the cases where fairpool
deliberately differs (a single group, a group whose rate is undefined, a ratio
of zeros) are listed in ``docs/metrics.md`` and in each ``Raises``/``Warns``.

Why one module of ~640 lines: nine public functions that share one skeleton (count,
read rates, reduce) and one set of helpers; most of the length is their numpydoc
docstrings with examples. Splitting by metric would scatter the shared reduction.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from fairpool.errors import InvalidInputError, UndefinedMetricError
from fairpool.metrics._contingency import GroupedTable, grouped_table
from fairpool.metrics._rates import UNDEFINED_BECAUSE, _divide, rates_from_confusion
from fairpool.metrics._spread import METHODS, Method, comparable_groups, difference, ratio
from fairpool.metrics._validation import check_option, warn_undefined

__all__ = [
    "Aggregation",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparate_impact_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "error_rate_balance",
    "error_rate_difference",
]

Aggregation = Literal["worst_case", "mean"]
_AGGREGATIONS = ("worst_case", "mean")


def _selection(
    y_true: Any, y_pred: Any, sensitive_features: Any, sample_weight: Any
) -> tuple[np.ndarray, float, GroupedTable]:
    """Per-group and overall selection rates from a (group x y_pred) table."""
    grouped = grouped_table(
        [("y_pred", y_pred)], sensitive_features, sample_weight, length_only={"y_true": y_true}
    )
    table = grouped.table
    rates = _divide(table[:, 1], table.sum(axis=1))
    overall = float(table[:, 1].sum() / table.sum())
    return rates, overall, grouped


def _confusion(
    y_true: Any, y_pred: Any, sensitive_features: Any, sample_weight: Any
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], GroupedTable]:
    """Per-group and overall rates from the (group x y_true x y_pred) table."""
    grouped = grouped_table(
        [("y_true", y_true), ("y_pred", y_pred)], sensitive_features, sample_weight
    )
    by_group = rates_from_confusion(grouped.table)
    overall = rates_from_confusion(grouped.table.sum(axis=0))
    return by_group, overall, grouped


def _compared(
    values: np.ndarray, grouped: GroupedTable, quantity: str, metric: str
) -> np.ndarray:
    mask = comparable_groups(
        ~np.isnan(values),
        grouped.groups.names,
        quantity=quantity,
        metric=metric,
        because=UNDEFINED_BECAUSE[quantity],
    )
    return values[mask]


def _gap(
    rates: dict[str, np.ndarray],
    overall: dict[str, np.ndarray],
    grouped: GroupedTable,
    quantity: str,
    method: Method,
    metric: str,
) -> float:
    values = _compared(rates[quantity], grouped, quantity, metric)
    overall_value = overall[quantity]
    if np.isnan(overall_value):
        raise UndefinedMetricError(f"{metric}: overall {quantity} is undefined")
    return float(difference(values, overall_value, method=method))


def _rate_ratio(
    rates: dict[str, np.ndarray],
    overall: dict[str, np.ndarray],
    grouped: GroupedTable,
    quantity: str,
    method: Method,
    metric: str,
) -> float:
    values = _compared(rates[quantity], grouped, quantity, metric)
    return ratio(values, float(overall[quantity]), method=method, quantity=quantity, metric=metric)


def _aggregate(values: list[float], agg: str, worst: Any) -> float:
    return float(worst(values)) if agg == "worst_case" else float(np.mean(values))


def demographic_parity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Demographic parity difference: the spread of selection rates P(ŷ=1 | A=a) across groups.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Ignored apart from its length (kept for fairlearn's signature).
    y_pred : array-like of shape (n,)
        Binary predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        ``max - min`` of the group selection rates, or the largest
        ``|rate - overall rate|``.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float
        0 means every group is selected at the same rate.

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group (fairlearn returns 0).
    UndefinedMetricError
        If fewer than two groups have a positive total weight.
    InvalidInputError, EmptyInputError, LengthMismatchError, MissingValueError, \
NonBinaryLabelError
        On bad input, naming the argument.

    Warns
    -----
    UndefinedRateWarning
        If a group's rows all have zero weight; it is left out.

    Examples
    --------
    >>> demographic_parity_difference([0, 1, 0, 1], [1, 1, 0, 1],
    ...                               sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    rates, overall, grouped = _selection(y_true, y_pred, sensitive_features, sample_weight)
    values = _compared(rates, grouped, "selection_rate", "demographic_parity_difference")
    return float(difference(values, overall, method=method))


def demographic_parity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Demographic parity ratio: smallest over largest group selection rate.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Ignored apart from its length (kept for fairlearn's signature).
    y_pred : array-like of shape (n,)
        Binary predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        ``min / max`` of the group selection rates, or the smallest
        ``min(rate / overall, overall / rate)``.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float
        In ``[0, 1]``; 1 means every group is selected at the same rate.

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have a positive total weight.

    Warns
    -----
    UndefinedRateWarning
        If no row is selected in any group (the ratio is 0/0): returns 1.0
        (fairlearn returns NaN).

    Examples
    --------
    >>> demographic_parity_ratio([0, 1, 0, 1], [1, 1, 0, 1],
    ...                          sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    metric = "demographic_parity_ratio"
    rates, overall, grouped = _selection(y_true, y_pred, sensitive_features, sample_weight)
    values = _compared(rates, grouped, "selection_rate", metric)
    return ratio(values, overall, method=method, quantity="selection_rate", metric=metric)


def equalized_odds_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
    agg: Aggregation = "worst_case",
) -> float:
    """Equalized odds difference: the larger (or mean) of the TPR and FPR differences.

    The TPR difference is the spread of P(ŷ=1 | Y=1, A=a) across groups, the
    FPR difference that of P(ŷ=1 | Y=0, A=a).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        How each rate's spread is measured (see
        :func:`demographic_parity_difference`).
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.
    agg : {"worst_case", "mean"}, default "worst_case"
        Return the larger of the two differences, or their mean.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have positives (TPR) or negatives (FPR).

    Warns
    -----
    UndefinedRateWarning
        If some group has no positives (its TPR is undefined) or no negatives
        (FPR undefined); it is left out of that rate's comparison. fairlearn
        counts such a rate as 0 instead.

    Examples
    --------
    >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 0, 0],
    ...                           sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    check_option(method, "method", METHODS)
    check_option(agg, "agg", _AGGREGATIONS)
    metric = "equalized_odds_difference"
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    gaps = [_gap(rates, overall, grouped, q, method, metric) for q in ("tpr", "fpr")]
    return _aggregate(gaps, agg, max)


def equalized_odds_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
    agg: Aggregation = "worst_case",
) -> float:
    """Equalized odds ratio: the smaller (or mean) of the TPR and FPR ratios.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        How each rate's ratio is measured (see :func:`demographic_parity_ratio`).
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.
    agg : {"worst_case", "mean"}, default "worst_case"
        Return the smaller of the two ratios, or their mean.

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have positives (TPR) or negatives (FPR).

    Warns
    -----
    UndefinedRateWarning
        If a group's TPR or FPR is undefined (left out), or a rate is 0 in
        every group (that ratio is taken as 1.0; fairlearn gives NaN).

    Examples
    --------
    >>> equalized_odds_ratio([1, 1, 0, 1, 1, 0], [1, 1, 1, 1, 0, 1],
    ...                      sensitive_features=["a", "a", "a", "b", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    check_option(agg, "agg", _AGGREGATIONS)
    metric = "equalized_odds_ratio"
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    ratios = [_rate_ratio(rates, overall, grouped, q, method, metric) for q in ("tpr", "fpr")]
    return _aggregate(ratios, agg, min)


def equal_opportunity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Equal opportunity difference: the spread of true positive rates across groups.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        See :func:`demographic_parity_difference`.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have positive labels.

    Warns
    -----
    UndefinedRateWarning
        If a group has no positive labels; it is left out.

    Examples
    --------
    >>> equal_opportunity_difference([1, 1, 1, 1], [1, 1, 1, 0],
    ...                              sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    return _gap(rates, overall, grouped, "tpr", method, "equal_opportunity_difference")


def equal_opportunity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Equal opportunity ratio: smallest over largest group true positive rate.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        See :func:`demographic_parity_ratio`.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have positive labels.

    Warns
    -----
    UndefinedRateWarning
        If a group has no positive labels (left out), or every TPR is 0
        (returns 1.0).

    Examples
    --------
    >>> equal_opportunity_ratio([1, 1, 1, 1], [1, 1, 1, 0],
    ...                         sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    return _rate_ratio(rates, overall, grouped, "tpr", method, "equal_opportunity_ratio")


def error_rate_balance(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Error-rate balance as PANDA's Table 1 defines it: the largest gap in P(ŷ=1 | A, Y=y).

    ``max over y in {0, 1} and group pairs (a, a') of |P(ŷ=1 | A=a, Y=y) -
    P(ŷ=1 | A=a', Y=y)|``: false positive rates (y = 0) and false negative rates
    (y = 1; FNR = 1 - TPR, so its gap is the TPR gap) equal across groups, after
    Chouldechova (2017). Sharaf, Daumé III, Ni, "Promoting Fairness in Learned Models
    by Learning to Active Learn under Parity Constraints", FAccT 2022, Table 1
    (Δ^EB). Numerically this is fairlearn's ``equalized_odds_difference``
    (``agg="worst_case"``, between groups); with ``method="to_overall"`` each
    group is compared with the rate over all rows of the same label, which is
    PANDA's equalized odds Δ^EO. Misclassification-rate parity, P(ŷ ≠ y | A=a),
    is :func:`error_rate_difference`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        ``"between_groups"`` is the paper's Δ^EB (pairs of groups);
        ``"to_overall"`` the paper's Δ^EO (each group against the label's overall rate).
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float
        In ``[0, 1]``; 0 means every group has the same false positive and false
        negative rate.

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    UndefinedMetricError
        If fewer than two groups have positives (FNR) or negatives (FPR).

    Warns
    -----
    UndefinedRateWarning
        If a group has no positives or no negatives; it is left out of that label's
        comparison.

    Examples
    --------
    >>> error_rate_balance([1, 0, 1, 0], [0, 1, 1, 0],
    ...                    sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    check_option(method, "method", METHODS)
    metric = "error_rate_balance"
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    return max(_gap(rates, overall, grouped, q, method, metric) for q in ("tpr", "fpr"))


def error_rate_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Method = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Misclassification-rate parity: the spread of P(ŷ ≠ y | A=a) across groups.

    Accuracy parity; the quantity fairlearn's ``ErrorRateParity`` constraint bounds
    (Agarwal et al., ICML 2018, §2) and equal to fairlearn's
    ``zero_one_loss_difference``. Not PANDA's error-rate balance, which compares
    false positive and false negative rates (:func:`error_rate_balance`).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    method : {"between_groups", "to_overall"}, default "between_groups"
        See :func:`demographic_parity_difference`.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.

    Examples
    --------
    >>> error_rate_difference([1, 0, 1, 0], [1, 0, 0, 0],
    ...                       sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option(method, "method", METHODS)
    rates, overall, grouped = _confusion(y_true, y_pred, sensitive_features, sample_weight)
    return _gap(rates, overall, grouped, "error_rate", method, "error_rate_difference")


def disparate_impact_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    privileged: Any = None,
    sample_weight: Any = None,
) -> float:
    """Disparate impact: selection rate of the worst-off group over that of the reference group.

    With ``privileged`` given this is the classic
    P(ŷ=1 | A=unprivileged) / P(ŷ=1 | A=privileged), taken over the
    unprivileged group with the lowest rate (values above 1 mean every other
    group is selected more often than the privileged one). Without it, the
    reference is the group with the highest selection rate, and the value is
    the demographic parity ratio. The "four-fifths rule" flags values below 0.8.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Ignored apart from its length (kept for fairlearn's signature).
    y_pred : array-like of shape (n,)
        Binary predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    privileged : scalar, str or tuple, optional
        The reference group: a group value (``"Male"``, ``1``) or, for
        intersections, a tuple of values or the ``"|"``-joined name.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    float

    Raises
    ------
    SingleGroupError
        If ``sensitive_features`` holds a single group.
    InvalidInputError
        If ``privileged`` is not one of the groups.
    UndefinedMetricError
        If the privileged group selects nobody while another group selects someone.

    Warns
    -----
    UndefinedRateWarning
        If no group selects anybody (returns 1.0).

    Examples
    --------
    >>> disparate_impact_ratio([0] * 6, [1, 1, 0, 1, 0, 0],
    ...                        sensitive_features=["m", "m", "m", "f", "f", "f"],
    ...                        privileged="m")
    0.5
    """
    metric = "disparate_impact_ratio"
    rates, overall, grouped = _selection(y_true, y_pred, sensitive_features, sample_weight)
    names = grouped.groups.names
    mask = comparable_groups(
        ~np.isnan(rates), names, quantity="selection_rate", metric=metric,
        because=UNDEFINED_BECAUSE["selection_rate"],
    )
    if privileged is None:
        return ratio(rates[mask], overall, method="between_groups",
                     quantity="selection_rate", metric=metric)
    key = "|".join(map(str, privileged)) if isinstance(privileged, tuple) else str(privileged)
    if key not in names:
        shown = ", ".join(repr(n) for n in names[:10])
        raise InvalidInputError(f"privileged group {key!r} is not among the groups: {shown}")
    reference = names.index(key)
    if not mask[reference]:
        raise UndefinedMetricError(
            f"{metric}: the privileged group {key!r} has zero total weight"
        )
    others = rates[mask & (np.arange(rates.size) != reference)]
    if rates[reference] == 0.0:
        if (others == 0.0).all():
            warn_undefined(
                f"{metric}: no group has any positive prediction, so the ratio is 0/0; "
                "returning 1.0 (all groups are equal)"
            )
            return 1.0
        raise UndefinedMetricError(
            f"{metric}: the privileged group {key!r} has selection rate 0 while other "
            "groups have positive rates; the ratio is infinite"
        )
    return float(others.min() / rates[reference])
