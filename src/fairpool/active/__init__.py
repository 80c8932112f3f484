"""Active learning: which examples to label next so the model becomes accurate and fair.

The framework is :class:`ActiveLearner` (fit on labelled rows, ``query`` a pool,
``teach`` the answers); :func:`run` simulates a campaign on a labelled dataset by
driving the same learner, revealing hidden labels as an oracle, and records a
:class:`History`. A :class:`Strategy` sees a :class:`QueryState` (the pool without
its labels). Strategies are built by name (:func:`make_strategy`), listed by
:func:`available_strategies` and added with :func:`register_strategy`; the built-in
families live in :mod:`fairpool.active.strategies`, and :mod:`fairpool.active.checks`
tests that a strategy keeps the contract. ``ActiveLearner.state_dict()`` is what a
loop carries between rounds; :func:`pack_state` / :func:`unpack_state` turn it into
bytes and back without pickle, so a labelling session can resume it in another process.

Examples
--------
>>> import fairpool as fp
>>> "entropy" in fp.active.available_strategies()
True
"""

from __future__ import annotations

import importlib
from typing import Any

from fairpool.active._checkpoint import pack_state, unpack_state
from fairpool.active._history import TIMING_COLUMNS, History
from fairpool.active._learner import ActiveLearner
from fairpool.active._preprocessing import LabelledScaler
from fairpool.active._registry import (
    available_strategies,
    make_strategy,
    register_strategy,
    strategy_class,
    unregister_strategy,
)
from fairpool.active._simulation import run
from fairpool.active._state import LabelledSet, Pool, QueryState, model_output, rows_output
from fairpool.active._strategy import Strategy, check_query_size, check_state_keys, top_k
from fairpool.learners import available_learners, make_learner, register_learner

__all__ = [
    "ActiveLearner",
    "History",
    "LabelledScaler",
    "LabelledSet",
    "Pool",
    "QueryState",
    "Strategy",
    "TIMING_COLUMNS",
    "available_learners",
    "available_strategies",
    "check_query_size",
    "check_state_keys",
    "checks",
    "make_learner",
    "model_output",
    "make_strategy",
    "pack_state",
    "rows_output",
    "register_learner",
    "register_strategy",
    "run",
    "strategies",
    "strategy_class",
    "top_k",
    "unpack_state",
    "unregister_strategy",
]

_SUBMODULES = {"checks", "strategies"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"fairpool.active.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'fairpool.active' has no attribute {name!r}")
