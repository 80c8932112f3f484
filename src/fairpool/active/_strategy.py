"""The contract every query strategy fulfils."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from fairpool.active._state import QueryState
from fairpool.errors import BudgetError, EmptyInputError, InvalidInputError

__all__ = ["Strategy", "check_query_size", "check_state_keys", "top_k"]


class Strategy(BaseEstimator, ABC):
    """Turns the loop's state into the pool positions to label next.

    Subclasses implement :meth:`select`. A strategy that must be trained before
    use (PANDA, PPO-tuned FACA-GEN) sets ``requires_fit = True`` and overrides
    :meth:`fit`. A strategy may keep state across rounds (bandits do), so one
    instance drives one run; a fresh instance with the same seed gives the same picks.

    Parameters follow scikit-learn's estimator rules, through
    :class:`sklearn.base.BaseEstimator`: every ``__init__`` argument is keyword-named
    and stored unchanged as an attribute of the same name, so ``get_params``,
    :meth:`set_params` and :func:`sklearn.base.clone` work; checking and converting the
    values happens in :meth:`_validate_params`, which ``select``/``fit`` call first (and
    :func:`~fairpool.active.make_strategy` calls at once, so options given by name
    fail early). :func:`fairpool.active.checks.check_strategy` tests all of this.

    **Resuming across processes.** A labelling session runs one round per process,
    days apart, and must be the same loop as one run in memory. So a strategy whose
    ``select`` depends on earlier rounds returns that state from :meth:`state_dict`
    and takes it back in :meth:`load_state_dict`: bandit weights, pending rewards,
    counters, previous metrics, and what :meth:`fit` trained (PANDA's policy). The
    contract: a fresh instance built with the same parameters, given
    ``load_state_dict(state_dict())``, selects exactly what the original selects next,
    from the same state and ``rng``. Caches that only save time may be left out, but
    their absence must not change a pick. The state is a nested dict with ``str``
    keys whose leaves are ``None``, ``bool``, ``int``, ``float``, ``str``, lists, tuples
    or numpy arrays (never objects: :func:`~fairpool.active.pack_state` stores it
    without pickle). The defaults describe a stateless strategy: ``{}``, and loading
    anything else is an error. ``check_resumable`` in
    :mod:`fairpool.active.checks` tests the contract.

    **Scores.** A strategy that ranks rows by a score assigns :attr:`last_scores` in
    :meth:`select`: the score of each returned row, aligned with the picks (higher =
    wanted more). It is what one round reports, like :attr:`last_info`, not state:
    it stays out of :meth:`state_dict`. Strategies that do not score rows leave it
    ``None``.
    """

    name: ClassVar[str] = "strategy"
    requires_fit: ClassVar[bool] = False
    #: True for strategies that need at least two groups in the data.
    needs_groups: ClassVar[bool] = False
    #: True for strategies that only work with binary 0/1 labels; the loop then checks
    #: the labelled and validation labels with ``fairpool.metrics.check_binary_labels``.
    needs_binary_labels: ClassVar[bool] = False
    #: Options :mod:`fairpool.active.checks` (and so the shared contract test) builds
    #: the strategy with, to keep slow strategies fast on its small data; empty = defaults.
    contract_test_options: ClassVar[Mapping[str, Any]] = {}

    def set_params(self, **params: Any) -> Strategy:
        """scikit-learn's ``set_params`` (values stored as given, checked at the next
        ``select``/``fit``), with a fairpool error for an unknown name.

        Raises
        ------
        InvalidInputError
            If a name is not a parameter of this strategy.
        """
        try:
            return super().set_params(**params)
        except ValueError as exc:
            raise InvalidInputError(f"strategy {type(self).__name__}: {exc}") from None

    def _validate_params(self) -> None:
        """Check the parameters; raise a :class:`~fairpool.errors.FairpoolError` if one is bad.

        The default accepts everything. Strategies with parameters override it,
        call it at the start of :meth:`select` (and :meth:`fit`), and may keep
        converted values in private attributes; ``__init__`` only stores.
        """
        return None

    @property
    def last_info(self) -> dict[str, Any]:
        """What the last :meth:`select` reports (JSON-serialisable); ``{}`` by default.

        The loop copies it into ``ActiveLearner.last_info_`` and the run's history
        (``strategy_<key>`` columns). Assign it in :meth:`select`.
        """
        return self.__dict__.get("_last_info", {})

    @last_info.setter
    def last_info(self, value: dict[str, Any]) -> None:
        self._last_info = value

    @property
    def last_scores(self) -> np.ndarray | None:
        """The score each row of the last selection got, aligned with the returned picks
        (higher = wanted more), or ``None`` when the strategy does not score rows.

        A read-only float64 view; ``None`` by default. The loop copies it into
        ``ActiveLearner.last_scores_`` and a session stores it per batch row. Assign it
        in :meth:`select` (``scores[picks]`` of the array given to :func:`top_k`).
        """
        scores = self.__dict__.get("_last_scores")
        if scores is None:
            return None
        view = scores.view()
        view.flags.writeable = False
        return view

    @last_scores.setter
    def last_scores(self, value: np.ndarray | None) -> None:
        self._last_scores = None if value is None else np.array(value, dtype=np.float64)

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

    def state_dict(self) -> dict[str, Any]:
        """What :meth:`select` carries from one call to the next, and what :meth:`fit` trained.

        The default is ``{}``: a stateless strategy. Override it (with
        :meth:`load_state_dict`) in a strategy whose picks depend on earlier rounds;
        see the class documentation for the contract.

        Returns
        -------
        dict
            A nested dict with ``str`` keys; leaves are ``None``, ``bool``, ``int``,
            ``float``, ``str``, lists, tuples or numpy arrays (copies, not views of
            the strategy's own arrays).
        """
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, on an instance built with the same parameters.

        The default accepts only the empty state of a stateless strategy.

        Parameters
        ----------
        state : mapping
            A :meth:`state_dict` of this strategy (possibly through
            :func:`~fairpool.active.pack_state` / :func:`~fairpool.active.unpack_state`).

        Raises
        ------
        InvalidInputError
            ``state`` is not empty (it was saved from another, stateful strategy).
        """
        if not isinstance(state, Mapping):
            raise InvalidInputError(
                f"{self._state_owner()}: the state must be a dict, got {type(state).__name__}"
            )
        if state:
            raise InvalidInputError(
                f"{self._state_owner()} keeps no state between rounds, but was given a state "
                f"with keys {sorted(state)[:8]}: it was saved from another strategy; load it "
                "into the strategy that saved it"
            )

    def _state_owner(self) -> str:
        """``strategy 'name' (Class)``, for state errors."""
        return f"strategy {getattr(self, 'name', '?')!r} ({type(self).__name__})"

    def _check_state_keys(self, state: Any, required: tuple[str, ...]) -> Mapping[str, Any]:
        """``state`` with exactly the keys ``required`` (see :func:`check_state_keys`)."""
        return check_state_keys(state, required, owner=self._state_owner())

    def fit(self, dataset, rng: np.random.Generator) -> Strategy:  # noqa: ANN001
        """Train the strategy on labelled historical data (only checks the parameters unless
        overridden)."""
        self._validate_params()
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
        try:
            params = self.get_params(deep=False)
        except (AttributeError, TypeError):  # a strategy that breaks the rules still prints
            return f"{type(self).__name__}(...)"
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def check_state_keys(state: Any, required: Sequence[str], *, owner: str) -> Mapping[str, Any]:
    """``state`` as a mapping with exactly the keys ``required``; else an error naming them.

    For ``load_state_dict`` implementations: a state saved by another strategy (or
    tuner) has other keys, and says so instead of failing somewhere later.

    Parameters
    ----------
    state : object
        The state given to ``load_state_dict``.
    required : sequence of str
        The keys its ``state_dict`` writes.
    owner : str
        Who is loading, for the message (``"strategy 'falcon' (FalconSampling)"``).

    Returns
    -------
    Mapping
        ``state`` itself.

    Raises
    ------
    InvalidInputError
        ``state`` is not a mapping, lacks one of ``required`` or has other keys.
    """
    if not isinstance(state, Mapping):
        raise InvalidInputError(f"{owner}: the state must be a dict, got {type(state).__name__}")
    missing = [k for k in required if k not in state]
    extra = sorted(set(state) - set(required))
    if missing or extra:
        said = []
        if missing:
            said.append(f"lacks the key(s) {missing}")
        if extra:
            said.append(f"has unexpected key(s) {extra[:8]}")
        raise InvalidInputError(
            f"{owner} cannot load this state: it {' and '.join(said)}; it was saved from "
            "another strategy or another version of this one"
        )
    return state


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
