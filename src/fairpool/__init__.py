"""fairpool: fairness-aware active learning.

Which examples should I label next so that my model becomes both accurate and
fair? ``fairpool`` answers that, and gives the audit (metrics, subgroup analysis,
stress tests) and the fixes (mitigations, mixed-effects models) around it.

Sub-packages load on first use, so ``import fairpool`` is cheap::

    import fairpool as fp
    ds = fp.datasets.load("adult")
    fp.metrics.demographic_parity_difference(y, y_pred, sensitive_features=g)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fairpool.errors import FairpoolError

__version__ = "0.1.0"
__all__ = ["FairpoolError", "Session", "active", "audit", "bench", "causal", "datasets", "learners",
           "metrics", "mitigation", "sessions", "__version__"]

_SUBMODULES = {
    "active", "audit", "bench", "causal", "datasets", "learners", "metrics", "mitigation",
    "sessions",
}

#: Classes exported at the top level, loaded with their package on first use.
_LAZY_NAMES = {"Session": "sessions"}

if TYPE_CHECKING:  # pragma: no cover
    from fairpool import (
        active,
        audit,
        bench,
        causal,
        datasets,
        learners,
        metrics,
        mitigation,
        sessions,
    )
    from fairpool.sessions import Session


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"fairpool.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"fairpool.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fairpool' has no attribute {name!r}")
