"""Run the examples in every docstring of fairpool.metrics."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fairpool.metrics

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(fairpool.metrics.__path__, "fairpool.metrics.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_api_is_exported() -> None:
    for name in fairpool.metrics.__all__:
        assert hasattr(fairpool.metrics, name), name
        obj = getattr(fairpool.metrics, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"
