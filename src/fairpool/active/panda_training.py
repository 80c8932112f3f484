"""Meta-training PANDA's policy: meta-tasks, ACTIVELEARNSIM and forward-backward splitting.

The outer problem (Sharaf, Daumé III and Ni, FAccT 2022) is

    min_theta  E_task[ L_V(h_theta) ]   s.t.   Delta_V(h_theta) < rho,

where ``h_theta`` is the classifier obtained by training on the examples the policy
``theta`` selects, ``L_V`` its loss on a validation set and ``Delta_V`` its disparity
there. Each meta-task reshuffles the labelled meta-train rows into a labelled seed
D0, a simulated pool and a validation set (:func:`sample_meta_task`).
:func:`active_learn_sim` (ACTIVELEARNSIM) selects a relaxed ``B``-hot batch with
Gumbel-top-``B``, unrolls a few gradient steps of a logistic classifier started at
h0 (fitted on D0) on D0 plus the softly weighted batch, and returns the validation
loss and a differentiable disparity. :func:`forward_backward_step` takes a gradient
(forward) step on the loss and then an approximate proximal (backward) step on the
constraint. :func:`meta_train` runs the whole procedure with §3.3's pretraining and
early stopping on held-out meta-tasks evaluated with hard selections and fully
trained classifiers.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

from fairpool.active.panda_policy import (
    PandaPolicy,
    attention_context,
    gumbel_top_b,
    hard_top_b,
    policy_features,
    policy_input_width,
    sample_gumbel,
)
from fairpool.errors import BudgetError, InvalidInputError, SingleGroupError

__all__ = [
    "ConstraintName",
    "PandaConfig",
    "MetaTask",
    "SimOutcome",
    "TrainingLog",
    "sample_meta_task",
    "fit_initial_classifier",
    "policy_view",
    "logistic_gradient",
    "unrolled_logistic_gd",
    "soft_disparity",
    "hard_disparity",
    "smoothed_constraint",
    "active_learn_sim",
    "adam_metric",
    "proximal_step",
    "forward_backward_step",
    "evaluate_selection",
    "pretrain_encoder",
    "meta_train",
]

ConstraintName = Literal["demographic_parity", "error_rate_balance"]
_CONSTRAINTS = ("demographic_parity", "error_rate_balance")


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PandaConfig:
    """Everything that defines a PANDA policy and how it is meta-trained (saved as JSON).

    Parameters
    ----------
    budget : int, default=400
        ``B``, the number of examples the policy selects in one step.
    constraint : {"demographic_parity", "error_rate_balance"}
        The parity measure of the constraint (Table 1 of the paper).
    rho : float, default=0.04
        The constraint level: ``Delta_V < rho``.
    width, n_layers, n_heads : int
        Transformer size (the paper searched widths 16/32/64 and 1/3/5 layers).
    temperature : float, default=1.0
        Initial temperature of the relaxed Gumbel-top-B (then learned).
    selection_gradient : {"straight_through", "relaxed"}, default="straight_through"
        How ACTIVELEARNSIM uses the relaxed Gumbel-top-B. ``"relaxed"``: the simulated
        classifier trains on the soft weights. ``"straight_through"``: it trains on
        the hard top-B of the same perturbed logits, and the gradient is the relaxed
        weights' (Jang et al.'s straight-through estimator). With soft weights a
        learned temperature drifts up: spreading weight over the whole simulated pool
        teaches the classifier more than any hard batch can, a gain the real loop
        never sees (docs/panda.md).
    initial_size : int, default=100
        ``|D0|`` of each simulated meta-task (match the real D0).
    episode_pool_size : int, default=2000
        Rows of the simulated pool of each training meta-task (a subsample:
        attention's backward pass costs ``O(n^2)``).
    pool_size : int, optional
        Size of the pool the policy will select from at test time (Adult: 12,211).
        When given, a training episode selects the same *fraction* of its pool,
        ``episode_budget = round(budget * episode_pool_size / pool_size)`` rows, each
        weighted ``budget / episode_budget`` in the simulated classifier (so the
        batch weighs as much as ``B`` rows against D0), and the evaluation tasks
        use pools of ``pool_size`` rows with the hard top-``budget``: the
        deployment regime. None: episodes select ``budget`` rows of their pool.
    attention_context : int or {"episode", "full"}, default="episode"
        Keys and values of the attention blocks when the policy reads a pool larger
        than this: a uniform random subsample of that many rows (every row keeps its
        query and its logit; see :func:`~fairpool.active.panda_policy.attention_context`).
        ``"episode"``: ``episode_pool_size``, the context size training saw;
        ``"full"``: exact attention over the whole pool (``O(n^2)``).
    validation_size : int, default=2000
        Rows of each meta-task's validation set.
    inner_steps : int, default=30
        Unrolled gradient steps of the simulated classifier.
    inner_lr : float, default=1.0
        Step size of those steps in units of ``1 / L`` (``L`` the task's smoothness bound).
    inner_momentum : float, default=0.9
        Heavy-ball momentum of the unrolled steps (brings 30 steps close to the optimum).
    C : float, default=1.0
        Inverse L2 strength of the simulated classifier, as in scikit-learn's
        ``LogisticRegression(C=...)`` (the loop's ``logreg`` learner).
    sharpness : float, default=0.1
        Temperature of the soft predictions ``sigmoid(logit / sharpness)`` the
        differentiable disparity is computed from (0 would be the hard predictions).
    outer_lr : float, default=3e-3
        Adam step size of the forward (loss) step.
    tasks_per_step : int, default=1
        Meta-tasks per outer iteration: both half-steps average over them (a
        mini-batch of simulated active-learning problems, lower-variance gradients).
    prox_steps : int, default=3
        Gradient steps of the approximate proximal (constraint) step.
    prox_weight : float, default=2.0
        ``gamma``, the weight of the constraint in the proximal step
        ``argmin gamma * c(theta) + ||theta - theta_hat||^2 / 2``.
    prox_clip : float, default=5.0
        Largest Euclidean length of ``gamma * grad c`` in one proximal step (the
        relaxation's gradients grow like ``1 / temperature``; unbounded steps diverge
        once the learned temperature is small).
    prox_metric : {"euclidean", "adam"}, default="euclidean"
        The norm of the proximal term: plain Euclidean, or Adam's diagonal metric
        ``sqrt(v_hat) + eps`` (variable-metric splitting; then ``gamma`` is
        ``outer_lr * prox_weight``).
    max_episodes : int, default=600
        Most meta-tasks (outer iterations).
    eval_every : int, default=25
        Outer iterations between evaluations on the held-out meta-tasks.
    n_eval_tasks : int, default=4
        Held-out meta-tasks used for early stopping and the reported constraint value.
    patience : int, default=6
        Evaluations without improvement before training stops (convergence).
    violation_penalty : float, default=10.0
        Model selection score: ``loss + violation_penalty * max(0, Delta - rho)``.
    pretrain_epochs : int, default=5
        Epochs of §3.3 pretraining of the row encoder (0 skips pretraining).
    max_seconds : float, default=840.0
        Wall-clock cap on meta-training.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    """

    budget: int = 400
    constraint: ConstraintName = "demographic_parity"
    rho: float = 0.04
    width: int = 32
    n_layers: int = 1
    n_heads: int = 4
    temperature: float = 1.0
    selection_gradient: Literal["relaxed", "straight_through"] = "straight_through"
    initial_size: int = 100
    episode_pool_size: int = 2000
    pool_size: int | None = None
    attention_context: int | Literal["episode", "full"] = "episode"
    validation_size: int = 2000
    inner_steps: int = 30
    inner_lr: float = 1.0
    inner_momentum: float = 0.9
    C: float = 1.0
    sharpness: float = 0.1
    outer_lr: float = 3e-3
    tasks_per_step: int = 1
    prox_steps: int = 3
    prox_weight: float = 2.0
    prox_clip: float = 5.0
    prox_metric: Literal["euclidean", "adam"] = "euclidean"
    max_episodes: int = 600
    eval_every: int = 25
    n_eval_tasks: int = 4
    patience: int = 6
    violation_penalty: float = 10.0
    pretrain_epochs: int = 5
    max_seconds: float = 840.0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.constraint not in _CONSTRAINTS:
            raise InvalidInputError(
                f"constraint must be one of {_CONSTRAINTS}, got {self.constraint!r}"
            )
        if not (isinstance(self.rho, int | float) and math.isfinite(self.rho) and self.rho > 0):
            raise InvalidInputError(f"rho must be a positive number, got {self.rho!r}")
        for name in ("budget", "initial_size", "episode_pool_size", "validation_size",
                     "width", "n_heads", "max_episodes", "eval_every", "n_eval_tasks",
                     "patience", "tasks_per_step"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
        for name in ("n_layers", "inner_steps", "prox_steps", "pretrain_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(f"{name} must be a non-negative integer, got {value!r}")
        for name in ("inner_lr", "C", "sharpness", "outer_lr", "max_seconds", "prox_clip"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidInputError(f"{name} must be a positive number, got {value!r}")
        if not 0 <= self.inner_momentum < 1:
            raise InvalidInputError(
                f"inner_momentum must lie in [0, 1), got {self.inner_momentum!r}"
            )
        if self.selection_gradient not in ("relaxed", "straight_through"):
            raise InvalidInputError(
                "selection_gradient must be 'relaxed' or 'straight_through', "
                f"got {self.selection_gradient!r}"
            )
        if self.prox_metric not in ("euclidean", "adam"):
            raise InvalidInputError(
                f"prox_metric must be 'euclidean' or 'adam', got {self.prox_metric!r}"
            )
        if self.prox_weight < 0 or self.violation_penalty < 0:
            raise InvalidInputError("prox_weight and violation_penalty must be >= 0")
        context = self.attention_context
        if context not in ("episode", "full") and (
            isinstance(context, bool) or not isinstance(context, int) or context < 1
        ):
            raise InvalidInputError(
                "attention_context must be a positive integer, 'episode' or 'full', "
                f"got {context!r}"
            )
        if self.pool_size is not None:
            if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int):
                raise InvalidInputError(f"pool_size must be an integer, got {self.pool_size!r}")
            if self.pool_size < self.budget:
                raise BudgetError(
                    f"budget B={self.budget} is larger than pool_size={self.pool_size}"
                )
        elif self.budget > self.episode_pool_size:
            raise BudgetError(
                f"budget B={self.budget} is larger than the simulated pool "
                f"(episode_pool_size={self.episode_pool_size})"
            )

    @property
    def episode_budget(self) -> int:
        """Rows a training episode selects: ``budget``, scaled to the pool when ``pool_size``."""
        if self.pool_size is None:
            return self.budget
        scaled = round(self.budget * self.episode_pool_size / self.pool_size)
        return int(min(self.episode_pool_size, max(1, scaled)))

    @property
    def episode_weight(self) -> float:
        """Weight of each selected row in the simulated classifier: ``budget / episode_budget``."""
        return self.budget / self.episode_budget

    @property
    def context_size(self) -> int | None:
        """Rows attended to when reading a larger pool (None: the whole pool)."""
        if self.attention_context == "full":
            return None
        if self.attention_context == "episode":
            return self.episode_pool_size
        return int(self.attention_context)

    @property
    def evaluation_pool_size(self) -> int:
        """Pool rows of the held-out evaluation tasks (``pool_size`` or ``episode_pool_size``)."""
        return self.episode_pool_size if self.pool_size is None else self.pool_size

    def to_json(self) -> str:
        """The configuration as a JSON object string."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PandaConfig:
        """Rebuild a configuration from :meth:`to_json`'s output (unknown keys are refused)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InvalidInputError("a PANDA config must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(f"unknown PANDA config keys: {unknown}")
        return cls(**data)


# ---------------------------------------------------------------------------
# meta-tasks
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MetaTask:
    """One simulated active-learning problem, standardised on its D0, as tensors.

    ``X0, y0`` is the labelled seed, ``Xp, yp, gp`` the simulated pool (its labels
    are the oracle's), ``Xv, yv, gv`` the validation set, ``features`` the policy's
    input for the pool, ``w0, b0`` the initial classifier h0 and ``step_size`` the
    unrolled steps' ``inner_lr / L``.
    """

    X0: torch.Tensor
    y0: torch.Tensor
    Xp: torch.Tensor
    yp: torch.Tensor
    gp: torch.Tensor
    Xv: torch.Tensor
    yv: torch.Tensor
    gv: torch.Tensor
    features: torch.Tensor
    w0: torch.Tensor
    b0: torch.Tensor
    step_size: float
    n_groups: int


def fit_initial_classifier(X0: np.ndarray, y0: np.ndarray, *, C: float) -> tuple[np.ndarray, float]:
    """h0: scikit-learn's L2 logistic regression on D0, as ``(coef, intercept)``.

    A D0 with one class gives ``coef = 0`` and the intercept of its (clipped) rate.
    """
    y0 = np.asarray(y0)
    classes = np.unique(y0)
    if classes.size < 2:
        rate = float(np.clip(np.mean(y0 == 1), 1e-3, 1 - 1e-3))
        return np.zeros(X0.shape[1]), math.log(rate / (1 - rate))
    model = LogisticRegression(C=C, max_iter=1000).fit(X0, y0)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def policy_view(
    X_labelled: np.ndarray,
    y_labelled: np.ndarray,
    X_pool: np.ndarray,
    groups_pool: np.ndarray,
    *,
    n_groups: int,
    C: float,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """The policy's input for a pool, as it sees it in training and at selection time.

    Features are standardised with the labelled rows' statistics, h0 is
    :func:`fit_initial_classifier` on the labelled rows, and
    :func:`~fairpool.active.panda_policy.policy_features` adds the group one-hot and
    h0's probability and entropy of every pool row.

    Parameters
    ----------
    X_labelled, y_labelled : arrays of shape (n0, d) and (n0,)
        The labelled rows (D0 in a meta-task), raw features.
    X_pool : array of shape (n, d)
        The pool's raw features.
    groups_pool : array of int, shape (n,)
    n_groups : int
    C : float
        Inverse L2 strength of h0.
    device : torch.device or str, default="cpu"

    Returns
    -------
    torch.Tensor of shape (n, d + n_groups + 2), float32, on ``device``
    """
    scaler = StandardScaler().fit(X_labelled)
    w0, b0 = fit_initial_classifier(scaler.transform(X_labelled), y_labelled, C=C)
    Xp = scaler.transform(X_pool)
    proba = 1.0 / (1.0 + np.exp(-(Xp @ w0 + b0)))
    return policy_features(
        torch.as_tensor(Xp, dtype=torch.float32, device=device),
        torch.as_tensor(np.asarray(groups_pool), dtype=torch.long, device=device),
        torch.as_tensor(proba, dtype=torch.float32, device=device),
        n_groups=n_groups,
    )


def _smoothness(X: np.ndarray, C: float) -> float:
    """Upper bound ``L`` of the logistic loss' Hessian on the rows ``X`` (mean loss + L2)."""
    Xa = np.hstack([X, np.ones((X.shape[0], 1))]).astype(np.float64)
    top = float(np.linalg.eigvalsh(Xa.T @ Xa / X.shape[0])[-1])
    return 0.25 * top + 1.0 / (C * X.shape[0])


def sample_meta_task(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    n_groups: int,
    config: PandaConfig,
    rng: np.random.Generator,
    device: torch.device | str = "cpu",
    pool_size: int | None = None,
) -> MetaTask:
    """Reshuffle labelled rows into D0, a simulated pool and a validation set.

    ``pool_size`` overrides ``config.episode_pool_size`` (evaluation tasks use the
    deployment pool size).

    Rows are permuted with ``rng``; D0 takes the first ``initial_size`` rows (redrawn,
    up to 20 times, until it holds both classes), the pool the next
    ``episode_pool_size`` and validation the next ``validation_size`` (fewer when the
    data are short: at least ``budget`` pool rows and 10 validation rows are required).

    Two standardisations, each matching what the real loop does: the policy's input
    is standardised with D0's statistics (what :meth:`PandaStrategy.select` sees when
    only D0 is labelled), and the simulated classifier works in the space
    standardised with the statistics of D0 + pool, a stand-in for the labelled set
    D0 + batch the loop's final classifier is standardised on (the L2 penalty is
    not invariant to that scale, so the spaces matter).
    """
    n = X.shape[0]
    n0 = config.initial_size
    need = n0 + config.budget + 10
    if n < need:
        raise BudgetError(
            f"meta-training needs at least initial_size + budget + 10 = {need} labelled rows, "
            f"got {n}"
        )
    for _ in range(20):
        perm = rng.permutation(n)
        d0 = perm[:n0]
        if np.unique(y[d0]).size == 2:
            break
    rest = n - n0
    wanted = config.episode_pool_size if pool_size is None else pool_size
    n_pool = min(wanted, max(config.budget, rest // 2))
    n_val = min(config.validation_size, rest - n_pool)
    pool = perm[n0 : n0 + n_pool]
    val = perm[n0 + n_pool : n0 + n_pool + n_val]
    # The simulated classifier's space: standardised on D0 + pool; h0 refitted there.
    space = StandardScaler().fit(X[np.concatenate([d0, pool])])
    X0, Xp, Xv = (space.transform(X[idx]) for idx in (d0, pool, val))
    w0, b0 = fit_initial_classifier(X0, y[d0], C=config.C)
    step = config.inner_lr / _smoothness(np.vstack([X0, Xp]), config.C)

    def t(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a), dtype=dtype, device=device)

    gp = t(groups[pool], torch.long)
    return MetaTask(
        X0=t(X0), y0=t(y[d0]), Xp=t(Xp), yp=t(y[pool]), gp=gp,
        Xv=t(Xv), yv=t(y[val]), gv=t(groups[val], torch.long),
        features=policy_view(X[d0], y[d0], X[pool], groups[pool], n_groups=n_groups,
                             C=config.C, device=device),
        w0=t(w0), b0=t(b0), step_size=float(step), n_groups=n_groups,
    )


# ---------------------------------------------------------------------------
# the simulated classifier
# ---------------------------------------------------------------------------
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
def _group_means(values: torch.Tensor, mask: torch.Tensor, groups: torch.Tensor, n_groups: int):
    """Per-group mean of ``values`` over rows where ``mask``; and which groups have rows."""
    mask = mask.to(values.dtype)
    sums = torch.zeros(n_groups, dtype=values.dtype, device=values.device).index_add(
        0, groups, values * mask
    )
    counts = torch.zeros(n_groups, dtype=values.dtype, device=values.device).index_add(
        0, groups, mask
    )
    present = counts > 0
    return sums / counts.clamp_min(1.0), present


def _spread(rates: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """max - min of ``rates`` over the groups that are present."""
    if int(present.sum()) < 2:
        return rates.sum() * 0.0
    r = rates[present]
    return r.max() - r.min()


def soft_disparity(
    predictions: torch.Tensor,
    y: torch.Tensor,
    groups: torch.Tensor,
    *,
    n_groups: int,
    constraint: ConstraintName,
) -> torch.Tensor:
    """Disparity of (soft) 0/1 predictions across groups, differentiable in ``predictions``.

    Table 1 of the paper, with the gap over several groups taken as max - min:

    - ``demographic_parity``: spread of ``P(yhat = 1 | g)``;
    - ``error_rate_balance``: spread of the error rate ``P(yhat != y | g)``, with the
      soft error ``p (1 - y) + (1 - p) y`` (the same definition as
      :func:`fairpool.metrics.error_rate_balance`; its reading is in docs/metrics.md).

    With hard 0/1 ``predictions`` it equals the usual metric.
    """
    if constraint == "demographic_parity":
        rate, present = _group_means(predictions, torch.ones_like(y, dtype=torch.bool), groups,
                                     n_groups)
        return _spread(rate, present)
    if constraint == "error_rate_balance":
        errors = predictions * (1 - y) + (1 - predictions) * y
        rate, present = _group_means(errors, torch.ones_like(y, dtype=torch.bool), groups,
                                     n_groups)
        return _spread(rate, present)
    raise InvalidInputError(f"constraint must be one of {_CONSTRAINTS}, got {constraint!r}")


def hard_disparity(
    y_pred: np.ndarray, y: np.ndarray, groups: np.ndarray, *, n_groups: int,
    constraint: ConstraintName,
) -> float:
    """:func:`soft_disparity` of hard 0/1 predictions, on numpy arrays."""
    return float(
        soft_disparity(
            torch.as_tensor(np.asarray(y_pred), dtype=torch.float64),
            torch.as_tensor(np.asarray(y), dtype=torch.float64),
            torch.as_tensor(np.asarray(groups), dtype=torch.long),
            n_groups=n_groups, constraint=constraint,
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
        soft_pred, task.yv, task.gv, n_groups=task.n_groups, constraint=config.constraint
    )
    return SimOutcome(loss=loss, disparity=disparity, weights=weights)


def _trainable(policy: PandaPolicy) -> list[torch.nn.Parameter]:
    return [p for p in policy.parameters() if p.requires_grad]


def adam_metric(optimizer: torch.optim.Adam, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Adam's diagonal metric ``sqrt(v_hat) + eps`` for each parameter (ones before any step)."""
    beta2 = optimizer.param_groups[0]["betas"][1]
    eps = optimizer.param_groups[0]["eps"]
    metric = []
    for p in params:
        state = optimizer.state.get(p, {})
        if "exp_avg_sq" in state:
            v_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
            metric.append(v_hat.sqrt() + eps)
        else:
            metric.append(torch.ones_like(p))
    return metric


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _mean_constraint(
    policy: PandaPolicy, tasks: Sequence[MetaTask], noises: Sequence[torch.Tensor],
    config: PandaConfig,
) -> torch.Tensor:
    """Mean over ``tasks`` of :func:`smoothed_constraint` of ACTIVELEARNSIM's disparity."""
    values = [
        smoothed_constraint(active_learn_sim(policy, task, config, noise=noise).disparity,
                            config.rho)
        for task, noise in zip(tasks, noises, strict=True)
    ]
    return torch.stack(values).mean()


def proximal_step(
    policy: PandaPolicy,
    task: MetaTask | Sequence[MetaTask],
    config: PandaConfig,
    *,
    noise: torch.Tensor | Sequence[torch.Tensor],
    gamma: float,
    metric: Sequence[torch.Tensor] | None = None,
) -> float:
    """Approximate ``prox_{gamma c}(theta_hat)`` in place, from ``theta_hat`` = current weights.

    Takes ``config.prox_steps`` preconditioned gradient steps on
    ``gamma * c(theta) + ||theta - theta_hat||_D^2 / 2``, where ``c`` is
    :func:`smoothed_constraint` of ACTIVELEARNSIM's disparity on ``task`` with the
    fixed Gumbel ``noise`` (averaged over the tasks when ``task`` is a list, with one
    noise vector each) and ``D = diag(metric)``: each step is
    ``theta -= 0.5 * (gamma * grad c / D + (theta - theta_hat))``. It stops at once
    when ``c = 0`` at ``theta_hat`` (the constraint holds; the proximal point is
    ``theta_hat`` itself).

    Returns
    -------
    float
        The constraint value ``c`` at the last point evaluated.
    """
    tasks, noises = _as_list(task), _as_list(noise)
    params = _trainable(policy)
    anchor = [p.detach().clone() for p in params]
    if metric is None:
        metric = [torch.ones_like(p) for p in params]
    value = float("nan")
    for step in range(config.prox_steps):
        c = _mean_constraint(policy, tasks, noises, config)
        value = c.item()
        if value == 0.0 and step == 0:
            break
        grads = torch.autograd.grad(c, params, allow_unused=True)
        scaled = [gamma * g / d if g is not None else torch.zeros_like(a)
                  for g, a, d in zip(grads, anchor, metric, strict=True)]
        norm = torch.sqrt(sum((g * g).sum() for g in scaled))
        if not torch.isfinite(norm):
            break  # a degenerate simulation: keep the current point
        # The relaxation's gradients grow like 1 / temperature: bound the step's length.
        shrink = min(1.0, config.prox_clip / max(float(norm), 1e-12))
        with torch.no_grad():
            for p, g, a in zip(params, scaled, anchor, strict=True):
                p -= 0.5 * ((p - a) + shrink * g)
    return value


def forward_backward_step(
    policy: PandaPolicy,
    optimizer: torch.optim.Adam,
    task: MetaTask | Sequence[MetaTask],
    config: PandaConfig,
    *,
    generator: torch.Generator,
) -> dict[str, float]:
    """One outer iteration of forward-backward splitting on one meta-task (or a mini-batch).

    1. Forward step: an Adam step on the validation loss ``L_V`` of ACTIVELEARNSIM
       (averaged over the tasks when ``task`` is a list).
    2. Backward step: :func:`proximal_step` on the constraint with
       ``gamma = prox_weight`` in the Euclidean metric (or, with
       ``prox_metric="adam"``, ``outer_lr * prox_weight`` in Adam's metric); the same
       Gumbel noise is used throughout, so both half-steps see the same batches.

    Returns
    -------
    dict with the mean loss and disparity before the step and the constraint after it.
    """
    tasks = _as_list(task)
    noises = [sample_gumbel((t.features.shape[0],), generator=generator,
                            device=t.features.device) for t in tasks]
    optimizer.zero_grad(set_to_none=True)
    outcomes = [active_learn_sim(policy, t, config, noise=n)
                for t, n in zip(tasks, noises, strict=True)]
    torch.stack([o.loss for o in outcomes]).mean().backward()
    params = _trainable(policy)
    if all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in params):
        optimizer.step()  # a non-finite gradient (degenerate simulation) skips the step
    record = {"loss": float(np.mean([o.loss.item() for o in outcomes])),
              "disparity": float(np.mean([o.disparity.item() for o in outcomes])),
              "temperature": policy.temperature.item()}
    if config.prox_steps and config.prox_weight:
        record["constraint_after"] = proximal_step(
            policy, tasks, config, noise=noises,
            gamma=config.prox_weight * (config.outer_lr if config.prox_metric == "adam" else 1.0),
            metric=adam_metric(optimizer, params) if config.prox_metric == "adam" else None,
        )
    return record


# ---------------------------------------------------------------------------
# evaluation with hard selections and a fully trained classifier
# ---------------------------------------------------------------------------
def evaluate_selection(
    task: MetaTask, selected: np.ndarray, config: PandaConfig
) -> dict[str, float]:
    """Train ``LogisticRegression(C)`` on D0 + the selected pool rows and score it on validation.

    This is the real inner problem (a converged classifier, hard selection), as the
    loop will solve it: features re-standardised on the labelled set.

    Returns
    -------
    dict with ``loss`` (validation log-loss), ``disparity`` (hard predictions),
    ``f1`` and ``accuracy``.
    """
    X0 = task.X0.cpu().numpy()
    Xp = task.Xp.cpu().numpy()[selected]
    X = np.vstack([X0, Xp])
    y = np.concatenate([task.y0.cpu().numpy(), task.yp.cpu().numpy()[selected]]).astype(int)
    Xv = task.Xv.cpu().numpy()
    yv = task.yv.cpu().numpy().astype(int)
    scaler = StandardScaler().fit(X)
    if np.unique(y).size < 2:
        p = np.full(Xv.shape[0], float(y[0]))
    else:
        model = LogisticRegression(C=config.C, max_iter=1000).fit(scaler.transform(X), y)
        p = model.predict_proba(scaler.transform(Xv))[:, 1]
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    y_pred = (p >= 0.5).astype(int)
    return {
        "loss": float(-np.mean(yv * np.log(pc) + (1 - yv) * np.log(1 - pc))),
        "disparity": hard_disparity(y_pred, yv, task.gv.cpu().numpy(), n_groups=task.n_groups,
                                    constraint=config.constraint),
        "f1": float(f1_score(yv, y_pred, zero_division=0.0)),
        "accuracy": float(np.mean(yv == y_pred)),
    }


def _evaluate_policy(
    policy: PandaPolicy,
    tasks: Sequence[MetaTask],
    config: PandaConfig,
    *,
    rng: np.random.Generator | None = None,
):
    """Mean :func:`evaluate_selection` of the policy's batches: Gumbel-top-B samples drawn
    from ``rng`` (the policy as trained), or the top-B logits when ``rng`` is None."""
    results = []
    context_rng = np.random.default_rng(0x0C7)  # the same contexts at every evaluation
    with torch.no_grad():
        for task in tasks:
            n = task.features.shape[0]
            context = attention_context(n, config.context_size, context_rng,
                                        device=task.features.device)
            logits = policy(task.features, context).double().cpu().numpy()
            if rng is not None:
                logits = logits + rng.gumbel(size=logits.shape[0])
            chosen = np.argsort(-logits, kind="stable")[: config.budget]
            results.append(evaluate_selection(task, chosen, config))
    return {key: float(np.mean([r[key] for r in results])) for key in results[0]}


def _evaluate_random(tasks: Sequence[MetaTask], config: PandaConfig, rng: np.random.Generator):
    results = [
        evaluate_selection(task, rng.choice(task.Xp.shape[0], config.budget, replace=False),
                           config)
        for task in tasks
    ]
    return {key: float(np.mean([r[key] for r in results])) for key in results[0]}


# ---------------------------------------------------------------------------
# §3.3 pretraining
# ---------------------------------------------------------------------------
def pretrain_encoder(
    policy: PandaPolicy,
    X: np.ndarray,
    y: np.ndarray,
    *,
    config: PandaConfig,
    rng: np.random.Generator,
    generator: torch.Generator,
    device: torch.device,
) -> float:
    """Pretrain the policy's row encoder, with a throw-away linear head, to predict labels.

    Each epoch standardises the rows with the statistics of a fresh random D0-sized
    draw (the space the encoder will see inside meta-tasks and at test time) and runs
    mini-batch Adam on the log-loss. Returns the last epoch's mean training loss.
    """
    encoder = policy.encoder
    width = encoder.net[-1].out_features
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**62)))
        head = torch.nn.Linear(width, 1).to(device)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=3e-3)
    y_t = torch.as_tensor(y, dtype=torch.float32, device=device)
    last = float("nan")
    n0 = min(config.initial_size, X.shape[0])
    for _ in range(config.pretrain_epochs):
        d0 = rng.choice(X.shape[0], n0, replace=False)
        X_t = torch.as_tensor(
            StandardScaler().fit(X[d0]).transform(X), dtype=torch.float32, device=device
        ).clamp(-5.0, 5.0)  # the same bound as policy_features
        order = torch.randperm(X.shape[0], generator=generator).to(device)
        losses = []
        for batch in order.split(256):
            optimizer.zero_grad(set_to_none=True)
            out = head(encoder(X_t[batch])).squeeze(-1)
            loss = F.binary_cross_entropy_with_logits(out, y_t[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        last = float(np.mean(losses))
    return last


# ---------------------------------------------------------------------------
# the whole meta-training run
# ---------------------------------------------------------------------------
@dataclass
class TrainingLog:
    """What meta-training did: per-episode records, evaluations, timings and the outcome."""

    episodes: int = 0
    seconds: float = 0.0
    pretrain_loss: float = float("nan")
    history: list[dict[str, float]] = field(default_factory=list)
    evaluations: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    random_baseline: dict[str, float] = field(default_factory=dict)
    stopped: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (without the per-episode history)."""
        return {
            "episodes": self.episodes,
            "seconds": self.seconds,
            "pretrain_loss": self.pretrain_loss,
            "best": self.best,
            "random_baseline": self.random_baseline,
            "evaluations": self.evaluations,
            "stopped": self.stopped,
        }


def _score(result: dict[str, float], config: PandaConfig) -> float:
    return result["loss"] + config.violation_penalty * max(0.0, result["disparity"] - config.rho)


def meta_train(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    n_groups: int,
    config: PandaConfig,
    seed: int,
    device: torch.device,
    verbose: bool = False,
) -> tuple[PandaPolicy, TrainingLog]:
    """Pretrain and meta-train a :class:`PandaPolicy` on labelled rows ``(X, y, groups)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Raw (unstandardised) features of the labelled meta-train rows.
    y : ndarray of shape (n,)
        Binary labels 0/1.
    groups : ndarray of shape (n,)
        Group codes ``0 .. n_groups - 1``; at least two groups must occur.
    n_groups : int
    config : PandaConfig
    seed : int
        Seeds the task draws, the Gumbel noise, the initialisation and pretraining.
    device : torch.device
    verbose : bool, default=False
        Print one line per evaluation.

    Returns
    -------
    policy : PandaPolicy
        The best policy on the held-out meta-tasks (in eval mode, on ``device``).
    log : TrainingLog
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    if not np.isin(np.unique(y), (0, 1)).all():
        raise InvalidInputError("PANDA meta-training needs binary labels 0/1 in y")
    if np.unique(groups).size < 2:
        raise SingleGroupError("PANDA meta-training needs at least two groups in the labelled data")
    start = time.perf_counter()
    rng = np.random.default_rng([seed, 0x9A4DA])
    generator = torch.Generator(device=device)
    generator.manual_seed(int(rng.integers(2**62)))
    cpu_generator = torch.Generator()
    cpu_generator.manual_seed(int(rng.integers(2**62)))
    log = TrainingLog()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**62)))
        policy = PandaPolicy(
            policy_input_width(X.shape[1], n_groups), n_features=X.shape[1],
            width=config.width, n_layers=config.n_layers, n_heads=config.n_heads,
            temperature=config.temperature,
        ).to(device)
    if config.pretrain_epochs:
        log.pretrain_loss = pretrain_encoder(
            policy, X, y, config=config, rng=rng, generator=cpu_generator, device=device
        )
        # §3.3: the pretrained representation is kept; the layers above it are meta-trained.
        for p in policy.encoder.parameters():
            p.requires_grad_(False)

    eval_rng = np.random.default_rng([seed, 0xE7A1])
    eval_tasks = [
        sample_meta_task(X, y, groups, n_groups=n_groups, config=config, rng=eval_rng,
                         device=device, pool_size=config.evaluation_pool_size)
        for _ in range(config.n_eval_tasks)
    ]
    log.random_baseline = _evaluate_random(eval_tasks, config, np.random.default_rng([seed, 7]))
    optimizer = torch.optim.Adam(_trainable(policy), lr=config.outer_lr)

    best_state = copy.deepcopy(policy.state_dict())
    # Common random numbers: every evaluation draws the same Gumbel noise per task.
    def evaluation_rng() -> np.random.Generator:
        return np.random.default_rng([seed, 0x6E])

    best = _evaluate_policy(policy, eval_tasks, config, rng=evaluation_rng())
    best["episode"] = 0
    log.evaluations.append(dict(best))
    best_score = _score(best, config)
    since_best = 0
    log.stopped = "max_episodes"
    for episode in range(1, config.max_episodes + 1):
        tasks = [
            sample_meta_task(X, y, groups, n_groups=n_groups, config=config, rng=rng,
                             device=device)
            for _ in range(config.tasks_per_step)
        ]
        policy.train()
        log.history.append(forward_backward_step(policy, optimizer, tasks, config,
                                                 generator=generator))
        log.episodes = episode
        if episode % config.eval_every == 0 or episode == config.max_episodes:
            policy.eval()
            result = _evaluate_policy(policy, eval_tasks, config, rng=evaluation_rng())
            result["episode"] = episode
            result["seconds"] = time.perf_counter() - start
            log.evaluations.append(result)
            if verbose:
                print(
                    f"episode {episode:4d}  loss {result['loss']:.4f}  "
                    f"disparity {result['disparity']:.4f}  f1 {result['f1']:.3f}  "
                    f"T {policy.temperature.item():.3f}  {result['seconds']:.0f}s",
                    flush=True,
                )
            score = _score(result, config)
            if score < best_score - 1e-4:
                best_score, best, since_best = score, result, 0
                best_state = copy.deepcopy(policy.state_dict())
            else:
                since_best += 1
                if since_best >= config.patience:
                    log.stopped = "converged"
                    break
        if time.perf_counter() - start > config.max_seconds:
            log.stopped = "max_seconds"
            break
    policy.load_state_dict(best_state)
    policy.eval()
    log.best = best
    log.seconds = time.perf_counter() - start
    return policy, log
