"""Fairness and performance metrics as pure, vectorised functions.

Signatures follow fairlearn: ``f(y_true, y_pred, *, sensitive_features,
sample_weight=None, ...)``; numpy arrays, pandas objects and lists are
accepted, and a 2-D ``sensitive_features`` (an ``(n, k)`` array, a DataFrame, a
dict or a list of columns) means intersectional groups.

Every binary group metric derives from one contingency table (group x y_true
x y_pred) counted in a single pass (:mod:`fairpool.metrics._contingency`); the
active-learning loop calls :func:`encode_groups`, :func:`confusion_by_group`
and the ``*_batch`` functions directly. Undefined cases (a single group, a
group with no positives, ratios of zeros) raise or warn as documented in each
function and in ``docs/metrics.md``.
"""

from fairpool.metrics._batch import (
    demographic_parity_batch,
    equalized_odds_batch,
    error_rate_balance_batch,
    error_rate_difference_batch,
)
from fairpool.metrics._contingency import (
    EncodedGroups,
    GroupedTable,
    confusion_by_group,
    count_by_group,
    encode_groups,
    encode_sensitive_features,
    group_key,
    grouped_table,
)
from fairpool.metrics._disparity import (
    demographic_parity_difference,
    demographic_parity_ratio,
    disparate_impact_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    error_rate_balance,
    error_rate_difference,
)
from fairpool.metrics._group_spread import (
    group_deviation_torch,
    group_means,
    group_means_torch,
    group_spread,
    group_spread_torch,
)
from fairpool.metrics._rates import (
    RATE_NAMES,
    group_rates,
    rate_by_group,
    rates_from_confusion,
    selection_rate,
)
from fairpool.metrics._regression import (
    mean_absolute_error_by_group,
    mean_squared_error_by_group,
    regression_error_difference,
    regression_error_std,
)
from fairpool.metrics._report import DataReport, GroupReport, data_report, group_report
from fairpool.metrics._transport import optimal_transport_distance
from fairpool.metrics._validation import (
    UndefinedRateWarning,
    as_checked_array,
    as_sample_weight,
    check_binary_labels,
)
from fairpool.metrics._vocabulary import (
    DISPARITY_ALIASES,
    DISPARITY_NAMES,
    check_disparity_name,
)

__all__ = [
    "DISPARITY_ALIASES",
    "DISPARITY_NAMES",
    "RATE_NAMES",
    "check_disparity_name",
    "group_key",
    "group_deviation_torch",
    "group_means",
    "group_means_torch",
    "group_spread",
    "group_spread_torch",
    "DataReport",
    "EncodedGroups",
    "GroupReport",
    "GroupedTable",
    "UndefinedRateWarning",
    "as_checked_array",
    "as_sample_weight",
    "check_binary_labels",
    "confusion_by_group",
    "count_by_group",
    "data_report",
    "demographic_parity_batch",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparate_impact_ratio",
    "encode_groups",
    "encode_sensitive_features",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_batch",
    "error_rate_balance_batch",
    "error_rate_difference_batch",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "error_rate_balance",
    "error_rate_difference",
    "group_rates",
    "grouped_table",
    "group_report",
    "mean_absolute_error_by_group",
    "mean_squared_error_by_group",
    "optimal_transport_distance",
    "rate_by_group",
    "rates_from_confusion",
    "regression_error_difference",
    "regression_error_std",
    "selection_rate",
]
