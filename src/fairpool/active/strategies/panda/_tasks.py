"""PANDA's meta-tasks: the reshuffles of labelled rows an episode trains on, and the
policy's view of a pool (standardised features, h0 fitted on D0, the policy's input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from fairpool.active.strategies.panda._config import PandaConfig
from fairpool.active.strategies.panda._policy import (
    policy_features,
)
from fairpool.errors import BudgetError

__all__ = [
    "MetaTask",
    "sample_meta_task",
    "fit_initial_classifier",
    "policy_view",
]

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
    :func:`~fairpool.active.strategies.panda.policy_features` adds the group one-hot and
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
