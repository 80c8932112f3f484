"""Progress: a bar on a terminal, silence elsewhere."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from fairpool.bench import BarProgress, SilentProgress, execute_cell, expand_grid, make_progress

from .fakes import fake_cell


def test_not_a_terminal_means_silence():
    assert isinstance(make_progress(console=Console(file=StringIO())), SilentProgress)
    terminal = Console(file=StringIO(), force_terminal=True)
    assert isinstance(make_progress(console=terminal), BarProgress)
    assert isinstance(make_progress(quiet=True, console=terminal), SilentProgress)


def test_bar_counts_stored_and_new_cells(small_config):
    buffer = StringIO()
    bar = BarProgress(Console(file=buffer, force_terminal=True, width=160))
    cells = expand_grid(small_config)
    bar.start(len(cells), already_done=2)
    for cell in cells[2:]:
        bar.cell_done(cell, execute_cell(fake_cell, cell))
    task = bar._progress.tasks[0]
    bar.stop()
    assert (task.completed, task.total) == (6, 6)
    assert "6/6" in buffer.getvalue() and bar.failed == 0
