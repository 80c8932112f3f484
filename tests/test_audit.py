"""fairpool.audit and the `fairpool audit` / `fairpool datasets` commands, on real Adult rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fairpool as fp
from fairpool.audit import audit_frame, read_table
from fairpool.cli import app
from fairpool.errors import InvalidInputError, MissingValueError, UnknownColumnError

runner = CliRunner()


@pytest.fixture(scope="module")
def adult_table() -> pd.DataFrame:
    """A user-style table built from the bundled Adult data, plus a noisy prediction column."""
    ds = fp.datasets.load("adult", sensitive=["sex", "race"])
    sex, race = np.array([g.split("|") for g in ds.group_names], dtype=object)[ds.groups].T
    rng = np.random.default_rng(7)
    y_pred = np.where(rng.random(ds.n_samples) < 0.8, ds.y, 1 - ds.y)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "income": np.where(ds.y == 1, ">50K", "<=50K"),
            "pred": np.where(y_pred == 1, ">50K", "<=50K"),
        }
    )


def test_data_audit_matches_pandas_groupby(adult_table: pd.DataFrame) -> None:
    result = audit_frame(adult_table, target="income", sensitive="sex")
    positive = adult_table["income"].eq(">50K")
    expected = positive.groupby(adult_table["sex"]).mean()
    got = result.by_group["base_rate"]
    for group, rate in expected.items():
        assert got.loc[group] == pytest.approx(rate, abs=1e-12)
    assert result.summary["n"] == 48_842
    assert result.summary["base_rate_difference"] == pytest.approx(expected.max() - expected.min())


def test_prediction_audit_matches_brute_force(adult_table: pd.DataFrame) -> None:
    result = audit_frame(adult_table, target="income", sensitive=["sex", "race"], pred="pred")
    y = adult_table["income"].eq(">50K").to_numpy()
    p = adult_table["pred"].eq(">50K").to_numpy()
    keys = (adult_table["sex"] + "|" + adult_table["race"]).to_numpy()
    tprs = {}
    for key in np.unique(keys):
        m = keys == key
        tprs[key] = p[m & y].mean()
        row = result.by_group.loc[key]
        assert row["selection_rate"] == pytest.approx(p[m].mean(), abs=1e-12)
        assert row["tpr"] == pytest.approx(tprs[key], abs=1e-12)
        assert row["accuracy"] == pytest.approx((p[m] == y[m]).mean(), abs=1e-12)
    assert result.summary["difference_tpr"] == pytest.approx(
        max(tprs.values()) - min(tprs.values()), abs=1e-12
    )


def test_audit_reads_csv_and_parquet_alike(adult_table: pd.DataFrame, tmp_path) -> None:
    small = adult_table.sample(2_000, random_state=0)
    small.to_csv(tmp_path / "t.csv", index=False)
    small.to_parquet(tmp_path / "t.parquet")
    a = audit_frame(read_table(tmp_path / "t.csv"), target="income", sensitive="sex", pred="pred")
    b = audit_frame(
        read_table(tmp_path / "t.parquet"), target="income", sensitive="sex", pred="pred"
    )
    pd.testing.assert_frame_equal(a.by_group, b.by_group)


def test_bad_input_is_named(adult_table: pd.DataFrame, tmp_path) -> None:
    with pytest.raises(UnknownColumnError, match="'nope'"):
        audit_frame(adult_table, target="income", sensitive="nope")
    with pytest.raises(UnknownColumnError, match="'label'"):
        audit_frame(adult_table, target="label", sensitive="sex")
    holes = adult_table.head(50).copy()
    holes.loc[3, "sex"] = None
    with pytest.raises(MissingValueError, match="sex"):
        audit_frame(holes, target="income", sensitive="sex")
    bad_pred = adult_table.head(50).assign(pred=np.arange(50))
    with pytest.raises(InvalidInputError, match="pred"):
        audit_frame(bad_pred, target="income", sensitive="sex", pred="pred")
    (tmp_path / "junk.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_table(tmp_path / "junk.parquet")


def test_cli_audit_outputs_and_errors(adult_table: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "adult.csv"
    adult_table.sample(3_000, random_state=1).to_csv(path, index=False)
    ok = runner.invoke(app, ["audit", str(path), "--target", "income", "--sensitive", "sex",
                             "--pred", "pred", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["kind"] == "predictions"
    assert {row["sex"] for row in payload["by_group"]} == {"Female", "Male"}

    csv = runner.invoke(app, ["audit", str(path), "--target", "income", "--sensitive", "sex",
                              "--sensitive", "race", "--format", "csv"])
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0].startswith("sex|race,count")

    for args, needle in [
        (["--target", "missing", "--sensitive", "sex"], "'missing'"),
        (["--target", "income", "--sensitive", "sex", "--format", "xml"], "--format"),
    ]:
        bad = runner.invoke(app, ["audit", str(path), *args])
        assert bad.exit_code == 2
        assert bad.stderr.startswith("fairpool: error:") and needle in bad.stderr
        assert "Traceback" not in bad.output
    gone = runner.invoke(app, ["audit", str(tmp_path / "absent.csv"), "--target", "income",
                               "--sensitive", "sex"])
    assert gone.exit_code == 2 and "no such file" in gone.stderr


def test_cli_datasets_lists_every_bundled_dataset() -> None:
    out = runner.invoke(app, ["datasets", "--format", "json"])
    assert out.exit_code == 0, out.output
    names = {row["name"] for row in json.loads(out.stdout)}
    assert names == set(fp.datasets.available()) >= {"adult", "compas", "german", "genomes1000"}


def test_table_output_shows_markup_literally(tmp_path) -> None:
    table = pd.DataFrame(
        {"grp": ["[bold]a[/bold]", "b"] * 20, "y": [0, 1] * 20}
    )
    path = tmp_path / "markup.csv"
    table.to_csv(path, index=False)
    out = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", "grp"])
    assert out.exit_code == 0, out.output
    assert "[bold]a[/bold]" in out.stdout
