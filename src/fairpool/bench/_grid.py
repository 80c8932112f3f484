"""Expand an experiment config into cells: one run of one strategy on one dataset."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fairpool.bench._config import ExperimentConfig

__all__ = ["Cell", "expand_grid", "canonical_json"]


def canonical_json(value: Any) -> str:
    """JSON text with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, eq=False)
class Cell:
    """One run of the grid: everything ``fairpool.active.run`` needs, plus labels.

    Two cells with the same :attr:`key` compute the same thing; labels (display
    names) and the grid they came from are not part of the key, so renaming a
    strategy in a config does not re-run it.

    Parameters
    ----------
    grid : str
        Label of the grid the cell belongs to.
    dataset, dataset_label : str
        Registered dataset name and its display label.
    dataset_options : dict
        Keyword options of ``fairpool.datasets.load``.
    subsample : int or None
        Rows drawn from the dataset (with ``seed``) before splitting.
    split : str
        Split name.
    split_options : dict
        Split options.
    learner, learner_label : str
        Registered learner name and its display label.
    learner_options : dict
        Learner options.
    strategy, strategy_label : str
        Registered strategy name and its display label.
    strategy_params : dict
        Strategy options.
    seed, budget, batch_size : int
        Protocol of the run.
    initial : int or None
        Initial labelled-set size (``None``: the split's default).
    """

    grid: str
    dataset: str
    dataset_label: str
    dataset_options: Mapping[str, Any]
    subsample: int | None
    split: str
    split_options: Mapping[str, Any]
    learner: str
    learner_label: str
    learner_options: Mapping[str, Any]
    strategy: str
    strategy_label: str
    strategy_params: Mapping[str, Any]
    seed: int
    budget: int
    batch_size: int
    initial: int | None = None
    _key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        for name in ("dataset_options", "split_options", "learner_options", "strategy_params"):
            object.__setattr__(self, name, dict(getattr(self, name)))
        digest = hashlib.sha256(canonical_json(self.identity()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "_key", digest[:20])

    def identity(self) -> dict[str, Any]:
        """The fields that decide what the cell computes (labels excluded)."""
        return {
            "dataset": self.dataset,
            "dataset_options": self.dataset_options,
            "subsample": self.subsample,
            "split": self.split,
            "split_options": self.split_options,
            "learner": self.learner,
            "learner_options": self.learner_options,
            "strategy": self.strategy,
            "strategy_params": self.strategy_params,
            "seed": self.seed,
            "budget": self.budget,
            "batch_size": self.batch_size,
            "initial": self.initial,
        }

    @property
    def key(self) -> str:
        """Stable identifier of the cell: a hash of :meth:`identity`."""
        return self._key

    def describe(self) -> str:
        """Short human-readable name, e.g. ``adult/logreg/entropy/seed=0``."""
        return f"{self.dataset_label}/{self.learner_label}/{self.strategy_label}/seed={self.seed}"


def expand_grid(config: ExperimentConfig) -> list[Cell]:
    """Every cell of every grid of ``config``, without duplicates.

    The order is grid, dataset, learner, strategy, seed (seeds innermost), so a run
    interrupted early still holds complete seed sets for its first strategies.
    A cell that two grids share is kept once, under the first grid.

    Parameters
    ----------
    config : ExperimentConfig
        A validated config.

    Returns
    -------
    list of Cell
    """
    cells: dict[str, Cell] = {}
    for grid in config.grids:
        for dataset in grid.datasets:
            for learner in grid.learners:
                for strategy in grid.strategies:
                    for seed in grid.seeds:
                        cell = Cell(
                            grid=grid.label,
                            dataset=dataset.name,
                            dataset_label=dataset.label,
                            dataset_options=dataset.options,
                            subsample=grid.subsample,
                            split=grid.split.name,
                            split_options=grid.split.options,
                            learner=learner.name,
                            learner_label=learner.label,
                            learner_options=learner.options,
                            strategy=strategy.name,
                            strategy_label=strategy.label,
                            strategy_params=strategy.options,
                            seed=seed,
                            budget=grid.budget,
                            batch_size=strategy.batch_size or grid.batch_size,
                            initial=grid.initial,
                        )
                        cells.setdefault(cell.key, cell)
    return list(cells.values())
