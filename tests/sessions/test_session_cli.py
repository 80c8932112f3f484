"""``fairpool session ...``: every command, its output, exit codes and one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from session_data import answers, write_tables
from typer.testing import CliRunner

from fairpool.cli import TEACH_REFUSED_EXIT, app


def _invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


@pytest.fixture
def campaign(tmp_path):
    tables = write_tables(tmp_path / "data")
    directory = tmp_path / "s"
    result = _invoke("session", "init", directory, "--labelled", tables.labelled, "--pool",
                     tables.pool, "--target", "y", "--sensitive", "sex", "--id", "uid",
                     "--budget", "60", "--batch-size", "20", "--seed", "1")
    assert result.exit_code == 0, result.output
    return directory, tables


def test_init_says_what_it_built(campaign):
    directory, _ = campaign
    result = _invoke("session", "status", directory, "--format", "json")
    status = json.loads(result.output)
    assert status["budget"] == 60 and status["n_initial"] == 40 and status["n_pool"] == 260


def test_a_campaign_through_the_command_line(campaign, tmp_path):
    directory, tables = campaign
    out = tmp_path / "batch.csv"
    result = _invoke("session", "query", directory, "--out", out)
    assert result.exit_code == 0 and "batch 1: 20 row(s) written" in result.output
    batch = pd.read_csv(out)
    assert list(batch.columns) == ["uid", "x1", "x2", "job", "sex", "batch", "rank", "score"]
    # The annotator fills in the target column of the batch file itself.
    batch["y"] = [tables.truth[u] for u in batch.uid]
    batch.to_csv(out, index=False)
    result = _invoke("session", "teach", directory, out, "--annotator", "ana")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"stored 20 label(s) from {out} (teach 1)")
    assert "round metrics (cv5 on initial rows): accuracy" in result.output
    again = _invoke("session", "teach", directory, out)
    assert again.exit_code == 0 and "already taught (teach 1" in again.output

    result = _invoke("session", "status", directory)
    assert result.exit_code == 0
    for text in ("budget 60: 20 bought, 0 reserved", "Rounds", "trend", "Groups",
                 "out-of-fold"):
        assert text in result.output

    exported = tmp_path / "labels.parquet"
    result = _invoke("session", "export", directory, "--out", exported)
    assert result.exit_code == 0 and "60 label(s) written" in result.output
    assert pd.read_parquet(exported).origin.value_counts()["taught"] == 20
    csv = _invoke("session", "export", directory)
    assert csv.output.splitlines()[0].startswith("id,label,origin")

    result = _invoke("session", "undo", directory)
    assert result.exit_code == 0 and result.output.startswith("undid teach 1")
    result = _invoke("session", "undo", directory)
    assert result.exit_code == 2
    assert result.output.strip() == "fairpool: error: nothing to undo: no teach has stored labels"


def test_teach_exits_3_and_lists_the_refused_rows_with_their_lines(campaign, tmp_path):
    directory, tables = campaign
    stdout = _invoke("session", "query", directory, "--n", "3")
    batch = pd.read_csv(pd.io.common.StringIO(stdout.stdout))
    path = tmp_path / "bad.csv"
    good = answers(batch, tables.truth)
    good.loc[1, "y"] = "maybe"
    pd.concat([good, pd.DataFrame({"uid": ["ghost"], "y": ["yes"]})]).to_csv(path, index=False)
    result = _invoke("session", "teach", directory, path)
    assert result.exit_code == TEACH_REFUSED_EXIT == 3
    lines = result.output.splitlines()
    assert lines[0].startswith("stored 2 label(s)") and "refused 2 row(s)" in lines[0]
    assert f"  refused line 3: id '{batch.uid[1]}', label 'maybe': label 'maybe' is not one " \
           "of the classes ['no', 'yes']" in lines
    assert "  refused line 5: id 'ghost', label 'yes': unknown id: not a row of the pool" in lines


def test_query_formats_release_and_strategy(campaign, tmp_path):
    directory, _ = campaign
    parquet = tmp_path / "b.parquet"
    assert _invoke("session", "query", directory, "--out", parquet).exit_code == 0
    first = pd.read_parquet(parquet)
    result = _invoke("session", "strategy", directory, "random", "--option", "x=1")
    assert result.exit_code == 2 and "fairpool: error:" in result.output
    assert _invoke("session", "strategy", directory, "margin").exit_code == 0
    tasks = tmp_path / "b.json"
    result = _invoke("session", "query", directory, "--out", tasks, "--release")
    if result.exit_code == 0:  # the Label Studio module is there
        loaded = json.loads(tasks.read_text())
        assert len(loaded) == 20 and "fairpool_id" in loaded[0]["data"]
        assert tasks.with_suffix(".labelconfig.xml").read_text().startswith("<View")
        assert set(first.uid) & {t["data"]["fairpool_id"] for t in loaded}  # released rows
    status = json.loads(_invoke("session", "status", directory, "--format", "json").output)
    assert status["strategy"] == "margin"
    result = _invoke("session", "release", directory, "--batch", "1")
    assert result.exit_code == 0 and result.output.startswith("released")


def test_errors_are_one_line_with_exit_2(tmp_path, campaign):
    directory, tables = campaign
    cases = [
        (("session", "status", tmp_path / "none"), "holds no fairpool session"),
        (("session", "init", directory, "--labelled", tables.labelled, "--pool", tables.pool,
          "--target", "y", "--sensitive", "sex"), "already holds a fairpool session"),
        (("session", "init", tmp_path / "n", "--labelled", tables.labelled, "--pool",
          tables.pool, "--target", "income", "--sensitive", "sex"), "'income'"),
        (("session", "query", directory, "--n", "61"), "n=61 is more than the 60 label(s)"),
        (("session", "query", directory, "--format", "xml"), "--format must be"),
        (("session", "teach", directory, tmp_path / "missing.csv"), "missing.csv"),
        (("session", "release", directory, "--batch", "9"), "there is no batch 9"),
        (("session", "strategy", directory, "nope"), "nope"),
    ]
    for args, text in cases:
        result = _invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fairpool: error:"), result.output
        assert text in lines[0], (text, lines[0])


def test_session_help_fits_100_columns():
    for args in (("session", "--help"), ("session", "init", "--help"),
                 ("session", "teach", "--help")):
        result = _invoke(*args)
        assert result.exit_code == 0
        assert max(len(line) for line in result.output.splitlines()) <= 100
