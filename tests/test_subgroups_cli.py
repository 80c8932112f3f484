"""`fairpool audit FILE --subgroups / --max-depth K` on a user's CSV and Parquet files.

The numbers printed must be the Python API's (fairpool.audit.subgroups and
worst_slices, themselves checked against fairlearn, statsmodels and brute force in
tests/test_subgroups.py and tests/test_slices.py) computed on the same rows with the
target's positive value named on the command line.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpool.audit import subgroups, worst_slices
from fairpool.cli import app

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, ["audit", *map(str, args)])


@pytest.fixture(scope="module")
def decisions() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 1500
    df = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n),
        "race": rng.choice(["a", "b", "c"], n),
        "age": rng.integers(18, 80, n),
    })
    truth = rng.random(n) < 0.5
    wrong = rng.random(n) < np.where((df["sex"] == "F") & (df["age"] > 60), 0.4, 0.15)
    df["decision"] = np.where(truth, "approved", "denied")
    df["model"] = np.where(truth ^ wrong, "approved", "denied")
    return df


def encoded(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return ((df["decision"] == "approved").to_numpy().astype(int),
            (df["model"] == "approved").to_numpy().astype(int))


def test_json_subgroups_equal_the_python_api(decisions, tmp_path) -> None:
    path = tmp_path / "decisions.csv"
    decisions.to_csv(path, index=False)
    result = cli(path, "--target", "decision", "--positive", "approved", "--pred", "model",
                 "--sensitive", "sex", "--sensitive", "race", "--subgroups", "--rank-by", "fnr",
                 "--correction", "fdr_bh", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    y, p = encoded(decisions)
    expected = subgroups(y, p, sensitive_features=decisions[["sex", "race"]], rank_by="fnr",
                         correction="fdr_bh")
    got = pd.DataFrame(out["subgroups"])
    assert out["positive"] == "approved" and out["worst_slices"] is None
    assert out["subgroup_settings"]["correction"] == "fdr_bh"
    assert list(got["grouping"]) == list(expected["grouping"])
    for column in ("support", "fnr", "fnr_ci_low", "p_adjusted", "rank"):
        np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float),
                                   rtol=1e-12, atol=1e-14)


def test_parquet_csv_output_has_subgroups_then_slices_like_the_api(decisions, tmp_path) -> None:
    path = tmp_path / "decisions.parquet"
    decisions.to_parquet(path, index=False)
    result = cli(path, "--target", "decision", "--positive", "approved", "--pred", "model",
                 "--sensitive", "sex", "--subgroups", "--max-depth", "2", "--slice-by", "age",
                 "--ci", "bootstrap", "--n-boot", "200", "--seed", "3", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("# worst slices: SliceLine") for line in lines)
    assert any("'age' cut at quantiles" in line for line in lines)
    body = "\n".join(line for line in lines if not line.startswith("#"))
    table, slices = (pd.read_csv(io.StringIO(part)) for part in body.strip().split("\n\n"))
    y, p = encoded(decisions)
    expected = subgroups(y, p, sensitive_features=decisions[["sex"]], ci="bootstrap",
                         n_boot=200, random_state=3)
    np.testing.assert_allclose(table["error_rate_ci_low"], expected["error_rate_ci_low"])
    found = worst_slices(y, p, features=decisions[["sex", "age"]], max_depth=2)
    assert list(slices["age"].fillna("*")) == list(found["age"].fillna("*"))
    np.testing.assert_allclose(slices["score"], found["score"])
    top = found.iloc[0]
    assert top["sex"] == "F" and top["age"] is not None and top["age"].endswith("79]")


def test_table_output_names_the_readings(decisions, tmp_path) -> None:
    path = tmp_path / "decisions.csv"
    decisions.to_csv(path, index=False)
    result = cli(path, "--target", "decision", "--positive", "approved", "--pred", "model",
                 "--sensitive", "sex", "--sensitive", "race", "--max-depth", "2")
    assert result.exit_code == 0, result.output
    assert "Worst slices (SliceLine)" in result.stdout
    assert "Subgroups, worst first" not in result.stdout  # only what was asked
    both = cli(path, "--target", "decision", "--positive", "approved", "--pred", "model",
               "--sensitive", "sex", "--subgroups")
    assert "Subgroups, worst first" in both.stdout and "holm correction" in both.stdout
    assert "Fisher exact" in both.stdout and "Wilson" in both.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["--subgroups"], "--pred"),
    (["--pred", "model", "--max-depth", "2", "--slice-by", "height"], "'height'"),
    (["--pred", "model", "--subgroups", "--rank-by", "auc"], "rank_by"),
    (["--pred", "model", "--subgroups", "--ci", "normal"], "ci must be"),
    (["--pred", "model", "--subgroups", "--correction", "magic"], "correction"),
])
def test_bad_options_fail_with_one_line(decisions, tmp_path, args, needle) -> None:
    path = tmp_path / "decisions.csv"
    decisions.to_csv(path, index=False)
    result = cli(path, "--target", "decision", "--positive", "approved", "--sensitive", "sex",
                 *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fairpool: error: ") and needle in lines[0]
