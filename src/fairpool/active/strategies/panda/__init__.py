"""PANDA: a meta-learned selection policy under a parity constraint.

Sharaf, Daumé III and Ni, "Promoting Fairness in Learned Models by Learning to Active
Learn under Parity Constraints", FAccT 2022. The package is cut along the method's
ideas, one private module each:

- ``_config``: :class:`PandaConfig`, every knob of meta-training and selection;
- ``_policy``: the set-Transformer policy and Gumbel-top-B sampling (§3.1);
- ``_tasks``: meta-tasks (D0, a simulated pool, a validation set) and the policy's view
  of a pool;
- ``_simulator``: ACTIVELEARNSIM, the differentiable round (Algorithm 2);
- ``_training``: forward-backward splitting and the meta-training loop (§3.2-3.3);
- ``_strategy``: :class:`PandaStrategy`, the registered strategy ``"panda"``, with the
  saving and loading of a trained policy (safetensors + JSON, no pickle).
"""

from fairpool.active.strategies.panda._config import PAPER_METHODS, ConstraintName, PandaConfig
from fairpool.active.strategies.panda._policy import (
    PandaPolicy,
    RowEncoder,
    SetAttentionBlock,
    attention_context,
    gumbel_top_b,
    hard_top_b,
    policy_features,
    policy_input_width,
    relaxed_top_b,
    sample_gumbel,
)
from fairpool.active.strategies.panda._simulator import (
    SimOutcome,
    active_learn_sim,
    hard_disparity,
    logistic_gradient,
    smoothed_constraint,
    soft_disparity,
    unrolled_logistic_gd,
)
from fairpool.active.strategies.panda._strategy import PandaStrategy
from fairpool.active.strategies.panda._tasks import (
    MetaTask,
    fit_initial_classifier,
    policy_view,
    sample_meta_task,
)
from fairpool.active.strategies.panda._training import (
    TrainingLog,
    adam_metric,
    evaluate_selection,
    forward_backward_step,
    meta_train,
    pretrain_encoder,
    proximal_step,
)

__all__ = [
    "ConstraintName",
    "PAPER_METHODS",
    "MetaTask",
    "PandaConfig",
    "PandaPolicy",
    "PandaStrategy",
    "RowEncoder",
    "SetAttentionBlock",
    "SimOutcome",
    "TrainingLog",
    "active_learn_sim",
    "adam_metric",
    "attention_context",
    "evaluate_selection",
    "fit_initial_classifier",
    "forward_backward_step",
    "gumbel_top_b",
    "hard_disparity",
    "hard_top_b",
    "logistic_gradient",
    "meta_train",
    "policy_features",
    "policy_input_width",
    "policy_view",
    "pretrain_encoder",
    "proximal_step",
    "relaxed_top_b",
    "sample_gumbel",
    "sample_meta_task",
    "smoothed_constraint",
    "soft_disparity",
    "unrolled_logistic_gd",
]
