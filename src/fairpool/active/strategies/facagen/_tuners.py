"""FACA-GEN's reward signal and its online tuners of ``λ`` and ``γ``: fixed and UCB1.

Every tuner sees the same signal: after each round, the change of three
validation metrics of the loop's model, scalarised by :func:`scalarised_reward`

    r = clip(w_F1 · ΔF1 - w_DP · ΔDP - w_EO · ΔEO, -1, 1)

(higher F1 is better; lower demographic-parity and equalized-odds gaps are
better). The strategy measures the metrics at every ``select`` from the new
state and credits the reward to the ``(λ, γ)`` it chose the round before.

* :class:`UCB1Tuner` -- UCB1 (Auer, Cesa-Bianchi, Fischer 2002) over a grid of
  ``(λ, γ)`` arms; rewards are mapped from ``[-1, 1]`` onto ``[0, 1]``. Every arm
  is played once (in grid order) before the index
  ``mean_a + c · sqrt(2 ln t / n_a)`` decides; ties go to the lowest index.
* The PPO tuner lives in :mod:`._ppo` so that gymnasium and stable-baselines3 load
  only for users who ask for it.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairpool.active._state import QueryState, rows_output
from fairpool.active._strategy import check_state_keys
from fairpool.errors import InvalidInputError, SingleGroupError, UndefinedMetricError
from fairpool.learners import fit_with_groups

__all__ = [
    "DEFAULT_ARMS",
    "RoundMetrics",
    "prediction_metrics",
    "validation_metrics",
    "scalarised_reward",
    "check_lambda",
    "TunerContext",
    "Tuner",
    "FixedTuner",
    "UCB1Tuner",
]

DEFAULT_ARMS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (1.0, 0.0),
    (0.0, 1.0),
    (1.0, 1.0),
    (0.0, -1.0),
    (1.0, -1.0),
)
#: Rewards are clipped to [-REWARD_CLIP, REWARD_CLIP].
REWARD_CLIP = 1.0


def check_lambda(value: Any, name: str) -> float:
    """Return ``value`` as a float, raising unless it is finite and ``>= 0``."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(out) or out < 0:
        raise InvalidInputError(
            f"{name} must be a finite number >= 0 (it weighs a fairness penalty), got {value!r}"
        )
    return out


# -- the reward signal ---------------------------------------------------------------
@dataclass(frozen=True)
class RoundMetrics:
    """Validation F1, demographic-parity and equalized-odds gaps (NaN where undefined)."""

    f1: float
    dp: float
    eo: float


def prediction_metrics(y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> RoundMetrics:
    """F1, DP and EO of binary predictions (fairpool.metrics; NaN when undefined).

    Parameters
    ----------
    y, pred, groups : ndarray of shape (n,)

    Returns
    -------
    RoundMetrics
    """
    from sklearn.metrics import f1_score

    from fairpool.metrics import demographic_parity_difference, equalized_odds_difference

    f1 = float(f1_score(y, pred, zero_division=0.0))
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a group without positives is left out, as documented
        for metric in (demographic_parity_difference, equalized_odds_difference):
            try:
                values.append(float(metric(y, pred, sensitive_features=groups)))
            except (SingleGroupError, UndefinedMetricError):
                values.append(float("nan"))
    return RoundMetrics(f1=f1, dp=values[0], eo=values[1])


def validation_metrics(state: QueryState, *, folds: int = 3) -> RoundMetrics:
    """:func:`prediction_metrics` of the loop's model on held-out rows.

    With a validation split, ``state.model``'s predictions on it. Without one (the
    loop then passes the labelled set itself as ``state.validation``), in-sample
    predictions would be nearly perfect for a flexible learner and say nothing, so
    the labelled set's out-of-fold predictions are used instead: ``folds``-fold,
    stratified, seeded refits of ``state.make_learner()`` (scikit-learn's
    ``StratifiedKFold``, the folds ``cross_val_predict`` would make, with the groups
    and clusters passed to both fit and predict). Too few rows of a class for the
    folds: in-sample.

    Parameters
    ----------
    state : QueryState
    folds : int, default=3

    Returns
    -------
    RoundMetrics
    """
    validation = state.validation
    y = np.asarray(validation.y)
    groups = np.asarray(validation.groups)
    if validation is state.labelled and np.bincount(y.astype(np.int64)).min() >= folds:
        from sklearn.model_selection import StratifiedKFold

        # scikit-learn's cross_val_predict routes the groups to fit but not to predict,
        # which per-group thresholds and correlation removal need: the folds by hand.
        X = np.asarray(validation.X)
        pred = np.empty_like(y)
        cv = StratifiedKFold(folds, shuffle=True, random_state=0)
        clusters = validation.clusters
        for train, test in cv.split(X, y):
            learner = fit_with_groups(
                state.make_learner(), X[train], y[train], groups[train],
                clusters=None if clusters is None else np.asarray(clusters)[train])
            pred[test] = rows_output(learner, "predict", validation, test)
    else:
        pred = rows_output(state.model, "predict", validation)
    return prediction_metrics(y, np.asarray(pred), groups)


def scalarised_reward(
    previous: RoundMetrics,
    current: RoundMetrics,
    *,
    weights: Sequence[float] = (1.0, 1.0, 1.0),
    clip: float = REWARD_CLIP,
) -> float:
    """``clip(w1·ΔF1 - w2·ΔDP - w3·ΔEO, -clip, clip)``; an undefined Δ counts 0.

    Parameters
    ----------
    previous, current : RoundMetrics
        Validation metrics before and after the round.
    weights : (float, float, float)
    clip : float

    Returns
    -------
    float in [-clip, clip]
    """
    deltas = np.array(
        [current.f1 - previous.f1, current.dp - previous.dp, current.eo - previous.eo]
    )
    deltas = np.where(np.isfinite(deltas), deltas, 0.0)
    w = np.asarray(weights, dtype=np.float64)
    return float(np.clip(w[0] * deltas[0] - w[1] * deltas[1] - w[2] * deltas[2], -clip, clip))


# -- tuners -------------------------------------------------------------------------
@dataclass(frozen=True)
class TunerContext:
    """What a tuner sees each round: the state, its validation metrics, the last reward."""

    state: QueryState
    metrics: RoundMetrics
    reward: float | None
    rng: np.random.Generator


class Tuner(ABC):
    """Chooses ``(λ, γ)`` each round; credited with the reward of its last choice."""

    @abstractmethod
    def choose(self, context: TunerContext) -> tuple[float, float]:
        """Return ``(λ, γ)`` for this round (``context.reward`` rewards the last choice)."""

    def info(self) -> dict[str, Any]:
        """What to record about the last choice (arm index, action, ...)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """What the tuner learned so far (``{}`` for a tuner that learns nothing).

        The same contract as :meth:`fairpool.active.Strategy.state_dict`: plain values and
        numpy arrays, enough for a tuner built with the same arguments to choose what
        this one chooses next.
        """
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` on a tuner built with the same arguments.

        Raises
        ------
        InvalidInputError
            ``state`` is not empty (the default: a tuner that learns nothing).
        """
        if state:
            raise InvalidInputError(
                f"tuner {type(self).__name__} keeps no state, but was given one with keys "
                f"{sorted(state)[:8]}: it was saved from another tuner"
            )


class FixedTuner(Tuner):
    """Always the same ``(λ, γ)``.

    Parameters
    ----------
    lam : float
        ``λ >= 0``.
    gamma : float
    """

    def __init__(self, lam: float, gamma: float) -> None:
        self.set(lam, gamma)

    def set(self, lam: float, gamma: float) -> None:
        """Change the pair (used by the PPO environment between simulated rounds)."""
        self.lam = check_lambda(lam, "lam")
        if not np.isfinite(gamma):
            raise InvalidInputError(f"gamma must be a finite number, got {gamma!r}")
        self.gamma = float(gamma)

    def choose(self, context: TunerContext) -> tuple[float, float]:
        """Return the fixed pair."""
        return self.lam, self.gamma


class UCB1Tuner(Tuner):
    """UCB1 over a grid of ``(λ, γ)`` arms.

    Parameters
    ----------
    arms : sequence of (λ, γ)
        At least one arm; every ``λ >= 0``.
    exploration : float, default=1.0
        Multiplier ``c`` of the exploration bonus ``sqrt(2 ln t / n_a)``.

    Attributes
    ----------
    counts_ : ndarray of int
        Rewards received per arm.
    sums_ : ndarray of float
        Sum of the ``[0, 1]``-mapped rewards per arm.
    """

    def __init__(self, arms: Sequence[tuple[float, float]], *, exploration: float = 1.0) -> None:
        arms = [tuple(a) for a in arms]
        if not arms:
            raise InvalidInputError("arms must hold at least one (lam, gamma) pair")
        checked = []
        for arm in arms:
            if len(arm) != 2:
                raise InvalidInputError(f"each arm must be a (lam, gamma) pair, got {arm!r}")
            lam = check_lambda(arm[0], "an arm's lam")
            if not np.isfinite(arm[1]):
                raise InvalidInputError(f"an arm's gamma must be finite, got {arm[1]!r}")
            checked.append((lam, float(arm[1])))
        if not np.isfinite(exploration) or exploration < 0:
            raise InvalidInputError(f"exploration must be >= 0, got {exploration!r}")
        self.arms = tuple(checked)
        self.exploration = float(exploration)
        self.counts_ = np.zeros(len(self.arms), dtype=np.int64)
        self.sums_ = np.zeros(len(self.arms), dtype=np.float64)
        self._last: int | None = None

    def update(self, arm: int, reward: float) -> None:
        """Credit ``reward`` (in ``[-1, 1]``, mapped to ``[0, 1]``) to ``arm``."""
        self.counts_[arm] += 1
        self.sums_[arm] += (float(reward) + REWARD_CLIP) / (2 * REWARD_CLIP)

    def index(self) -> np.ndarray:
        """UCB1 index of every arm (``inf`` for arms never rewarded)."""
        t = self.counts_.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sums_ / self.counts_
            bonus = self.exploration * np.sqrt(2.0 * np.log(max(t, 1)) / self.counts_)
        return np.where(self.counts_ > 0, mean + bonus, np.inf)

    def choose(self, context: TunerContext) -> tuple[float, float]:
        """Credit the last arm, then play the arm with the highest index."""
        if context.reward is not None and self._last is not None:
            self.update(self._last, context.reward)
        self._last = int(np.argmax(self.index()))
        return self.arms[self._last]

    def info(self) -> dict[str, Any]:
        """The arm played last and its pull count."""
        if self._last is None:
            return {}
        return {"arm": self._last, "arm_pulls": int(self.counts_[self._last])}

    def state_dict(self) -> dict[str, Any]:
        """Pull counts, reward sums and the arm played last (credited at the next choice)."""
        return {
            "counts": self.counts_.copy(),
            "sums": self.sums_.copy(),
            "last": self._last,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` on a tuner with the same arms.

        Raises
        ------
        InvalidInputError
            A key is missing, or the state has another number of arms.
        """
        state = check_state_keys(state, ("counts", "sums", "last"), owner="tuner UCB1Tuner")
        counts = np.asarray(state["counts"], dtype=np.int64)
        sums = np.asarray(state["sums"], dtype=np.float64)
        n_arms = len(self.arms)
        if counts.shape != (n_arms,) or sums.shape != (n_arms,):
            raise InvalidInputError(
                f"the UCB1 state has {counts.shape[0] if counts.ndim else 0} arms, this tuner "
                f"{n_arms}: build FacaGen with the same arms"
            )
        last = state["last"]
        self.counts_, self.sums_ = counts.copy(), sums.copy()
        self._last = None if last is None else int(last)


