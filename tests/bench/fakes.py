"""Fast stand-ins for the real cell runner and registries, for the runner's tests.

Module-level functions so that worker processes (spawn) and Ray can import them.
"""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from fairpool.bench import Cell, CellResult, Registry
from fairpool.errors import InvalidInputError

GROUPS = ("A", "B")

#: When set, every fake cell call appends its key to this file (counts real calls).
CALL_LOG_ENV = "FAIRPOOL_TEST_CALL_LOG"


def _log_call(cell: Cell) -> None:
    path = os.environ.get(CALL_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(cell.key + "\n")


def fake_history(cell: Cell) -> pd.DataFrame:
    """A deterministic History-shaped frame that depends on everything in the cell."""
    salt = zlib.crc32(cell.key.encode())
    rng = np.random.default_rng([cell.seed, salt])
    n_rounds = -(-cell.budget // cell.batch_size)
    rows = []
    n_labelled = 10
    for r in range(n_rounds + 1):
        k = 0 if r == 0 else min(cell.batch_size, cell.budget - (r - 1) * cell.batch_size)
        picked = sorted(rng.choice(1000, size=k, replace=False).tolist())
        in_a = int(rng.integers(0, k + 1))
        n_labelled += k
        rows.append({
            "round": r,
            "n_labelled": n_labelled,
            "f1": float(rng.uniform(0.5, 0.9)),
            "accuracy": float(rng.uniform(0.6, 0.95)),
            "demographic_parity": float(rng.uniform(0.0, 0.3)),
            "equalized_odds": float(rng.uniform(0.0, 0.3)),
            "error_rate_balance": float(rng.uniform(0.0, 0.3)),
            "ot_distance": float(rng.uniform(0.0, 2.0)),
            "picked": picked,
            "picked_A": in_a,
            "picked_B": k - in_a,
            "seconds_fit": 0.001,
            "seconds_select": 0.001,
            "strategy_score": float(rng.normal()),
        })
    return pd.DataFrame(rows)


def fake_cell(cell: Cell) -> CellResult:
    """Instant fake: a History frame that depends on the cell only."""
    _log_call(cell)
    if cell.strategy == "broken":
        raise InvalidInputError("the broken strategy always fails")
    return CellResult(frame=fake_history(cell), config={"strategy": cell.strategy})


def slow_fake_cell(cell: Cell) -> CellResult:
    """The fake, taking 0.3 s per cell, with many rows per cell (a wide write)."""
    time.sleep(0.3)
    return fake_cell(cell)


def fake_registry(log: Path | None = None) -> Registry:
    """Names: datasets toy/adult, strategies random/entropy/facagen/broken, learner logreg."""

    def build_strategy(name: str, **options: object) -> object:
        allowed = {"facagen": {"tuner", "lam"}}.get(name, set())
        unknown = set(options) - allowed
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        if name == "facagen" and options.get("tuner", "fixed") not in ("fixed", "ucb", "ppo"):
            raise InvalidInputError(
                f"tuner must be one of fixed, ucb, ppo; got {options['tuner']!r}"
            )
        return (name, options)

    def build_learner(name: str, **options: object) -> object:
        if set(options) - {"C"}:
            raise TypeError("unexpected keyword argument")
        return (name, options)

    def load_dataset(name: str, **options: object) -> object:
        if set(options) - {"sensitive"}:
            raise TypeError(f"load() got an unexpected keyword argument {sorted(options)[0]!r}")
        from fairpool.datasets import Dataset

        n = 100
        return Dataset(X=np.zeros((n, 2)), y=np.arange(n) % 2, groups=np.arange(n) % 2,
                       group_names=GROUPS, feature_names=("a", "b"), name=name)

    def split_dataset(dataset: object, scheme: str, *, seed: int, **options: object) -> object:
        if set(options) - {"test_fraction"}:
            raise InvalidInputError(f"split scheme {scheme!r} has no option {sorted(options)[0]!r}")
        return {"pool": np.arange(50), "test": np.arange(50, len(dataset))}

    return Registry(
        datasets=lambda: ["adult", "toy"],
        strategies=lambda: ["broken", "entropy", "facagen", "random"],
        learners=lambda: ["logreg"],
        build_strategy=build_strategy,
        build_learner=build_learner,
        load_dataset=load_dataset,
        split_dataset=split_dataset,
    )


SMALL_CONFIG = """
title = "small"
budget = 30
batch_size = 10
seeds = [0, 1]
[[grid]]
label = "toy grid"
datasets = ["toy"]
split = "random"
learners = ["logreg"]
strategies = ["random", "entropy", { name = "facagen", tuner = "ucb" }]
"""


def blas_threads(_: object) -> int:
    """The BLAS thread count of the process this runs in (for the executor's thread cap)."""
    from threadpoolctl import threadpool_info

    np.ones((2, 2)) @ np.ones((2, 2))
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
