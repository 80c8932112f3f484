"""Progress of a run: a rich progress bar on a terminal, silence otherwise."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fairpool.bench._cells import CellOutcome
from fairpool.bench._grid import Cell

__all__ = ["ProgressReporter", "SilentProgress", "BarProgress", "make_progress"]


class ProgressReporter(Protocol):
    """What the runner tells about a run as it goes."""

    def start(self, total: int, already_done: int) -> None:
        """The run has ``total`` cells, ``already_done`` of them stored before."""
        ...

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """``cell`` finished (and, if it succeeded, is stored)."""
        ...

    def stop(self) -> None:
        """The run ended (finished, failed or interrupted)."""
        ...


class SilentProgress:
    """Reports nothing (the default when output is not a terminal)."""

    def start(self, total: int, already_done: int) -> None:
        """Ignore the start."""

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """Ignore a finished cell."""

    def stop(self) -> None:
        """Ignore the end."""


class BarProgress:
    """A rich progress bar: cells done out of the total, elapsed time, ETA.

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
            MofNCompleteColumn(),
            TextColumn("cells"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
            transient=False,
        )
        self._task: int | None = None
        self.failed = 0

    def start(self, total: int, already_done: int) -> None:
        """Show the bar; cells stored by an earlier run count as done."""
        self._progress.start()
        self._task = self._progress.add_task(
            "fairpool run", total=total, completed=already_done, last=""
        )

    def cell_done(self, cell: Cell, outcome: CellOutcome) -> None:
        """Advance the bar by one cell and show which one finished."""
        if self._task is None:
            return
        if not outcome.ok:
            self.failed += 1
        status = "failed" if not outcome.ok else f"{outcome.seconds:.1f}s"
        self._progress.update(
            self._task, advance=1, last=f"{cell.describe()} ({status})"
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
