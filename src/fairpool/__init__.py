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
__all__ = ["FairpoolError", "active", "bench", "causal", "datasets", "learners", "metrics",
           "__version__"]

_SUBMODULES = {"active", "bench", "causal", "datasets", "learners", "metrics"}

if TYPE_CHECKING:  # pragma: no cover
    from fairpool import active, bench, causal, datasets, learners, metrics


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"fairpool.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'fairpool' has no attribute {name!r}")
