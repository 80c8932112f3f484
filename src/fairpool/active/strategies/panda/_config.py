"""PANDA's configuration: every knob of meta-training and selection, validated once."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Literal

from fairpool.errors import BudgetError, InvalidInputError
from fairpool.metrics import check_disparity_name

__all__ = [
    "ConstraintName",
    "PAPER_METHODS",
    "PandaConfig",
]


ConstraintName = Literal["demographic_parity", "equalized_odds", "error_rate_balance"]
_CONSTRAINTS = ("demographic_parity", "equalized_odds", "error_rate_balance")
#: PANDA's Table 1 reading of each constraint: DP and EO against the overall rate,
#: error-rate balance between pairs of groups.
PAPER_METHODS = {
    "demographic_parity": "to_overall",
    "equalized_odds": "to_overall",
    "error_rate_balance": "between_groups",
}
_METHOD_CHOICES = ("paper", "between_groups", "to_overall")


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
    constraint : {"demographic_parity", "equalized_odds", "error_rate_balance"}
        The parity measure of the constraint (Table 1 of the paper): Δ^DP
        ``max_a |P(h=1 | g=a) - P(h=1)|``, Δ^EO ``max_{a,y} |P(h=1 | g=a, Y=y) -
        P(h=1 | Y=y)|`` or Δ^EB ``max_{a,a',y} |P(h=1 | g=a, Y=y) - P(h=1 | g=a', Y=y)|``.
    constraint_method : {"paper", "between_groups", "to_overall"}, default="paper"
        The reference each group's rate is compared with: ``"paper"`` is Table 1's
        (``to_overall`` for DP and EO, ``between_groups`` for EB, see
        :data:`PAPER_METHODS`); the other two force one reading for every constraint
        (``between_groups`` DP is the max - min spread fairpool's PANDA used before).
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
        query and its logit; see :func:`~fairpool.active.strategies.panda.attention_context`).
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
    constraint_method: Literal["paper", "between_groups", "to_overall"] = "paper"
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
        check_disparity_name(self.constraint, _CONSTRAINTS, argument="constraint")
        if self.constraint_method not in _METHOD_CHOICES:
            raise InvalidInputError(
                f"constraint_method must be one of {', '.join(map(repr, _METHOD_CHOICES))}, "
                f"got {self.constraint_method!r}"
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
    def disparity_method(self) -> str:
        """The reading of the constraint actually used: ``between_groups`` or ``to_overall``."""
        if self.constraint_method == "paper":
            return PAPER_METHODS[self.constraint]
        return self.constraint_method

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
