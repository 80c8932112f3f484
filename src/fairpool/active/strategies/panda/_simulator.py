"""ACTIVELEARNSIM, PANDA's differentiable simulation of one selection round.

A relaxed ``B``-hot batch is drawn with Gumbel-top-``B``, a logistic classifier
started at h0 takes a few unrolled gradient steps on D0 plus the weighted batch, and
the validation loss and a differentiable disparity come back (Sharaf, Daumé III and
Ni, FAccT 2022, Algorithm 2). The disparities are Table 1's, written with the torch
forms of :mod:`fairpool.metrics`' group means, spreads and deviations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fairpool.active.strategies.panda._config import (
    _CONSTRAINTS,
    PAPER_METHODS,
    ConstraintName,
    PandaConfig,
)
from fairpool.active.strategies.panda._policy import (
    PandaPolicy,
    gumbel_top_b,
    hard_top_b,
)
from fairpool.active.strategies.panda._tasks import MetaTask
from fairpool.errors import InvalidInputError
from fairpool.metrics import (
    check_disparity_name,
    group_deviation_torch,
    group_means_torch,
    group_spread_torch,
)

__all__ = [
    "logistic_gradient",
    "unrolled_logistic_gd",
    "soft_disparity",
    "hard_disparity",
    "smoothed_constraint",
    "SimOutcome",
    "active_learn_sim",
]

def logistic_gradient(
    w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor, *, C: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of scikit-learn's weighted L2 logistic objective, scaled by ``1 / (C sum(v))``.

    The objective is ``sum_i v_i l_i(w, b) / sum(v) + ||w||^2 / (2 C sum(v))`` (the
    intercept is not penalised), i.e. ``LogisticRegression(C)``'s objective divided by
    ``C sum(v)``. Written in closed form, so unrolling needs no double backward.
    """
    total = v.sum()
    residual = v * (torch.sigmoid(X @ w + b) - y)
    return (X.T @ residual + w / C) / total, residual.sum() / total


def unrolled_logistic_gd(
    w0: torch.Tensor,
    b0: torch.Tensor,
    X: torch.Tensor,
    y: torch.Tensor,
    sample_weight: torch.Tensor,
    *,
    steps: int,
    lr: float,
    C: float,
    momentum: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``steps`` heavy-ball gradient steps of weighted logistic regression from ``(w0, b0)``.

    Every step is a differentiable tensor expression, so autograd carries gradients
    from the result back to ``sample_weight`` (and through it to the policy).

    Returns
    -------
    (w, b) : tensors after the last step.
    """
    w, b = w0, b0
    vel_w = torch.zeros_like(w0)
    vel_b = torch.zeros_like(b0)
    for _ in range(steps):
        gw, gb = logistic_gradient(w, b, X, y, sample_weight, C=C)
        vel_w = momentum * vel_w - lr * gw
        vel_b = momentum * vel_b - lr * gb
        w, b = w + vel_w, b + vel_b
    return w, b


# ---------------------------------------------------------------------------
# disparities and the constraint
# ---------------------------------------------------------------------------
def soft_disparity(
    predictions: torch.Tensor,
    y: torch.Tensor,
    groups: torch.Tensor,
    *,
    n_groups: int,
    constraint: ConstraintName,
    method: str | None = None,
) -> torch.Tensor:
    """Disparity of (soft) 0/1 predictions across groups, differentiable in ``predictions``.

    Table 1 of the paper (Sharaf, Daumé III, Ni, FAccT 2022), with ``E`` the mean over
    the rows given:

    - ``demographic_parity``: Δ^DP ``max_a |E[h | g=a] - E[h]|``;
    - ``equalized_odds``: Δ^EO ``max_{a,y} |E[h | g=a, Y=y] - E[h | Y=y]|``;
    - ``error_rate_balance``: Δ^EB ``max_{a,a',y} |E[h | g=a, Y=y] - E[h | g=a', Y=y]|``.

    ``method`` overrides the reference: ``"between_groups"`` compares pairs of groups
    (max - min), ``"to_overall"`` each group with the overall rate (of the same label);
    None is the paper's (:data:`PAPER_METHODS`). With hard 0/1 ``predictions`` the
    value equals :func:`fairpool.metrics.demographic_parity_difference` (DP) or
    :func:`fairpool.metrics.error_rate_balance` (EO, EB) with that ``method``.
    """
    check_disparity_name(constraint, _CONSTRAINTS, argument="constraint")
    reading = PAPER_METHODS[constraint] if method is None else method
    if reading not in ("between_groups", "to_overall"):
        raise InvalidInputError(
            f"method must be 'between_groups' or 'to_overall', got {method!r}"
        )
    if constraint == "demographic_parity":
        masks = [torch.ones_like(y, dtype=torch.bool)]
    else:  # one comparison per label: FPR (y = 0) and TPR (y = 1)
        masks = [y > 0.5, y <= 0.5]
    gaps = []
    for mask in masks:
        if not bool(mask.any()):
            continue
        rate, present = group_means_torch(predictions, mask, groups, n_groups)
        if reading == "between_groups":
            gaps.append(group_spread_torch(rate, present))
        else:
            overall = predictions[mask].mean()
            gaps.append(group_deviation_torch(rate, present, overall))
    if not gaps:
        return predictions.sum() * 0.0
    return torch.stack(gaps).max()


def hard_disparity(
    y_pred: np.ndarray, y: np.ndarray, groups: np.ndarray, *, n_groups: int,
    constraint: ConstraintName, method: str | None = None,
) -> float:
    """:func:`soft_disparity` of hard 0/1 predictions, on numpy arrays."""
    return float(
        soft_disparity(
            torch.as_tensor(np.asarray(y_pred), dtype=torch.float64),
            torch.as_tensor(np.asarray(y), dtype=torch.float64),
            torch.as_tensor(np.asarray(groups), dtype=torch.long),
            n_groups=n_groups, constraint=constraint, method=method,
        )
    )


def smoothed_constraint(delta: torch.Tensor, rho: float) -> torch.Tensor:
    """The paper's constraint term: 0 when ``delta < rho``, ``delta`` otherwise."""
    if not rho > 0:
        raise InvalidInputError(f"rho must be > 0, got {rho!r}")
    return torch.where(delta < rho, torch.zeros_like(delta), delta)


# ---------------------------------------------------------------------------
# ACTIVELEARNSIM and the forward-backward splitting step
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SimOutcome:
    """What one ACTIVELEARNSIM returns: validation loss, disparity, the soft batch."""

    loss: torch.Tensor
    disparity: torch.Tensor
    weights: torch.Tensor


def active_learn_sim(
    policy: PandaPolicy, task: MetaTask, config: PandaConfig, *, noise: torch.Tensor
) -> SimOutcome:
    """ACTIVELEARNSIM: select softly, train h from h0 on D0 + batch, score it on validation.

    Parameters
    ----------
    policy : PandaPolicy
    task : MetaTask
    config : PandaConfig
    noise : Tensor of shape (n_pool,)
        The task's Gumbel noise (drawn once per task, reused by the proximal steps).

    Returns
    -------
    SimOutcome
        ``loss``: mean validation log-loss of the simulated classifier; ``disparity``:
        :func:`soft_disparity` of its sharpened predictions ``sigmoid(logit / sharpness)``;
        ``weights``: the ``episode_budget``-hot selection before the
        ``episode_weight`` scaling: with ``selection_gradient="straight_through"``
        the hard top-B in value with the relaxed weights' gradient, else the
        relaxed weights themselves.
    """
    logits = policy(task.features)
    weights = gumbel_top_b(logits, config.episode_budget, policy.temperature, noise=noise)
    if config.selection_gradient == "straight_through":
        # The classifier trains on exactly the hard batch; gradients are the relaxation's.
        hard = hard_top_b((logits + noise).detach(), config.episode_budget)
        weights = hard + (weights - weights.detach())
    X = torch.cat([task.X0, task.Xp])
    y = torch.cat([task.y0, task.yp])
    v = torch.cat([torch.ones_like(task.y0), weights * config.episode_weight])
    w, b = unrolled_logistic_gd(
        task.w0, task.b0, X, y, v, steps=config.inner_steps, lr=task.step_size, C=config.C,
        momentum=config.inner_momentum,
    )
    val_logits = task.Xv @ w + b
    loss = F.binary_cross_entropy_with_logits(val_logits, task.yv)
    soft_pred = torch.sigmoid(val_logits / config.sharpness)
    disparity = soft_disparity(
        soft_pred, task.yv, task.gv, n_groups=task.n_groups, constraint=config.constraint,
        method=config.disparity_method,
    )
    return SimOutcome(loss=loss, disparity=disparity, weights=weights)


