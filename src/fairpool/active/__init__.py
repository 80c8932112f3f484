"""Active learning: which examples to label next so the model becomes accurate and fair.

The core is :class:`ActiveLearner` (fit on labelled rows, ``query`` a pool,
``teach`` the answers); :func:`run` simulates a campaign on a labelled dataset by
driving the same learner, revealing hidden labels as an oracle, and records a
:class:`History`. Strategies are built by name (:func:`make_strategy`) and listed
by :func:`available_strategies`.

Examples
--------
>>> import fairpool as fp
>>> "entropy" in fp.active.available_strategies()
True
"""

from __future__ import annotations

from fairpool.active.history import History
from fairpool.active.learner import ActiveLearner
from fairpool.active.registry import (
    available_learners,
    available_strategies,
    make_learner,
    make_strategy,
    register_learner,
    register_strategy,
)
from fairpool.active.simulation import run
from fairpool.active.state import LabelledSet, Pool, QueryState
from fairpool.active.strategy import Strategy, check_query_size, top_k

__all__ = [
    "ActiveLearner",
    "run",
    "History",
    "Strategy",
    "QueryState",
    "LabelledSet",
    "Pool",
    "make_strategy",
    "make_learner",
    "available_strategies",
    "available_learners",
    "register_strategy",
    "register_learner",
    "top_k",
    "check_query_size",
]
