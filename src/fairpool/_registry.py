"""One name registry, shared by the strategies (``fairpool.active``) and the learners
(``fairpool.learners``).

A :class:`Registry` maps names to factories. It fills itself on first use from two
places, both visible and both loud when broken:

1. the packages that hold the built-ins (``builtin_package``, one name or several),
   imported once: each curated ``__init__`` imports its built-in modules, whose classes
   register on import (the learners' registry also loads ``fairpool.mitigation``, a
   layer above ``fairpool.learners``, so that a mitigation is a learner by name without
   the learners importing it);
2. the ``importlib.metadata`` entry points of group ``entry_point_group`` (how a
   third-party package adds a strategy or learner without touching fairpool).

A registration that cannot be honoured (a name that is not an identifier, the same
name for two different objects, an entry point whose import fails) raises
:class:`~fairpool.errors.RegistrationError`; nothing is skipped silently. Python's own
``importlib.metadata`` does the entry-point lookup; only the bookkeeping is ours.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Callable
from typing import Any

from fairpool.errors import RegistrationError, UnknownNameError

__all__ = ["Registry"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Registry:
    """Names -> factories for one kind of thing (``"strategy"``, ``"learner"``).

    Parameters
    ----------
    kind : str
        What is registered, for messages.
    builtin_package : str or tuple of str
        Dotted name(s) of the package(s) whose import registers the built-ins.
    entry_point_group : str
        The entry-point group third-party packages declare their additions in.
    check : callable, optional
        ``check(name, obj)`` raises :class:`RegistrationError` when ``obj`` cannot
        be registered (e.g. it is not a strategy class).
    """

    def __init__(
        self,
        kind: str,
        *,
        builtin_package: str | tuple[str, ...],
        entry_point_group: str,
        check: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.kind = kind
        self.builtin_package = builtin_package
        self._builtin_packages = (
            (builtin_package,) if isinstance(builtin_package, str) else tuple(builtin_package)
        )
        self.entry_point_group = entry_point_group
        self._check = check
        self._items: dict[str, Any] = {}
        self._loaded = False
        self._loading = False

    def register(self, name: str, obj: Any, *, replace: bool = False) -> Any:
        """Register ``obj`` under ``name`` and return it.

        Raises
        ------
        RegistrationError
            ``name`` is not a lower-case identifier, ``obj`` fails the registry's
            check, or ``name`` is taken by another object and ``replace`` is False.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise RegistrationError(
                f"{self.kind} name must be a lower-case identifier such as 'my_{self.kind}', "
                f"got {name!r}"
            )
        if self._check is not None:
            self._check(name, obj)
        module = str(getattr(obj, "__module__", ""))
        builtin = any(module.startswith(package + ".") for package in self._builtin_packages)
        if not builtin:  # a user's name must not clash with a built-in loaded later
            self._ensure_loaded()
        current = self._items.get(name)
        if current is not None and current is not obj and not replace:
            raise RegistrationError(
                f"{self.kind} name {name!r} is already registered to {_label(current)}; "
                f"pick another name or pass replace=True"
            )
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (for tests and plug-ins that withdraw a name)."""
        self._ensure_loaded()
        if name not in self._items:
            raise UnknownNameError(f"no {self.kind} is registered as {name!r}")
        del self._items[name]

    def names(self) -> list[str]:
        """Sorted registered names (built-ins and entry points included)."""
        self._ensure_loaded()
        return sorted(self._items)

    def get(self, name: str) -> Any:
        """The object registered as ``name``.

        Raises
        ------
        UnknownNameError
            No such name; the message lists the available ones.
        """
        self._ensure_loaded()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; available: {', '.join(sorted(self._items))}"
            ) from None

    def _ensure_loaded(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            for package in self._builtin_packages:
                importlib.import_module(package)
            for entry in importlib.metadata.entry_points(group=self.entry_point_group):
                try:
                    obj = entry.load()
                except Exception as exc:  # noqa: BLE001 -- re-raised with the entry's name
                    raise RegistrationError(
                        f"the {self.kind} entry point {entry.name!r} = {entry.value!r} "
                        f"(group {self.entry_point_group!r}) failed to load: {exc}"
                    ) from exc
                if self._items.get(entry.name) is not obj:
                    self.register(entry.name, obj)
            self._loaded = True
        finally:
            self._loading = False


def _label(obj: Any) -> str:
    module = getattr(obj, "__module__", "?")
    return f"{module}.{getattr(obj, '__qualname__', repr(obj))}"
