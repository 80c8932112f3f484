"""The built-in query strategies, one private module per family.

Importing this package registers every built-in strategy (each class registers
itself with :func:`fairpool.active.register_strategy`); this file is therefore the
one visible list of built-ins, and an import error here is loud, never a silently
missing strategy. ``fairpool.active.make_strategy(name)`` imports it on first use.

==================  ==========================================  ============================
family              names                                       source
==================  ==========================================  ============================
``_uncertainty``    entropy, margin, least_confident            Settles 2009
``_group_random``   random, group_random                        PANDA's baselines
``_fal``            fal, fal_fast                               Anahideh et al. 2022
``_fairlearn_al``   fairlearn, fairlearn_al                     PANDA's baselines
``_dfa2l``          dfa2l                                       Cao & Lan 2022
``_falcon``         falcon                                      Tae et al. 2024
``_fis``            fis                                         Pang et al. 2024
``facagen/``        facagen                                     FACA-GEN
``panda/``          panda                                       Sharaf et al. 2022
==================  ==========================================  ============================

``_expected_fairness`` is the engine FAL, FIS and FACA-GEN's F(x) share, with the closed-form
logistic refit of ``fal_fast`` in ``_newton_refit``.
"""

from fairpool.active.strategies._dfa2l import (
    DecoupledDisagreementSampling,
    disagreement,
    group_model_probabilities,
)
from fairpool.active.strategies._expected_fairness import (
    DEFAULT_NEWTON_STEPS,
    FairnessName,
    NewtonRefit,
    UpdateMethod,
    check_fairness_name,
    current_disparity,
    expected_disparity,
    expected_disparity_change,
)
from fairpool.active.strategies._fairlearn_al import (
    FairlearnMarginSampling,
    FairlearnSampling,
    FairReductionSampling,
)
from fairpool.active.strategies._fal import (
    FairActiveLearning,
    FastFairActiveLearning,
    min_max_scale,
)
from fairpool.active.strategies._falcon import Exp3, FalconFairness, FalconSampling, target_pairs
from fairpool.active.strategies._fis import (
    FairInfluenceSampling,
    FisFairness,
    fis_influences,
    soft_fairness_loss,
    validation_log_loss,
)
from fairpool.active.strategies._group_random import (
    GroupAwareRandomSampling,
    RandomSampling,
    group_error_rates,
)
from fairpool.active.strategies._uncertainty import (
    EntropySampling,
    LeastConfidentSampling,
    MarginSampling,
    entropy_score,
    least_confidence_score,
    margin_score,
)
from fairpool.active.strategies.facagen import FacaGen
from fairpool.active.strategies.panda import PandaConfig, PandaStrategy

__all__ = [
    "DEFAULT_NEWTON_STEPS",
    "DecoupledDisagreementSampling",
    "EntropySampling",
    "Exp3",
    "FacaGen",
    "FairActiveLearning",
    "FairInfluenceSampling",
    "FairReductionSampling",
    "FairlearnMarginSampling",
    "FairlearnSampling",
    "FairnessName",
    "FalconFairness",
    "FalconSampling",
    "FisFairness",
    "FastFairActiveLearning",
    "GroupAwareRandomSampling",
    "LeastConfidentSampling",
    "MarginSampling",
    "NewtonRefit",
    "PandaConfig",
    "PandaStrategy",
    "RandomSampling",
    "UpdateMethod",
    "check_fairness_name",
    "current_disparity",
    "disagreement",
    "entropy_score",
    "expected_disparity",
    "expected_disparity_change",
    "fis_influences",
    "group_error_rates",
    "group_model_probabilities",
    "least_confidence_score",
    "margin_score",
    "min_max_scale",
    "soft_fairness_loss",
    "target_pairs",
    "validation_log_loss",
]
