"""`fairpool stress`: the stress test from a user's CSV/Parquet file (issue 14)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairpool as fp
from fairpool.cli import app


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory):
    rng = np.random.default_rng(1)
    n = 500
    sex = rng.choice(["F", "M"], n)
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-(x + 0.5 * (sex == "M")))), "yes", "no")
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "sex": sex, "hired": y})
    path = tmp_path_factory.mktemp("stress") / "hiring.csv"
    frame.to_csv(path, index=False)
    return path, frame


ARGS = ("--target", "hired", "--sensitive", "sex", "--group", "F", "--rates", "0,0.2,0.4",
        "--seeds", "2")


def test_json_output_is_the_python_api_mean_over_seeds(table_csv, tmp_path):
    path, frame = table_csv
    out, plot = tmp_path / "stress.csv", tmp_path / "stress.png"
    result = _invoke("stress", path, *ARGS, "--source", "historical", "--source", "prediction",
                     "--format", "json", "--out", out, "--plot", plot)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = fp.audit.stress_test(frame, target="hired", sensitive="sex", group="F",
                                    source=["historical", "prediction"], rates=[0, 0.2, 0.4],
                                    seeds=[0, 1])
    means = expected.groupby(["source", "rate"])["accuracy"].mean()
    assert len(rows) == 6
    for row in rows:
        assert row["strategy"] == "none"
        assert row["accuracy"] == pytest.approx(means[(row["source"], row["rate"])])
    written = pd.read_csv(out)
    assert len(written) == 12 and plot.stat().st_size > 1000
    pd.testing.assert_series_equal(written["accuracy"], expected["accuracy"], check_exact=False)


def test_a_parquet_file_and_a_strategy(table_csv, tmp_path):
    _, frame = table_csv
    path = tmp_path / "hiring.parquet"
    frame.to_parquet(path)
    result = _invoke("stress", path, *ARGS, "--source", "sampling", "--strategy", "none",
                     "--strategy", "random", "--budget", "60", "--batch-size", "30",
                     "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("source,strategy,rate,n_affected,accuracy")
    assert {line.split(",")[1] for line in lines[1:]} == {"none", "random"}


@pytest.mark.parametrize("extra,message", [
    (("--source", "sampling", "--group", "X"), "'X' is not a group"),
    (("--source", "weather"), "unknown source 'weather'"),
    (("--source", "sampling", "--rates", "0,1"), "[0, 1)"),
    (("--source", "sampling", "--rates", "0,a"), "--rates must be numbers"),
    (("--source", "sampling", "--seeds", "0"), "--seeds must be at least 1"),
    (("--source", "sampling", "--format", "xml"), "xml"),
])
def test_bad_arguments_print_one_line_and_exit_2(table_csv, extra, message):
    path, _ = table_csv
    result = _invoke("stress", path, *ARGS, *extra)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_an_unknown_column_and_a_missing_file(table_csv, tmp_path):
    path, _ = table_csv
    result = _invoke("stress", path, "--target", "hired", "--sensitive", "gender", "--group",
                     "F", "--source", "sampling")
    assert result.exit_code == 2 and "gender" in result.stderr
    result = _invoke("stress", tmp_path / "none.csv", *ARGS, "--source", "sampling")
    assert result.exit_code == 2
