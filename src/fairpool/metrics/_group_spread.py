"""Per-group means and their spread, for code that scores many candidates or trains.

The public metrics (:mod:`fairpool.metrics`) validate their input, warn about undefined
groups and follow fairlearn's conventions; inside an acquisition function or a training
loss the inputs are already group codes and the same computation runs thousands of
times, so it needs the bare arithmetic. These functions are that arithmetic, once: a
numpy form (Falcon's target groups, group-aware random sampling) and a torch twin
(PANDA's differentiable constraint), tested equal to each other and to the public
metrics. A group with no rows has no mean; the spread is taken over the groups that
have one (and is NaN, or 0 in the torch form so a loss stays finite, when fewer than
two do).

Hand-written: ``np.bincount`` / ``Tensor.index_add`` do the counting; no library offers
the masked spread with the argmin/argmax Falcon needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "group_means",
    "group_spread",
    "group_means_torch",
    "group_spread_torch",
    "group_deviation_torch",
]


def group_means(
    values: np.ndarray, groups: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` within each group code.

    Parameters
    ----------
    values : ndarray of float, shape (n,)
        E.g. 0/1 error indicators or predictions.
    groups : ndarray of int, shape (n,)
        Group codes ``0 .. n_groups - 1``.
    n_groups : int

    Returns
    -------
    means : ndarray of float64, shape (n_groups,)
        NaN for a group with no rows.
    present : ndarray of bool, shape (n_groups,)
        Which groups have rows.
    """
    total = np.bincount(groups, weights=np.asarray(values, dtype=np.float64), minlength=n_groups)
    size = np.bincount(groups, minlength=n_groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(size > 0, total / size, np.nan)
    return means, size > 0


def group_spread(means: np.ndarray) -> tuple[float, int, int]:
    """``(max - min, argmin, argmax)`` over the defined (non-NaN) group values.

    Parameters
    ----------
    means : ndarray of float, shape (k,)
        Per-group values, NaN where undefined.

    Returns
    -------
    spread : float
        NaN when fewer than two groups are defined.
    lowest, highest : int
        Positions of the smallest and largest defined values (-1 when undefined).
    """
    defined = np.flatnonzero(~np.isnan(means))
    if defined.shape[0] < 2:
        return math.nan, -1, -1
    values = means[defined]
    lo, hi = defined[np.argmin(values)], defined[np.argmax(values)]
    return float(means[hi] - means[lo]), int(lo), int(hi)


def group_means_torch(values: Any, mask: Any, groups: Any, n_groups: int) -> tuple[Any, Any]:
    """Differentiable per-group mean of ``values`` over the rows where ``mask`` holds.

    The torch twin of :func:`group_means` (with a row mask, e.g. ``y == 1``).

    Parameters
    ----------
    values : torch.Tensor, shape (n,)
    mask : torch.Tensor of bool, shape (n,)
    groups : torch.Tensor of int64, shape (n,)
    n_groups : int

    Returns
    -------
    means : torch.Tensor, shape (n_groups,)
        0 for a group with no (masked) rows; see ``present``.
    present : torch.Tensor of bool, shape (n_groups,)
    """
    import torch

    mask = mask.to(values.dtype)
    sums = torch.zeros(n_groups, dtype=values.dtype, device=values.device).index_add(
        0, groups, values * mask
    )
    counts = torch.zeros(n_groups, dtype=values.dtype, device=values.device).index_add(
        0, groups, mask
    )
    present = counts > 0
    return sums / counts.clamp_min(1.0), present


def group_spread_torch(means: Any, present: Any) -> Any:
    """Differentiable ``max - min`` of ``means`` over the ``present`` groups.

    The torch twin of :func:`group_spread`'s first value; a zero that keeps the graph
    when fewer than two groups are present.

    Parameters
    ----------
    means : torch.Tensor, shape (k,)
    present : torch.Tensor of bool, shape (k,)

    Returns
    -------
    torch.Tensor, scalar
    """
    if int(present.sum()) < 2:
        return means.sum() * 0.0
    r = means[present]
    return r.max() - r.min()


def group_deviation_torch(means: Any, present: Any, overall: Any) -> Any:
    """Differentiable ``max_a |means[a] - overall|`` over the ``present`` groups.

    The torch twin of ``method="to_overall"`` of the public metrics: PANDA's Table 1
    demographic parity ``max_a |E[h | g=a] - E[h]|`` when ``overall`` is the mean
    prediction over all rows (Sharaf, Daumé III, Ni, FAccT 2022). A zero that keeps the
    graph when fewer than two groups are present (one group is the overall rate).

    Parameters
    ----------
    means : torch.Tensor, shape (k,)
    present : torch.Tensor of bool, shape (k,)
    overall : torch.Tensor, scalar
        The same mean over every row (not the mean of the group means).

    Returns
    -------
    torch.Tensor, scalar
    """
    if int(present.sum()) < 2:
        return means.sum() * 0.0
    return (means[present] - overall).abs().max()
