"""Estimators with the scikit-learn API, and the names the active-learning loop builds.

- :func:`make_learner` / :func:`available_learners` / :func:`register_learner`: the
  learner registry (``logreg``, ``xgboost``, torch ``linear`` and ``mlp``, and the
  causal-consistency variants ``xgboost_cf``, ``linear_cf``, ``mlp_cf``);
- :class:`TorchLinearClassifier`, :class:`TorchMLPClassifier`: torch models on the
  best available device (:func:`select_device`);
- :class:`MEDLClassifier`, :class:`MEDLRegressor`: mixed-effects deep learning (ARMED /
  Fair MEDL) over clustered rows, with :func:`tune_medl`; :class:`GradientReversal` and
  :func:`reversal_weight`, the adversaries' gradient reversal;
- :class:`FairReductionClassifier`: fairlearn's exponentiated-gradient reduction;
- :class:`CausallyConsistent`: the FACA-GEN counterfactual-consistency learner;
- :class:`PostponingClassifier`, :class:`PostponementLedger`: Falcon's postponement;
- :func:`check_fit_input`, :func:`check_predict_input`, :func:`single_class_message`:
  the input checks every fairpool estimator shares (scikit-learn's ``validate_data``
  with fairpool's errors), for the estimators of :mod:`fairpool.mitigation` too.

Examples
--------
>>> import fairpool as fp
>>> "logreg" in fp.learners.available_learners()
True
"""

import importlib
from typing import TYPE_CHECKING, Any

from fairpool.learners._causal_consistency import (
    CausallyConsistent,
    causally_consistent,
    consistency_loss,
    consistency_objective,
    linear_cf,
    mlp_cf,
    xgboost_cf,
)
from fairpool.learners._device import select_device
from fairpool.learners._fair_reduction import (
    FAIRNESS_CONSTRAINTS,
    FairnessConstraint,
    FairReductionClassifier,
    check_constraint,
    check_eps,
)
from fairpool.learners._postponing import PostponementLedger, PostponingClassifier
from fairpool.learners._registry import (
    available_learners,
    fair_medl,
    learner_factory,
    logistic_regression,
    make_learner,
    medl,
    medl_fixed_effects,
    register_learner,
    torch_linear,
    torch_mlp,
    unregister_learner,
    xgboost_classifier,
)
from fairpool.learners._validation import (
    call_with_groups,
    check_fit_input,
    check_predict_input,
    fit_with_groups,
    single_class_message,
)

# The torch classifiers load on first use, so that importing the learners (and so every
# `fairpool session` command) does not pay torch's ~3 s import unless a torch learner runs.
_LAZY = {
    "TorchLinearClassifier": "fairpool.learners._torch_classifier",
    "TorchMLPClassifier": "fairpool.learners._torch_classifier",
    "seeded_mlp": "fairpool.learners._torch_classifier",
    "numpy_state_dict": "fairpool.learners._torch_classifier",
    "load_numpy_state_dict": "fairpool.learners._torch_classifier",
    "GradientReversal": "fairpool.learners._gradient_reversal",
    "REVERSAL_SCHEDULES": "fairpool.learners._gradient_reversal",
    "reversal_weight": "fairpool.learners._gradient_reversal",
    "MEDLClassifier": "fairpool.learners._medl",
    "MEDLRegressor": "fairpool.learners._medl",
    "MEDLOutputs": "fairpool.learners._medl",
    "tune_medl": "fairpool.learners._medl_tuning",
    "spread_of": "fairpool.learners._medl_tuning",
}

if TYPE_CHECKING:  # pragma: no cover
    from fairpool.learners._gradient_reversal import (
        REVERSAL_SCHEDULES,
        GradientReversal,
        reversal_weight,
    )
    from fairpool.learners._medl import MEDLClassifier, MEDLOutputs, MEDLRegressor
    from fairpool.learners._medl_tuning import spread_of, tune_medl
    from fairpool.learners._torch_classifier import (
        TorchLinearClassifier,
        TorchMLPClassifier,
        load_numpy_state_dict,
        numpy_state_dict,
        seeded_mlp,
    )

__all__ = [
    "FAIRNESS_CONSTRAINTS",
    "REVERSAL_SCHEDULES",
    "GradientReversal",
    "MEDLClassifier",
    "MEDLOutputs",
    "MEDLRegressor",
    "CausallyConsistent",
    "FairReductionClassifier",
    "FairnessConstraint",
    "PostponementLedger",
    "PostponingClassifier",
    "TorchLinearClassifier",
    "TorchMLPClassifier",
    "available_learners",
    "call_with_groups",
    "fit_with_groups",
    "causally_consistent",
    "check_constraint",
    "check_eps",
    "check_fit_input",
    "check_predict_input",
    "consistency_loss",
    "consistency_objective",
    "fair_medl",
    "learner_factory",
    "linear_cf",
    "logistic_regression",
    "make_learner",
    "medl",
    "load_numpy_state_dict",
    "medl_fixed_effects",
    "mlp_cf",
    "numpy_state_dict",
    "register_learner",
    "reversal_weight",
    "seeded_mlp",
    "select_device",
    "single_class_message",
    "spread_of",
    "torch_linear",
    "torch_mlp",
    "tune_medl",
    "unregister_learner",
    "xgboost_cf",
    "xgboost_classifier",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fairpool.learners' has no attribute {name!r}")
