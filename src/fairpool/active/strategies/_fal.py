"""FAL: fair active learning by expected fairness (Anahideh, Asudeh, Thirumuruganathan, ESWA 2022).

Each candidate ``x`` of the pool gets

    score(x) = α · e'(x) + (1 - α) · F'(x)

where ``e`` is the entropy of the current model's prediction, ``F = -E_y[D]`` is
the *expected fairness* of the model retrained with ``x`` labelled ``y`` (``y``
weighted by the current model's ``p(y | x)``; ``D`` a group disparity on the
reference set), and ``'`` is min-max scaling over the candidates. The ``k``
highest scores are labelled (the greedy batch reading). ``variant="nested"`` is
the paper's nested approach: keep the ``nested_k`` most uncertain candidates and
label the ``k`` of them with the lowest expected disparity.

``fal`` computes ``E_y[D]`` by retraining the loop's learner per candidate and
label (the paper's exact procedure, the reference); ``fal_fast`` uses the same
rule with the closed-form Newton update of
:mod:`fairpool.active.strategies._expected_fairness`, for all candidates at once. The reading
of the paper and the measured agreement of the two are in docs/fal.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy, check_query_size, top_k
from fairpool.active.strategies._expected_fairness import (
    DEFAULT_NEWTON_STEPS,
    FairnessName,
    UpdateMethod,
    check_fairness_name,
    expected_disparity,
)
from fairpool.active.strategies._uncertainty import entropy_score
from fairpool.errors import BudgetError, InvalidInputError

__all__ = ["FairActiveLearning", "FastFairActiveLearning", "min_max_scale"]


def min_max_scale(values: np.ndarray) -> np.ndarray:
    """Scale ``values`` linearly onto ``[0, 1]``; all zeros when they are all equal.

    Parameters
    ----------
    values : ndarray of shape (m,)

    Returns
    -------
    ndarray of shape (m,)
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    if not high > low:
        return np.zeros_like(values)
    return (values - low) / (high - low)


@register_strategy("fal")
class FairActiveLearning(Strategy):
    """FAL with exact retraining: entropy traded against expected fairness.

    Parameters
    ----------
    alpha : float, default=0.6
        Weight ``α`` of the scaled entropy; ``1 - α`` weighs the scaled expected
        fairness. ``α = 1`` is entropy sampling, ``α = 0`` pure expected fairness.
        Ignored by ``variant="nested"``.
    fairness : {"demographic_parity", "equalized_odds", "error_rate_balance", "error_rate_parity"}
        Disparity whose expectation is minimised, measured on ``state.validation``.
    variant : {"linear", "nested"}, default="linear"
        ``"linear"``: top-``k`` of ``α·e' + (1-α)·F'``. ``"nested"``: among the
        ``nested_k`` highest-entropy candidates, the ``k`` with the lowest
        expected disparity.
    nested_k : int, optional
        Size of the entropy bucket of the nested variant; ``10·k`` by default
        (capped at the number of candidates). Must be at least ``k``.
    candidates : int, optional
        Score only this many pool rows, drawn without replacement by the ``rng``
        given to :meth:`select` (all of the pool by default). Bounds the cost of
        the exact variant on large pools.
    soft : bool, default=False
        Disparity of predicted probabilities instead of hard predictions.

    Notes
    -----
    Cost: ``2·m`` fits of ``state.make_learner()`` per round for ``m`` scored
    candidates (``nested_k`` of them for the nested variant); warm-started when
    the learner is a scikit-learn logistic regression.
    """

    name: ClassVar[str] = "fal"
    needs_groups: ClassVar[bool] = True
    needs_binary_labels: ClassVar[bool] = True
    #: 2·m refits per round: the shared contract test scores a small sample.
    contract_test_options: ClassVar[Mapping[str, Any]] = {"candidates": 8}
    _method: ClassVar[UpdateMethod] = "retrain"

    def __init__(
        self,
        *,
        alpha: float = 0.6,
        fairness: FairnessName = "demographic_parity",
        variant: Literal["linear", "nested"] = "linear",
        nested_k: int | None = None,
        candidates: int | None = None,
        soft: bool = False,
    ) -> None:
        self.alpha = alpha
        self.fairness = fairness
        self.variant = variant
        self.nested_k = nested_k
        self.candidates = candidates
        self.soft = soft

    def _validate_params(self) -> None:
        """Check the options and keep their converted values (``_alpha``, ...)."""
        alpha, nested_k, candidates = self.alpha, self.nested_k, self.candidates
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
            raise InvalidInputError(f"alpha must be a number in [0, 1], got {alpha!r}")
        check_fairness_name(self.fairness)
        if self.variant not in ("linear", "nested"):
            raise InvalidInputError(f"variant must be 'linear' or 'nested', got {self.variant!r}")
        for arg, value in (("nested_k", nested_k), ("candidates", candidates)):
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                raise InvalidInputError(f"{arg} must be a positive integer or None, got {value!r}")
        self._alpha = float(alpha)
        self._nested_k = None if nested_k is None else int(nested_k)
        self._candidates = None if candidates is None else int(candidates)
        self._soft = bool(self.soft)

    def _candidate_positions(self, n_pool: int, k: int, rng: np.random.Generator) -> np.ndarray:
        if self._candidates is None or self._candidates >= n_pool:
            return np.arange(n_pool, dtype=np.int64)
        if self._candidates < k:
            raise BudgetError(
                f"candidates={self._candidates} is smaller than the query size k={k}"
            )
        return np.sort(rng.choice(n_pool, size=self._candidates, replace=False)).astype(np.int64)

    def _expected_disparity(self, state: QueryState, positions: np.ndarray) -> np.ndarray:
        return expected_disparity(
            state,
            candidates=positions,
            fairness=self.fairness,
            method=self._method,
            soft=self._soft,
        )

    def scores(self, state: QueryState, positions: np.ndarray) -> np.ndarray:
        """The linear score ``α·e' + (1-α)·F'`` of the given pool positions.

        Parameters
        ----------
        state : QueryState
        positions : ndarray of int, shape (m,)
            Pool positions; the min-max scaling is over exactly these.

        Returns
        -------
        ndarray of shape (m,)
        """
        self._validate_params()
        positions = np.asarray(positions, dtype=np.int64)
        entropy = entropy_score(state.pool_proba[positions])
        alpha = self._alpha
        if alpha == 1.0:
            return min_max_scale(entropy)
        fairness = -self._expected_disparity(state, positions)
        return alpha * min_max_scale(entropy) + (1.0 - alpha) * min_max_scale(fairness)

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of the ``k`` best pool rows by the FAL rule (ties broken by ``rng``)."""
        self._validate_params()
        k = check_query_size(k, len(state.pool))
        positions = self._candidate_positions(len(state.pool), k, rng)
        if self.variant == "linear":
            scores = self.scores(state, positions)
            chosen = top_k(scores, k, rng)
            self.last_scores = scores[chosen]
            return positions[chosen]
        bucket = min(positions.shape[0], 10 * k if self._nested_k is None else self._nested_k)
        if bucket < k:
            raise BudgetError(f"nested_k={self._nested_k} is smaller than the query size k={k}")
        entropy = entropy_score(state.pool_proba[positions])
        uncertain = positions[top_k(entropy, bucket, rng)]
        fairness = -self._expected_disparity(state, uncertain)
        chosen = top_k(fairness, k, rng)
        self.last_scores = fairness[chosen]  # the final ranking: lower expected disparity
        return uncertain[chosen]


@register_strategy("fal_fast")
class FastFairActiveLearning(FairActiveLearning):
    """FAL with the closed-form Newton update instead of retraining (``fal_fast``).

    The same rule and options as :class:`FairActiveLearning`; the expected
    disparity of all candidates comes from one Newton step of a logistic model
    (:class:`~fairpool.active.strategies.NewtonRefit`), in blocks of
    candidates, so a round costs a few matrix products instead of ``2·m`` fits.
    When the loop's learner is not a logistic model, a logistic surrogate fitted
    on the labelled set stands for it in the disparity term.

    Parameters
    ----------
    newton_steps : int, default=3
        Update steps of the closed form (1 = the closed-form step alone; each
        further step refines every candidate's parameters towards its exact refit).
        The default is the smallest that reproduces exact FAL's picks in the
        agreement benchmark (docs/fal.md).
    chunk_size : int, optional
        Candidates per block (memory bound); see
        :func:`~fairpool.active.strategies.expected_disparity`.
    **options
        As for :class:`FairActiveLearning`.
    """

    name: ClassVar[str] = "fal_fast"
    contract_test_options: ClassVar[Mapping[str, Any]] = {}
    _method: ClassVar[UpdateMethod] = "newton"

    def __init__(
        self,
        *,
        alpha: float = 0.6,
        fairness: FairnessName = "demographic_parity",
        variant: Literal["linear", "nested"] = "linear",
        nested_k: int | None = None,
        candidates: int | None = None,
        soft: bool = False,
        newton_steps: int = DEFAULT_NEWTON_STEPS,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            fairness=fairness,
            variant=variant,
            nested_k=nested_k,
            candidates=candidates,
            soft=soft,
        )
        self.newton_steps = newton_steps
        self.chunk_size = chunk_size

    def _validate_params(self) -> None:
        """FAL's checks, then ``newton_steps`` and ``chunk_size``."""
        super()._validate_params()
        chunk_size, newton_steps = self.chunk_size, self.newton_steps
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1
        ):
            raise InvalidInputError(
                f"chunk_size must be a positive integer or None, got {chunk_size!r}"
            )
        if isinstance(newton_steps, bool) or int(newton_steps) != newton_steps or newton_steps < 1:
            raise InvalidInputError(
                f"newton_steps must be a positive integer, got {newton_steps!r}"
            )
        self._newton_steps = int(newton_steps)
        self._chunk_size = None if chunk_size is None else int(chunk_size)

    def _expected_disparity(self, state: QueryState, positions: np.ndarray) -> np.ndarray:
        return expected_disparity(
            state,
            candidates=positions,
            fairness=self.fairness,
            method=self._method,
            soft=self._soft,
            chunk_size=self._chunk_size,
            newton_steps=self._newton_steps,
        )

