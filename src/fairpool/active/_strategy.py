"""The contract every query strategy fulfils."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from fairpool.active._state import QueryState
from fairpool.errors import BudgetError, EmptyInputError

__all__ = ["Strategy", "check_query_size", "top_k"]


class Strategy(ABC):
    """Turns the loop's state into the pool positions to label next.

    Subclasses implement :meth:`select`. A strategy that must be trained before
    use (PANDA, PPO-tuned FACA-GEN) sets ``requires_fit = True`` and overrides
    :meth:`fit`. A strategy may keep state across rounds (bandits do), so one
    instance drives one run; a fresh instance with the same seed gives the same picks.
    """

    name: ClassVar[str] = "strategy"
    requires_fit: ClassVar[bool] = False
    #: True for strategies that need at least two groups in the data.
    needs_groups: ClassVar[bool] = False
    #: Options the shared contract test (tests/active/test_contract.py) builds the
    #: strategy with, to keep slow strategies fast on its small data; empty = defaults.
    contract_test_options: ClassVar[Mapping[str, Any]] = {}

    @abstractmethod
    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Return ``k`` distinct positions into ``state.pool``.

        Parameters
        ----------
        state : QueryState
            The model, the labelled set, the pool (without labels) and a validation set.
        k : int
            How many examples to pick, ``1 <= k <= len(state.pool)``.
        rng : numpy.random.Generator
            The only source of randomness the strategy may use.

        Returns
        -------
        ndarray of int64, shape (k,)
        """

    def fit(self, dataset, rng: np.random.Generator) -> Strategy:  # noqa: ANN001
        """Train the strategy on labelled historical data (no-op unless overridden)."""
        return self

    def wrap_learner(self, learner):  # noqa: ANN001, ANN201
        """Return the learner the loop should train, given the one it built.

        The loop calls this once, when it builds its learner, and from then on
        clones and fits what it returns. The default returns ``learner`` unchanged;
        strategies that change the model and not only the choice of rows override
        it (the fairlearn baselines wrap it in a fairness reduction, Falcon in a
        learner that holds postponed rows back).
        """
        return learner

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def check_query_size(k: int, n_pool: int) -> int:
    """Validate a query size against the pool and return it as an int.

    Raises
    ------
    EmptyInputError
        If the pool is empty.
    BudgetError
        If ``k`` is not a positive integer or exceeds the pool.
    """
    if n_pool == 0:
        raise EmptyInputError("the pool is empty: there is nothing left to label")
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise BudgetError(f"query size k must be a positive integer, got {k!r}")
    if k > n_pool:
        raise BudgetError(f"query size k={k} is larger than the pool ({n_pool} examples)")
    return int(k)


def top_k(scores: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of the ``k`` largest scores, ties broken at random by ``rng``.

    Vectorised and O(n): one ``np.partition`` finds the k-th largest score; every
    score above it is taken and the rest of the ``k`` are drawn uniformly by ``rng``
    among the scores equal to it, so equal scores do not favour low indices. The
    result is ordered by decreasing score (ties in random order). NaN scores rank
    last. (A full random permutation of a 1e6-row pool, the earlier way, cost more
    than the whole uncertainty score.)
    """
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    n = scores.shape[0]
    if k >= n:
        chosen = rng.permutation(n)
    else:
        kth = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        chosen = np.concatenate([above, rng.choice(tied, size=k - above.size, replace=False)])
        chosen = chosen[rng.permutation(chosen.size)]
    return chosen[np.argsort(-scores[chosen], kind="stable")].astype(np.int64)
