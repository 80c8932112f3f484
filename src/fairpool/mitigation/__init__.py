"""Mitigations before, during and after training, each a scikit-learn estimator.

The practitioner's guide ("Biases in Deep Learning", ``../shared/seeds/002``) lists the
fixes a practitioner reaches for once an audit finds a gap; each is here as a piece
that works with any learner, on its own and as the learner of an active-learning
campaign (``fp.active.run(..., learner=fp.mitigation.Reweighing())`` or by its
registered name in a runner grid). ``sensitive_features`` is fit metadata throughout,
as in fairlearn.

Pre-processing
    :func:`reweighing_weights`, :class:`Reweighing` (Kamiran & Calders 2012);
    :class:`GroupResampler` (an imbalanced-learn sampler over group x label cells) and
    :class:`ResampledClassifier`; :class:`CorrelationRemover` (fairlearn's, behind
    fairpool's interface) and :class:`CorrelationRemovedClassifier`.
In-processing (torch, CUDA when present)
    :class:`AdversarialDebiasingClassifier` (gradient reversal),
    :class:`FairnessPenaltyClassifier` (a differentiable disparity added to the loss),
    :class:`FairReductionClassifier` (fairlearn's exponentiated gradient or grid search).
Post-processing
    :class:`GroupThresholdClassifier` (per-group thresholds chosen on held-out data),
    :class:`FairVotingClassifier` (member weights trading accuracy against a disparity).

Every class loads on first use, so that importing the package (and the learner
registry, which lists these names) does not import torch or imbalanced-learn.
"""

import importlib
from typing import TYPE_CHECKING, Any

from fairpool.learners import FairReductionClassifier
from fairpool.mitigation import _registry  # noqa: F401 -- registers the names as learners

_LAZY = {
    "reweighing_weights": "fairpool.mitigation._reweighing",
    "Reweighing": "fairpool.mitigation._reweighing",
    "GroupResampler": "fairpool.mitigation._resampling",
    "ResampledClassifier": "fairpool.mitigation._resampling",
    "CorrelationRemover": "fairpool.mitigation._correlation",
    "CorrelationRemovedClassifier": "fairpool.mitigation._correlation",
    "AdversarialDebiasingClassifier": "fairpool.mitigation._adversarial",
    "FairnessPenaltyClassifier": "fairpool.mitigation._penalty",
    "GroupThresholdClassifier": "fairpool.mitigation._thresholds",
    "FairVotingClassifier": "fairpool.mitigation._voting",
}

if TYPE_CHECKING:  # pragma: no cover
    from fairpool.mitigation._adversarial import AdversarialDebiasingClassifier
    from fairpool.mitigation._correlation import CorrelationRemovedClassifier, CorrelationRemover
    from fairpool.mitigation._penalty import FairnessPenaltyClassifier
    from fairpool.mitigation._resampling import GroupResampler, ResampledClassifier
    from fairpool.mitigation._reweighing import Reweighing, reweighing_weights
    from fairpool.mitigation._thresholds import GroupThresholdClassifier
    from fairpool.mitigation._voting import FairVotingClassifier

__all__ = [
    "AdversarialDebiasingClassifier",
    "CorrelationRemovedClassifier",
    "CorrelationRemover",
    "FairReductionClassifier",
    "FairVotingClassifier",
    "FairnessPenaltyClassifier",
    "GroupResampler",
    "GroupThresholdClassifier",
    "ResampledClassifier",
    "Reweighing",
    "reweighing_weights",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fairpool.mitigation' has no attribute {name!r}")
