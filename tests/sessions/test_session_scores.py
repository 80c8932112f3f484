"""The strategy's score of every batch row: stored in ``batch_rows.score``, returned in the
batch frame's ``score`` column (after ``rank``), empty for a strategy that does not score;
a store written before the column existed still opens and gains it."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.active.strategies import entropy_score
from fairpool.sessions import Session


def _german_session(directory, strategy):
    ds = fp.datasets.load("german")
    frame = pd.DataFrame(ds.X, columns=list(ds.feature_names))
    frame.insert(0, "rid", [f"r{i}" for i in range(ds.n_samples)])
    frame["age_group"] = [ds.group_names[g] for g in ds.groups]
    frame["credit"] = ds.y
    labelled, pool = frame.iloc[:80], frame.iloc[80:400].drop(columns="credit")
    s = Session.create(directory, labelled=labelled, pool=pool, target="credit",
                       sensitive="age_group", id="rid", strategy=strategy, learner="logreg",
                       budget=60, batch_size=20, seed=3)
    return s, frame


def _stored_scores(directory):
    with sqlite3.connect(directory / "session.sqlite") as con:
        return [r[0] for r in con.execute("SELECT score FROM batch_rows ORDER BY batch_id, rank")]


def test_entropy_batch_scores_are_the_entropy_of_the_session_model(tmp_path):
    s, frame = _german_session(tmp_path / "s", "entropy")
    with s:
        batch = s.query()
        columns = list(batch.columns)
        assert columns[columns.index("rank") + 1] == "score"
        scores = batch["score"].to_numpy(dtype=np.float64)
        # The learner the query used: fitted on the same labelled rows, before any teach.
        al = s.learner()
        X = s.encoder.transform(frame.set_index("rid").loc[batch.rid].reset_index()).X
        np.testing.assert_allclose(scores, entropy_score(al.predict_proba(X)),
                                   rtol=1e-12, atol=0)
        assert np.all(np.diff(scores) <= 0)
        np.testing.assert_array_equal(_stored_scores(s.directory), scores)
        again = s.batch(int(batch["batch"].iloc[0]))
        np.testing.assert_array_equal(again["score"].to_numpy(dtype=np.float64), scores)
        tasks = s.label_studio_tasks(batch)
        assert all("score" not in t["data"]["features"] for t in tasks)


def test_random_batch_has_an_empty_score_column(tmp_path):
    s, _ = _german_session(tmp_path / "s", "random")
    with s:
        batch = s.query()
        assert batch["score"].isna().all() and len(batch) == 20
        assert _stored_scores(s.directory) == [None] * 20
        csv = tmp_path / "batch.csv"
        batch.to_csv(csv, index=False)
        assert pd.read_csv(csv)["score"].isna().all()


def test_a_store_without_the_score_column_still_opens(tmp_path):
    s, _ = _german_session(tmp_path / "s", "entropy")
    first = s.query(5)
    s.close()
    path = tmp_path / "s" / "session.sqlite"
    with sqlite3.connect(path) as con:  # what a store written before the column holds
        con.execute("DROP INDEX batch_rows_live")
        con.execute("ALTER TABLE batch_rows DROP COLUMN score")
        con.execute("CREATE UNIQUE INDEX batch_rows_live ON batch_rows (row_id) "
                    "WHERE released_at IS NULL")
        assert "score" not in [r[1] for r in con.execute("PRAGMA table_info(batch_rows)")]
    with Session.open(tmp_path / "s") as s:
        old = s.batch(int(first["batch"].iloc[0]))
        assert old["score"].isna().all()  # not recorded then
        pd.testing.assert_series_equal(old["rid"], first["rid"])
        new = s.query(5)
        assert new["score"].notna().all()
    assert _stored_scores(tmp_path / "s") == [None] * 5 + new["score"].tolist()


@pytest.mark.parametrize("strategy", ["entropy", "random"])
def test_teaching_a_batch_file_with_its_score_column(tmp_path, strategy):
    s, frame = _german_session(tmp_path / "s", strategy)
    truth = dict(zip(frame.rid, frame.credit, strict=True))
    with s:
        batch = s.query()
        answers = batch.assign(credit=[truth[r] for r in batch.rid])
        path = tmp_path / "answers.csv"
        answers.to_csv(path, index=False)
        report = s.teach(path)
        assert report.ok and report.stored == len(batch)
