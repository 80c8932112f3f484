"""Names for strategies and learners: register, list and build them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from fairpool.errors import UnknownNameError

__all__ = [
    "register_strategy",
    "register_learner",
    "make_strategy",
    "make_learner",
    "available_strategies",
    "available_learners",
]

_STRATEGIES: dict[str, Callable[..., Any]] = {}
_LEARNERS: dict[str, Callable[..., Any]] = {}

# Modules whose import registers the built-in names. Imported lazily so that
# `import fairpool` stays fast and a strategy's heavy dependencies (torch,
# stable-baselines3, DoWhy) load only when that strategy is asked for.
_STRATEGY_MODULES = (
    "fairpool.active.uncertainty",
    "fairpool.active.group_random",
    "fairpool.active.fal",
    "fairpool.active.fairlearn_al",
    "fairpool.active.dfa2l",
    "fairpool.active.falcon",
    "fairpool.active.facagen",
    "fairpool.active.panda",
)
_LEARNER_MODULES = ("fairpool.learners.registry", "fairpool.learners.causal_consistency")


def _load(modules: tuple[str, ...]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a family not written yet is simply absent
            if exc.name != module:
                raise


def register_strategy(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Class decorator that makes a strategy buildable by ``make_strategy(name)``."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        _STRATEGIES[name] = factory
        return factory

    return deco


def register_learner(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that makes a learner factory buildable by ``make_learner(name)``."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        _LEARNERS[name] = factory
        return factory

    return deco


def available_strategies() -> list[str]:
    """Sorted names of the registered query strategies."""
    _load(_STRATEGY_MODULES)
    return sorted(_STRATEGIES)


def available_learners() -> list[str]:
    """Sorted names of the registered learners."""
    _load(_LEARNER_MODULES)
    return sorted(_LEARNERS)


def make_strategy(name: str, **options: Any) -> Any:
    """Build the strategy registered as ``name`` with ``options``.

    Examples
    --------
    >>> import fairpool as fp
    >>> fp.active.make_strategy("entropy")
    EntropySampling()
    """
    _load(_STRATEGY_MODULES)
    try:
        factory = _STRATEGIES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown strategy {name!r}; available: {', '.join(sorted(_STRATEGIES))}"
        ) from None
    return factory(**options)


def make_learner(name: str, **options: Any) -> Any:
    """Build an unfitted learner registered as ``name`` with ``options``."""
    _load(_LEARNER_MODULES)
    try:
        factory = _LEARNERS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown learner {name!r}; available: {', '.join(sorted(_LEARNERS))}"
        ) from None
    return factory(**options)
