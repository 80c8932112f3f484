"""FACA-GEN: fairness- and causality-aware acquisition (``S(x) = I(x) - λF(x) - γC(x)``).

From "FACA-GEN: Investigating Bias and Generalization in Active Learning for
Genomics AI". fairpool's precise reading (the reasons are in docs/causal.md and
docs/reproduce-facagen.md):

``I(x)``
    Predictive entropy of the current model, ``-sum_c p_c log p_c`` (the shared
    :func:`~fairpool.active.strategies.entropy_score`).
``F(x)``
    Expected change of the demographic-parity gap on the validation split if
    ``x`` were labelled, ``E_{y ~ p(y|x)}[DP after] - DP now``, from the shared
    engine :func:`~fairpool.active.strategies.expected_disparity_change`
    (the same code as FAL). Positive = labelling ``x`` is expected to widen the gap.
    This is ``fairness_term="expected_change"`` (the default). The other reading,
    ``fairness_term="group_parity"``, depends on ``x`` through its group only: the
    demographic-parity contribution of ``g(x)`` under the current model,
    ``P(ŷ = 1 | g(x)) - P(ŷ = 1)`` over the pool's hard predictions
    (:func:`group_parity_term`). Positive for the group the model already favours,
    so ``-λF`` leans the selection to the disadvantaged group.
``C(x)``
    Counterfactual inconsistency ``mean_{g' != g(x)} |h(x) - h(x'_{g'})|``:
    how much the prediction moves when ``x``'s sensitive attribute is set to each
    other group through the dataset's causal model
    (:mod:`fairpool.causal`). The counterfactual model is fitted on the features
    of the labelled set and the pool (no labels) in the round's representation.

Each term is min-max scaled to ``[0, 1]`` over the pool (the FAL convention),
so ``λ`` and ``γ`` weigh comparable ranges; the ``k`` highest scores are
labelled. ``λ`` and ``γ`` are fixed, or chosen every round by a tuner from
:mod:`fairpool.active.strategies.facagen._tuners`: a UCB1 bandit over a grid of ``(λ, γ)``
arms, or a PPO policy trained on simulated campaigns over the labelled data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState, model_output
from fairpool.active._strategy import Strategy, check_query_size, check_state_keys, top_k
from fairpool.active.strategies._expected_fairness import (
    UpdateMethod,
    _positive_column,
    expected_disparity_change,
)
from fairpool.active.strategies._fal import min_max_scale
from fairpool.active.strategies._uncertainty import entropy_score
from fairpool.active.strategies.facagen._tuners import (
    DEFAULT_ARMS,
    FixedTuner,
    RoundMetrics,
    Tuner,
    TunerContext,
    UCB1Tuner,
    check_lambda,
    scalarised_reward,
    validation_metrics,
)
from fairpool.errors import InvalidInputError

__all__ = [
    "FacaGen",
    "FacaGenTerms",
    "facagen_terms",
    "facagen_scores",
    "group_parity_term",
    "state_counterfactual_model",
]

TunerName = Literal["fixed", "ucb", "ppo"]
FairnessTerm = Literal["expected_change", "group_parity"]
_FAIRNESS_TERMS = ("expected_change", "group_parity")


@dataclass(frozen=True)
class FacaGenTerms:
    """The raw (unscaled) acquisition terms of every pool row; None where not computed."""

    informativeness: np.ndarray
    fairness: np.ndarray | None
    causal: np.ndarray | None


def state_counterfactual_model(
    state: QueryState, *, known_causal_fraction: float = 1.0, seed: int = 0
) -> Any:
    """Fit the dataset's counterfactual model on the state's labelled and pool features.

    The graph is the one declared for ``state.info["dataset"]`` (the cautious
    default graph when there is none). Only features and groups are used; the
    representation is the round's (the loop may standardise each round).

    Parameters
    ----------
    state : QueryState
    known_causal_fraction : float, default 1.0
        genomes1000: share of causal SNPs treated as admissible.
    seed : int
        Seed of that choice and of the counterfactual draws.

    Returns
    -------
    CounterfactualModel
    """
    from fairpool.causal import CounterfactualModel, dataset_graph

    names = list(state.feature_names)
    graph = dataset_graph(
        state.info.get("dataset"),
        feature_names=names,
        info=state.info,
        known_causal_fraction=known_causal_fraction,
        seed=seed,
    )
    sensitive = [c for c in state.info.get("sensitive_columns", ()) if c in set(names)]
    X = np.concatenate([state.labelled.X, state.pool.X])
    groups = np.concatenate([state.labelled.groups, state.pool.groups])
    return CounterfactualModel(graph, random_state=seed).fit(
        X, groups, feature_names=names, sensitive_columns=sensitive, n_groups=state.n_groups
    )


def group_parity_term(state: QueryState) -> np.ndarray:
    """Demographic-parity contribution of each pool row's group under the current model.

    ``F(x) = P(ŷ = 1 | g = g(x)) - P(ŷ = 1)``: the signed gap between the positive
    rate of ``x``'s group and the overall positive rate, the group's term in the
    overall-referenced demographic parity ``max_a |P(ŷ = 1 | a) - P(ŷ = 1)|``
    (PANDA's Table 1 form). Rates are the current model's hard predictions on the
    pool (``state.pool_proba``): rows never trained on, whose groups the loop knows
    and whose labels a rate does not need. (A validation split would do too, but
    FACA-GEN's split has none, and in-sample predictions of a flexible learner on the
    labelled rows reproduce their labels rather than the model's lean.) A reading of
    FACA-GEN's "fairness penalty" (docs/reproduce-facagen.md).

    Parameters
    ----------
    state : QueryState
        Binary model (classes 0/1); pool groups are read.

    Returns
    -------
    ndarray of float, shape (n_pool,)
        Positive for rows of groups predicted positive more often than average.

    Raises
    ------
    NonBinaryLabelError
        The model's classes are not 0/1.
    """
    positive = state.pool_proba[:, _positive_column(state.model)] >= 0.5
    groups = np.asarray(state.pool.groups, dtype=np.int64)
    counts = np.bincount(groups, minlength=state.n_groups).astype(np.float64)
    hits = np.bincount(groups, weights=positive, minlength=state.n_groups)
    rates = np.divide(hits, counts, out=np.zeros_like(hits), where=counts > 0)
    return rates[groups] - positive.mean()


def facagen_terms(
    state: QueryState,
    *,
    fairness: bool = True,
    causal: bool = True,
    counterfactuals: Any = None,
    fairness_method: UpdateMethod = "newton",
    fairness_term: FairnessTerm = "expected_change",
) -> FacaGenTerms:
    """Compute ``I``, ``F`` and ``C`` for the whole pool (raw values, not scaled).

    Parameters
    ----------
    state : QueryState
    fairness, causal : bool
        Whether to compute ``F`` / ``C`` (skipped when their weight is 0).
    counterfactuals : CounterfactualModel, optional
        Fitted on this state's representation; built by
        :func:`state_counterfactual_model` when needed and not given.
    fairness_method : {"newton", "retrain"}
        How the engine updates the model for ``F`` (``"expected_change"`` only).
    fairness_term : {"expected_change", "group_parity"}
        Which reading of ``F``: the expected change of the DP gap, or the DP
        contribution of the row's group (:func:`group_parity_term`).

    Returns
    -------
    FacaGenTerms

    Raises
    ------
    InvalidInputError
        Unknown ``fairness_term``.
    """
    from fairpool.causal import counterfactual_inconsistency

    if fairness_term not in _FAIRNESS_TERMS:
        raise InvalidInputError(
            f"fairness_term must be one of {', '.join(_FAIRNESS_TERMS)}; got {fairness_term!r}"
        )
    info = entropy_score(state.pool_proba)
    fair = None
    if fairness and fairness_term == "group_parity":
        fair = group_parity_term(state)
    elif fairness:
        fair = expected_disparity_change(
            state, fairness="demographic_parity", method=fairness_method
        )
    cause = None
    if causal:
        if counterfactuals is None:
            counterfactuals = state_counterfactual_model(state)
        model = state.model
        if state.pool.clusters is not None:  # counterfactual rows stay in their cluster
            model = _proba_in_clusters(state.model, state.pool.clusters)
        cause = counterfactual_inconsistency(
            model, state.pool.X, state.pool.groups, counterfactuals
        )
    return FacaGenTerms(informativeness=info, fairness=fair, causal=cause)


def _proba_in_clusters(model: Any, clusters: np.ndarray) -> Any:
    """``model.predict_proba`` as a function of the pool rows or of their counterfactuals.

    :func:`~fairpool.causal.counterfactual_inconsistency` scores the ``n`` pool rows,
    then ``k`` stacked blocks of their counterfactuals (the same rows with another
    group's sensitive attribute, in the same order); a counterfactual stays in its
    row's cluster, so each block gets the pool rows' ``clusters`` (a mixed-effects
    learner then predicts with the random effects, as on the pool itself).
    """
    clusters = np.asarray(clusters)

    def proba(X: np.ndarray) -> np.ndarray:
        blocks, left = divmod(X.shape[0], max(clusters.shape[0], 1))
        if left:
            raise InvalidInputError(
                f"{X.shape[0]} rows are not blocks of the {clusters.shape[0]} pool rows")
        return model_output(model, "predict_proba", X, None, np.tile(clusters, blocks))

    return proba


def facagen_scores(terms: FacaGenTerms, lam: float, gamma: float) -> np.ndarray:
    """``S = I' - λ F' - γ C'`` with each term min-max scaled to ``[0, 1]`` over the pool.

    A term with weight 0 may be missing (None).

    Parameters
    ----------
    terms : FacaGenTerms
    lam, gamma : float

    Returns
    -------
    ndarray of shape (m,)
    """
    score = min_max_scale(terms.informativeness)
    for weight, term, name in ((lam, terms.fairness, "F"), (gamma, terms.causal, "C")):
        if weight == 0:
            continue
        if term is None:
            raise InvalidInputError(f"term {name} is needed (weight {weight}) but was not computed")
        score = score - weight * min_max_scale(term)
    return score


@register_strategy("facagen")
class FacaGen(Strategy):
    """FACA-GEN acquisition ``S(x) = I(x) - λF(x) - γC(x)`` with fixed or tuned ``λ``, ``γ``.

    Parameters
    ----------
    lam : float, default=1.0
        ``λ >= 0``, the weight of the expected-disparity term (``tuner="fixed"``).
    gamma : float, default=1.0
        ``γ``, the weight of the counterfactual-inconsistency term
        (``tuner="fixed"``). Negative values are allowed: they *favour*
        counterfactually unstable rows (labelling them may teach the model what
        the label really depends on).
    tuner : {"fixed", "ucb", "ppo"} or Tuner, default="ucb"
        ``"fixed"``: ``lam`` and ``gamma``. ``"ucb"``: UCB1 over ``arms``.
        ``"ppo"``: a PPO policy, trained at the first selection on simulated
        campaigns over the labelled (and validation) rows, or loaded from
        ``policy_dir``.
    arms : sequence of (λ, γ), optional
        The UCB arms; default :data:`~fairpool.active.strategies.facagen.DEFAULT_ARMS`.
    exploration : float, default=1.0
        UCB1's exploration multiplier (1 = Auer et al.'s UCB1).
    reward_weights : (float, float, float), default=(1, 1, 1)
        Weights of ΔF1, ΔDP and ΔEO in the tuners' reward (see
        :func:`~fairpool.active.strategies.facagen.scalarised_reward`).
    fairness_method : {"newton", "retrain"}, default="newton"
        How the expected-fairness engine updates the model for ``F``.
    fairness_term : {"expected_change", "group_parity"}, default="expected_change"
        The reading of ``F``: expected change of the DP gap if ``x`` were labelled,
        or the DP contribution of ``x``'s group under the current model
        (:func:`group_parity_term`).
    known_causal_fraction : float in [0, 1], default=1.0
        genomes1000: share of causal SNPs the causal graph treats as admissible.
    horizon : int, default=10
        Rounds a campaign is expected to last (scales the round in the PPO
        observation).
    ppo_options : mapping, optional
        Options of :class:`~fairpool.active.strategies.facagen.PPOTuner` (training steps,
        episode rounds, ...).
    policy_dir : str, optional
        ``tuner="ppo"``: load the policy saved there if present, else train and save.

    Attributes
    ----------
    tuner_ : Tuner
        The tuner in use (``tuner`` itself when it is a Tuner object, which the run
        then updates in place), built when the parameters are first checked: by
        :func:`~fairpool.active.make_strategy` or at the first :meth:`select`.
    last_info : dict
        What the last selection used: ``lam``, ``gamma``, the arm or action, the
        reward credited to the previous choice, and the validation metrics.
    """

    name: ClassVar[str] = "facagen"
    needs_groups: ClassVar[bool] = True
    needs_binary_labels: ClassVar[bool] = True
    contract_test_options: ClassVar[Mapping[str, Any]] = {"tuner": "ucb"}

    def __init__(
        self,
        *,
        lam: float = 1.0,
        gamma: float = 1.0,
        tuner: TunerName | Tuner = "ucb",
        arms: Sequence[tuple[float, float]] | None = None,
        exploration: float = 1.0,
        reward_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
        fairness_method: UpdateMethod = "newton",
        fairness_term: FairnessTerm = "expected_change",
        known_causal_fraction: float = 1.0,
        horizon: int = 10,
        ppo_options: Mapping[str, Any] | None = None,
        policy_dir: str | None = None,
    ) -> None:
        self.lam = lam
        self.gamma = gamma
        self.tuner = tuner
        self.arms = arms
        self.exploration = exploration
        self.reward_weights = reward_weights
        self.fairness_method = fairness_method
        self.fairness_term = fairness_term
        self.known_causal_fraction = known_causal_fraction
        self.horizon = horizon
        self.ppo_options = ppo_options
        self.policy_dir = policy_dir
        self._tuner_params: tuple | None = None
        self._previous: RoundMetrics | None = None
        self._cache_key: tuple | None = None
        self._counterfactuals: Any = None

    def _validate_params(self) -> None:
        """Check the options, keep their converted values and build ``tuner_``.

        The tuner is built from the parameters the first time they are checked
        (by :func:`~fairpool.active.make_strategy` or the first :meth:`select`) and
        kept across rounds (it learns); it is rebuilt only if a parameter was
        replaced since (``set_params``).
        """
        gamma = self.gamma
        self._lam = check_lambda(self.lam, "lam")
        if not np.isfinite(gamma):
            raise InvalidInputError(f"gamma must be a finite number, got {gamma!r}")
        self._gamma = float(gamma)
        fairness_method = self.fairness_method
        if fairness_method not in ("newton", "retrain"):
            raise InvalidInputError(
                f"fairness_method must be 'newton' or 'retrain', got {fairness_method!r}"
            )
        if self.fairness_term not in _FAIRNESS_TERMS:
            raise InvalidInputError(
                f"fairness_term must be one of {', '.join(_FAIRNESS_TERMS)}; "
                f"got {self.fairness_term!r}"
            )
        known_causal_fraction = self.known_causal_fraction
        fraction = float(known_causal_fraction)
        if not 0.0 <= fraction <= 1.0:
            raise InvalidInputError(
                f"known_causal_fraction must be in [0, 1], got {known_causal_fraction!r}"
            )
        self._known_causal_fraction = fraction
        reward_weights = self.reward_weights
        weights = tuple(float(w) for w in reward_weights)
        if len(weights) != 3 or not all(np.isfinite(w) and w >= 0 for w in weights):
            raise InvalidInputError(
                f"reward_weights must be three non-negative numbers, got {reward_weights!r}"
            )
        self._reward_weights = weights
        horizon = self.horizon
        if isinstance(horizon, bool) or int(horizon) < 1:
            raise InvalidInputError(f"horizon must be a positive integer, got {horizon!r}")
        self._horizon = int(horizon)
        params = tuple(self.get_params(deep=False).values())
        built = self._tuner_params
        if built is None or len(built) != len(params) or any(
            a is not b for a, b in zip(built, params, strict=True)
        ):
            self.tuner_ = self._make_tuner()
            self._tuner_params = params

    def _make_tuner(self) -> Tuner:
        """The tuner ``tuner`` names (or ``tuner`` itself), from the checked options."""
        tuner, arms = self.tuner, self.arms
        if isinstance(tuner, Tuner):
            return tuner
        if tuner == "fixed":
            return FixedTuner(self._lam, self._gamma)
        if tuner == "ucb":
            return UCB1Tuner(DEFAULT_ARMS if arms is None else arms, exploration=self.exploration)
        if tuner == "ppo":
            # Imported here: gymnasium and stable-baselines3 load only for PPO users.
            from fairpool.active.strategies.facagen._ppo import PPOTuner

            return PPOTuner(
                horizon=self._horizon,
                policy_dir=self.policy_dir,
                reward_weights=self._reward_weights,
                strategy_options={
                    "fairness_method": self.fairness_method,
                    "fairness_term": self.fairness_term,
                    "known_causal_fraction": self._known_causal_fraction,
                },
                strategy_factory=type(self),
                **dict(self.ppo_options or {}),
            )
        raise InvalidInputError(
            f"tuner must be 'fixed', 'ucb', 'ppo' or a Tuner, got {tuner!r}"
        )

    def _state_counterfactuals(self, state: QueryState) -> Any:
        """The counterfactual model for this state, refitted only when the rows changed.

        The key is the union of labelled and pool rows (their count and two sums):
        it is unchanged across rounds when features are not re-standardised, and
        changes whenever the loop's representation does.
        """
        X = (state.labelled.X, state.pool.X)
        key = (
            sum(a.shape[0] for a in X),
            float(sum(a.sum(dtype=np.float64) for a in X)),
            float(sum(np.square(a, dtype=np.float64).sum() for a in X)),
        )
        if key != self._cache_key:
            self._counterfactuals = state_counterfactual_model(
                state, known_causal_fraction=self._known_causal_fraction
            )
            self._cache_key = key
        return self._counterfactuals

    def state_dict(self) -> dict[str, Any]:
        """What carries over to the next :meth:`select`: the tuner's state and the metrics.

        ``tuner``: the tuner's own ``state_dict`` (UCB1: pull counts, reward sums, the
        arm played last; PPO: the trained policy's weights and config, the last weights
        and action; fixed: nothing); ``previous``: the validation F1, DP and EO the
        next round's reward is measured against (None before the first selection). The
        counterfactual model is a cache keyed by the rows and is refitted when absent.
        """
        self._validate_params()
        previous = self._previous
        return {
            "tuner": {"class": type(self.tuner_).__name__, "state": self.tuner_.state_dict()},
            "previous": None
            if previous is None
            else {"f1": float(previous.f1), "dp": float(previous.dp), "eo": float(previous.eo)},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` on a FACA-GEN built with the same parameters.

        Raises
        ------
        InvalidInputError
            A key is missing, the state is another strategy's or another tuner's.
        """
        state = self._check_state_keys(state, ("tuner", "previous"))
        tuner = check_state_keys(state["tuner"], ("class", "state"), owner=self._state_owner())
        self._validate_params()
        if tuner["class"] != type(self.tuner_).__name__:
            raise InvalidInputError(
                f"{self._state_owner()}: the state is of a {tuner['class']} tuner, this "
                f"strategy uses {type(self.tuner_).__name__}; build it with the same tuner"
            )
        previous = state["previous"]
        if previous is not None:
            previous = check_state_keys(previous, ("f1", "dp", "eo"), owner=self._state_owner())
            previous = RoundMetrics(
                f1=float(previous["f1"]), dp=float(previous["dp"]), eo=float(previous["eo"])
            )
        self.tuner_.load_state_dict(tuner["state"])
        self._previous = previous

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Pick the ``k`` pool rows with the highest ``S(x)`` (ties at random)."""
        self._validate_params()
        k = check_query_size(k, len(state.pool))
        metrics = validation_metrics(state)
        reward = (
            None
            if self._previous is None
            else scalarised_reward(self._previous, metrics, weights=self._reward_weights)
        )
        context = TunerContext(state=state, metrics=metrics, reward=reward, rng=rng)
        lam, gamma = self.tuner_.choose(context)
        self._previous = metrics
        terms = facagen_terms(
            state,
            fairness=lam != 0,
            causal=gamma != 0,
            counterfactuals=self._state_counterfactuals(state) if gamma != 0 else None,
            fairness_method=self.fairness_method,
            fairness_term=self.fairness_term,
        )
        scores = facagen_scores(terms, lam, gamma)
        picks = top_k(scores, k, rng)
        self.last_scores = scores[picks]
        self.last_info = {
            "lam": float(lam),
            "gamma": float(gamma),
            "reward": float("nan") if reward is None else float(reward),
            "val_f1": metrics.f1,
            "val_dp": metrics.dp,
            "val_eo": metrics.eo,
            **self.tuner_.info(),
        }
        return picks
