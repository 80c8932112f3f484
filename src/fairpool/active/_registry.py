"""Strategy names: register, list and build query strategies.

The built-in strategies register when :mod:`fairpool.active.strategies` is imported
(its ``__init__`` imports every family); third-party packages add theirs with
:func:`register_strategy` or through the ``fairpool.strategies`` entry-point group.
See :class:`fairpool.Registry` for the rules (no silent skips).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from fairpool._registry import Registry
from fairpool.active._strategy import Strategy
from fairpool.errors import RegistrationError

__all__ = [
    "register_strategy",
    "unregister_strategy",
    "make_strategy",
    "available_strategies",
    "strategy_class",
]


def _check_strategy_class(name: str, obj: Any) -> None:
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        raise RegistrationError(
            f"strategy {name!r} must be a subclass of fairpool.active.Strategy, got {obj!r}"
        )


_STRATEGIES = Registry(
    "strategy",
    builtin_package="fairpool.active.strategies",
    entry_point_group="fairpool.strategies",
    check=_check_strategy_class,
)


@overload
def register_strategy(name: str) -> Callable[[type[Strategy]], type[Strategy]]: ...
@overload
def register_strategy(name: str, cls: type[Strategy], *, replace: bool = ...) -> type[Strategy]: ...


def register_strategy(
    name: str, cls: type[Strategy] | None = None, *, replace: bool = False
) -> Any:
    """Make a strategy class buildable by ``make_strategy(name)``.

    Call it as ``register_strategy("mine", MyStrategy)`` or use it as a class
    decorator, ``@register_strategy("mine")``. A third-party package can instead
    declare ``[project.entry-points."fairpool.strategies"] mine = "pkg.mod:MyStrategy"``.

    Parameters
    ----------
    name : str
        A lower-case identifier (``[a-z][a-z0-9_]*``).
    cls : type, optional
        A subclass of :class:`~fairpool.active.Strategy`.
    replace : bool, default=False
        Allow re-binding a name that is registered to another class.

    Returns
    -------
    type
        ``cls`` (or the decorator when ``cls`` is omitted).

    Raises
    ------
    RegistrationError
        The name is malformed or taken, or ``cls`` is not a Strategy subclass.
    """
    if cls is None:

        def deco(klass: type[Strategy]) -> type[Strategy]:
            return _STRATEGIES.register(name, klass, replace=replace)

        return deco
    return _STRATEGIES.register(name, cls, replace=replace)


def unregister_strategy(name: str) -> None:
    """Remove a registered strategy name (the inverse of :func:`register_strategy`)."""
    _STRATEGIES.unregister(name)


def available_strategies() -> list[str]:
    """Sorted names of the registered query strategies."""
    return _STRATEGIES.names()


def strategy_class(name: str) -> type[Strategy]:
    """The class registered as ``name``.

    Raises
    ------
    UnknownNameError
        No strategy has that name; the message lists the available ones.
    """
    return _STRATEGIES.get(name)


def make_strategy(name: str, **options: Any) -> Strategy:
    """Build the strategy registered as ``name`` with ``options`` and check them.

    The class's ``__init__`` only stores the options (scikit-learn's rule); this
    factory also runs the strategy's parameter validation at once, so a bad option
    given by name (``fairpool run --check``, a benchmark grid) fails here rather
    than at the first selection.

    Raises
    ------
    UnknownNameError
        No strategy has that name.
    FairpoolError
        An option has a bad value (the strategy's own error type and message).

    Examples
    --------
    >>> import fairpool as fp
    >>> fp.active.make_strategy("entropy")
    EntropySampling()
    """
    strategy = strategy_class(name)(**options)
    strategy._validate_params()
    return strategy
