"""Shared by the mitigation tests: groups for scikit-learn's estimator checks.

scikit-learn's checks call ``fit(X, y)`` and cannot pass fit metadata, so a mitigation
that needs ``sensitive_features`` is checked through a test-only subclass
(:func:`with_groups`) that, when none are passed, derives them from each row alone:
the parity of ``floor(1001 * sum(X[i]))``. Removing, repeating or reordering rows then
moves no other row's group, which the checks rely on.
"""

from __future__ import annotations

import inspect

import numpy as np


def groups_from(X):
    """Groups that depend on each row alone (None when X is not a finite 2-D array:
    the estimator's own validation answers for it)."""
    try:
        total = np.asarray(X, dtype=np.float64).sum(axis=1)
    except (TypeError, ValueError, IndexError):
        return None
    if total.size == 0 or not np.isfinite(total).all():
        return None
    return (np.floor(1001.0 * total) % 2).astype(np.int64)


def with_groups(cls):
    """A test-only subclass of ``cls`` whose fit, predict, predict_proba and
    decision_function fill ``sensitive_features`` from ``X`` when a check passes none."""

    def _filled(method_name):
        method = getattr(cls, method_name)

        def wrapper(self, X, *args, **kwargs):
            if kwargs.get("sensitive_features") is None:
                kwargs["sensitive_features"] = groups_from(X)
            return method(self, X, *args, **kwargs)

        wrapper.__name__ = method_name
        wrapper.__signature__ = inspect.signature(method)
        return wrapper

    namespace = {"__module__": __name__, "__doc__": f"Test-only {cls.__name__} with groups."}
    for name in ("fit", "predict", "predict_proba", "decision_function"):
        method = getattr(cls, name, None)
        if method is not None and "sensitive_features" in inspect.signature(method).parameters:
            namespace[name] = _filled(name)
    made = type(f"{cls.__name__}WithGroups", (cls,), namespace)
    globals()[made.__name__] = made  # found by name here, so scikit-learn's pickle check works
    return made
