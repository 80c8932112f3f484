"""How far apart per-group values are: differences and ratios, with the undefined-group policy.

Every disparity in :mod:`fairpool.metrics` reduces a vector of per-group values
(selection rates, true positive rates, mean squared errors, ...) to one number
here, so the rules below hold for all of them:

* fewer than two groups: :class:`fairpool.errors.SingleGroupError` -- a
  disparity compares groups;
* a group whose value is undefined (NaN: zero denominator) is left out of the
  comparison with an :class:`UndefinedRateWarning` naming it; if fewer than two
  groups remain, :class:`fairpool.errors.UndefinedMetricError`;
* a ratio whose denominator is zero (every compared value is 0) is 1.0, with
  an :class:`UndefinedRateWarning`: the values are all equal, which is parity.

``between_groups`` and ``to_overall`` follow fairlearn's
``MetricFrame.difference`` / ``MetricFrame.ratio``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from fairpool.errors import SingleGroupError, UndefinedMetricError
from fairpool.metrics._validation import warn_undefined

__all__ = ["Method", "comparable_groups", "difference", "ratio"]

Method = Literal["between_groups", "to_overall"]
METHODS: tuple[str, ...] = ("between_groups", "to_overall")


def _listing(names: Sequence[str], mask: np.ndarray, limit: int = 5) -> str:
    chosen = [names[i] for i in np.flatnonzero(mask)]
    shown = ", ".join(repr(c) for c in chosen[:limit])
    return shown + (f" and {len(chosen) - limit} more" if len(chosen) > limit else "")


def comparable_groups(
    defined: np.ndarray, names: Sequence[str], *, quantity: str, metric: str, because: str
) -> np.ndarray:
    """Mask of the groups a disparity compares, enforcing the policy above.

    Parameters
    ----------
    defined : ndarray of bool, shape (k,)
        Whether each group's value is defined.
    names : sequence of str
        Group names, for messages.
    quantity : str
        What is compared (``"tpr"``), for messages.
    metric : str
        The public function's name, for messages.
    because : str
        Why a group's value can be undefined (``"it has no rows with y_true == 1"``).

    Returns
    -------
    ndarray of bool, shape (k,)
        ``defined`` itself, once the checks pass.

    Raises
    ------
    SingleGroupError
        If there is only one group.
    UndefinedMetricError
        If fewer than two groups have a defined value.
    """
    if defined.shape[0] < 2:
        only = repr(names[0]) if len(names) else "none"
        raise SingleGroupError(
            f"{metric} compares groups, but sensitive_features has a single group ({only})"
        )
    if np.count_nonzero(defined) < 2:
        raise UndefinedMetricError(
            f"{metric}: {quantity} is undefined for group(s) {_listing(names, ~defined)} "
            f"because {because}, leaving fewer than two groups to compare"
        )
    if not defined.all():
        warn_undefined(
            f"{metric}: {quantity} is undefined for group(s) {_listing(names, ~defined)} "
            f"because {because}; they are left out of the comparison"
        )
    return defined


def difference(values: np.ndarray, overall: np.ndarray | float, *, method: Method) -> np.ndarray:
    """Largest gap between groups (``between_groups``) or to the overall value (``to_overall``).

    Parameters
    ----------
    values : ndarray of shape (..., k)
        Defined per-group values (the last axis runs over the compared groups).
    overall : float or ndarray of shape (...)
        The value over all rows (used by ``to_overall``).
    method : {"between_groups", "to_overall"}

    Returns
    -------
    ndarray of shape (...)
        ``max - min`` over groups, or ``max |value - overall|``.
    """
    if method == "between_groups":
        return values.max(axis=-1) - values.min(axis=-1)
    return np.abs(values - np.asarray(overall)[..., None]).max(axis=-1)


def ratio(
    values: np.ndarray, overall: float, *, method: Method, quantity: str, metric: str
) -> float:
    """Smallest ratio between groups, or of each group to the overall value, as a number <= 1.

    Parameters
    ----------
    values : ndarray of shape (k,)
        Defined, non-negative per-group values.
    overall : float
        The value over all rows (used by ``to_overall``).
    method : {"between_groups", "to_overall"}
        ``min / max`` over groups, or ``min over groups of min(v / overall, overall / v)``.
    quantity, metric : str
        For the warning when every value is 0.

    Returns
    -------
    float
        In ``[0, 1]``; 1.0 (with :class:`UndefinedRateWarning`) when every value is 0.
    """
    if method == "between_groups":
        numerator, denominator = float(values.min()), float(values.max())
        if denominator == 0.0:
            return _all_zero(quantity, metric)
        return numerator / denominator
    if overall == 0.0:
        return _all_zero(quantity, metric)
    relative = values / overall
    with np.errstate(divide="ignore"):
        folded = np.where(relative > 1.0, 1.0 / relative, relative)
    return float(folded.min())


def _all_zero(quantity: str, metric: str) -> float:
    warn_undefined(
        f"{metric}: {quantity} is 0 for every group, so the ratio is 0/0; "
        "returning 1.0 (all groups are equal)"
    )
    return 1.0
