"""Checks of loader and split options, with messages naming the option and the allowed values."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

from fairpool.errors import InvalidInputError

__all__ = [
    "bind_options",
    "check_choice",
    "check_count",
    "check_fraction",
    "choose_attributes",
]


def bind_options(
    function: Callable[..., Any], options: Mapping[str, Any], *, what: str
) -> dict[str, Any]:
    """Bind keyword ``options`` to ``function``'s keyword-only parameters, defaults filled.

    Parameters
    ----------
    function : callable
        A function whose options are keyword-only parameters.
    options : mapping
        The options the user passed.
    what : str
        What the options are for (``"dataset 'adult'"``), used in messages.

    Returns
    -------
    dict
        Every option of ``function``, the user's values over the defaults.

    Raises
    ------
    InvalidInputError
        An option ``function`` does not take (the message lists the allowed ones).
    """
    params = {
        name: p
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    for key in options:
        if key not in params:
            raise InvalidInputError(
                f"unknown option {key!r} for {what}; allowed options are {sorted(params)}"
            )
    return {
        name: options[name] if name in options else p.default for name, p in params.items()
    }


def check_choice(option: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise naming the option."""
    if any(value is a or (type(value) is type(a) and value == a) for a in allowed):
        return value
    raise InvalidInputError(f"{option}={value!r} is not allowed; choose one of {list(allowed)}")


def choose_attributes(
    value: str | Sequence[str], allowed: Sequence[str], *, option: str = "sensitive"
) -> tuple[str, ...]:
    """Normalise a sensitive-attribute option: one name or a list of distinct names.

    Returns
    -------
    tuple of str
        The attribute names, in the order given.
    """
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names:
        raise InvalidInputError(f"{option} must name at least one of {list(allowed)}")
    for item in names:
        if not isinstance(item, str) or item not in allowed:
            raise InvalidInputError(
                f"{option}={value!r} is not allowed; choose one of {list(allowed)} "
                "or a list of them (intersectional groups)"
            )
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{option}={value!r} names an attribute twice")
    return names


def check_fraction(
    option: str, value: Any, *, allow_zero: bool = True, allow_one: bool = False
) -> float:
    """Return ``value`` as a float in [0, 1] (ends as allowed), else raise naming the option."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(f"{option} must be a number in [0, 1], got {value!r}")
    value = float(value)
    low_ok = value > 0 or (allow_zero and value == 0)
    high_ok = value < 1 or (allow_one and value == 1)
    if not (low_ok and high_ok):
        low = "[0" if allow_zero else "(0"
        high = "1]" if allow_one else "1)"
        raise InvalidInputError(f"{option} must be in {low}, {high}, got {value!r}")
    return value


def check_count(option: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum], else raise naming the option."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidInputError(f"{option} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"[{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
        raise InvalidInputError(f"{option} must be in {bound}, got {value}")
    return value
