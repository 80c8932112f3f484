"""Run an experiment: expand its grid, skip stored cells, run the rest, store each one.

Resumability comes from three rules: a cell's key is a hash of what it computes;
the parent stores each cell in one transaction the moment it finishes; and a run
starts by skipping every key already in the store. Kill a run at any moment and
the store holds whole cells only; run the same config again and it finishes the rest.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from fairpool.bench._cells import CellOutcome, CellRunner, execute_cell, run_cell
from fairpool.bench._config import ExperimentConfig
from fairpool.bench._executors import make_executor
from fairpool.bench._grid import Cell, expand_grid
from fairpool.bench._progress import ProgressReporter, SilentProgress
from fairpool.bench._store import DEFAULT_DB_NAME, ResultsStore

__all__ = ["RunOutcome", "run_experiment", "default_database"]


def default_database(out_dir: str | Path = "results") -> Path:
    """The results database of an output folder: ``<out_dir>/fairpool.duckdb``."""
    return Path(out_dir) / DEFAULT_DB_NAME


@dataclass
class RunOutcome:
    """What a call of :func:`run_experiment` did.

    Parameters
    ----------
    database : Path
        The results database.
    total : int
        Cells in the config's grid.
    skipped : int
        Cells already stored before this call.
    completed : int
        Cells run and stored by this call.
    failures : list of (Cell, CellOutcome)
        Cells that raised; they are not stored, so the next run retries them.
    seconds : float
        Wall time of the call.
    """

    database: Path
    total: int
    skipped: int
    completed: int
    failures: list[tuple[Cell, CellOutcome]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True if every cell of the grid is now stored."""
        return not self.failures and self.skipped + self.completed == self.total


def run_experiment(
    config: ExperimentConfig,
    *,
    database: str | Path | None = None,
    executor: Literal["local", "ray"] = "local",
    workers: int | None = None,
    address: str | None = None,
    cell_runner: CellRunner = run_cell,
    progress: ProgressReporter | None = None,
) -> RunOutcome:
    """Run every cell of ``config`` not yet in ``database`` and store each as it finishes.

    Parameters
    ----------
    config : ExperimentConfig
        A validated config (:func:`fairpool.bench.load_config`).
    database : str or Path, optional
        The DuckDB results file (default ``results/fairpool.duckdb``).
    executor : {"local", "ray"}
        Where cells run: a local process pool, or Ray.
    workers : int, optional
        Worker processes (default: the available CPU cores; 1 runs in this process).
    address : str, optional
        A Ray cluster to join (``executor="ray"`` only); default: a local Ray instance.
    cell_runner : callable
        ``cell_runner(cell) -> CellResult``, a picklable module-level function; the
        default runs ``fairpool.active.run``. Tests inject a fast fake.
    progress : ProgressReporter, optional
        Told about each finished cell (default: silent).

    Returns
    -------
    RunOutcome

    Notes
    -----
    Only this process writes the database; workers return their results to it.
    ``KeyboardInterrupt`` stops the workers and propagates, with every cell that
    finished before it already committed.
    """
    start = time.perf_counter()
    database = Path(database) if database is not None else default_database()
    progress = progress or SilentProgress()
    cells = expand_grid(config)
    by_key = {cell.key: cell for cell in cells}
    with ResultsStore(database) as store:
        store.record_config(
            config_hash=config.config_hash, title=config.title, path=config.path,
            source=config.source,
        )
        done = store.finished_keys()
        todo = [cell for cell in cells if cell.key not in done]
        outcome = RunOutcome(
            database=database, total=len(cells), skipped=len(cells) - len(todo), completed=0
        )
        progress.start(len(cells), outcome.skipped, pending=todo)
        try:
            with make_executor(executor, workers=workers, address=address) as pool:
                task = functools.partial(execute_cell, cell_runner)
                for result in pool.map_unordered(task, todo):
                    cell = by_key[result.key]
                    if result.ok:
                        store.write_cell(cell, result, config_hash=config.config_hash)
                        outcome.completed += 1
                    else:
                        outcome.failures.append((cell, result))
                    progress.cell_done(cell, result)
        finally:
            progress.stop()
    outcome.seconds = time.perf_counter() - start
    return outcome
