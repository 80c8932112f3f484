"""FACA-GEN: acquisition ``S(x) = I(x) - λ·F(x) - γ·C(x)`` with online tuning of λ and γ.

The package is cut along the method's ideas, one private module each:

- ``_strategy``: :class:`FacaGen` (registered as ``"facagen"``) and its three terms;
- ``_tuners``: the reward signal and the fixed and UCB1 tuners;
- ``_ppo``: the PPO tuner, its simulation environment and the saved policy. It is
  loaded on first use of one of its names, so gymnasium and stable-baselines3 are
  imported only by users of ``tuner="ppo"``.
"""

from __future__ import annotations

import importlib
from typing import Any

from fairpool.active.strategies.facagen._strategy import (
    FacaGen,
    FacaGenTerms,
    facagen_scores,
    facagen_terms,
    group_parity_term,
    state_counterfactual_model,
)
from fairpool.active.strategies.facagen._tuners import (
    DEFAULT_ARMS,
    FixedTuner,
    RoundMetrics,
    Tuner,
    TunerContext,
    UCB1Tuner,
    check_lambda,
    prediction_metrics,
    scalarised_reward,
    validation_metrics,
)

_PPO_NAMES = (
    "FacaGenEnv",
    "PPOTuner",
    "TunerPolicy",
    "action_to_weights",
    "observation_vector",
    "train_ppo_policy",
)

__all__ = [
    "DEFAULT_ARMS",
    "FacaGen",
    "FacaGenTerms",
    "FixedTuner",
    "RoundMetrics",
    "Tuner",
    "TunerContext",
    "UCB1Tuner",
    "check_lambda",
    "facagen_scores",
    "facagen_terms",
    "group_parity_term",
    "prediction_metrics",
    "scalarised_reward",
    "state_counterfactual_model",
    "validation_metrics",
    *_PPO_NAMES,
]


def __getattr__(name: str) -> Any:
    if name in _PPO_NAMES:
        value = getattr(importlib.import_module("fairpool.active.strategies.facagen._ppo"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
