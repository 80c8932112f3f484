"""Executors: in-process, a local process pool and Ray give the same results."""

from __future__ import annotations

import functools
import importlib.util
import time

import pandas as pd
import pytest

from fairpool.bench import (
    LocalExecutor,
    ResultsStore,
    SerialExecutor,
    available_cpus,
    execute_cell,
    expand_grid,
    make_executor,
    run_experiment,
)
from fairpool.errors import InvalidInputError

from .fakes import blas_threads, fake_cell

HAS_RAY = importlib.util.find_spec("ray") is not None


def test_make_executor_picks_by_name_and_checks_options():
    assert isinstance(make_executor("local", workers=1), SerialExecutor)
    pool = make_executor("local", workers=2)
    assert isinstance(pool, LocalExecutor) and pool.workers == 2
    assert available_cpus() >= 1
    with pytest.raises(InvalidInputError, match="executor must be one of local, ray"):
        make_executor("dask")
    with pytest.raises(InvalidInputError, match="workers must be a positive integer"):
        make_executor("local", workers=0)
    with pytest.raises(InvalidInputError, match="only used by the ray executor"):
        make_executor("local", address="auto")


def test_serial_executor_yields_in_order():
    with SerialExecutor() as ex:
        assert list(ex.map_unordered(abs, [-3, 2, -1])) == [3, 2, 1]


def test_local_pool_returns_every_result_and_stops_its_workers_when_left_early():
    with LocalExecutor(2) as ex:
        assert sorted(ex.map_unordered(abs, [-3, 2, -1, 0])) == [0, 1, 2, 3]
    with LocalExecutor(2) as ex:
        results = ex.map_unordered(time.sleep, [0.0] + [30.0] * 3)
        assert next(results) is None
        processes = list(ex._pool._processes.values())
        start = time.perf_counter()
    # leaving the block with cells in flight terminates the workers at once
    assert time.perf_counter() - start < 10
    assert processes and all(not p.is_alive() for p in processes)


def test_local_pool_caps_each_workers_blas_threads():
    # Regression: once fairpool.bench's __init__ imported numpy eagerly, workers loaded
    # BLAS before the cap was set and ran 2 threads each (and OT distances moved by 1e-10).
    with LocalExecutor(2) as ex:
        threads = set(ex.map_unordered(blas_threads, [0, 1, 2, 3]))
    assert threads == {max(1, available_cpus() // 2)}


def test_execute_cell_turns_errors_into_text(small_config):
    cell = expand_grid(small_config)[0]
    outcome = execute_cell(fake_cell, cell)
    assert outcome.ok and outcome.key == cell.key and outcome.seconds >= 0
    assert "numpy" in outcome.versions and "python" in outcome.versions
    bad = execute_cell(functools.partial(_raise, ValueError("boom")), cell)
    assert not bad.ok and bad.result is None
    assert bad.error == "ValueError: boom" and "ValueError: boom" in bad.traceback
    wrong = execute_cell(lambda c: 42, cell)
    assert wrong.error.startswith("InvalidInputError: the cell runner returned int")


def _raise(exc, cell):
    raise exc


def _stored_rounds(db) -> pd.DataFrame:
    with ResultsStore(db, read_only=True) as store:
        frame = store.rounds()
    return frame.sort_values(["cell_key", "round"]).reset_index(drop=True)


@pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'fairpool[ray]')")
def test_local_and_ray_executors_store_identical_results(tmp_path, small_config):
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    run_experiment(small_config, database=local_db, executor="local", workers=2,
                   cell_runner=fake_cell)
    outcome = run_experiment(small_config, database=ray_db, executor="ray", workers=2,
                             cell_runner=fake_cell)
    assert outcome.ok and outcome.completed == 6
    pd.testing.assert_frame_equal(_stored_rounds(local_db), _stored_rounds(ray_db))


REAL_SMALL = """
title = "local vs ray on the real loop"
datasets = ["compas"]
subsample = 1200
split = "panda"
learners = ["logreg"]
budget = 30
batch_size = 15
seeds = [0, 1]
strategies = ["random", "entropy"]
"""


@pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'fairpool[ray]')")
def test_real_cells_give_identical_results_on_local_and_ray(tmp_path):
    # The real cell runner (fairpool.active.run on bundled COMPAS), not a fake: what a
    # user's sweep computes must not depend on where its cells ran.
    from fairpool.active import TIMING_COLUMNS
    from fairpool.bench import parse_config

    config = parse_config(REAL_SMALL)
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    assert run_experiment(config, database=local_db, executor="local", workers=1).ok
    outcome = run_experiment(config, database=ray_db, executor="ray", workers=2)
    assert outcome.ok and outcome.completed == 4
    local, remote = _stored_rounds(local_db), _stored_rounds(ray_db)
    timing = [c for c in local.columns if c in TIMING_COLUMNS]
    assert len(local) == 4 * 3  # 4 cells x (round 0 + 2 rounds)
    pd.testing.assert_frame_equal(local.drop(columns=timing), remote.drop(columns=timing))


def test_ray_executor_says_how_to_install_ray_when_missing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(InvalidInputError, match=r'pip install "fairpool\[ray\]"'):
        make_executor("ray")
