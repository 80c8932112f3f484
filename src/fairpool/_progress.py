"""A progress bar for long, otherwise silent work inside the library (PANDA's
meta-training, exact FAL's refits): drawn with rich on stderr when a person is watching,
nothing otherwise.

"Watching" means stderr is a terminal and this is the main process: a bench worker's
runner draws its own bar, and tests, pipes and CI logs stay clean. Numbers never depend
on it. Written here once because rich's ``Progress`` needs the same set-up in each place.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """A rich progress bar over ``total`` steps, or a silent stand-in.

    Parameters
    ----------
    description : str
        What is being done ("PANDA meta-training").
    total : int
        Number of steps.
    unit : str
        What a step is ("episodes", "refits").
    show : bool, optional
        Force the bar on or off; default: on when a person is watching (see above).
    """

    def __init__(self, description: str, total: int, *, unit: str,
                 show: bool | None = None) -> None:
        if show is None:
            show = sys.stderr.isatty() and multiprocessing.current_process().name == "MainProcess"
        self._bar: Any = None
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn(description), BarColumn(),
                TextColumn(f"{{task.completed}}/{{task.total}} {unit}"), TimeElapsedColumn(),
                TextColumn("{task.fields[note]}"), console=Console(stderr=True), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(description, total=total, note="")

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn."""
        return self._bar is not None

    def advance(self, steps: int = 1, *, note: str | None = None) -> None:
        """Count ``steps`` more done; ``note`` replaces the text after the bar."""
        if self._bar is not None:
            fields = {} if note is None else {"note": note}
            self._bar.update(self._task, advance=steps, **fields)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
