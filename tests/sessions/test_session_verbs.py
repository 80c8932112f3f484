"""The session verbs in Python: create, open, query, teach, status, export, undo, release,
set_strategy, sync; the edge cases of issue 12 (items 6 and 7, budgets, odd inputs)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from session_data import answers, make_frame, write_tables
from sklearn.linear_model import LogisticRegression

import fairpool as fp
from fairpool.errors import (
    BudgetError,
    EmptyInputError,
    InvalidInputError,
    LabelFileError,
    SessionError,
    SessionExistsError,
    SessionNotFoundError,
    SessionSchemaError,
    UnknownColumnError,
)
from fairpool.sessions import Session


@pytest.fixture
def tables(tmp_path):
    return write_tables(tmp_path / "data")


@pytest.fixture
def session(tmp_path, tables):
    s = Session.create(tmp_path / "s", labelled=tables.labelled, pool=tables.pool, target="y",
                       sensitive="sex", id="uid", budget=120, batch_size=20)
    yield s
    s.close()


def _db(session):
    return sqlite3.connect(session.directory / "session.sqlite")


# -- create / open -----------------------------------------------------------------------
def test_create_copies_the_inputs_and_records_their_digests(tmp_path, tables):
    s = Session.create(tmp_path / "s", labelled=tables.labelled, pool=tables.pool,
                       validation=tables.validation, target="y", sensitive="sex", id="uid")
    rows = dict((r[0], r[1:]) for r in _db(s).execute(
        "SELECT role, sha256, copy, n_rows FROM inputs"))
    for role, path in (("labelled", tables.labelled), ("pool", tables.pool),
                       ("validation", tables.validation)):
        digest, copy, n = rows[role]
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
        original = pd.read_csv(path, sep=None, engine="python")
        copied = pd.read_parquet(s.directory / copy)
        pd.testing.assert_frame_equal(copied, original, check_dtype=False)
        assert n == len(original)
    assert s.config["budget"] is None and s.status().budget == len(tables.truth)
    assert s.classes == ["no", "yes"]
    s.close()
    # The session does not need the user's files any more.
    for path in (tables.labelled, tables.pool, tables.validation):
        path.unlink()
    with Session.open(tmp_path / "s") as again:
        assert len(again.query(5)) == 5


def test_open_refuses_a_missing_an_unfinished_and_a_newer_store(tmp_path, session):
    with pytest.raises(SessionNotFoundError, match="no fairpool session"):
        Session.open(tmp_path / "nowhere")
    con = _db(session)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    with pytest.raises(SessionSchemaError, match="schema 99.*reads schema 1"):
        Session.open(session.directory)
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.execute("DELETE FROM meta WHERE key = 'complete'")
    con.commit()
    with pytest.raises(SessionNotFoundError, match="never finished"):
        Session.open(session.directory)


def test_create_refuses_an_existing_session_or_a_non_empty_directory(tmp_path, tables, session):
    with pytest.raises(SessionExistsError, match="already holds a fairpool session"):
        Session.create(session.directory, labelled=tables.labelled, pool=tables.pool,
                       target="y", sensitive="sex")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SessionExistsError, match="not empty"):
        Session.create(other, labelled=tables.labelled, pool=tables.pool, target="y",
                       sensitive="sex")


def test_create_replaces_an_interrupted_init(tmp_path, tables):
    directory = tmp_path / "s"
    Session.create(directory, labelled=tables.labelled, pool=tables.pool, target="y",
                   sensitive="sex", id="uid").close()
    con = sqlite3.connect(directory / "session.sqlite")
    con.execute("DELETE FROM meta WHERE key = 'complete'")
    con.commit()
    con.close()
    s = Session.create(directory, labelled=tables.labelled, pool=tables.pool, target="y",
                       sensitive="sex", id="uid", budget=10)
    assert s.config["budget"] == 10
    assert len(s.query()) == 10  # the batch size (50) is capped by the budget


def test_bad_inputs_are_refused_with_the_column_or_number_at_fault(tmp_path, tables):
    def create(**kw):
        args = dict(labelled=tables.labelled, pool=tables.pool, target="y", sensitive="sex",
                    id="uid")
        args.update(kw)
        return Session.create(tmp_path / f"s{len(list(tmp_path.iterdir()))}", **args)

    with pytest.raises(UnknownColumnError, match="'gender' is not in the labelled table"):
        create(sensitive="gender")
    with pytest.raises(UnknownColumnError, match="'income'"):
        create(target="income")
    empty = tmp_path / "empty.csv"
    pd.read_csv(tables.pool).iloc[:0].to_csv(empty, index=False)
    with pytest.raises(EmptyInputError, match="pool table"):
        create(pool=empty)
    with pytest.raises(BudgetError, match=r"budget=9999 is larger than the pool \(260 rows\)"):
        create(budget=9999)
    with pytest.raises(BudgetError, match="batch_size must be a positive integer"):
        create(batch_size=0)
    labelled_pool = tables.frame.iloc[100:]
    with pytest.raises(InvalidInputError, match="pool has 260 value.*target column 'y'"):
        create(pool=labelled_pool)
    one_class = tables.frame.iloc[:40].assign(y="yes")
    with pytest.raises(InvalidInputError, match="single class"):
        create(labelled=one_class)
    with pytest.raises(fp.errors.UnknownNameError):
        create(strategy="no-such-strategy")
    clash = tables.frame.iloc[:40]
    pool = tables.frame.iloc[30:].drop(columns="y")  # ids u0030..u0039 in both
    with pytest.raises(InvalidInputError, match="repeated id"):
        create(labelled=clash, pool=pool)


def test_a_pool_with_an_empty_target_column_is_accepted(tmp_path, tables):
    pool = tables.frame.iloc[100:].assign(y=np.nan)
    s = Session.create(tmp_path / "s", labelled=tables.frame.iloc[:40], pool=pool, target="y",
                       sensitive="sex", id="uid")
    assert "y" not in s.query(3).columns


def test_without_an_id_column_rows_get_stable_hash_ids(tmp_path, tables):
    frame = tables.frame.drop(columns="uid")
    with_y = pd.concat([frame.iloc[40:], frame.iloc[[50]]]).reset_index(drop=True)  # a twin row
    s = Session.create(tmp_path / "s", labelled=frame.iloc[:40], pool=with_y.drop(columns="y"),
                       target="y", sensitive="sex")
    assert s.id_column == "id"
    ids = [r for (r,) in _db(s).execute(
        "SELECT row_id FROM rows WHERE role = 'pool' ORDER BY position")]
    assert len(set(ids)) == len(with_y)  # the twin got its own id
    assert ids[-1].startswith(ids[10]) and ids[-1] != ids[10]
    batch = s.query(10)
    assert batch.columns[0] == "id" and batch["id"].isin(ids).all()
    position = {r: k for k, r in enumerate(ids)}
    labels = pd.DataFrame({"id": batch["id"],
                           "label": [with_y.y.iloc[position[i]] for i in batch["id"]]})
    report = s.teach(labels)
    assert report.stored == 10 and report.ok


def test_polars_input_gives_the_same_session_as_pandas(tmp_path, tables):
    pl = pytest.importorskip("polars")
    frame = tables.frame
    a = Session.create(tmp_path / "a", labelled=frame.iloc[:40], pool=frame.iloc[40:].drop(
        columns="y"), target="y", sensitive="sex", id="uid", batch_size=15)
    b = Session.create(tmp_path / "b", labelled=pl.from_pandas(frame.iloc[:40]),
                       pool=pl.from_pandas(frame.iloc[40:].drop(columns="y")), target="y",
                       sensitive="sex", id="uid", batch_size=15)
    assert a.query()["uid"].tolist() == b.query()["uid"].tolist()
    report = b.teach(pl.from_pandas(answers(b.batch(1), tables.truth | dict(
        zip(frame.uid, frame.y, strict=True)))))
    assert report.stored == 15


def test_one_group_works_and_status_says_the_disparities_are_undefined(tmp_path):
    frame = make_frame(200, groups=("all",))
    s = Session.create(tmp_path / "s", labelled=frame.iloc[:40], pool=frame.iloc[40:].drop(
        columns="y"), target="y", sensitive="sex", id="uid", batch_size=10)
    truth = dict(zip(frame.uid, frame.y, strict=True))
    s.teach(answers(s.query(), truth))
    status = s.status()
    assert status.rounds["demographic_parity"].isna().all()
    assert any("one group" in w for w in status.warnings)
    with pytest.raises(fp.errors.SingleGroupError):
        s.set_strategy("group_random")
        s.query()


# -- query and open batches (item 7) -----------------------------------------------------
def test_query_returns_pool_rows_in_their_columns_with_batch_and_rank(session, tables):
    batch = session.query()
    pool = pd.read_csv(tables.pool)
    assert list(batch.columns) == [*pool.columns, "batch", "rank", "score"]
    assert len(batch) == 20 and batch["batch"].eq(1).all()
    assert batch["rank"].tolist() == list(range(20))
    expected = pool.set_index("uid").loc[batch["uid"]].reset_index()
    pd.testing.assert_frame_equal(batch[pool.columns].reset_index(drop=True), expected,
                                  check_dtype=False)


def test_open_batches_keep_their_rows_reserved_until_released(session, tables):
    first = session.query()
    second = session.query()
    assert not set(first.uid) & set(second.uid)  # reserved rows are not offered again
    session.teach(answers(first, tables.truth))
    third = session.query()
    assert not set(third.uid) & (set(first.uid) | set(second.uid))
    status = session.status()
    assert status.open_batches["batch"].tolist() == [2, 3]
    assert status.reserved == 40 and status.used == 20 and status.left == 120 - 60
    # --release frees the unlabelled rows of open batches first; labelled rows stay.
    fourth = session.query(release=True)
    assert set(fourth.uid) & (set(second.uid) | set(third.uid))  # the best rows come back
    assert not set(fourth.uid) & set(first.uid)
    status = session.status()
    assert status.open_batches["batch"].tolist() == [4]
    assert status.reserved == 20
    # Released rows cannot be taught: they are in no open batch.
    stale = second[~second.uid.isin(fourth.uid)].head(2)
    report = session.teach(answers(stale, tables.truth))
    assert report.stored == 0
    assert all("batch 2 released it" in p.problem for p in report.refused)


def test_release_one_batch_and_all(session):
    session.query()
    session.query()
    assert session.release(1) == 20
    assert session.status().open_batches["batch"].tolist() == [2]
    assert session.release() == 20
    assert session.release() == 0
    with pytest.raises(SessionError, match="no batch 7"):
        session.release(7)
    released = _db(session).execute(
        "SELECT count(*) FROM batch_rows WHERE released_at IS NOT NULL").fetchone()[0]
    assert released == 40  # marked, never deleted


def test_the_budget_is_respected_with_a_clear_error(session, tables):
    session.query(60)
    session.query(40)
    with pytest.raises(BudgetError, match=r"n=30 is more than the 20 label\(s\) left"):
        session.query(30)
    last = session.query()
    assert len(last) == 20  # what is left, not the batch size
    with pytest.raises(BudgetError, match="budget of 120 labels is spent: 0 labelled and 120 "
                                          "reserved"):
        session.query()
    for b in (1, 2, 3):
        session.teach(answers(session.batch(b), tables.truth))
    with pytest.raises(BudgetError, match="120 labelled and 0 reserved"):
        session.query(release=True)


def test_a_budget_larger_than_what_remains_stops_at_the_pool(tmp_path, tables):
    frame = tables.frame
    s = Session.create(tmp_path / "s", labelled=frame.iloc[:40],
                       pool=frame.iloc[40:70].drop(columns="y"), target="y", sensitive="sex",
                       id="uid", batch_size=20)
    s.query()
    assert len(s.query()) == 10
    with pytest.raises(BudgetError, match="budget of 30 labels is spent"):
        s.query()
    s.release()
    with pytest.raises(BudgetError, match=r"n=31 is more than the 30 label\(s\) left"):
        s.query(31)


# -- teach (items 5 and 6) ---------------------------------------------------------------
def test_teach_stores_the_labels_refits_and_records_the_round(session, tables):
    batch = session.query()
    report = session.teach(answers(batch, tables.truth), annotator="ann")
    assert report.ok and report.stored == 20 and report.teach_id == 1
    assert set(report.metrics) == {"accuracy", "f1", "demographic_parity", "equalized_odds"}
    stored = pd.read_sql("SELECT row_id, value, annotator, batch_id, rank FROM labels",
                         _db(session))
    assert dict(zip(stored.row_id, stored.value, strict=True)) == {
        u: tables.truth[u] for u in batch.uid}
    assert stored.annotator.eq("ann").all()
    assert stored.sort_values("rank")["row_id"].tolist() == batch["uid"].tolist()
    # The learner is refitted on the initial rows then the taught ones (by rank).
    al = session.learner()
    assert al.n_labelled_ == 60


def test_the_same_file_taught_twice_is_a_no_op_that_says_so(session, tables, tmp_path):
    path = tmp_path / "answers.csv"
    answers(session.query(), tables.truth).to_csv(path, index=False)
    first = session.teach(path)
    second = session.teach(path)
    assert first.stored == 20 and not first.noop
    assert second.noop and second.noop_of == 1 and second.stored == 0
    assert "already taught (teach 1" in second.summary()
    assert _db(session).execute("SELECT count(*) FROM labels").fetchone()[0] == 20


BAD_FILE = """uid,y
{a},yes

{b},maybe
{c},
unknown-1,no
{d},no
{d},no
{e},"ye
s"
{f},yes
{g},yes
{h},NO
"""


def test_a_bad_label_file_reports_every_refused_row_with_its_line(session, tables, tmp_path):
    first = session.query(10)
    session.teach(answers(first.head(2), tables.truth))
    batch = session.query(8)
    u = batch.uid.tolist()
    labelled_row = first.uid.iloc[0]
    not_queried = next(i for i in tables.truth if i not in set(first.uid) | set(batch.uid))
    path = tmp_path / "bad.csv"
    path.write_text(BAD_FILE.format(a=u[0], b=u[1], c=u[2], d=u[3], e=u[4], f=labelled_row,
                                    g=not_queried, h=u[5]))
    initial = pd.read_csv(tables.labelled, sep=";").uid.iloc[0]
    with open(path, "a") as handle:
        handle.write(f"{initial},yes\n{u[6]},Yes\n")
    report = session.teach(path)
    refused = {(p.line, p.id): p.problem for p in report.refused}
    assert refused == {
        (4, u[1]): "label 'maybe' is not one of the classes ['no', 'yes']",
        (5, u[2]): "empty label",
        (6, "unknown-1"): "unknown id: not a row of the pool",
        (8, u[3]): "duplicate id (first on line 7)",
        (9, u[4]): "label 'ye\\ns' is not one of the classes ['no', 'yes']",
        (11, labelled_row): "already labelled 'no' (teach 1, <pandas DataFrame>); to change "
                            "it: `fairpool session undo DIR` (Session.undo()) undoes the last "
                            "teach with all its labels (repeat back to that teach), then teach "
                            "the corrected rows",
        (12, not_queried): "not in an open batch: no query has offered this row",
        (14, initial): "already labelled: a row of the initial labelled table",
    }
    kept = dict(_db(session).execute(
        "SELECT row_id, value FROM labels WHERE teach_id = ?", (report.teach_id,)).fetchall())
    # Good rows kept; "NO" and "Yes" match their class case-insensitively.
    assert kept == {u[0]: "yes", u[3]: "no", u[5]: "no", u[6]: "yes"}
    lines = dict(_db(session).execute(
        "SELECT row_id, line FROM labels WHERE teach_id = ?", (report.teach_id,)).fetchall())
    assert lines == {u[0]: 2, u[3]: 7, u[5]: 13, u[6]: 15}


def test_conflicting_duplicates_are_all_refused(session, tables):
    batch = session.query(3)
    frame = pd.DataFrame({"uid": [batch.uid[0], batch.uid[1], batch.uid[0]],
                          "y": ["yes", "no", "no"]})
    report = session.teach(frame)
    assert report.stored == 1
    assert [p.where for p in report.refused] == ["row 1", "row 3"]
    assert all("different label" in p.problem for p in report.refused)


def test_a_file_without_the_id_or_label_column_is_refused_whole(session, tmp_path):
    session.query(3)
    path = tmp_path / "cols.csv"
    path.write_text("key,answer\nu1,yes\n")
    with pytest.raises(LabelFileError, match=r"no id column: expected 'uid' or 'id'; its "
                                             r"columns are \['key', 'answer'\]"):
        session.teach(path)
    with pytest.raises(LabelFileError, match="no label column: expected 'y' or 'label'"):
        session.teach(path, id_column="key")
    with pytest.raises(LabelFileError, match="no id column 'nope'"):
        session.teach(path, id_column="nope")


def test_id_and_label_column_names_are_configurable(session, tables, tmp_path):
    batch = session.query(4)
    path = tmp_path / "a.tsv"
    pd.DataFrame({"row": batch.uid, "answer": [tables.truth[i] for i in batch.uid]}).to_csv(
        path, sep="\t", index=False)
    report = session.teach(path, id_column="row", label_column="answer")
    assert report.stored == 4


def test_a_label_studio_export_is_taught_with_task_numbers(session, tables, tmp_path):
    batch = session.query(3)
    try:
        tasks = session.label_studio_tasks(batch)
    except SessionError:
        pytest.skip("the Label Studio module is not available")
    export = []
    for k, task in enumerate(tasks):
        uid = task["data"]["fairpool_id"]
        label = tables.truth[uid] if k != 1 else "perhaps"
        export.append({**task, "annotations": [{
            "completed_by": 7, "result": [{"from_name": "label", "to_name": "row",
                                           "type": "choices", "value": {"choices": [label]}}]}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    report = session.teach(path)
    assert report.stored == 2
    assert [p.where for p in report.refused] == ["task 2"]
    assert _db(session).execute("SELECT DISTINCT annotator FROM labels").fetchall() == [("7",)]


# -- undo --------------------------------------------------------------------------------
def test_undo_marks_the_last_teach_and_reserves_its_rows_again(session, tables, tmp_path):
    batch = session.query()
    path = tmp_path / "answers.csv"
    answers(batch, tables.truth).to_csv(path, index=False)
    session.teach(path)
    message = session.undo()
    assert message.startswith("undid teach 1 (") and "batch(es) 1" in message
    status = session.status()
    assert status.used == 0 and status.reserved == 20
    assert status.open_batches["batch"].tolist() == [1]
    assert len(status.rounds) == 1  # round 0 only: the undone teach's round stops counting
    assert not set(session.query().uid) & set(batch.uid)  # still reserved
    with pytest.raises(SessionError, match="nothing to undo"):
        session.undo()
    again = session.teach(path)  # the same file after undo: taught again, not a no-op
    assert again.stored == 20 and not again.noop
    con = _db(session)
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 40  # nothing deleted
    assert con.execute("SELECT count(*) FROM labels WHERE undone_at IS NULL").fetchone()[0] == 20


# -- status, strategy, export ------------------------------------------------------------
def test_status_metrics_equal_the_definition_on_the_validation_table(tmp_path, tables):
    s = Session.create(tmp_path / "s", labelled=tables.labelled, pool=tables.pool,
                       validation=tables.validation, target="y", sensitive="sex", id="uid",
                       batch_size=25)
    for _ in range(2):
        s.teach(answers(s.query(), tables.truth))
    status = s.status()
    assert status.evaluation == "the validation table"
    assert status.rounds["n_labelled"].tolist() == [40, 65, 90]
    val = pd.read_csv(tables.validation)
    al = s.learner()
    X = s.encoder.transform(val).X
    y_true = (val.y == "yes").astype(int).to_numpy()
    y_pred = al.predict(X)
    groups = val.sex.to_numpy()
    last = status.rounds.iloc[-1]
    assert last.accuracy == pytest.approx((y_true == y_pred).mean())
    tp = ((y_pred == 1) & (y_true == 1)).sum()
    f1 = 2 * tp / (2 * tp + ((y_pred == 1) & (y_true == 0)).sum()
                   + ((y_pred == 0) & (y_true == 1)).sum())
    assert last.f1 == pytest.approx(f1)
    rates = [y_pred[groups == g].mean() for g in ("F", "M")]
    assert last.demographic_parity == pytest.approx(abs(rates[0] - rates[1]))
    assert status.trend["accuracy"] == pytest.approx(
        status.rounds.accuracy.iloc[-1] - status.rounds.accuracy.iloc[-2])
    shares = status.label_shares.set_index("group")
    bought = pd.read_sql("SELECT row_id FROM labels", _db(s)).row_id
    sexes = tables.frame.set_index("uid").loc[bought, "sex"]
    assert shares.loc["F", "bought"] == (sexes == "F").sum()
    assert shares["bought_share"].sum() == pytest.approx(1.0)
    json.dumps(status.to_dict())


def test_without_validation_the_metrics_are_out_of_fold_on_the_initial_rows(session, tables):
    status = session.status()
    assert "5-fold out-of-fold predictions on the 40 initial labelled rows" in status.evaluation
    # Reference: the same folds by hand.
    from sklearn.model_selection import StratifiedKFold

    lab = pd.read_csv(tables.labelled, sep=";")
    X = session.encoder.transform(lab).X
    y = (lab.y == "yes").astype(int).to_numpy()
    predicted = np.empty_like(y)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        al = fp.active.ActiveLearner("entropy", "logreg", seed=0).fit(X[train], y[train],
                                                                      lab.sex.to_numpy()[train])
        predicted[test] = al.predict(X[test])
    assert status.rounds.accuracy.iloc[0] == pytest.approx((predicted == y).mean())


def test_set_strategy_is_recorded_per_batch(session, tables):
    session.query(5)
    session.set_strategy("random")
    assert session.strategy == ("random", {})
    session.query(5)
    session.set_strategy("margin")
    batches = _db(session).execute("SELECT strategy FROM batches ORDER BY batch_id").fetchall()
    assert batches == [("entropy",), ("random",)]
    assert session.status().strategy == "margin"
    with pytest.raises(fp.errors.UnknownNameError):
        session.set_strategy("nope")


def test_export_lists_every_label_with_its_provenance(session, tables, tmp_path):
    batch = session.query(10)
    session.teach(answers(batch, tables.truth), annotator="kim")
    frame = session.export()
    assert len(frame) == 40 + 10
    assert frame.origin.value_counts().to_dict() == {"initial": 40, "taught": 10}
    lab = pd.read_csv(tables.labelled, sep=";")
    initial = frame[frame.origin == "initial"]
    assert initial.id.tolist() == lab.uid.tolist() and initial.label.tolist() == lab.y.tolist()
    taught = frame[frame.origin == "taught"]
    assert dict(zip(taught.id, taught.label, strict=True)) == {
        u: tables.truth[u] for u in batch.uid}
    assert taught.batch.eq(1).all() and taught.annotator.eq("kim").all()
    for name in ("labels.csv", "labels.parquet"):
        session.export(tmp_path / name)
    back = pd.read_parquet(tmp_path / "labels.parquet")
    assert back.id.tolist() == frame.id.tolist()
    assert pd.read_csv(tmp_path / "labels.csv").label.tolist() == frame.label.tolist()


def test_the_stored_model_is_the_refitted_one(session, tables):
    session.teach(answers(session.query(), tables.truth))
    pipeline = session.model()
    al = session.learner()
    np.testing.assert_array_equal(pipeline.named_steps["model"].coef_, al.model_.coef_)
    X = session.encoder.transform(pd.read_csv(tables.validation)).X
    np.testing.assert_allclose(pipeline.predict_proba(X), al.predict_proba(X), atol=1e-5)
    with pytest.raises(SessionError, match="round 5 does not exist"):
        session.model(5)


# -- sync --------------------------------------------------------------------------------
class FakeLabelStudio:
    """A Label Studio project in memory: tasks pushed, annotations the test writes."""

    def __init__(self):
        self.tasks: list[dict] = []
        self.annotations: list[dict] = []

    def push(self, tasks):
        self.tasks += tasks
        return len(tasks)

    def pull(self):
        return pd.DataFrame(self.annotations, columns=["id", "label", "annotator", "line"])


def test_sync_pushes_open_rows_once_and_teaches_finished_annotations(session, tables):
    pytest.importorskip("fairpool.sessions._labelstudio")
    ls = FakeLabelStudio()
    batch = session.query(6)
    first = session.sync("http://ls:8080", "key", 3, connection=ls)
    assert first.pushed == 6 and first.teach is None
    assert [t["data"]["fairpool_id"] for t in ls.tasks] == batch.uid.tolist()
    ls.annotations = [{"id": u, "label": tables.truth[u], "annotator": "a", "line": k + 1}
                      for k, u in enumerate(batch.uid[:4])]
    second = session.sync("http://ls:8080", "key", 3, connection=ls)
    assert second.pushed == 0 and second.teach.stored == 4
    session.query(2)
    third = session.sync("http://ls:8080", "key", 3, connection=ls)
    assert third.pushed == 2 and third.already == 4 and third.teach is None
    fourth = session.sync("http://ls:8080", "key", 3, connection=ls)  # everything pushed
    assert fourth.pushed == 0 and fourth.teach is None
    assert session.status().used == 4


def test_a_query_recomputes_when_another_process_changed_the_session_meanwhile(
        session, tables, monkeypatch, tmp_path):
    import shutil

    import fairpool.sessions._session as verbs

    first = session.query(5)
    real = verbs.capture_state
    calls = []

    def teach_meanwhile(al):
        calls.append(1)
        if len(calls) == 1:  # another process teaches while this query computes
            with Session.open(session.directory) as other:
                other.teach(answers(first, tables.truth))
            shutil.copytree(session.directory, tmp_path / "copy")
        return real(al)

    monkeypatch.setattr(verbs, "capture_state", teach_meanwhile)
    batch = session.query(5)
    assert len(calls) == 2  # computed again on the changed session
    assert batch["batch"].eq(2).all() and session.status().used == 5
    monkeypatch.setattr(verbs, "capture_state", real)
    # The batch is what a query on the session as changed picks.
    with Session.open(tmp_path / "copy") as copy:
        assert copy.query(5).uid.tolist() == batch.uid.tolist()


def test_positive_given_as_text_names_a_numeric_class(tmp_path):
    frame = make_frame(200).assign(y=lambda f: (f.y == "yes").astype(int))
    s = Session.create(tmp_path / "s", labelled=frame.iloc[:40], pool=frame.iloc[40:].drop(
        columns="y"), target="y", sensitive="sex", id="uid", positive="0")
    assert s.classes == ["1", "0"]  # negative first: "0" is the positive class here
    lab = s.encoder.transform(frame.iloc[:40])
    np.testing.assert_array_equal(lab.y, (frame.y.iloc[:40] == 0).astype(int))


class _UnsaveableLogistic(LogisticRegression):
    """Test-only: a fitted attribute skops cannot hold (a generator object)."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        self.stream_ = (i for i in range(3))
        return self


@pytest.fixture
def unsaveable_learner():
    fp.learners.register_learner("unsaveable_logistic", _UnsaveableLogistic)
    yield "unsaveable_logistic"
    fp.learners.unregister_learner("unsaveable_logistic")


def test_a_learner_skops_cannot_save_is_recorded_and_refitted(tmp_path, unsaveable_learner):
    frame = make_frame(160)
    s = Session.create(tmp_path / "s", labelled=frame.iloc[:40], pool=frame.iloc[40:].drop(
        columns="y"), target="y", sensitive="sex", id="uid", learner=unsaveable_learner,
        batch_size=5)
    truth = dict(zip(frame.uid, frame.y, strict=True))
    s.teach(answers(s.query(), truth))
    note = _db(s).execute("SELECT model_format, model_note FROM rounds WHERE teach_id = 1"
                          ).fetchone()
    assert note[0] == "none" and "skops cannot save _UnsaveableLogistic" in note[1]
    with pytest.raises(SessionError, match="was not saved: skops cannot save"):
        s.model()
    assert s.learner().n_labelled_ == 45
