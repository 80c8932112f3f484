"""fairpool against a real Label Studio server (issue 12, item 4), run by ``make bench``.

``benchmarks/labelstudio_server.py`` installs ``label-studio`` into its own venv when it
is missing (a few minutes, once) and starts a fresh server on 127.0.0.1. The tests make
a project with fairpool's labeling config, push tasks, answer them through the REST API
as an annotator's browser does (``POST /api/tasks/<id>/annotations``), and pull the
answers back; then a labelling session goes through rounds with ``Session.sync``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpool.errors import InvalidInputError
from fairpool.sessions._labelstudio import (
    LabelStudioConnection,
    create_project,
    read_export,
    to_tasks,
)

pytestmark = pytest.mark.slow

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "labelstudio_server.py"
CLASSES = ["no", "yes & <maybe>"]


def _harness():
    spec = importlib.util.spec_from_file_location("labelstudio_server", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server():
    harness = _harness()
    harness.install(quiet=True)
    with harness.LabelStudioServer() as running:
        print(f"Label Studio answered after {running.startup_seconds:.1f} s")
        yield running


@pytest.fixture(scope="module")
def client(server):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=server.url, api_key=server.api_key)


def _annotate(client, project: int, answers: dict[str, list]) -> None:
    """Answer tasks as annotators do: one POST per annotation, in the listed order.

    ``answers[fairpool_id]`` is a list of class names; ``None`` stands for a skipped
    (cancelled) task.
    """
    for task in client.tasks.list(project=project, fields="task_only"):
        for choice in answers.get(task.data["fairpool_id"], []):
            result = [] if choice is None else [{
                "from_name": "label", "to_name": "features", "type": "choices",
                "value": {"choices": [choice]},
            }]
            client.annotations.create(id=task.id, result=result,
                                      was_cancelled=choice is None)


def _batch(n: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(start)
    return pd.DataFrame({
        "row id": [f"row-{i}" for i in range(start, start + n)],
        "age": rng.integers(18, 90, n).astype(float),
        "hours.per week": rng.normal(40, 5, n),
        "sex": rng.choice(["female", "male"], n),
    }).assign(age=lambda f: f["age"].where(f.index % 5 != 0))  # some missing ages


FEATURES = ["age", "hours.per week", "sex"]


def test_push_is_idempotent_and_pull_gives_back_the_annotators_answers(server, client):
    project = create_project(server.url, server.api_key, "fairpool push and pull",
                             CLASSES, FEATURES)
    connection = LabelStudioConnection(server.url, server.api_key, project)
    first = to_tasks(_batch(12), id_column="row id", batch_id=1, classes=CLASSES,
                     feature_columns=FEATURES)
    assert connection.push(first) == 12
    assert connection.push(first) == 0  # nothing twice
    second = to_tasks(_batch(3, start=12), id_column="row id", batch_id=2,
                      classes=CLASSES, feature_columns=FEATURES)
    assert connection.push(first + second) == 3
    assert connection.task_ids() == {f"row-{i}" for i in range(15)}
    stored = {t.data["fairpool_id"]: t for t in client.tasks.list(project=project)}
    assert stored["row-13"].meta == {"fairpool_batch": 2}
    assert stored["row-0"].data["features"] == first[0]["data"]["features"]

    answers = {f"row-{i}": [CLASSES[i % 2]] for i in range(0, 15, 2)}
    answers["row-2"] = ["no", "yes & <maybe>"]  # answered twice: the later one counts
    answers["row-4"] = ["yes & <maybe>", None]  # then skipped: the answer stays
    answers["row-1"] = [None]  # skipped only: no label
    _annotate(client, project, answers)
    expected = {i: [c for c in a if c is not None][-1] for i, a in answers.items()
                if any(c is not None for c in a)}

    pulled = connection.pull()
    assert list(pulled.columns) == ["id", "label", "annotator", "line"]
    assert dict(zip(pulled["id"], pulled["label"], strict=True)) == expected
    me = client.users.whoami()
    assert set(pulled["annotator"]) == {str(me.id)}

    # the export file a person downloads reads the same, in both JSON formats
    exported = read_export(json.dumps(connection.export()))
    pd.testing.assert_frame_equal(exported, pulled)
    minimal = b"".join(client.projects.exports.download_sync(project, export_type="JSON_MIN"))
    from_min = read_export(minimal)
    assert dict(zip(from_min["id"], from_min["label"], strict=True)) == expected


def test_server_errors_say_what_to_fix(server):
    with pytest.raises(InvalidInputError, match="refused.*HTTP 401.*API key"):
        LabelStudioConnection(server.url, "not-the-token", 1).pull()
    with pytest.raises(InvalidInputError, match="HTTP 404.*no project 9999"):
        LabelStudioConnection(server.url, server.api_key, 9999).push([])
    with pytest.raises(InvalidInputError, match="refused to create a project.*title"):
        create_project(server.url, server.api_key, "x", CLASSES, FEATURES)
    # tasks without the fields the config shows are refused by the server's validation
    project = create_project(server.url, server.api_key, "fairpool refusals",
                             CLASSES, FEATURES)
    with pytest.raises(InvalidInputError, match="refused to import tasks.*features"):
        LabelStudioConnection(server.url, server.api_key, project).push(
            [{"data": {"fairpool_id": "a"}}])


def _session_class():
    try:
        from fairpool.sessions import Session
    except ImportError:
        try:
            from fairpool.sessions._session import Session
        except ImportError:
            return None
    return Session if hasattr(Session, "sync") else None


def test_a_session_round_through_sync(server, client, tmp_path):
    Session = _session_class()
    if Session is None:
        pytest.skip("fairpool.sessions.Session has no sync yet")
    rng = np.random.default_rng(0)
    n = 260
    table = pd.DataFrame({
        "rid": [f"p{i}" for i in range(n)],
        "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "group": rng.choice(["a", "b"], n),
    })
    table["y"] = np.where(table["x1"] + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    hidden = dict(zip(table["rid"], table["y"], strict=True))
    labelled, pool = table.iloc[:60], table.iloc[60:].drop(columns="y")
    session = Session.create(tmp_path / "campaign", labelled=labelled, pool=pool,
                             target="y", sensitive="group", id="rid", batch_size=10)
    classes = [str(c) for c in session.classes]
    project = create_project(server.url, server.api_key, "fairpool session",
                             classes, ["x1", "x2", "group"])

    batch = session.query()
    first = session.sync(server.url, server.api_key, project)
    assert (first.pushed, first.pulled) == (len(batch), 0)
    _annotate(client, project, {i: [hidden[i]] for i in batch["rid"]})
    second = session.sync(server.url, server.api_key, project)
    assert (second.pushed, second.pulled, second.already) == (0, len(batch), 0)
    assert second.teach is not None
    third = session.sync(server.url, server.api_key, project)  # nothing new: nothing taught
    assert (third.pushed, third.already, third.teach) == (0, len(batch), None)
    taught = session.export().query("origin == 'taught'")
    assert dict(zip(taught["id"], taught["label"].astype(str), strict=True)) == {
        i: hidden[i] for i in batch["rid"]}
