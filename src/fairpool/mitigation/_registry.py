"""The mitigations as learners by name: what a runner grid or ``learner="..."`` builds.

Each name registers in the learners' registry (:func:`fairpool.learners.make_learner`),
which loads this package with its own built-ins, so ``fp.active.run(ds,
learner="reweighing")`` and ``learners = ["reweighing"]`` in a TOML grid work like
``"logreg"``. A factory takes the base learner by name (``estimator="logreg"``, any
registered learner) and passes the loop's ``random_state`` to the base and to the
mitigation; every other keyword goes to the mitigation's class.

==========================  =======================================================
name                        estimator
==========================  =======================================================
``reweighing``              :class:`Reweighing` (Kamiran & Calders weights)
``resampling``              :class:`ResampledClassifier` with a :class:`GroupResampler`
``correlation_remover``     :class:`CorrelationRemovedClassifier`
``penalty``                 :class:`FairnessPenaltyClassifier` (torch)
``adversarial``             :class:`AdversarialDebiasingClassifier` (torch)
``reduction``               :class:`~fairpool.learners.FairReductionClassifier`
``thresholds``              :class:`GroupThresholdClassifier`
``voting``                  :class:`FairVotingClassifier` over several registered learners
==========================  =======================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fairpool.errors import InvalidInputError
from fairpool.learners import FairReductionClassifier, make_learner, register_learner

__all__ = [
    "adversarial",
    "correlation_remover",
    "penalty",
    "reduction",
    "resampling",
    "reweighing",
    "thresholds",
    "voting",
]


def _base(estimator: Any, random_state: int | None) -> Any:
    """The base learner: a registered name built with the loop's seed, or an estimator."""
    if isinstance(estimator, str):
        return make_learner(estimator, random_state=random_state)
    if not hasattr(estimator, "fit"):
        raise InvalidInputError(
            f"estimator must be a registered learner name such as 'logreg' or an "
            f"unfitted estimator, got {estimator!r}"
        )
    return estimator


@register_learner("reweighing")
def reweighing(*, estimator: Any = "logreg", random_state: int | None = 0) -> Any:
    """:class:`~fairpool.mitigation.Reweighing` around the learner named ``estimator``."""
    from fairpool.mitigation._reweighing import Reweighing

    return Reweighing(_base(estimator, random_state))


@register_learner("resampling")
def resampling(
    *, estimator: Any = "logreg", method: str = "oversample", random_state: int | None = 0,
    **options: Any,
) -> Any:
    """:class:`~fairpool.mitigation.ResampledClassifier`: ``estimator`` fitted on the rows a
    :class:`~fairpool.mitigation.GroupResampler` (``method``, ``**options``) balanced."""
    from fairpool.mitigation._resampling import GroupResampler, ResampledClassifier

    resampler = GroupResampler(method=method, random_state=random_state, **options)
    return ResampledClassifier(_base(estimator, random_state), resampler=resampler)


@register_learner("correlation_remover")
def correlation_remover(
    *, estimator: Any = "logreg", alpha: float = 1.0, random_state: int | None = 0
) -> Any:
    """:class:`~fairpool.mitigation.CorrelationRemovedClassifier` around ``estimator``."""
    from fairpool.mitigation._correlation import CorrelationRemovedClassifier

    return CorrelationRemovedClassifier(_base(estimator, random_state), alpha=alpha)


@register_learner("penalty")
def penalty(*, random_state: int | None = 0, **options: Any) -> Any:
    """:class:`~fairpool.mitigation.FairnessPenaltyClassifier` with ``**options``."""
    from fairpool.mitigation._penalty import FairnessPenaltyClassifier

    return FairnessPenaltyClassifier(random_state=random_state, **options)


@register_learner("adversarial")
def adversarial(*, random_state: int | None = 0, **options: Any) -> Any:
    """:class:`~fairpool.mitigation.AdversarialDebiasingClassifier` with ``**options``."""
    from fairpool.mitigation._adversarial import AdversarialDebiasingClassifier

    return AdversarialDebiasingClassifier(random_state=random_state, **options)


@register_learner("reduction")
def reduction(
    *, estimator: Any = "logreg", random_state: int | None = 0, **options: Any
) -> Any:
    """:class:`~fairpool.learners.FairReductionClassifier` (fairlearn's reductions) around
    ``estimator``; ``**options`` are its ``constraint``, ``eps``, ``method``, ..."""
    seed = 0 if random_state is None else random_state
    return FairReductionClassifier(_base(estimator, random_state), random_state=seed, **options)


@register_learner("thresholds")
def thresholds(
    *, estimator: Any = "logreg", random_state: int | None = 0, **options: Any
) -> Any:
    """:class:`~fairpool.mitigation.GroupThresholdClassifier` around ``estimator``."""
    from fairpool.mitigation._thresholds import GroupThresholdClassifier

    return GroupThresholdClassifier(
        _base(estimator, random_state), random_state=random_state, **options
    )


@register_learner("voting")
def voting(
    *, estimators: Sequence[str] = ("logreg", "xgboost"), random_state: int | None = 0,
    **options: Any,
) -> Any:
    """:class:`~fairpool.mitigation.FairVotingClassifier` over the registered learners
    named in ``estimators`` (each built with the loop's seed)."""
    from fairpool.mitigation._voting import FairVotingClassifier

    if isinstance(estimators, str) or len(estimators) < 2:
        raise InvalidInputError(
            f"estimators must name at least two registered learners, got {estimators!r}"
        )
    members = [(name, _base(name, random_state)) for name in estimators]
    return FairVotingClassifier(members, random_state=random_state, **options)
