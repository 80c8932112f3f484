"""Fairlearn baselines: an ordinary query strategy, a model trained under a fairness constraint.

PANDA (Sharaf, Daumé III, Ni, FAccT 2022) compares its learned policy with two
baselines built on fairlearn's exponentiated-gradient reduction:

``fairlearn``
    random sampling; the model is the reduction (the constraint changes the model,
    not the choice of rows).
``fairlearn_al``
    margin sampling on the constrained model ("Fairlearn+AL"): the margin is taken
    of the randomised classifier's probabilities, so it points at rows where the
    fair classifier hesitates.

Both are one class, :class:`FairReductionSampling`: a selection strategy (looked up
by name, so the random and margin rules exist once in fairpool) plus
:meth:`~FairReductionSampling.wrap_learner`, the hook through which the loop lets a
strategy change the model it trains. See ``docs/strategies-fair-baselines.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fairpool.active._registry import make_strategy, register_strategy
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy
from fairpool.errors import InvalidInputError, SingleGroupError
from fairpool.learners import (
    FairnessConstraint,
    FairReductionClassifier,
    check_constraint,
    check_eps,
)

__all__ = ["FairReductionSampling", "FairlearnSampling", "FairlearnMarginSampling"]


class FairReductionSampling(Strategy):
    """Select with an ordinary strategy; train the model with fairlearn's reduction.

    Parameters
    ----------
    selection : str, default="random"
        Name of the registered strategy that picks the rows (``"random"`` for
        PANDA's *Fairlearn*, ``"margin"`` for *Fairlearn+AL*).
    constraint : {"demographic_parity", "error_rate_parity", "equalized_odds"}
        Default ``"demographic_parity"``.
        The reduction's constraint (fairlearn's ``DemographicParity``,
        ``ErrorRateParity``, ``EqualizedOdds``).
    eps : float, default=0.04
        The constraint's difference bound (PANDA's ρ = 0.04).
    max_iter : int, default=50
        Iterations of exponentiated gradient.

    Notes
    -----
    The loop calls :meth:`wrap_learner` once on the learner it builds, so every
    refit trains a :class:`~fairpool.learners.FairReductionClassifier`
    and passes the labelled rows' groups as ``sensitive_features``.
    """

    name = "fairlearn"
    needs_groups = True
    needs_binary_labels = True
    #: Few reduction iterations keep the shared contract test fast (each is several fits).
    contract_test_options = {"max_iter": 2}

    def __init__(
        self,
        selection: str = "random",
        *,
        constraint: FairnessConstraint = "demographic_parity",
        eps: float = 0.04,
        max_iter: int = 50,
    ) -> None:
        self.selection = selection
        self.constraint = constraint
        self.eps = eps
        self.max_iter = max_iter
        self._selector: Strategy | None = None
        self._selector_name: str | None = None

    def _validate_params(self) -> None:
        """Check the options; build the selection strategy (once per ``selection``)."""
        selection, max_iter = self.selection, self.max_iter
        if not isinstance(selection, str):
            raise InvalidInputError(
                f"selection must be the name of a registered strategy, got {selection!r}"
            )
        check_constraint(self.constraint)
        check_eps(self.eps)
        if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
            raise InvalidInputError(f"max_iter must be a positive integer, got {max_iter!r}")
        self._eps = float(self.eps)
        self._max_iter = int(max_iter)
        if self._selector is None or self._selector_name != selection:
            self._selector = make_strategy(selection)
            self._selector_name = selection

    def wrap_learner(self, learner: Any) -> FairReductionClassifier:
        """Return ``learner`` inside a :class:`FairReductionClassifier` with this constraint.

        The wrapper's ``random_state`` (seed of its randomised ``predict``) is the
        learner's own ``random_state`` when it has an integer one, else 0.
        """
        self._validate_params()
        seed = getattr(learner, "random_state", None)
        return FairReductionClassifier(
            base=learner,
            constraint=self.constraint,
            eps=self._eps,
            max_iter=self._max_iter,
            random_state=int(seed) if isinstance(seed, int | np.integer) else 0,
        )

    def state_dict(self) -> dict[str, Any]:
        """The selection strategy's state (``{}`` for the stateless random and margin).

        The reduction itself is refitted from the labelled rows at every round and
        carries nothing over.
        """
        self._validate_params()
        inner = self._selector.state_dict()
        return {"selector": inner} if inner else {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` (the selection strategy's state, if it has one).

        Raises
        ------
        InvalidInputError
            The state is another strategy's.
        """
        if isinstance(state, Mapping) and not state:
            return  # a stateless selection strategy: nothing to restore
        state = self._check_state_keys(state, ("selector",))
        self._validate_params()
        self._selector.load_state_dict(state["selector"])

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Pick ``k`` pool positions with the selection strategy.

        Raises
        ------
        SingleGroupError
            If the data has fewer than two groups (the constraint would be void).
        """
        self._validate_params()
        if state.n_groups < 2:
            raise SingleGroupError(
                f"strategy {self.name!r} trains under a fairness constraint and needs at "
                f"least two groups, got {list(state.group_names)}"
            )
        picks = self._selector.select(state, k, rng)
        self.last_scores = self._selector.last_scores
        self.last_info = {"selection": self.selection, "constraint": self.constraint,
                          "eps": self._eps}
        return picks


@register_strategy("fairlearn")
class FairlearnSampling(FairReductionSampling):
    """PANDA's *Fairlearn* baseline: random sampling, model from the fairness reduction.

    Parameters
    ----------
    constraint, eps, max_iter : see :class:`FairReductionSampling`
    """

    name = "fairlearn"

    def __init__(
        self,
        *,
        constraint: FairnessConstraint = "demographic_parity",
        eps: float = 0.04,
        max_iter: int = 50,
    ) -> None:
        super().__init__("random", constraint=constraint, eps=eps, max_iter=max_iter)


@register_strategy("fairlearn_al")
class FairlearnMarginSampling(FairReductionSampling):
    """PANDA's *Fairlearn+AL* baseline: margin sampling, model from the fairness reduction.

    Parameters
    ----------
    constraint, eps, max_iter : see :class:`FairReductionSampling`
    """

    name = "fairlearn_al"

    def __init__(
        self,
        *,
        constraint: FairnessConstraint = "demographic_parity",
        eps: float = 0.04,
        max_iter: int = 50,
    ) -> None:
        super().__init__("margin", constraint=constraint, eps=eps, max_iter=max_iter)
