"""The learners the active-learning loop can build by name.

Each factory returns a fresh, unfitted estimator with the scikit-learn API
(``fit``, ``predict_proba``, ``get_params``). The loop seeds a learner it builds by
name through its ``random_state`` parameter, so every factory exposes one.

==========  ==============================================================
name        estimator
==========  ==============================================================
logreg      ``sklearn.linear_model.LogisticRegression`` (lbfgs, L2)
xgboost     ``xgboost.XGBClassifier`` (``tree_method="hist"``)
linear      :class:`~fairpool.learners.TorchLinearClassifier`
mlp         :class:`~fairpool.learners.TorchMLPClassifier`
medl        :class:`~fairpool.learners.MEDLClassifier` (ARMED, needs clusters)
fair_medl   :class:`~fairpool.learners.MEDLClassifier` with ``fairness=True``
medl_fe     :class:`~fairpool.learners.MEDLClassifier` with ``mixed_effects=False``
==========  ==============================================================

The causal-consistency variants (``xgboost_cf``, ``linear_cf``, ``mlp_cf``) register
from ``fairpool.learners``, and the mitigations (``reweighing``, ``thresholds``,
``penalty``, ...) from ``fairpool.mitigation``, which this registry loads by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from sklearn.linear_model import LogisticRegression

from fairpool._registry import Registry
from fairpool.errors import RegistrationError

if TYPE_CHECKING:  # torch loads only when a torch learner is built
    from fairpool.learners._torch_classifier import TorchLinearClassifier, TorchMLPClassifier

__all__ = [
    "register_learner",
    "unregister_learner",
    "make_learner",
    "available_learners",
    "learner_factory",
    "logistic_regression",
    "xgboost_classifier",
    "torch_linear",
    "torch_mlp",
    "medl",
    "fair_medl",
    "medl_fixed_effects",
]


def _check_factory(name: str, obj: Any) -> None:
    if not callable(obj):
        raise RegistrationError(
            f"learner {name!r} must be a callable returning an unfitted estimator "
            f"(a class or a factory function), got {obj!r}"
        )


_LEARNERS = Registry(
    "learner",
    # fairpool.mitigation registers its estimators as learners too (reweighing, thresholds,
    # ...); it is a layer above, so it is loaded by name here, not imported.
    builtin_package=("fairpool.learners", "fairpool.mitigation"),
    entry_point_group="fairpool.learners",
    check=_check_factory,
)


@overload
def register_learner(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...
@overload
def register_learner(
    name: str, factory: Callable[..., Any], *, replace: bool = ...
) -> Callable[..., Any]: ...


def register_learner(
    name: str, factory: Callable[..., Any] | None = None, *, replace: bool = False
) -> Any:
    """Make a learner buildable by ``make_learner(name)``.

    Call it as ``register_learner("mine", factory)`` or as a decorator. A
    third-party package can instead declare an entry point in the
    ``fairpool.learners`` group. The factory takes keyword options (the loop passes
    ``random_state``) and returns a fresh, unfitted scikit-learn estimator.

    Raises
    ------
    RegistrationError
        The name is malformed or taken, or ``factory`` is not callable.
    """
    if factory is None:

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            return _LEARNERS.register(name, fn, replace=replace)

        return deco
    return _LEARNERS.register(name, factory, replace=replace)


def unregister_learner(name: str) -> None:
    """Remove a registered learner name."""
    _LEARNERS.unregister(name)


def available_learners() -> list[str]:
    """Sorted names of the registered learners."""
    return _LEARNERS.names()


def learner_factory(name: str) -> Callable[..., Any]:
    """The factory registered as ``name`` (a class or a function).

    Raises
    ------
    UnknownNameError
        No learner has that name; the message lists the available ones.
    """
    return _LEARNERS.get(name)


def make_learner(name: str, **options: Any) -> Any:
    """Build an unfitted learner registered as ``name`` with ``options``.

    Raises
    ------
    UnknownNameError
        No learner has that name; the message lists the available ones.
    """
    return _LEARNERS.get(name)(**options)


@register_learner("logreg")
def logistic_regression(
    *, C: float = 1.0, max_iter: int = 1000, random_state: int | None = 0, **options: Any
) -> LogisticRegression:
    """L2-regularised logistic regression (lbfgs) from scikit-learn.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    max_iter : int, default=1000
    random_state : int, optional
        Unused by lbfgs; accepted so the loop seeds every learner the same way.
    **options
        Any other ``LogisticRegression`` parameter.
    """
    return LogisticRegression(
        C=C, solver="lbfgs", max_iter=max_iter, random_state=random_state, **options
    )


@register_learner("xgboost")
def xgboost_classifier(
    *,
    n_estimators: int = 100,
    max_depth: int = 4,
    learning_rate: float = 0.1,
    n_jobs: int = 1,
    random_state: int | None = 0,
    **options: Any,
) -> Any:
    """Gradient-boosted trees from xgboost (histogram method).

    ``n_jobs`` defaults to 1: the loop refits every round on a small labelled set,
    where threads cost more than they save, and runs of many seeds are parallelised
    one level up (the bench runner).

    Parameters
    ----------
    n_estimators, max_depth, learning_rate : see ``xgboost.XGBClassifier``
    n_jobs : int, default=1
    random_state : int, optional
        Seed of xgboost's sampling.
    **options
        Any other ``XGBClassifier`` parameter.
    """
    from xgboost import XGBClassifier  # imported here: xgboost is slow to import

    return XGBClassifier(
        tree_method="hist",
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=learning_rate,
        n_jobs=n_jobs,
        random_state=random_state,
        **options,
    )


@register_learner("linear")
def torch_linear(**options: Any) -> TorchLinearClassifier:
    """L2-regularised logistic regression in torch (GPU when available); see its class."""
    from fairpool.learners._torch_classifier import TorchLinearClassifier

    return TorchLinearClassifier(**options)


@register_learner("mlp")
def torch_mlp(**options: Any) -> TorchMLPClassifier:
    """Multi-layer perceptron in torch (GPU when available); see its class."""
    from fairpool.learners._torch_classifier import TorchMLPClassifier

    return TorchMLPClassifier(**options)


@register_learner("medl")
def medl(**options: Any) -> Any:
    """:class:`~fairpool.learners.MEDLClassifier` without fairness adversaries (ARMED).

    The loop must hand it the rows' ``clusters`` (a dataset with clusters).
    """
    from fairpool.learners._medl import MEDLClassifier

    return MEDLClassifier(**{"fairness": False, **options})


@register_learner("fair_medl")
def fair_medl(**options: Any) -> Any:
    """:class:`~fairpool.learners.MEDLClassifier` with Fair MEDL's equalized-odds adversaries
    (``fit`` takes the rows' groups as ``sensitive_features``)."""
    from fairpool.learners._medl import MEDLClassifier

    return MEDLClassifier(**{"fairness": True, **options})


@register_learner("medl_fe")
def medl_fixed_effects(**options: Any) -> Any:
    """The FE net of :class:`~fairpool.learners.MEDLClassifier` alone, with its cluster
    adversary (``mixed_effects=False``)."""
    from fairpool.learners._medl import MEDLClassifier

    return MEDLClassifier(**{"mixed_effects": False, **options})
