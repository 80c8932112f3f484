"""How ``teach`` reads label files: Label Studio's CSV export (ids under ``fairpool_id``,
its own task id under ``id``), repeats of rows already taught, and a file with no rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from session_data import answers, make_frame, write_tables
from typer.testing import CliRunner

from fairpool.cli import TEACH_REFUSED_EXIT, app
from fairpool.errors import LabelFileError
from fairpool.sessions import Session
from fairpool.sessions._labelstudio import ID_KEY


def _invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


@pytest.fixture
def numeric(tmp_path):
    """A session whose id column holds the numbers 1..N, and the hidden truth."""
    frame = make_frame(200)
    frame["uid"] = range(1, len(frame) + 1)
    lab, pool = frame.iloc[:40], frame.iloc[40:]
    s = Session.create(tmp_path / "s", labelled=lab, pool=pool.drop(columns="y"), target="y",
                       sensitive="sex", id="uid", budget=100, batch_size=10)
    yield s, {str(u): y for u, y in zip(pool.uid, pool.y, strict=True)}
    s.close()


@pytest.fixture
def session(tmp_path):
    tables = write_tables(tmp_path / "data")
    s = Session.create(tmp_path / "s", labelled=tables.labelled, pool=tables.pool, target="y",
                       sensitive="sex", id="uid", budget=120, batch_size=20)
    yield s, tables.truth
    s.close()


def _taught(session):
    frame = session.export()
    frame = frame[frame.origin == "taught"]
    return dict(zip(frame.id.astype(str), frame.label, strict=True))


def _label_studio_csv(batch, truth, path):
    """Label Studio's CSV export of fairpool's tasks: the task data keys, the answer under
    ``label`` and Label Studio's own task id under ``id`` (here other rows' ids, the batch
    reversed, so reading ``id`` as the row id would store every label on a wrong row)."""
    ids = [str(u) for u in batch.uid]
    pd.DataFrame({
        "annotation_id": range(501, 501 + len(ids)),
        "annotator": 3,
        "features": [json.dumps({"x1": x}) for x in batch.x1],
        ID_KEY: ids,
        "id": list(reversed(ids)),
        "label": [truth[i] for i in ids],
        "lead_time": 2.5,
    }).to_csv(path, index=False)
    return ids


# -- 1. Label Studio CSV: ids from fairpool_id -------------------------------------------
def test_the_id_key_is_the_one_label_studio_tasks_carry(numeric):
    session, _ = numeric
    batch = session.query(2)
    tasks = session.label_studio_tasks(batch)
    assert [t["data"][ID_KEY] for t in tasks] == [str(u) for u in batch.uid]


def test_a_label_studio_csv_export_is_read_by_fairpool_id_not_its_task_id(numeric, tmp_path):
    session, truth = numeric
    batch = session.query(6)
    path = tmp_path / "export.csv"
    ids = _label_studio_csv(batch, truth, path)
    assert set(truth[i] for i in ids) == {"yes", "no"}  # a wrong row would show
    report = session.teach(path)
    assert report.ok and report.stored == 6
    assert _taught(session) == {i: truth[i] for i in ids}


def test_the_same_export_as_a_frame_or_parquet_reads_fairpool_id_too(numeric, tmp_path):
    session, truth = numeric
    batch = session.query(6)
    path = tmp_path / "export.csv"
    ids = _label_studio_csv(batch, truth, path)
    frame = pd.read_csv(path)
    frame.iloc[:3].to_parquet(tmp_path / "export.parquet")
    assert session.teach(tmp_path / "export.parquet").stored == 3
    assert session.teach(frame.iloc[3:]).stored == 3
    assert _taught(session) == {i: truth[i] for i in ids}


def test_an_id_column_named_explicitly_wins_over_fairpool_id(numeric, tmp_path):
    session, truth = numeric
    batch = session.query(6)
    path = tmp_path / "export.csv"
    ids = _label_studio_csv(batch, truth, path)
    report = session.teach(path, id_column="id")  # the user asked for Label Studio's id
    assert report.stored == 6
    assert _taught(session) == {i: truth[j] for i, j in zip(reversed(ids), ids, strict=True)}


def test_cli_teaches_a_label_studio_csv_on_the_right_rows(numeric, tmp_path):
    session, truth = numeric
    batch = session.query(4)
    path = tmp_path / "export.csv"
    ids = _label_studio_csv(batch, truth, path)
    directory = session.directory
    session.close()
    result = _invoke("session", "teach", directory, path)
    assert result.exit_code == 0, result.output
    with Session.open(directory) as again:
        assert _taught(again) == {i: truth[i] for i in ids}


def test_json_and_json_min_exports_still_read_fairpool_id(numeric, tmp_path):
    session, truth = numeric
    batch = session.query(4)
    tasks = session.label_studio_tasks(batch)
    full = [{**task, "id": 900 + k, "annotations": [{
        "completed_by": 7, "result": [{"from_name": "label", "to_name": "row", "type": "choices",
                                       "value": {"choices": [truth[task["data"][ID_KEY]]]}}]}]}
            for k, task in enumerate(tasks[:2])]
    minimal = [{"id": 900 + k, ID_KEY: t["data"][ID_KEY], "label": truth[t["data"][ID_KEY]],
                "annotator": "ana"} for k, t in enumerate(tasks[2:])]
    (tmp_path / "full.json").write_text(json.dumps(full))
    (tmp_path / "min.json").write_text(json.dumps(minimal))
    assert session.teach(tmp_path / "full.json").stored == 2
    assert session.teach(tmp_path / "min.json").stored == 2
    assert _taught(session) == {str(u): truth[str(u)] for u in batch.uid}


# -- 2. repeats of rows already taught ---------------------------------------------------
def test_a_growing_answers_file_skips_the_rows_taught_with_the_same_label(session, tmp_path):
    session, truth = session
    batch = session.query(10)
    first, second = tmp_path / "answers1.csv", tmp_path / "answers2.csv"
    answers(batch.head(4), truth).to_csv(first, index=False)
    answers(batch, truth).to_csv(second, index=False)
    assert session.teach(first).stored == 4
    report = session.teach(second)
    assert report.ok and report.stored == 6 and report.same_label == 4
    assert report.summary() == (f"stored 6 label(s) from {second} (teach 2); 4 row(s) already "
                                "taught with the same label: skipped")
    assert _taught(session) == {u: truth[u] for u in batch.uid}
    assert session.status().used == 10


def test_a_file_of_repeats_only_stores_nothing_and_refuses_nothing(session, tmp_path):
    session, truth = session
    batch = session.query(5)
    session.teach(answers(batch, truth))
    again = answers(batch, truth).iloc[::-1]  # another file (another SHA-256), same answers
    report = session.teach(again)
    assert report.teach_id is None and report.ok and report.same_label == 5
    assert report.summary() == ("stored no labels from <pandas DataFrame>: 5 row(s) already "
                                "taught with the same label: skipped")


def test_a_different_label_for_a_taught_row_is_refused_with_how_to_correct_it(session, tmp_path):
    session, truth = session
    batch = session.query(5)
    session.teach(answers(batch.head(2), truth))
    changed = answers(batch, truth)
    flipped = {"yes": "no", "no": "yes"}[truth[changed.uid[0]]]
    changed.loc[0, "y"] = flipped
    path = tmp_path / "answers2.csv"
    changed.to_csv(path, index=False)
    report = session.teach(path)
    assert report.stored == 3 and report.same_label == 1
    [problem] = report.refused
    assert problem.line == 2 and problem.id == changed.uid[0]
    assert problem.problem.startswith(
        f"already labelled {truth[changed.uid[0]]!r} (teach 1, <pandas DataFrame>); to change "
        "it: `fairpool session undo DIR` (Session.undo()) undoes the last teach")
    assert report.summary().endswith("1 row(s) already taught with the same label: skipped; "
                                     "refused 1 row(s)")
    assert _taught(session)[changed.uid[0]] == truth[changed.uid[0]]  # kept as it was


def test_cli_exit_status_of_repeats(session, tmp_path):
    session, truth = session
    batch = session.query(6)
    directory = session.directory
    first, second, third = (tmp_path / f"answers{k}.csv" for k in (1, 2, 3))
    answers(batch.head(3), truth).to_csv(first, index=False)
    answers(batch, truth).to_csv(second, index=False)
    changed = answers(batch, truth)
    changed.loc[5, "y"] = {"yes": "no", "no": "yes"}[truth[changed.uid[5]]]
    changed.to_csv(third, index=False)
    session.close()
    assert _invoke("session", "teach", directory, first).exit_code == 0
    result = _invoke("session", "teach", directory, second)
    assert result.exit_code == 0, result.output
    assert "3 row(s) already taught with the same label: skipped" in result.output.splitlines()[0]
    assert "refused" not in result.output
    result = _invoke("session", "teach", directory, third)
    assert result.exit_code == TEACH_REFUSED_EXIT
    lines = result.output.splitlines()
    assert lines[0] == (f"stored no labels from {third}: 5 row(s) already taught with the same "
                        "label: skipped; 1 row(s) refused")
    assert lines[1].startswith(f"  refused line 7: id '{changed.uid[5]}'")
    assert "fairpool session undo DIR" in lines[1]


# -- 3. a file with no rows --------------------------------------------------------------
def test_a_header_only_file_is_refused_as_having_no_rows(session, tmp_path):
    session, _ = session
    session.query(3)
    path = tmp_path / "empty.csv"
    path.write_text("uid,y\n\n")
    with pytest.raises(LabelFileError, match=f"^{path} has no rows"):
        session.teach(path)
    with pytest.raises(LabelFileError, match="<pandas DataFrame> has no rows"):
        session.teach(pd.DataFrame({"uid": [], "y": []}))
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(LabelFileError, match="empty.json has no annotated task"):
        session.teach(tmp_path / "empty.json")
    assert session.status().used == 0


def test_cli_exits_2_on_a_header_only_file(session, tmp_path):
    session, _ = session
    session.query(3)
    directory = session.directory
    session.close()
    path = tmp_path / "empty.csv"
    path.write_text("uid,y\n")
    result = _invoke("session", "teach", directory, path)
    assert result.exit_code == 2
    assert result.output.strip() == (f"fairpool: error: {path} has no rows: a label file "
                                     "needs a header and rows")
