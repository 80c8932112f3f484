"""Label Studio's file formats (issue 12, item 4): tasks, labeling config, exports.

The hand-written exports follow Label Studio's documented "JSON" task format
(https://labelstud.io/guide/task_format: ``annotations[].result[].value.choices``,
``completed_by``, ``was_cancelled``) and the "JSON_MIN" records its converter writes
(the task's data keys, the answer under the control's name, ``annotator``). The XML is
checked with the standard library's parser, the JSON with ``json.dumps(allow_nan=False)``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from fairpool.errors import InvalidInputError, UnknownColumnError
from fairpool.sessions._labelstudio import (
    EXPORT_COLUMNS,
    LabelStudioConnection,
    labeling_config,
    read_export,
    to_tasks,
)

CLASSES = ["<=50K", ">50K"]


def _batch() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_id": ["r1", "r2", "r3"],
            "age": [39, np.nan, 52],
            "capital gain": [2174.0, 0.0, np.inf],
            "sex": pd.Categorical(["Male", "Female", None]),
            "hired": pd.to_datetime(["2020-01-02", None, "2021-03-04"]),
            "children": pd.array([1, None, 3], dtype="Int64"),
            "married": [True, False, np.bool_(True)],
        }
    )


FEATURES = ["age", "capital gain", "sex", "hired", "children", "married"]


def _tasks(batch: pd.DataFrame | None = None, **kwargs) -> list[dict]:
    options = {"id_column": "row_id", "batch_id": 4, "classes": CLASSES,
               "feature_columns": FEATURES}
    options.update(kwargs)
    return to_tasks(_batch() if batch is None else batch, **options)


def _answer(choice: str | None, *, at: str, who=7, cancelled: bool = False) -> dict:
    result = [] if choice is None else [
        {"id": "a1", "from_name": "label", "to_name": "features", "type": "choices",
         "value": {"choices": [choice]}}
    ]
    return {"id": 100, "completed_by": who, "result": result, "was_cancelled": cancelled,
            "ground_truth": False, "created_at": at, "updated_at": at, "lead_time": 2.5}


def _task(task_id: int, fairpool_id: str, annotations: list[dict]) -> dict:
    return {"id": task_id, "data": {"fairpool_id": fairpool_id, "features": {"age": 1}},
            "meta": {"fairpool_batch": 4}, "annotations": annotations, "predictions": [],
            "created_at": "2026-01-01T00:00:00Z", "project": 1}


# --- tasks -----------------------------------------------------------------------------


def test_a_task_holds_the_id_the_features_in_order_and_the_batch_in_meta():
    tasks = _tasks()
    assert len(tasks) == 3
    assert all(set(t) == {"data", "meta"} for t in tasks)
    assert [t["data"]["fairpool_id"] for t in tasks] == ["r1", "r2", "r3"]
    assert all(t["meta"] == {"fairpool_batch": 4} for t in tasks)
    assert list(tasks[0]["data"]["features"]) == FEATURES
    assert tasks[0]["data"]["features"] == {
        "age": 39.0, "capital gain": 2174.0, "sex": "Male", "hired": "2020-01-02T00:00:00",
        "children": 1, "married": True,
    }


def test_tasks_are_json_safe_missing_values_are_null():
    tasks = _tasks()
    text = json.dumps(tasks, allow_nan=False)  # raises on NaN or infinity
    again = json.loads(text)
    second, third = again[1]["data"]["features"], again[2]["data"]["features"]
    assert second["age"] is None and second["hired"] is None and second["children"] is None
    assert third["sex"] is None and third["capital gain"] == "inf"
    for value in (v for t in tasks for v in t["data"]["features"].values()):
        assert value is None or type(value) in (bool, int, float, str)


def test_numeric_ids_are_written_as_text_and_the_batch_id_as_a_python_int():
    batch = _batch().assign(row_id=np.array([10, 11, 12], dtype=np.int64))
    tasks = _tasks(batch, batch_id=np.int64(9))
    assert [t["data"]["fairpool_id"] for t in tasks] == ["10", "11", "12"]
    assert type(tasks[0]["meta"]["fairpool_batch"]) is int


def test_an_empty_batch_gives_no_task():
    assert _tasks(_batch().iloc[:0]) == []


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"id_column": "nope"}, UnknownColumnError, "nope"),
        ({"feature_columns": ["age", "salary"]}, UnknownColumnError, "salary"),
        ({"feature_columns": ["age", "age"]}, InvalidInputError, "repeat"),
        ({"batch_id": "4"}, InvalidInputError, "batch_id"),
        ({"batch_id": True}, InvalidInputError, "batch_id"),
        ({"classes": []}, InvalidInputError, "empty"),
        ({"classes": ["a", "a"]}, InvalidInputError, "repeat"),
        ({"classes": [0, 1]}, InvalidInputError, "text"),
        ({"classes": "ab"}, InvalidInputError, "list"),
        ({"classes": ["a", " "]}, InvalidInputError, "non-empty"),
    ],
)
def test_bad_task_arguments_are_refused_by_name(change, error, words):
    with pytest.raises(error, match=words):
        _tasks(**change)


def test_missing_or_repeated_ids_are_refused_with_their_row():
    with pytest.raises(InvalidInputError, match="row 2"):
        _tasks(_batch().assign(row_id=["a", None, "c"]))
    with pytest.raises(InvalidInputError, match="'a' appears twice.*row 3"):
        _tasks(_batch().assign(row_id=["a", "b", "a"]))
    with pytest.raises(InvalidInputError, match="DataFrame"):
        to_tasks([{"row_id": 1}], id_column="row_id", batch_id=1, classes=CLASSES,
                 feature_columns=[])


# --- labeling config -------------------------------------------------------------------


def test_the_config_is_xml_with_a_table_and_one_choice_per_class():
    root = ET.fromstring(labeling_config(CLASSES, FEATURES))
    assert root.tag == "View"
    (table,) = root.iter("Table")
    assert table.get("value") == "$features"
    (choices,) = root.iter("Choices")
    assert choices.get("name") == "label" and choices.get("toName") == table.get("name")
    assert choices.get("choice") == "single" and choices.get("required") == "true"
    assert [c.get("value") for c in choices.iter("Choice")] == CLASSES


def test_class_names_are_escaped_and_come_back_unchanged():
    odd = ['say "yes" & <mean> it', "it's", "two\nlines", "tab\there", "é ✓"]
    root = ET.fromstring(labeling_config(odd, ["x"]))
    assert [c.get("value") for c in root.iter("Choice")] == odd


def test_the_config_refuses_bad_classes():
    with pytest.raises(InvalidInputError, match="repeat"):
        labeling_config(["a", "b", "a"], ["x"])
    with pytest.raises(InvalidInputError, match="empty"):
        labeling_config([], ["x"])


# --- reading exports -------------------------------------------------------------------

EXPORT = [
    # one annotation
    _task(1, "r1", [_answer(">50K", at="2026-03-01T10:00:00Z")]),
    # two annotations: the later one counts, whatever the order they are listed in
    _task(2, "r2", [
        _answer("<=50K", at="2026-03-02T12:00:00.500000Z", who=8),
        _answer(">50K", at="2026-03-02T09:00:00Z", who=7),
    ]),
    # the later annotation was cancelled (skipped): the earlier one counts
    _task(3, "r3", [
        _answer(">50K", at="2026-03-01T10:00:00Z"),
        _answer(None, at="2026-03-05T10:00:00Z", cancelled=True),
    ]),
    # only cancelled annotations, and no annotation at all: left out
    _task(4, "r4", [_answer(None, at="2026-03-01T10:00:00Z", cancelled=True)]),
    _task(5, "r5", []),
    # the annotator given as an object (an export with user details)
    _task(6, "r6", [_answer("<=50K", at="2026-03-01T10:00:00Z",
                            who={"id": 9, "email": "ann@lab.org"})]),
]


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return list(frame.itertuples(index=False, name=None))


def test_read_export_takes_the_latest_non_cancelled_annotation_of_each_task():
    frame = read_export(EXPORT)
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    assert _rows(frame) == [
        ("r1", ">50K", "7", 1),
        ("r2", "<=50K", "8", 2),
        ("r3", ">50K", "7", 3),
        ("r6", "<=50K", "ann@lab.org", 6),
    ]
    assert frame["line"].dtype == np.int64


def test_read_export_takes_a_path_text_bytes_or_the_list(tmp_path):
    path = tmp_path / "project-1-at-2026.json"
    path.write_text(json.dumps(EXPORT, indent=2), encoding="utf-8")
    expected = read_export(EXPORT)
    for source in (path, str(path), path.read_text(), path.read_bytes()):
        pd.testing.assert_frame_equal(read_export(source), expected)


def test_without_times_the_annotation_listed_last_counts():
    task = _task(1, "r1", [_answer("<=50K", at="x"), _answer(">50K", at="x")])
    for annotation in task["annotations"]:
        del annotation["created_at"], annotation["updated_at"]
    assert _rows(read_export([task])) == [("r1", ">50K", "7", 1)]


def test_an_updated_annotation_counts_from_its_update_time():
    early = _answer(">50K", at="2026-03-01T10:00:00Z")
    early["updated_at"] = "2026-03-09T10:00:00Z"
    later = _answer("<=50K", at="2026-03-05T10:00:00Z")
    assert read_export([_task(1, "r1", [early, later])])["label"].tolist() == [">50K"]


def test_an_annotation_without_a_choice_gives_an_empty_label():
    frame = read_export([_task(1, "r1", [_answer(None, at="2026-03-01T10:00:00Z")])])
    assert _rows(frame) == [("r1", "", "7", 1)]


def test_other_controls_are_ignored_and_label_is_preferred_among_choices():
    answer = _answer(">50K", at="2026-03-01T10:00:00Z")
    answer["result"] += [
        {"from_name": "comment", "to_name": "features", "type": "textarea",
         "value": {"text": ["unsure"]}},
        {"from_name": "quality", "to_name": "features", "type": "choices",
         "value": {"choices": ["good"]}},
    ]
    assert read_export([_task(1, "r1", [answer])])["label"].tolist() == [">50K"]
    # a project with one Choices control under another name still reads
    answer = _answer(">50K", at="2026-03-01T10:00:00Z")
    answer["result"][0]["from_name"] = "class"
    assert read_export([_task(1, "r1", [answer])])["label"].tolist() == [">50K"]


def test_an_empty_export_gives_an_empty_frame_with_the_columns():
    frame = read_export([])
    assert list(frame.columns) == list(EXPORT_COLUMNS) and len(frame) == 0
    assert read_export("[]").empty


def test_a_single_task_object_is_read_as_a_list_of_one():
    assert _rows(read_export(EXPORT[0])) == [("r1", ">50K", "7", 1)]


# --- JSON_MIN --------------------------------------------------------------------------


def _record(task_id, fairpool_id, label, *, at, who=7, annotation=1) -> dict:
    record = {"fairpool_id": fairpool_id, "features": {"age": 1}, "id": task_id,
              "annotator": who, "annotation_id": annotation, "created_at": at,
              "updated_at": at, "lead_time": 1.0}
    if label is not None:
        record["label"] = label
    return record


def test_read_export_reads_json_min_records():
    export = [
        _record(1, "r1", ">50K", at="2026-03-01T10:00:00Z"),
        # two annotations of task 2, newest first as Label Studio writes them
        _record(2, "r2", "<=50K", at="2026-03-03T10:00:00Z", who="ann@lab.org"),
        _record(2, "r2", ">50K", at="2026-03-02T10:00:00Z"),
        # a task without annotation: its data only
        _record(3, "r3", None, at=None),
        # several choices in one result come as {"choices": [...]}; one is fine
        _record(4, "r4", {"choices": ["<=50K"]}, at="2026-03-01T10:00:00Z"),
    ]
    assert _rows(read_export(export)) == [
        ("r1", ">50K", "7", 1),
        ("r2", "<=50K", "ann@lab.org", 2),
        ("r4", "<=50K", "7", 5),
    ]


def test_json_min_records_without_a_task_id_are_grouped_by_fairpool_id():
    old = _record(None, "r1", "<=50K", at="2026-03-01T10:00:00Z")
    new = _record(None, "r1", ">50K", at="2026-03-02T10:00:00Z")
    for record in (old, new):
        del record["id"]
    assert _rows(read_export([old, new])) == [("r1", ">50K", "7", 2)]


def test_the_same_fairpool_id_in_two_label_studio_tasks_gives_two_rows():
    # the id imported twice by hand: both answers come back, the session refuses the repeat
    frame = read_export([
        _task(1, "r1", [_answer(">50K", at="2026-03-01T10:00:00Z")]),
        _task(2, "r1", [_answer("<=50K", at="2026-03-01T10:00:00Z")]),
    ])
    assert frame["id"].tolist() == ["r1", "r1"] and frame["line"].tolist() == [1, 2]


# --- round trip ------------------------------------------------------------------------


def _annotate(tasks: list[dict], answers: dict[str, str]) -> list[dict]:
    """What Label Studio exports after an annotator answered: the task plus annotations."""
    exported = []
    for number, task in enumerate(tasks, start=1):
        entry = json.loads(json.dumps(task))  # through JSON, as the server stores it
        entry["id"] = 1000 + number
        fairpool_id = task["data"]["fairpool_id"]
        entry["annotations"] = (
            [_answer(answers[fairpool_id], at=f"2026-04-01T10:00:{number:02d}Z")]
            if fairpool_id in answers else []
        )
        exported.append(entry)
    return exported


def test_tasks_annotated_and_exported_give_back_the_ids_and_labels():
    rng = np.random.default_rng(0)
    batch = pd.DataFrame({"row_id": [f"p{i}" for i in range(40)],
                          "x": rng.normal(size=40), "g": rng.choice(["a", "b"], 40)})
    tasks = to_tasks(batch, id_column="row_id", batch_id=1, classes=CLASSES,
                     feature_columns=["x", "g"])
    answers = {f"p{i}": CLASSES[i % 2] for i in range(0, 40, 3)}  # some left unlabelled
    frame = read_export(json.dumps(_annotate(tasks, answers)))
    assert dict(zip(frame["id"], frame["label"], strict=True)) == answers
    assert frame["line"].tolist() == [i + 1 for i in range(0, 40, 3)]
    # the classes offered by the config are the labels that come back
    offered = {c.get("value") for c in ET.fromstring(
        labeling_config(CLASSES, ["x", "g"])).iter("Choice")}
    assert set(frame["label"]) <= offered


# --- malformed exports -----------------------------------------------------------------


def _broken(position: int, entry) -> list:
    export = [_task(1, "r1", [_answer(">50K", at="2026-03-01T10:00:00Z")])] * 3
    export = list(export)
    export[position - 1] = entry
    return export


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("just text", "task 2 of the export is a JSON str"),
        ({"data": "x", "annotations": []}, "task 2 of the export has no 'data' object"),
        ({"data": {"features": {}}, "annotations": []}, "task 2 .*data.fairpool_id"),
        ({"data": {"fairpool_id": ""}, "annotations": []}, "task 2 .*data.fairpool_id"),
        (_task(2, "r2", None) | {"annotations": {"a": 1}}, "task 2 .*not a list"),
        (_task(2, "r2", ["x"]), "task 2 .*annotation that is not an object"),
        (_task(2, "r2", [{"result": "x", "was_cancelled": False}]), "task 2 .*result"),
        (_task(2, "r2", [{"result": ["x"]}]), "task 2 .*result entry"),
        (_task(2, "r2", [{"result": [{"from_name": "label",
                                      "value": {"choices": ["a", "b"]}}]}]),
         "task 2 .*2 classes chosen"),
        (_task(2, "r2", [{"result": [{"from_name": "label", "value": {"choices": [1]}}]}]),
         "task 2 .*not a class name"),
        (_task(2, "r2", [{"result": [
            {"from_name": "a", "value": {"choices": ["x"]}},
            {"from_name": "b", "value": {"choices": ["y"]}}]}]),
         "task 2 .*several Choices controls"),
        (_task(2, "r2", [_answer(">50K", at="yesterday")]), "task 2 .*not a date"),
        ({"id": 5, "label": "x"}, "task 2 .*fairpool_id"),
        (_record(2, "r2", {"choices": ["a", "b"]}, at="2026-03-01T10:00:00Z"),
         "task 2 .*2 classes chosen"),
    ],
)
def test_a_malformed_entry_is_refused_naming_its_position(entry, words):
    with pytest.raises(InvalidInputError, match=words):
        read_export(_broken(2, entry))


def test_unreadable_sources_are_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="no Label Studio export at"):
        read_export(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"data": ', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        read_export(bad)
    with pytest.raises(InvalidInputError, match="JSON int"):
        read_export("[1]")
    with pytest.raises(InvalidInputError, match="not the list"):
        read_export(b'"text"')
    with pytest.raises(InvalidInputError, match="path, JSON text"):
        read_export(3.5)


# --- the connection's own checks (no server) -----------------------------------------


def test_the_connection_checks_its_arguments_before_any_request():
    with pytest.raises(InvalidInputError, match="http"):
        LabelStudioConnection("localhost:8080", "key", 1)
    with pytest.raises(InvalidInputError, match="API key is empty"):
        LabelStudioConnection("http://localhost:8080", " ", 1)
    with pytest.raises(InvalidInputError, match="integer id"):
        LabelStudioConnection("http://localhost:8080", "key", "first")
    assert LabelStudioConnection("http://localhost:8080", "key", " 12").project == 12


def test_no_server_is_a_clear_error():
    connection = LabelStudioConnection("http://127.0.0.1:9", "a-legacy-token", 1)
    with pytest.raises(InvalidInputError, match="cannot reach Label Studio at"):
        connection.pull()


def test_a_missing_sdk_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "label_studio_sdk", None)  # import fails
    with pytest.raises(InvalidInputError, match=r"pip install 'fairpool\[labelstudio\]'"):
        LabelStudioConnection("http://localhost:8080", "key", 1)
