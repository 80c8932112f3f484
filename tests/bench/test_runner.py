"""The runner: every cell stored once, resumable, safe to kill at any moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpool.bench import (
    CellOutcome,
    ResultsStore,
    default_database,
    expand_grid,
    parse_config,
    run_experiment,
)

from .fakes import CALL_LOG_ENV, SMALL_CONFIG, fake_cell, fake_history, fake_registry
from .interrupted_run import KILL_CONFIG

TESTS_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def call_log(tmp_path, monkeypatch):
    """A file the fake cell runner appends each cell key to (works across processes)."""
    path = tmp_path / "calls.txt"
    path.touch()
    monkeypatch.setenv(CALL_LOG_ENV, str(path))
    return path


def _calls(path: Path) -> list[str]:
    return path.read_text().split()


def _compare(rounds: pd.DataFrame, cells) -> None:
    """Every stored History equals the fake's, row for row."""
    for cell in cells:
        mine = rounds[rounds["cell_key"] == cell.key].reset_index(drop=True)
        expected = fake_history(cell)
        assert len(mine) == len(expected)
        for col in ("round", "n_labelled", "f1", "demographic_parity", "picked_A", "picked_B"):
            np.testing.assert_array_equal(mine[col].to_numpy(), expected[col].to_numpy())
        assert mine["picked"].tolist() == expected["picked"].tolist()


def test_every_cell_is_run_once_and_stored(tmp_path, small_config, call_log):
    db = tmp_path / "r.duckdb"
    outcome = run_experiment(small_config, database=db, workers=1, cell_runner=fake_cell)
    cells = expand_grid(small_config)
    assert (outcome.total, outcome.skipped, outcome.completed) == (6, 0, 6)
    assert outcome.ok and not outcome.failures
    assert sorted(_calls(call_log)) == sorted(c.key for c in cells)
    with ResultsStore(db, read_only=True) as store:
        _compare(store.rounds(), cells)
        assert store.configs()["source"].tolist() == [SMALL_CONFIG]


def test_rerun_skips_finished_cells_and_runs_only_new_ones(tmp_path, small_config, call_log):
    db = tmp_path / "r.duckdb"
    run_experiment(small_config, database=db, workers=1, cell_runner=fake_cell)
    again = run_experiment(small_config, database=db, workers=1, cell_runner=fake_cell)
    assert (again.skipped, again.completed) == (6, 0)
    assert len(_calls(call_log)) == 6
    more = parse_config(SMALL_CONFIG.replace("seeds = [0, 1]", "seeds = [0, 1, 2]"),
                        registry=fake_registry())
    third = run_experiment(more, database=db, workers=1, cell_runner=fake_cell)
    assert (third.total, third.skipped, third.completed) == (9, 6, 3)
    new_keys = {c.key for c in expand_grid(more) if c.seed == 2}
    assert set(_calls(call_log)[6:]) == new_keys
    with ResultsStore(db, read_only=True) as store:
        assert store.count("runs") == 9


def test_failed_cells_are_reported_not_stored_and_retried(tmp_path, call_log):
    config = parse_config(SMALL_CONFIG.replace('"entropy"', '"broken"'),
                          registry=fake_registry())
    db = tmp_path / "r.duckdb"
    outcome = run_experiment(config, database=db, workers=1, cell_runner=fake_cell)
    assert outcome.completed == 4 and not outcome.ok
    assert [c.strategy for c, _ in outcome.failures] == ["broken", "broken"]
    failure: CellOutcome = outcome.failures[0][1]
    assert failure.error == "InvalidInputError: the broken strategy always fails"
    assert "Traceback" in failure.traceback
    with ResultsStore(db, read_only=True) as store:
        assert {k for k in store.finished_keys()} == {
            c.key for c in expand_grid(config) if c.strategy != "broken"}
    retry = run_experiment(config, database=db, workers=1, cell_runner=fake_cell)
    assert (retry.skipped, retry.completed, len(retry.failures)) == (4, 0, 2)


def test_process_pool_stores_the_same_results_as_a_serial_run(tmp_path, small_config, call_log):
    serial, pooled = tmp_path / "serial.duckdb", tmp_path / "pool.duckdb"
    run_experiment(small_config, database=serial, workers=1, cell_runner=fake_cell)
    outcome = run_experiment(small_config, database=pooled, workers=2, cell_runner=fake_cell)
    assert outcome.completed == 6
    # the workers (other processes) logged their calls too
    assert len(_calls(call_log)) == 12
    with ResultsStore(serial, read_only=True) as a, ResultsStore(pooled, read_only=True) as b:
        left = a.rounds().sort_values(["cell_key", "round"]).reset_index(drop=True)
        right = b.rounds().sort_values(["cell_key", "round"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def test_default_database_is_under_results():
    assert default_database() == Path("results") / "fairpool.duckdb"
    assert default_database("out") == Path("out") / "fairpool.duckdb"


@pytest.mark.parametrize(
    ("workers", "stop"),
    [(1, signal.SIGKILL), (1, signal.SIGINT),
     pytest.param(2, signal.SIGKILL, marks=pytest.mark.slow),
     pytest.param(2, signal.SIGINT, marks=pytest.mark.slow)],
)
def test_kill_9_loses_no_finished_cell_and_leaves_no_half_cell(tmp_path, call_log, workers,
                                                                 stop):
    """SIGKILL (kill -9) or SIGINT (Ctrl-C) mid-run: whole cells only, and a re-run ends it."""
    db = tmp_path / "killed.duckdb"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.interrupted_run", str(db), str(workers)],
        cwd=TESTS_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen = 0
    try:
        for line in proc.stdout:
            if line.startswith("stored"):
                seen = int(line.split()[1])
                if seen >= 3:
                    break
        proc.send_signal(stop)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read()
    if stop == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL, stderr
    else:  # Ctrl-C stops the workers and propagates as KeyboardInterrupt
        assert proc.returncode in (1, -signal.SIGINT) and "KeyboardInterrupt" in stderr, stderr
    assert seen >= 3
    config = parse_config(KILL_CONFIG, registry=fake_registry())
    cells = {c.key: c for c in expand_grid(config)}
    with ResultsStore(db, read_only=True) as store:
        runs = store.runs()
        per_cell = store.rounds(decode_json=False).groupby("cell_key").size()
        orphans = store._con.execute(
            "SELECT count(*) FROM rounds WHERE cell_key NOT IN (SELECT cell_key FROM runs)"
        ).fetchone()[0]
    stored = set(runs["cell_key"])
    assert len(stored) >= seen  # nothing committed was lost
    assert len(stored) < len(cells)  # it was killed mid-run
    assert orphans == 0  # no rows of a cell whose run row is missing
    assert per_cell.to_dict() == {key: 301 for key in stored}  # whole cells only
    _compare(ResultsStore(db, read_only=True).rounds(), [cells[k] for k in stored])
    # a re-run completes exactly the rest
    killed_calls = len(_calls(call_log))
    outcome = run_experiment(config, database=db, workers=1, cell_runner=fake_cell)
    assert (outcome.skipped, outcome.completed) == (len(stored), len(cells) - len(stored))
    assert set(_calls(call_log)[killed_calls:]) == set(cells) - stored
    with ResultsStore(db, read_only=True) as store:
        assert store.count("runs") == len(cells)
        assert store.count("rounds") == 301 * len(cells)
