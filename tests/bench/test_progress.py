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


def test_eta_weighs_cells_by_expected_cost(small_config):
    from dataclasses import replace

    from fairpool.bench import cell_cost

    cells = expand_grid(small_config)
    cheap = [replace(c, strategy="random") for c in cells[:3]]
    panda = replace(cells[3], strategy="panda", budget=200, batch_size=200)
    # a PANDA cell (meta-training, then one round) costs hundreds of entropy rounds
    assert cell_cost(panda) > 100 * cell_cost(replace(panda, strategy="entropy"))
    buffer = StringIO()
    bar = BarProgress(Console(file=buffer, force_terminal=True, width=160))
    bar.start(4, already_done=0, pending=[*cheap, panda])
    for cell in cheap:
        bar.cell_done(cell, execute_cell(fake_cell, cell))
    task = bar._progress.tasks[0]
    bar.stop()
    # three of four cells are done but well under half of the expected work
    assert task.completed / task.total < 0.2
    assert "3/4 cells" in buffer.getvalue()
