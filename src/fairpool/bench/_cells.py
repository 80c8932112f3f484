"""What one grid cell does, and how a worker reports it back to the parent.

Workers never write to the results store: :func:`execute_cell` runs a cell and
returns a picklable :class:`CellOutcome` (the History rows, or the error as text),
and the parent process stores it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fairpool.bench._grid import Cell, canonical_json
from fairpool.errors import InvalidInputError

__all__ = [
    "CellResult",
    "CellOutcome",
    "CellRunner",
    "run_cell",
    "load_cell_dataset",
    "execute_cell",
    "package_versions",
]

#: Distributions whose versions are recorded with every run.
_VERSIONED = (
    "fairpool",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "xgboost",
    "fairlearn",
    "torch",
    "POT",
    "stable-baselines3",
)


@dataclass
class CellResult:
    """What a cell computed: the History rows and the History's config.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per round (``History.frame``).
    config : dict
        ``History.config``: the run's resolved settings.
    """

    frame: pd.DataFrame
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class CellOutcome:
    """A finished cell as a worker returns it to the parent.

    Parameters
    ----------
    key : str
        The cell's key.
    result : CellResult or None
        The result, or ``None`` if the cell failed.
    error : str or None
        ``"ExceptionType: message"`` if the cell failed.
    traceback : str or None
        The formatted traceback of the failure.
    seconds : float
        Wall time of the cell.
    versions : dict
        Package versions of the process that ran it.
    """

    key: str
    result: CellResult | None
    error: str | None
    traceback: str | None
    seconds: float
    versions: dict[str, str]

    @property
    def ok(self) -> bool:
        """True if the cell finished without an error."""
        return self.error is None


CellRunner = Callable[[Cell], CellResult]


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a result depends on."""
    versions = {"python": platform.python_version()}
    for dist in _VERSIONED:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


@functools.lru_cache(maxsize=4)
def _load_dataset(name: str, options_json: str) -> Any:
    import json

    from fairpool import datasets

    return datasets.load(name, **json.loads(options_json))


def load_cell_dataset(cell: Cell) -> Any:
    """The cell's dataset: loaded once per process (cached), then subsampled if asked.

    Parameters
    ----------
    cell : Cell

    Returns
    -------
    Dataset
    """
    from fairpool import datasets

    dataset = _load_dataset(cell.dataset, canonical_json(cell.dataset_options))
    if cell.subsample is not None:
        dataset = datasets.subsample(dataset, cell.subsample, seed=cell.seed)
    return dataset


def run_cell(cell: Cell, *, metrics: Sequence[str] | None = None) -> CellResult:
    """Run one cell with ``fairpool.active.run`` (the default cell runner).

    Parameters
    ----------
    cell : Cell
        The cell to run.
    metrics : sequence of str, optional
        Per-round metrics; None records ``fairpool.active.run``'s defaults.

    Returns
    -------
    CellResult
    """
    from fairpool import active

    history = active.run(
        load_cell_dataset(cell),
        strategy=cell.strategy,
        learner=cell.learner,
        budget=cell.budget,
        batch_size=cell.batch_size,
        seed=cell.seed,
        split=cell.split,
        split_options=dict(cell.split_options),
        initial=cell.initial,
        strategy_options=dict(cell.strategy_params),
        learner_options=dict(cell.learner_options),
        metrics=None if metrics is None else list(metrics),
    )
    return CellResult(frame=history.frame.copy(), config=dict(history.config))


def execute_cell(cell_runner: CellRunner, cell: Cell) -> CellOutcome:
    """Run ``cell_runner(cell)`` and wrap the result or the error for the parent.

    Exceptions become text so that an outcome always pickles, whatever the error.
    ``KeyboardInterrupt`` and ``SystemExit`` are not caught.

    Parameters
    ----------
    cell_runner : callable
        ``cell_runner(cell) -> CellResult``; must be picklable (a module-level function).
    cell : Cell
        The cell to run.

    Returns
    -------
    CellOutcome
    """
    start = time.perf_counter()
    try:
        result = cell_runner(cell)
        if not isinstance(result, CellResult):
            raise InvalidInputError(
                f"the cell runner returned {type(result).__name__}, expected CellResult"
            )
    except Exception as exc:
        return CellOutcome(
            key=cell.key,
            result=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - start,
            versions=package_versions(),
        )
    return CellOutcome(
        key=cell.key,
        result=result,
        error=None,
        traceback=None,
        seconds=time.perf_counter() - start,
        versions=package_versions(),
    )
