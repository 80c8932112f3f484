"""Random sampling baselines: uniform over the pool, and PANDA's group-aware variant.

``group_random`` follows the baseline of Sharaf et al. (FAccT 2022): sample
uniformly among the pool examples of the group on which the model performs
worse. Our reading, where the paper is brief:

* "the model" is the current model of each round (``state.model``), so the target
  group can change as the model improves;
* "performs worse" is the higher misclassification rate, measured on
  ``state.validation`` (the split's validation set, or the labelled set when
  there is none), never on the pool, whose labels are hidden;
* only groups that still have pool rows and validation rows compete; ties go to
  a group drawn by the strategy's rng; with more than two groups the worst one
  is the target;
* when the target group has fewer than ``k`` pool rows, all of them are taken and
  the rest of the batch is drawn uniformly from the other pool rows.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState, rows_output
from fairpool.active._strategy import Strategy, check_query_size
from fairpool.metrics import group_means

__all__ = ["RandomSampling", "GroupAwareRandomSampling", "group_error_rates"]


@register_strategy("random")
class RandomSampling(Strategy):
    """Pick ``k`` pool rows uniformly at random, without replacement."""

    name: ClassVar[str] = "random"

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` distinct pool positions drawn uniformly by ``rng``."""
        k = check_query_size(k, len(state.pool))
        return rng.choice(len(state.pool), size=k, replace=False).astype(np.int64)


def group_error_rates(
    y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, *, n_groups: int
) -> np.ndarray:
    """Misclassification rate of each group code (NaN for a group with no rows).

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n,)
    groups : ndarray of int, shape (n,)
        Group codes ``0 .. n_groups - 1``.
    n_groups : int

    Returns
    -------
    ndarray of shape (n_groups,)
    """
    return group_means((y_true != y_pred).astype(np.float64), groups, n_groups)[0]


@register_strategy("group_random")
class GroupAwareRandomSampling(Strategy):
    """Uniform sampling within the group on which the current model errs most (PANDA's baseline).

    After each :meth:`select`, ``last_info`` holds ``{"target_group": name}``.
    """

    name: ClassVar[str] = "group_random"
    needs_groups: ClassVar[bool] = True

    def __init__(self) -> None:
        self._last_info: dict[str, Any] = {}

    @property
    def last_info(self) -> dict[str, Any]:
        """The group targeted by the last selection: ``{"target_group": name}``."""
        return dict(self._last_info)

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` pool positions, uniformly from the worst group first (see the module notes)."""
        k = check_query_size(k, len(state.pool))
        validation = state.validation
        errors = group_error_rates(
            np.asarray(validation.y),
            rows_output(state.model, "predict", validation),
            validation.groups,
            n_groups=state.n_groups,
        )
        in_pool = np.bincount(state.pool.groups, minlength=state.n_groups) > 0
        measured = in_pool & ~np.isnan(errors)
        contenders = np.flatnonzero(measured) if measured.any() else np.flatnonzero(in_pool)
        if measured.any():
            worst = errors[contenders].max()
            contenders = contenders[errors[contenders] == worst]
        target = int(rng.choice(contenders))
        self._last_info = {"target_group": state.group_names[target]}

        members = np.flatnonzero(state.pool.groups == target)
        if members.shape[0] >= k:
            return rng.choice(members, size=k, replace=False).astype(np.int64)
        others = np.flatnonzero(state.pool.groups != target)
        fill = rng.choice(others, size=k - members.shape[0], replace=False)
        return np.concatenate([members, fill]).astype(np.int64)
