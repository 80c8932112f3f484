"""Progress of a run: a rich progress bar on a terminal, silence otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fairpool.bench._cells import CellOutcome
from fairpool.bench._grid import Cell

__all__ = ["ProgressReporter", "SilentProgress", "BarProgress", "make_progress", "cell_cost"]

#: Cost of one round of a strategy relative to one round of entropy sampling on the same
#: data, from the main job's wall times (`fairpool run`, 2 cores): fairlearn's reduction
#: refits ~17x, fal_fast ~3-5x, facagen ~3x; exact FAL refits 2 models per candidate.
ROUND_COST: dict[str, float] = {
    "fal": 100.0, "fairlearn": 17.0, "fairlearn_al": 17.0, "fal_fast": 4.0, "facagen": 3.0,
    "dfa2l": 3.0, "panda": 1.0,
}
#: Fixed cost of a cell before its first round, in the same unit: PANDA meta-trains its
#: policy (28 s a cell in the main job, ~800 entropy rounds).
CELL_COST: dict[str, float] = {"panda": 800.0}


def cell_cost(cell: Cell) -> float:
    """Expected cost of ``cell`` in entropy-round units (:data:`ROUND_COST`, :data:`CELL_COST`).

    The progress bar advances by this much when the cell finishes, so its ETA weighs a
    PANDA cell as the many cheap cells it costs instead of as one.

    Parameters
    ----------
    cell : Cell

    Returns
    -------
    float
        ``CELL_COST[strategy] + ROUND_COST[strategy] * (rounds + 1)`` (defaults 0 and 1).
    """
    batch = max(int(cell.batch_size), 1)
    rounds = -(-int(cell.budget) // batch)  # ceil
    return CELL_COST.get(cell.strategy, 0.0) + ROUND_COST.get(cell.strategy, 1.0) * (rounds + 1)


class ProgressReporter(Protocol):
    """What the runner tells about a run as it goes."""

    def start(
        self, total: int, already_done: int, *, pending: Sequence[Cell] | None = None
    ) -> None:
        """The run has ``total`` cells, ``already_done`` of them stored before; ``pending``
        are the cells still to run (for an ETA that weighs them by cost)."""
        ...

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """``cell`` finished (and, if it succeeded, is stored)."""
        ...

    def stop(self) -> None:
        """The run ended (finished, failed or interrupted)."""
        ...


class SilentProgress:
    """Reports nothing (the default when output is not a terminal)."""

    def start(
        self, total: int, already_done: int, *, pending: Sequence[Cell] | None = None
    ) -> None:
        """Ignore the start."""

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """Ignore a finished cell."""

    def stop(self) -> None:
        """Ignore the end."""


class BarProgress:
    """A rich progress bar: cells done out of the total, elapsed time, ETA.

    The bar and its ETA advance by each cell's expected cost (:func:`cell_cost`), so a
    run whose last cells are PANDA's does not promise to end in two seconds; the count
    beside it is in cells.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where to draw (default: stderr).
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[cells]} cells"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
            transient=False,
        )
        self._task: int | None = None
        self.failed = 0

    def start(
        self, total: int, already_done: int, *, pending: Sequence[Cell] | None = None
    ) -> None:
        """Show the bar; cells stored by an earlier run count as done.

        With ``pending`` the bar's units are expected cost (stored cells are left out of
        it); without, cells.
        """
        self._total, self._done = total, already_done
        self._weighted = pending is not None
        units = sum(cell_cost(c) for c in pending) if pending is not None else total
        self._progress.start()
        self._task = self._progress.add_task(
            "fairpool run", total=units, completed=0 if pending is not None else already_done,
            last="", cells=f"{already_done}/{total}",
        )

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """Advance the bar by one cell and show which one finished."""
        if self._task is None:
            return
        if not outcome.ok:
            self.failed += 1
        status = "failed" if not outcome.ok else f"{outcome.seconds:.1f}s"
        self._done += 1
        self._progress.update(
            self._task, advance=cell_cost(cell) if self._weighted else 1,
            last=f"{cell.describe()} ({status})", cells=f"{self._done}/{self._total}",
        )

    def stop(self) -> None:
        """Remove the live display, leaving the last state on screen."""
        self._progress.stop()


def make_progress(*, quiet: bool = False, console: Console | None = None) -> ProgressReporter:
    """A progress bar when drawing to a terminal, otherwise a silent reporter.

    Parameters
    ----------
    quiet : bool
        Force silence.
    console : rich.console.Console, optional
        Where to draw (default: stderr).

    Returns
    -------
    ProgressReporter
    """
    console = console or Console(stderr=True)
    if quiet or not console.is_terminal:
        return SilentProgress()
    return BarProgress(console)
