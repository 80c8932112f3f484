"""The `fairpool` command's own options and listings (issue 11, "The first hour")."""

from __future__ import annotations

from typer.testing import CliRunner

import fairpool as fp
from fairpool.cli import app


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})


def test_version_prints_the_package_version():
    result = _invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"fairpool {fp.__version__}"


def test_strategies_lists_every_registered_strategy_on_one_line_each():
    result = _invoke("strategies")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == fp.active.available_strategies()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # a summary after the name
    assert "``" not in result.output


def test_learners_lists_every_registered_learner_on_one_line_each():
    result = _invoke("learners")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == fp.learners.available_learners()


def test_help_shows_flags_without_a_bool_placeholder_and_fits_100_columns():
    for args in (("--help",), ("run", "--help")):
        result = _invoke(*args)
        assert result.exit_code == 0
        assert "<bool>" not in result.output
        assert max(len(line) for line in result.output.splitlines()) <= 100
    assert "--check" in _invoke("run", "--help").output


def test_datasets_raw_writes_the_raw_table_and_refuses_half_a_request(tmp_path):
    import pandas as pd

    out = tmp_path / "german.csv"
    result = _invoke("datasets", "--raw", "german", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1,000 rows" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(out), fp.datasets.raw_table("german"),
                                  check_dtype=False, check_categorical=False)
    parquet = tmp_path / "adult.parquet"
    assert _invoke("datasets", "--raw", "adult", "--out", str(parquet)).exit_code == 0
    assert len(pd.read_parquet(parquet)) == 48842
    missing_out = _invoke("datasets", "--raw", "adult")
    assert missing_out.exit_code != 0 and "needs --out FILE" in missing_out.output
    assert "goes with --raw" in _invoke("datasets", "--out", str(out)).output
    assert "not one raw table" in _invoke("datasets", "--raw", "genomes1000", "--out",
                                          str(out)).output
