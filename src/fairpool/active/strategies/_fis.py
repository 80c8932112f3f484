"""FIS: Fair Influential Sampling (Pang, Wang, Zhu, Yao, Qian, Liu, NeurIPS 2024).

"Fairness Without Harm: An Influence-Guided Active Sampling Approach" scores each
pool candidate ``x`` by its *influence* on two quantities measured on a labelled
validation set whose groups are known (the only rows whose groups FIS reads):

* the accuracy loss ``L_acc(θ)``, the mean cross-entropy on the validation rows;
* the fairness loss ``L_fair(θ) = ½ Σ_c Δ_c(θ)²``, with ``Δ_c`` the gap between the
  groups' *soft* rates (mean predicted probability of the positive class) of one
  component ``c``: the positive rate (demographic parity), the true-positive rate
  (equal opportunity), or the false- and true-positive rates (equalized odds, two
  components). With more than two groups ``Δ_c`` is the largest minus the smallest
  group's rate.

The influence of labelling ``x`` with ``y`` on a validation loss ``Q`` is the change
of ``Q`` when the model learns ``(x, y)``:

``influence="gradient"`` (the paper's first-order estimate, default)
    ``I_Q(x, y) = -∇_θ ℓ(x, y; θ)ᵀ ∇_θ Q(θ)``: the change of ``Q`` after one unit
    gradient step on the candidate's loss ``ℓ`` (the step size is a positive constant
    that orders nothing and is dropped).
``influence="newton"``
    ``I_Q(x, y) = Q(θ_{L ∪ (x, y)}) - Q(θ_L)`` with the refitted parameters from the
    shared engine's closed-form Newton refit (:class:`NewtonRefit`): the influence
    of actually retraining, as FAL's engine estimates it.

Both act on the engine's logistic form of the model (the learner's own parameters
when it is an L2 logistic regression, else a logistic surrogate fitted on the
labelled set), so FIS shares its model reading, surrogate and validation handling
with ``fal_fast`` and FACA-GEN.

The selection rule (the authors' strategy 2, the one the paper reports as FIS):

1. score a random subset of ``candidate_factor · k`` pool rows (all with ``None``);
2. the label of a pool row is unknown, so FIS uses a *proxy label*
   ``ŷ(x) = argmin_y |I_acc(x, y)|``, the label whose accuracy influence is smallest
   in size (for the gradient estimate of a binary logistic model this is the model's
   own prediction, because ``|I_acc(x, y)| ∝ |σ(θᵀx) - y|``);
3. ``s(x) = I_fair(x, ŷ)``, set to 0 when ``I_acc(x, ŷ) > 0`` (the accuracy-harm
   constraint: a row that would raise the validation loss gives no fairness credit);
4. label the ``k`` rows of most negative ``s``. Only rows with ``s < 0`` are wanted; the
   authors' code labels fewer rows in such a round, while fairpool's loop buys ``k``
   per round, so the shortfall is filled with rows drawn at random from the other
   candidates (``last_info["n_wanted"]`` says how many were wanted).

Not reproduced: the authors' code also labels, and then trains without, rows whose
influence under their *true* label turns out harmful; fairpool's loop trains on every
row it buys. Hand-written: no library computes these influences for a pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import expit

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy, check_query_size
from fairpool.active.strategies._expected_fairness import _check_reference
from fairpool.active.strategies._newton_refit import (
    _BLOCK_ELEMENTS,
    DEFAULT_NEWTON_STEPS,
    NewtonRefit,
    _check_binary_labels,
    _logistic_form,
)
from fairpool.errors import InvalidInputError

__all__ = [
    "FairInfluenceSampling",
    "FisFairness",
    "fis_influences",
    "soft_fairness_loss",
    "validation_log_loss",
]

FisFairness = Literal["demographic_parity", "equal_opportunity", "equalized_odds"]
_FIS_FAIRNESS = ("demographic_parity", "equal_opportunity", "equalized_odds")
_INFLUENCES = ("gradient", "newton")
_PROBA_FLOOR = 1e-12


def _components(y: np.ndarray, fairness: str) -> list[np.ndarray]:
    """Row masks of the fairness components: all rows, ``y = 1``, or ``y = 0`` and ``y = 1``."""
    if fairness == "demographic_parity":
        return [np.ones(y.shape[0], dtype=bool)]
    if fairness == "equal_opportunity":
        return [y == 1]
    return [y == 0, y == 1]


def _component_rates(
    proba: np.ndarray, y: np.ndarray, groups: np.ndarray, fairness: str
) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Per component: the groups' soft rates (m, G') and each present group's row mask."""
    out = []
    for mask in _components(y, fairness):
        masks = [mask & (groups == g) for g in np.unique(groups[mask])]
        rates = np.stack([proba[..., m].mean(axis=-1) for m in masks], axis=-1)
        out.append((rates, masks))
    return out


def soft_fairness_loss(
    proba: np.ndarray, y: np.ndarray, groups: np.ndarray, fairness: FisFairness
) -> np.ndarray:
    """FIS's fairness loss ``½ Σ_c Δ_c²`` of soft group rates, for one or many models.

    Parameters
    ----------
    proba : ndarray of shape (n,) or (m, n)
        Predicted probability of the positive class on the ``n`` validation rows, for
        one model or ``m`` models.
    y : ndarray of shape (n,)
        Validation labels (0/1); they pick the rows of the equal-opportunity and
        equalized-odds components.
    groups : ndarray of shape (n,)
        Group codes of the validation rows.
    fairness : {"demographic_parity", "equal_opportunity", "equalized_odds"}

    Returns
    -------
    float ndarray of shape () or (m,)
        ``Δ_c`` is the largest minus the smallest group's mean probability within
        component ``c`` (Pang et al. 2024, Sec. 3, relaxed DP / EOp / EOd with the
        probability in place of the hard prediction). A component in which fewer
        than two groups have rows contributes 0.
    """
    proba = np.asarray(proba, dtype=np.float64)
    total = np.zeros(proba.shape[:-1])
    for rates, _ in _component_rates(proba, np.asarray(y), np.asarray(groups), fairness):
        spread = rates.max(axis=-1) - rates.min(axis=-1)
        total = total + 0.5 * spread**2
    return total


def validation_log_loss(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of positive-class probabilities ``proba`` (n,) or (m, n) against ``y``."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), _PROBA_FLOOR, 1.0 - _PROBA_FLOOR)
    y = np.asarray(y, dtype=np.float64)
    return -(y * np.log(proba) + (1.0 - y) * np.log1p(-proba)).mean(axis=-1)


def _soft_fairness_gradient(
    proba: np.ndarray, y: np.ndarray, groups: np.ndarray, fairness: str
) -> np.ndarray:
    """``∂ L_fair / ∂ p_i`` for one model (n,): ``Δ_c`` times the gap's derivative, summed."""
    grad = np.zeros(proba.shape[0])
    for rates, masks in _component_rates(proba, y, groups, fairness):
        if len(masks) < 2:
            continue
        high, low = int(np.argmax(rates)), int(np.argmin(rates))
        spread = rates[high] - rates[low]
        grad[masks[high]] += spread / masks[high].sum()
        grad[masks[low]] -= spread / masks[low].sum()
    return grad


def _check_fis_options(fairness: str, influence: str) -> None:
    if fairness not in _FIS_FAIRNESS:
        raise InvalidInputError(
            f"fairness must be one of {', '.join(_FIS_FAIRNESS)}; got {fairness!r}"
        )
    if influence not in _INFLUENCES:
        raise InvalidInputError(
            f"influence must be one of {', '.join(_INFLUENCES)}; got {influence!r}"
        )


def fis_influences(
    state: QueryState,
    candidates: np.ndarray,
    *,
    fairness: FisFairness = "demographic_parity",
    influence: Literal["gradient", "newton"] = "gradient",
    newton_steps: int = DEFAULT_NEWTON_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Influence of labelling each candidate with 0 and with 1 on the validation losses.

    Parameters
    ----------
    state : QueryState
        The loop's state; ``state.validation`` (labels and groups, at least two groups)
        is where both losses are measured. Labels must be binary 0/1.
    candidates : ndarray of int, shape (m,)
        Pool positions.
    fairness : {"demographic_parity", "equal_opportunity", "equalized_odds"}
        The fairness loss (:func:`soft_fairness_loss`).
    influence : {"gradient", "newton"}
        ``"gradient"``: ``-∇ℓ(x, y)ᵀ∇Q`` (Pang et al. 2024, Sec. 4, first-order
        influence); ``"newton"``: ``Q`` after the engine's Newton refit minus ``Q`` now.
    newton_steps : int
        Steps of :class:`NewtonRefit` (``influence="newton"`` only).

    Returns
    -------
    (ndarray, ndarray), each of shape (m, 2)
        Accuracy influence ``I_acc`` and fairness influence ``I_fair``; column ``y``
        for the hypothetical label ``y``. Negative = the loss goes down.

    Raises
    ------
    InvalidInputError
        Unknown ``fairness`` or ``influence``; labels without both classes.
    EmptyInputError
        Empty validation set.
    SingleGroupError
        The validation set holds a single group.
    NonBinaryLabelError
        Labels are not 0/1.
    """
    _check_fis_options(fairness, influence)
    _check_reference(state)
    _check_binary_labels(np.asarray(state.labelled.y))
    ref = state.validation
    y_ref = np.asarray(ref.y).astype(np.int64)
    g_ref = np.asarray(ref.groups)
    cand = np.asarray(candidates, dtype=np.int64)
    X_cand = state.pool.X[cand]
    if influence == "newton":
        return _newton_influences(state, X_cand, y_ref, g_ref, fairness, newton_steps)
    form = _logistic_form(state)
    X_ref = form.design(ref.X)
    p_ref = expit(X_ref @ form.theta)
    slope = p_ref * (1.0 - p_ref)  # dp/dz on the validation rows
    grad_acc = X_ref.T @ ((p_ref - y_ref) / y_ref.shape[0])
    grad_fair = X_ref.T @ (_soft_fairness_gradient(p_ref, y_ref, g_ref, fairness) * slope)
    Xc = form.design(X_cand)
    p_cand = expit(Xc @ form.theta)
    # ∇ℓ(x, y) = s_y (σ(θᵀx̃) - y) x̃ for the (class-weighted) logistic loss
    residual = np.stack([form.class_weight[y] * (p_cand - y) for y in (0, 1)], axis=1)
    acc = -residual * (Xc @ grad_acc)[:, None]
    fair = -residual * (Xc @ grad_fair)[:, None]
    return acc, fair


def _newton_influences(
    state: QueryState,
    X_cand: np.ndarray,
    y_ref: np.ndarray,
    g_ref: np.ndarray,
    fairness: str,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    refit = NewtonRefit(state, steps=steps)
    p_now = expit(refit.current_logits)
    acc_now = validation_log_loss(p_now, y_ref)
    fair_now = soft_fairness_loss(p_now, y_ref, g_ref, fairness)
    m = X_cand.shape[0]
    acc, fair = np.empty((m, 2)), np.empty((m, 2))
    chunk = max(1, _BLOCK_ELEMENTS // max(y_ref.shape[0], 1))
    for start in range(0, m, chunk):
        rows = slice(start, min(m, start + chunk))
        for label, logits in enumerate(refit.reference_logits(X_cand[rows])):
            p = expit(np.asarray(logits, dtype=np.float64))
            acc[rows, label] = validation_log_loss(p, y_ref) - acc_now
            fair[rows, label] = soft_fairness_loss(p, y_ref, g_ref, fairness) - fair_now
    return acc, fair


@register_strategy("fis")
class FairInfluenceSampling(Strategy):
    """FIS: rows whose proxy-labelled influence lowers validation unfairness without harm.

    Parameters
    ----------
    fairness : {"demographic_parity", "equal_opportunity", "equalized_odds"}
        Fairness loss whose influence is minimised (:func:`soft_fairness_loss`).
    influence : {"gradient", "newton"}, default="gradient"
        How the influence is estimated (:func:`fis_influences`): the paper's
        first-order gradient product, or the shared engine's Newton refit.
    candidate_factor : int or None, default=100
        Score ``candidate_factor · k`` pool rows drawn at random (the authors' code
        stops after ``100 ·`` the round's size); ``None`` scores the whole pool.
    harm_constraint : bool, default=True
        Zero the score of rows whose proxy-labelled accuracy influence is positive
        (the paper's "without harm"); ``False`` ranks by fairness influence alone.
    newton_steps : int, default=3
        Steps of the Newton refit (``influence="newton"`` only).

    Notes
    -----
    ``last_scores`` is ``-s(x)`` (higher = wanted more); ``last_info`` has
    ``n_scored`` and ``n_wanted`` (picks with ``s < 0``; the rest were filled at
    random). Groups of pool rows are never read.
    """

    name: ClassVar[str] = "fis"
    needs_groups: ClassVar[bool] = True  # on the validation rows only
    needs_binary_labels: ClassVar[bool] = True
    contract_test_options: ClassVar[Mapping[str, Any]] = {}

    def __init__(
        self,
        *,
        fairness: FisFairness = "demographic_parity",
        influence: Literal["gradient", "newton"] = "gradient",
        candidate_factor: int | None = 100,
        harm_constraint: bool = True,
        newton_steps: int = DEFAULT_NEWTON_STEPS,
    ) -> None:
        self.fairness = fairness
        self.influence = influence
        self.candidate_factor = candidate_factor
        self.harm_constraint = harm_constraint
        self.newton_steps = newton_steps

    def _validate_params(self) -> None:
        """Check the options; keep ``_candidate_factor`` and ``_newton_steps``."""
        _check_fis_options(self.fairness, self.influence)
        factor, steps = self.candidate_factor, self.newton_steps
        if factor is not None and (
            isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1
        ):
            raise InvalidInputError(
                f"candidate_factor must be a positive integer or None, got {factor!r}"
            )
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise InvalidInputError(f"newton_steps must be a positive integer, got {steps!r}")
        if not isinstance(self.harm_constraint, (bool, np.bool_)):
            raise InvalidInputError(
                f"harm_constraint must be True or False, got {self.harm_constraint!r}"
            )
        self._candidate_factor = None if factor is None else int(factor)
        self._newton_steps = int(steps)

    def scores(self, state: QueryState, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """FIS's score ``s(x)`` and proxy label ``ŷ(x)`` of the given pool positions.

        Parameters
        ----------
        state : QueryState
        positions : ndarray of int, shape (m,)

        Returns
        -------
        (ndarray of float, ndarray of int), each of shape (m,)
            ``s(x) = I_fair(x, ŷ)``, 0 where ``I_acc(x, ŷ) > 0`` when the harm
            constraint is on (lower = wanted more); and ``ŷ``.
        """
        self._validate_params()
        acc, fair = fis_influences(
            state,
            np.asarray(positions, dtype=np.int64),
            fairness=self.fairness,
            influence=self.influence,
            newton_steps=self._newton_steps,
        )
        proxy = np.argmin(np.abs(acc), axis=1)
        rows = np.arange(proxy.shape[0])
        score = fair[rows, proxy].copy()
        if self.harm_constraint:
            score[acc[rows, proxy] > 0] = 0.0
        return score, proxy

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of ``k`` pool rows by FIS's rule (see the module docstring)."""
        self._validate_params()
        n_pool = len(state.pool)
        k = check_query_size(k, n_pool)
        factor = self._candidate_factor
        if factor is None or factor * k >= n_pool:
            positions = np.arange(n_pool, dtype=np.int64)
        else:
            positions = np.sort(rng.choice(n_pool, size=factor * k, replace=False))
        score, _ = self.scores(state, positions)
        # ascending score, ties broken at random: shuffle, then a stable sort
        order = rng.permutation(positions.shape[0])
        order = order[np.argsort(score[order], kind="stable")]
        wanted = order[score[order] < 0][:k]
        rest = np.setdiff1d(order, wanted, assume_unique=True)
        fill = rng.choice(rest, size=k - wanted.shape[0], replace=False)
        chosen = np.concatenate([wanted, fill]).astype(np.int64)
        self.last_scores = -score[chosen]
        self.last_info = {"n_scored": int(positions.shape[0]), "n_wanted": int(wanted.shape[0])}
        return positions[chosen]
