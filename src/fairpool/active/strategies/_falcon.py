"""Falcon: fair active learning with target groups, postponement and an EXP3 bandit.

Tae, Zhang, Park, Rong, Whang, "Falcon: Fair Active Learning using Multi-armed
Bandits", PVLDB 17(5), 2024. Each round Falcon

1. measures the current disparity on the validation set and derives *target
   pairs* ``(label, group)``: rows that, once labelled and trained on, move the
   disparity down (:func:`target_pairs`; for demographic parity: positives of the
   group with the lowest positive-prediction rate, negatives of the group with the
   highest);
2. lets an EXP3 bandit (:class:`Exp3`) choose an arm = (target pair, policy).
   Policy ``r`` takes the pool rows of the target's group whose predicted
   probability of the target label is closest to ``1 - r``: ``r`` is the expected
   *postpone rate*. Larger ``r`` means rows the model gets wrong today (more
   informative if they do land in the target) but more often outside it;
3. labels the rows. A row whose revealed label is not the target label is
   *postponed*: it stays in the labelled set but the model is not trained on it
   (trial and error). The fit that follows is the only one that reads the label;
4. rewards the arm with the disparity improvement on the validation set that the
   new model shows, scaled into [0, 1] (0 when nothing improved, e.g. when every
   row was postponed);
5. with probability ``1 - mix`` the round is plain entropy sampling instead
   (the paper's trade-off parameter λ = ``mix``).

Postponement needs the loop's cooperation: the loop calls
:meth:`FalconSampling.wrap_learner` once, and the returned
:class:`PostponingClassifier` drops the postponed rows at every refit, reading
which rows they are from a :class:`PostponementLedger` it shares with the
strategy. The strategy itself never sees a pool label. The reading of the paper
and every choice made where it leaves room are in
``docs/strategies-fair-baselines.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from fairpool.active._registry import make_strategy, register_strategy
from fairpool.active._state import QueryState, rows_output
from fairpool.active._strategy import Strategy, check_query_size, top_k
from fairpool.active.strategies._uncertainty import entropy_score
from fairpool.errors import InvalidInputError, NonBinaryLabelError, SingleGroupError
from fairpool.learners import PostponementLedger, PostponingClassifier
from fairpool.metrics import (
    check_binary_labels,
    check_disparity_name,
    confusion_by_group,
    group_spread,
    rates_from_confusion,
)

__all__ = [
    "Exp3",
    "FalconFairness",
    "FalconSampling",
    "target_pairs",
]

FalconFairness = Literal["demographic_parity", "equal_opportunity", "equalized_odds"]
_FAIRNESS = ("demographic_parity", "equal_opportunity", "equalized_odds")


# ---------------------------------------------------------------------------
# target pairs
# ---------------------------------------------------------------------------
def target_pairs(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    fairness: FalconFairness = "demographic_parity",
) -> tuple[tuple[tuple[int, int], ...], float]:
    """Falcon's target ``(label, group)`` pairs and the disparity they address.

    ============================  =====================================  =========================
    fairness                      disparity                              target pairs
    ============================  =====================================  =========================
    ``demographic_parity``        max - min P(ŷ=1 | g)                   (1, g_min), (0, g_max)
    ``equal_opportunity``         max - min TPR_g                        (1, g_min TPR)
    ``equalized_odds``            max(TPR gap, FPR gap)                  (1, g_min TPR) if the TPR
                                                                         gap is larger, else
                                                                         (0, g_max FPR)
    ============================  =====================================  =========================

    A positive of the group predicted positive least often pulls that group's
    rate up once the model trains on it; a negative of the group predicted
    positive most often pulls its rate down; likewise for TPR (positives of the
    low-TPR group) and FPR (negatives of the high-FPR group). More than two
    groups: the extreme groups are the ones targeted.

    Returns
    -------
    targets : tuple of (label, group) pairs
        Empty when the disparity is zero or undefined (fewer than two groups with
        the rate defined).
    disparity : float
        NaN when undefined.
    """
    check_disparity_name(fairness, _FAIRNESS)
    rates = rates_from_confusion(confusion_by_group(y_true, y_pred, groups, n_groups=n_groups))
    if fairness == "demographic_parity":
        gap, lo, hi = group_spread(rates["selection_rate"])
        targets = ((1, lo), (0, hi))
    else:
        tpr_gap, tpr_lo, _ = group_spread(rates["tpr"])
        fpr_gap, _, fpr_hi = group_spread(rates["fpr"])
        if fairness == "equal_opportunity" or not fpr_gap > tpr_gap:
            # equalized odds: ties and an undefined FPR gap go to the TPR side
            gap, targets = tpr_gap, ((1, tpr_lo),)
            if fairness == "equalized_odds" and math.isnan(tpr_gap):
                gap, targets = fpr_gap, ((0, fpr_hi),)
        else:
            gap, targets = fpr_gap, ((0, fpr_hi),)
    if math.isnan(gap) or gap <= 0.0:
        return (), gap
    return targets, gap


# ---------------------------------------------------------------------------
# the bandit
# ---------------------------------------------------------------------------
class Exp3:
    """EXP3 (Auer, Cesa-Bianchi, Freund, Schapire, SIAM J. Comput. 2002) for rewards in [0, 1].

    Arm ``i`` is drawn with probability ``p_i = (1 - γ) w_i / Σ_j w_j + γ / K``;
    after its reward ``x`` the importance-weighted estimate ``x / p_i`` updates
    only that arm: ``w_i ← w_i · exp(γ · x / (p_i · K))``. Weights are kept as
    logarithms, so long runs do not overflow.

    Parameters
    ----------
    n_arms : int
        ``K``, at least 1.
    gamma : float
        Exploration rate in (0, 1].
    """

    def __init__(self, n_arms: int, *, gamma: float) -> None:
        if isinstance(n_arms, bool) or not isinstance(n_arms, int | np.integer) or n_arms < 1:
            raise InvalidInputError(f"n_arms must be a positive integer, got {n_arms!r}")
        _check_unit(gamma, "gamma", low_open=True)
        self.n_arms = int(n_arms)
        self.gamma = float(gamma)
        self.log_weights = np.zeros(self.n_arms)

    @property
    def weights(self) -> np.ndarray:
        """The weights ``w_i`` (``exp`` of :attr:`log_weights`)."""
        return np.exp(self.log_weights)

    def probabilities(self) -> np.ndarray:
        """The arm distribution ``p`` of the next draw."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return (1.0 - self.gamma) * w / w.sum() + self.gamma / self.n_arms

    def draw(self, rng: np.random.Generator) -> int:
        """An arm drawn from :meth:`probabilities` with ``rng``."""
        return int(rng.choice(self.n_arms, p=self.probabilities()))

    def update(self, arm: int, reward: float) -> None:
        """Credit ``reward`` (in [0, 1]) to ``arm``, the arm of the last draw."""
        if not 0 <= arm < self.n_arms:
            raise InvalidInputError(f"arm must be in [0, {self.n_arms}), got {arm!r}")
        _check_unit(reward, "reward")
        p = self.probabilities()[arm]
        self.log_weights[arm] += self.gamma * float(reward) / (p * self.n_arms)


def _check_unit(value: Any, name: str, *, low_open: bool = False) -> float:
    """``value`` as a float in [0, 1] (or (0, 1] with ``low_open``)."""
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (0.0 < value if low_open else 0.0 <= value) and value <= 1.0
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise InvalidInputError(f"{name} must be a number in {interval}, got {value!r}")
    return value


# ---------------------------------------------------------------------------
# the strategy
# ---------------------------------------------------------------------------
@register_strategy("falcon")
class FalconSampling(Strategy):
    """Falcon: target-group policies chosen by EXP3, off-target labels postponed.

    Parameters
    ----------
    fairness : {"demographic_parity", "equal_opportunity", "equalized_odds"}
        The disparity Falcon lowers (measured on ``state.validation``).
    policies : sequence of float, default=(0.3, 0.4, 0.5, 0.6, 0.7)
        Expected postpone rates ``r``; policy ``r`` takes the target group's rows
        with ``P(target label | x)`` closest to ``1 - r``.
    mix : float, default=0.5
        Probability that a round is a Falcon round (the paper's λ); otherwise the
        round is entropy sampling. 1 is pure Falcon.
    gamma : float, default=0.25
        EXP3's exploration rate. The default is Auer et al.'s
        ``sqrt(K ln K / ((e - 1) g))`` for K = 10 arms (2 targets x 5 policies)
        and g = 200 rounds, rounded.
    postpone : bool, default=True
        Hold off-target rows back from training (through :meth:`wrap_learner`).

    Attributes
    ----------
    last_info : dict
        The last round: ``mode`` ("falcon" / "entropy"), ``target`` (label, group
        name), ``policy``, ``arm``, ``arm_probability``, ``disparity`` (validation,
        before this round's labels), ``reward`` (credited to the previous Falcon
        round's arm), ``postponed`` (rows of the previous round held back).
    """

    name = "falcon"
    needs_groups = True
    needs_binary_labels = True

    def __init__(
        self,
        *,
        fairness: FalconFairness = "demographic_parity",
        policies: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7),
        mix: float = 0.5,
        gamma: float = 0.25,
        postpone: bool = True,
    ) -> None:
        self.fairness = fairness
        self.policies = policies
        self.mix = mix
        self.gamma = gamma
        self.postpone = postpone
        self._ledger = PostponementLedger()
        self._bandits: dict[tuple[tuple[int, int], ...], Exp3] = {}
        self._pending: tuple[tuple[tuple[int, int], ...], int, float] | None = None
        self._reward_scale = 0.0
        self._entropy = make_strategy("entropy")

    def _validate_params(self) -> None:
        """Check the options and keep their converted values (``_policies``, ...)."""
        check_disparity_name(self.fairness, _FAIRNESS)
        policies = self.policies
        try:
            policies = tuple(policies)
        except TypeError:
            raise InvalidInputError(
                f"policies must be a sequence of numbers, got {policies!r}"
            ) from None
        if not policies:
            raise InvalidInputError("policies must hold at least one postpone rate")
        policies = tuple(_check_unit(r, "each policy (postpone rate)") for r in policies)
        if len(set(policies)) != len(policies):
            raise InvalidInputError(f"policies must be distinct, got {policies}")
        self._policies = policies
        self._mix = _check_unit(self.mix, "mix")
        self._gamma = _check_unit(self.gamma, "gamma", low_open=True)
        self._postpone = bool(self.postpone)

    def wrap_learner(self, learner: Any) -> Any:
        """The loop's learner inside a :class:`PostponingClassifier` sharing this run's ledger."""
        self._validate_params()
        if not self._postpone:
            return learner
        return PostponingClassifier(learner, ledger=self._ledger)

    @property
    def bandits(self) -> dict[tuple[tuple[int, int], ...], Exp3]:
        """One EXP3 per target-pair set seen so far (arms: pairs x policies)."""
        return self._bandits

    def state_dict(self) -> dict[str, Any]:
        """What carries over to the next :meth:`select` (for resuming in another process).

        ``bandits``: one entry per target-pair set seen, in the order first seen, with
        its ``targets`` (``[[label, group], ...]``), ``gamma`` and ``log_weights``;
        ``reward_scale``, the largest improvement seen; ``pending``, the last Falcon
        round's targets, arm and disparity (None when already credited); ``ledger``,
        the postponed rows and the pending announcement (see
        :meth:`fairpool.learners.PostponementLedger.state_dict`).
        """
        pending = self._pending
        return {
            "bandits": [
                {
                    "targets": [[int(label), int(group)] for label, group in key],
                    "gamma": float(bandit.gamma),
                    "log_weights": bandit.log_weights.copy(),
                }
                for key, bandit in self._bandits.items()
            ],
            "reward_scale": float(self._reward_scale),
            "pending": None
            if pending is None
            else {
                "targets": [[int(label), int(group)] for label, group in pending[0]],
                "arm": int(pending[1]),
                "before": float(pending[2]),
            },
            "ledger": self._ledger.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` on a Falcon built with the same parameters.

        The ledger is restored in place (the loop's learner shares it); the loop then
        refits its model, which leaves the restored postponed rows out again.

        Raises
        ------
        InvalidInputError
            A key is missing, or the state is another strategy's.
        """
        state = self._check_state_keys(state, ("bandits", "reward_scale", "pending", "ledger"))
        bandits: dict[tuple[tuple[int, int], ...], Exp3] = {}
        for entry in state["bandits"]:
            entry = self._check_state_keys(entry, ("targets", "gamma", "log_weights"))
            log_weights = np.array(entry["log_weights"], dtype=np.float64)
            bandit = Exp3(log_weights.shape[0], gamma=float(entry["gamma"]))
            bandit.log_weights = log_weights
            bandits[_target_key(entry["targets"])] = bandit
        pending = state["pending"]
        if pending is not None:
            pending = self._check_state_keys(pending, ("targets", "arm", "before"))
            pending = (_target_key(pending["targets"]), int(pending["arm"]),
                       float(pending["before"]))
            if pending[0] not in bandits:
                raise InvalidInputError(
                    f"{self._state_owner()}: the pending reward is for targets {pending[0]}, "
                    "which have no bandit in the state"
                )
        self._ledger.load_state_dict(state["ledger"])
        self._bandits = bandits
        self._reward_scale = float(state["reward_scale"])
        self._pending = pending

    def _reward(self, disparity: float) -> float | None:
        """Credit the previous Falcon round's arm with the validation improvement."""
        if self._pending is None:
            return None
        key, arm, before = self._pending
        self._pending = None
        improvement = before - disparity
        if not math.isfinite(improvement) or improvement <= 0.0:
            reward = 0.0
        else:
            # Scaled by the largest improvement seen so far, so rewards lie in [0, 1].
            self._reward_scale = max(self._reward_scale, improvement)
            reward = improvement / self._reward_scale
        self._bandits[key].update(arm, reward)
        return reward

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Pick ``k`` pool positions for this round (see the module docstring).

        Raises
        ------
        SingleGroupError
            If the data has fewer than two groups.
        NonBinaryLabelError
            If the validation labels are not 0/1.
        """
        self._validate_params()
        if state.n_groups < 2:
            raise SingleGroupError(
                f"strategy {self.name!r} targets groups and needs at least two, "
                f"got {list(state.group_names)}"
            )
        k = check_query_size(k, len(state.pool))
        validation = state.validation
        y_val = np.asarray(validation.y)
        check_binary_labels(y_val, who="Falcon's validation set")
        y_hat = rows_output(state.model, "predict", validation).astype(np.int64)
        targets, disparity = target_pairs(
            y_val, y_hat, validation.groups, state.n_groups, fairness=self.fairness
        )
        reward = self._reward(disparity)
        info: dict[str, Any] = {
            "disparity": disparity,
            "reward": reward,
            "postponed": self._ledger.last_postponed,
            "target": None,
            "policy": None,
            "arm": None,
            "arm_probability": None,
        }
        falcon_round = rng.random() < self._mix and bool(targets)
        pick_targets = np.full(k, -1, dtype=np.int64)
        if falcon_round:
            policies = self._policies
            bandit = self._bandits.setdefault(
                targets, Exp3(len(targets) * len(policies), gamma=self._gamma)
            )
            arm = bandit.draw(rng)
            label, group = targets[arm // len(policies)]
            rate = policies[arm % len(policies)]
            proba = state.pool_proba
            column = _class_column(state.model, label, proba.shape[1])
            in_group = state.pool.groups == group
            if in_group.sum() >= k:
                closeness = -np.abs(proba[:, column] - (1.0 - rate))
                picks = top_k(np.where(in_group, closeness, -np.inf), k, rng)
                self.last_scores = closeness[picks]
            else:  # too few rows of the group left: all of them, then the most uncertain
                picks = top_k(np.where(in_group, np.inf, entropy_score(proba)), k, rng)
                self.last_scores = None  # group rows come first unscored: no one score
            pick_targets[in_group[picks]] = label
            self._pending = (targets, arm, disparity)
            info.update(
                target=(int(label), state.group_names[group]),
                policy=rate,
                arm=int(arm),
                arm_probability=float(bandit.probabilities()[arm]),
            )
        else:
            picks = self._entropy.select(state, k, rng)
            self.last_scores = self._entropy.last_scores
        info["mode"] = "falcon" if falcon_round else "entropy"
        self._ledger.expect(len(state.labelled), pick_targets)
        self.last_info = info
        return picks


def _target_key(pairs: Any) -> tuple[tuple[int, int], ...]:
    """Target pairs ``[[label, group], ...]`` as the bandits' dict key."""
    return tuple((int(label), int(group)) for label, group in pairs)


def _class_column(model: Any, label: int, n_columns: int) -> int:
    """Column of ``label`` in ``model.predict_proba`` output."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return int(label)
    found = np.flatnonzero(np.asarray(classes) == label)
    if found.shape[0] == 0 or found[0] >= n_columns:
        raise NonBinaryLabelError(f"the model has no class {label!r} among {list(classes)}")
    return int(found[0])
