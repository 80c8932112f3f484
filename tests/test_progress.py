"""The library's progress bar for long silent work: drawn only for a person watching."""

from __future__ import annotations

from fairpool._progress import TerminalProgress


def test_a_forced_bar_counts_and_closes(capsys):
    with TerminalProgress("work", 4, unit="steps", show=True) as bar:
        assert bar.shown
        for _ in range(4):
            bar.advance(note="going")
        task = bar._bar.tasks[0]
        assert (task.completed, task.total, task.fields["note"]) == (4, 4, "going")
    assert not bar.shown


def test_without_a_terminal_nothing_is_drawn(capsys):
    bar = TerminalProgress("work", 3, unit="steps")  # pytest's stderr is not a terminal
    bar.advance()
    bar.close()
    assert not bar.shown and capsys.readouterr().err == ""
