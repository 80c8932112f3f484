"""`fairpool run`, `results` and `report` on the real loop, through the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairpool as fp
from fairpool.active import TIMING_COLUMNS
from fairpool.bench import ResultsStore
from fairpool.cli import app

REAL = """
title = "tiny real run"
datasets = ["adult"]
subsample = 1500
split = "panda"
learners = ["logreg"]
budget = 40
batch_size = 20
seeds = [0]
strategies = ["random", "entropy"]
"""


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """The tiny real config run once through `fairpool run` (in this process)."""
    folder = tmp_path_factory.mktemp("real")
    config = folder / "tiny.toml"
    config.write_text(REAL, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(config), "--out", str(folder / "out"), "--workers", "1"]
    )
    return folder, config, result


def _invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_check_accepts_a_good_config(real_run):
    folder, config, _ = real_run
    result = _invoke("run", str(config), "--check")
    assert result.exit_code == 0, result.output
    assert "OK: 2 cells in 1 grids" in result.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('"entropy"]', '"entropi"]'), "strategies[1]: unknown strategy 'entropi'"),
        (("budget = 40", "budget = -4"), "budget must be a positive integer"),
        (("subsample = 1500", "subsample = 99999"), "subsample = 99999 exceeds the 48842 rows"),
        (('split = "panda"', 'split = {name = "panda", test_size = 0.1}'),
         "split: split 'panda' of dataset 'adult' fails"),
        (('datasets = ["adult"]', 'datasets = [{name = "adult", colour = "red"}]'),
         "datasets[0]: bad options for dataset 'adult'"),
    ],
)
def test_check_fails_with_one_line_naming_the_key(tmp_path, edit, message):
    config = tmp_path / "bad.toml"
    config.write_text(REAL.replace(*edit), encoding="utf-8")
    result = _invoke("run", str(config), "--check")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fairpool: error: "), result.output
    assert message in lines[0]


def test_check_of_a_missing_file_fails_cleanly(tmp_path):
    result = _invoke("run", str(tmp_path / "nope.toml"), "--check")
    assert result.exit_code == 2
    assert "neither a file nor a bundled config" in result.output


def test_run_prints_the_summary_and_the_report_path(real_run):
    folder, _, result = real_run
    assert result.exit_code == 0, result.output
    assert "tiny real run: final budget" in result.output
    assert "2 cells run, 0 already stored, 0 failed" in result.output
    assert f"report: {folder / 'out' / 'report.html'}" in result.output
    assert (folder / "out" / "report.html").is_file()


def test_run_stores_exactly_what_the_loop_computes(real_run):
    """Each stored History equals a direct fairpool.active.run on the same rows."""
    folder, _, _ = real_run
    adult = fp.datasets.load("adult")
    rows = np.sort(np.random.default_rng([0, 0x5AB5]).choice(len(adult), 1500, replace=False))
    with ResultsStore(folder / "out" / "fairpool.duckdb", read_only=True) as store:
        rounds = store.rounds()
    for strategy in ("random", "entropy"):
        direct = fp.active.run(adult.subset(rows), strategy=strategy, learner="logreg",
                               budget=40, batch_size=20, seed=0, split="panda").frame
        stored = rounds[rounds["strategy"] == strategy].reset_index(drop=True)
        assert len(stored) == len(direct) == 3
        for col in direct.columns:
            if col in TIMING_COLUMNS:
                continue
            if col == "picked":
                assert stored[col].tolist() == [list(p) for p in direct[col]]
            else:
                np.testing.assert_allclose(stored[col].to_numpy(dtype=float),
                                           direct[col].to_numpy(dtype=float), err_msg=col)


def test_rerun_skips_the_stored_cells(real_run):
    folder, config, _ = real_run
    result = _invoke("run", str(config), "--out", str(folder / "out"), "--workers", "1",
                     "--no-report")
    assert result.exit_code == 0
    assert "0 cells run, 2 already stored, 0 failed" in result.output


def test_results_prints_and_exports(real_run, tmp_path):
    folder, _, _ = real_run
    db = folder / "out" / "fairpool.duckdb"
    result = _invoke("results", str(db), "--export", str(tmp_path / "final.csv"),
                     "--table", "final")
    assert result.exit_code == 0, result.output
    assert "entropy" in result.output and " ± 0." not in result.output  # one seed: no sd
    assert f"exported final to {tmp_path / 'final.csv'}" in result.output
    exported = pd.read_csv(tmp_path / "final.csv")
    assert sorted(exported["strategy"]) == ["entropy", "random"]
    assert (exported["n_labelled"] == exported["n_labelled"].iloc[0]).all()


def test_results_and_report_of_a_missing_database_fail_cleanly(tmp_path):
    for command in ("results", "report"):
        result = _invoke(command, str(tmp_path / "none.duckdb"))
        assert result.exit_code == 2
        assert "no results database at" in result.output


def test_report_command_writes_the_file(real_run, tmp_path):
    folder, _, _ = real_run
    out = tmp_path / "r.html"
    result = _invoke("report", str(folder / "out" / "fairpool.duckdb"), "--out", str(out))
    assert result.exit_code == 0 and out.is_file()
    assert "<h1>tiny real run</h1>" in out.read_text(encoding="utf-8")


def test_failing_cells_exit_1_and_are_named(tmp_path):
    # the pool of a 600-row PANDA split holds 150 rows: a budget of 200 cannot be spent
    config = tmp_path / "fails.toml"
    config.write_text(REAL.replace("subsample = 1500", "subsample = 600")
                      .replace("budget = 40", "budget = 200"), encoding="utf-8")
    result = _invoke("run", str(config), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.exit_code == 1
    assert "0 cells run, 0 already stored, 2 failed" in result.output
    assert "failed: adult/logreg/random/seed=0: BudgetError" in result.output
