"""Exchange with Label Studio: task files, the labeling config, exports, and a live server.

A labelling session sends its open batches to annotators and reads their answers back.
Label Studio (https://labelstud.io) is the open-source annotation tool this module
speaks to, in its documented formats:

* :func:`to_tasks` writes a batch as Label Studio import tasks, ``{"data": ..., "meta":
  ...}`` ("Label Studio JSON format of annotated tasks",
  https://labelstud.io/guide/task_format);
* :func:`labeling_config` writes the project's labeling config: a ``Table`` of the row's
  fields (https://labelstud.io/tags/table) and a single-choice ``Choices`` control with
  one ``Choice`` per class (https://labelstud.io/tags/choices);
* :func:`read_export` reads the project's "JSON" export (the same task format with
  ``annotations``) and its "JSON_MIN" export (one flat record per annotation,
  https://labelstud.io/guide/export.html#JSON-MIN) back into ids and labels;
* :class:`LabelStudioConnection` pushes tasks to a running server and pulls its export
  through the official client, ``label-studio-sdk`` (the ``labelstudio`` extra).

Written by hand because the formats are a few JSON keys and a few XML tags: the SDK's
own converter turns exports into files (JSON_MIN, CSV) rather than ids and labels, keeps
every annotation of a task, and does not name the task at fault in a malformed export.
The SDK is used for what it is for: talking to the server.

A task's data holds the fairpool id under ``fairpool_id`` and the row's feature values
under ``features`` (a ``{column: value}`` object shown as a table, so any column name
works: Label Studio's ``$variable`` syntax cannot name columns with spaces or dots). Its
meta holds the batch id under ``fairpool_batch``. The Choices control is named
``label``, which is the column the JSON_MIN and CSV exports give the answer in.

This module imports nothing else of :mod:`fairpool.sessions`: the session store and the
commands import it.

Why one module over 600 lines: everything fairpool knows about Label Studio is here, and
the parts depend on each other's key names (``fairpool_id``, ``features``, ``label``):
the tasks and the config must agree, the reader must read what they produced, and the
connection pushes the tasks and reads its pull with the reader. Most of its length is
the formats' documentation.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from fairpool.errors import InvalidInputError, UnknownColumnError

__all__ = [
    "ID_KEY",
    "FEATURES_KEY",
    "BATCH_KEY",
    "CONTROL_NAME",
    "EXPORT_COLUMNS",
    "to_tasks",
    "labeling_config",
    "read_export",
    "LabelStudioConnection",
    "create_project",
]

#: Key of the fairpool id in a task's ``data``.
ID_KEY = "fairpool_id"
#: Key of the row's ``{column: value}`` object in a task's ``data``.
FEATURES_KEY = "features"
#: Key of the batch id in a task's ``meta``.
BATCH_KEY = "fairpool_batch"
#: Name of the Choices control (the ``from_name`` of every answer).
CONTROL_NAME = "label"
#: Columns of :func:`read_export` and :meth:`LabelStudioConnection.pull`.
EXPORT_COLUMNS = ("id", "label", "annotator", "line")

_INSTALL_HINT = "pip install 'fairpool[labelstudio]'"
# Tasks per import request: Label Studio takes up to 250k tasks / 200 MB in one request
# and advises against many small imports; 5,000 rows of a table are a few MB.
_IMPORT_CHUNK = 5000
_XML_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


# --- tasks and labeling config -------------------------------------------------------


def _check_classes(classes: Sequence[str]) -> list[str]:
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise InvalidInputError(
            f"classes must be a list of class names, got {type(classes).__name__}: "
            "pass e.g. ['no', 'yes']"
        )
    names = list(classes)
    if not names:
        raise InvalidInputError("classes is empty: a Label Studio project needs at least one")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(
                f"class {name!r} is not a non-empty text: pass classes as text, "
                "e.g. [str(c) for c in classes]"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInputError(f"classes repeat {repeated}: give each class once")
    return names


def _check_feature_columns(feature_columns: Sequence[str]) -> list[str]:
    if isinstance(feature_columns, str) or not isinstance(feature_columns, Sequence):
        raise InvalidInputError(
            f"feature_columns must be a list of column names, got "
            f"{type(feature_columns).__name__}"
        )
    keys = [str(c) for c in feature_columns]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InvalidInputError(f"feature_columns repeat {repeated}: name each column once")
    return keys


def _json_value(value: Any) -> Any:
    """A cell as a JSON value: None for missing, Python scalars, text for the rest."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):  # JSON has no infinity; keep it readable
            return "inf" if number > 0 else "-inf"
        return number
    if isinstance(value, str):
        return value
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
        return None if value is pd.NaT else value.isoformat()
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (timedelta, np.timedelta64)):
        value = pd.Timedelta(value)
        return None if value is pd.NaT else str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or array in a cell
        pass
    return str(value)


def to_tasks(
    batch: pd.DataFrame,
    *,
    id_column: str,
    batch_id: int,
    classes: Sequence[str],
    feature_columns: Sequence[str],
) -> list[dict]:
    """Write a batch of rows as Label Studio import tasks, one per row.

    Parameters
    ----------
    batch : pandas.DataFrame
        The rows to label, with the id column and the feature columns.
    id_column : str
        Column of the fairpool id; written as text under ``data["fairpool_id"]``.
    batch_id : int
        The session's batch number, written under ``meta["fairpool_batch"]``.
    classes : sequence of str
        The classes the annotators choose from; checked as :func:`labeling_config`
        checks them, so the tasks and the project are made from the same arguments.
    feature_columns : sequence of str
        The columns shown to the annotator, in this order, under ``data["features"]``
        as ``{column: value}`` (JSON-safe: NaN, None and NaT become ``null``, numpy
        scalars Python numbers, infinities ``"inf"``/``"-inf"``, dates ISO text).

    Returns
    -------
    list of dict
        ``[{"data": {"fairpool_id": ..., "features": {...}}, "meta": {"fairpool_batch":
        batch_id}}, ...]`` in the batch's row order; ``json.dumps(tasks)`` is the file
        Label Studio imports (Label Studio task format,
        https://labelstud.io/guide/task_format).

    Raises
    ------
    InvalidInputError
        ``batch`` is not a DataFrame, ``batch_id`` not an integer, the classes or feature
        columns are empty, repeated or not text, or an id is missing or repeated.
    UnknownColumnError
        ``id_column`` or a feature column is not in ``batch``.
    """
    if not isinstance(batch, pd.DataFrame):
        raise InvalidInputError(f"batch must be a pandas DataFrame, got {type(batch).__name__}")
    if isinstance(batch_id, (bool, np.bool_)) or not isinstance(batch_id, (int, np.integer)):
        raise InvalidInputError(f"batch_id must be an integer, got {batch_id!r}")
    _check_classes(classes)
    keys = _check_feature_columns(feature_columns)
    missing = [c for c in [id_column, *feature_columns] if c not in batch.columns]
    if missing:
        raise UnknownColumnError(
            f"column(s) {missing} are not in the batch; its columns are {list(batch.columns)}"
        )
    ids = batch[id_column]
    if ids.isna().any():
        position = int(np.flatnonzero(ids.isna().to_numpy())[0]) + 1
        raise InvalidInputError(
            f"id column {id_column!r} is missing at row {position} of the batch: every "
            "task needs its fairpool id"
        )
    texts = [str(_json_value(v)) for v in ids]
    seen: set[str] = set()
    for position, text in enumerate(texts, start=1):
        if text in seen:
            raise InvalidInputError(
                f"id {text!r} appears twice in the batch (again at row {position}): each "
                "row is one task"
            )
        seen.add(text)
    meta = {BATCH_KEY: int(batch_id)}
    values = batch[list(feature_columns)].to_numpy(dtype=object)
    return [
        {
            "data": {
                ID_KEY: text,
                FEATURES_KEY: {key: _json_value(v) for key, v in zip(keys, row, strict=True)},
            },
            "meta": dict(meta),
        }
        for text, row in zip(texts, values, strict=True)
    ]


def labeling_config(classes: Sequence[str], feature_columns: Sequence[str]) -> str:
    """The labeling config XML of a Label Studio project for :func:`to_tasks`' tasks.

    A ``Table`` shows the task's ``features`` object, one line per column; a required,
    single-choice ``Choices`` control named ``label`` holds one ``Choice`` per class.

    Parameters
    ----------
    classes : sequence of str
        The class names, in the order the buttons appear; XML-escaped in the config.
    feature_columns : sequence of str
        The feature columns of the tasks. The table shows whatever columns a task holds,
        so the config does not depend on them; they are checked as :func:`to_tasks`
        checks them.

    Returns
    -------
    str
        The ``<View>`` XML to paste into the project's Labeling Interface (or to pass as
        ``label_config`` when creating a project; see https://labelstud.io/tags/table and
        https://labelstud.io/tags/choices).

    Raises
    ------
    InvalidInputError
        The classes are empty, repeated or not text, or the feature columns repeated.
    """
    names = _check_classes(classes)
    _check_feature_columns(feature_columns)
    choices = "\n".join(
        f'    <Choice value="{escape(name, _XML_ATTRIBUTE)}"/>' for name in names
    )
    return (
        "<View>\n"
        '  <Header value="Choose the class of this row"/>\n'
        f'  <Table name="{FEATURES_KEY}" value="${FEATURES_KEY}"/>\n'
        f'  <Choices name="{CONTROL_NAME}" toName="{FEATURES_KEY}" choice="single" '
        'showInline="true" required="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


# --- reading exports -----------------------------------------------------------------


def _load_export(source: Any) -> list:
    if isinstance(source, list):
        return source
    if isinstance(source, Mapping):
        return [source]
    if isinstance(source, (bytes, bytearray)):
        text, where = bytes(source).decode("utf-8-sig"), "the export"
    elif isinstance(source, str) and source.lstrip()[:1] in ("[", "{"):
        text, where = source, "the export"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(
                f"no Label Studio export at {str(path)!r}: export the project as JSON "
                "(or JSON_MIN) and pass that file"
            )
        text, where = path.read_text(encoding="utf-8-sig"), repr(str(path))
    else:
        raise InvalidInputError(
            "a Label Studio export is a path, JSON text or bytes, or the parsed list; "
            f"got {type(source).__name__}"
        )
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{where} is not valid JSON (text line {error.lineno}, column {error.colno}: "
            f"{error.msg}); export the project as JSON from Label Studio"
        ) from None
    if isinstance(parsed, dict):
        return [parsed]
    if not isinstance(parsed, list):
        raise InvalidInputError(
            f"{where} holds a JSON {type(parsed).__name__}, not the list of tasks Label "
            "Studio exports"
        )
    return parsed


def _text_id(value: Any, line: int, where: str) -> str:
    if value is None or isinstance(value, (dict, list, bool)) or str(value).strip() == "":
        raise InvalidInputError(
            f"task {line} of the export has no usable {where} ({value!r}): only tasks "
            "written by fairpool (to_tasks, session query --format labelstudio) can be read"
        )
    return str(value)


def _annotator(completed_by: Any) -> str | None:
    if completed_by is None or completed_by == {}:
        return None
    if isinstance(completed_by, Mapping):  # {"id": 1, "email": ...} in some exports
        found = completed_by.get("email") or completed_by.get("id")
        return None if found is None else str(found)
    return str(completed_by)


def _moment(entry: Mapping, line: int) -> pd.Timestamp | None:
    """When an annotation was last changed (``updated_at``, else ``created_at``), in UTC."""
    stamp = entry.get("updated_at") or entry.get("created_at")
    if stamp is None:
        return None
    try:
        moment = pd.Timestamp(stamp)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"task {line} of the export has an annotation time {stamp!r} that is not a date"
        ) from None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _latest(candidates: list[tuple[pd.Timestamp | None, int, Any]]) -> Any:
    """The candidate changed last; one without a time counts as older, ties go to the
    later position (Label Studio lists a task's annotations in the order they were made)."""
    floor = pd.Timestamp.min.tz_localize("UTC")
    return max(candidates, key=lambda c: (floor if c[0] is None else c[0], c[1]))[2]


def _choice_of(results: Any, line: int) -> str:
    """The class chosen in one annotation's ``result`` list ("" when none was chosen)."""
    if not isinstance(results, list):
        raise InvalidInputError(f"task {line} of the export has an annotation whose result "
                                f"is {type(results).__name__}, not a list")
    found: dict[str, list] = {}
    for item in results:
        if not isinstance(item, Mapping):
            raise InvalidInputError(f"task {line} of the export has a result entry that is "
                                    f"not an object: {item!r}")
        value = item.get("value")
        if isinstance(value, Mapping) and "choices" in value:
            found.setdefault(str(item.get("from_name", CONTROL_NAME)), []).append(
                value["choices"]
            )
    if not found:
        return ""
    if len(found) > 1:
        if CONTROL_NAME not in found:
            raise InvalidInputError(
                f"task {line} of the export answers several Choices controls "
                f"{sorted(found)}; fairpool reads the one named {CONTROL_NAME!r} "
                "(the project's labeling config from labeling_config)"
            )
        found = {CONTROL_NAME: found[CONTROL_NAME]}
    (answers,) = found.values()
    chosen = [c for cs in answers for c in (cs if isinstance(cs, list) else [cs])]
    return _single(chosen, line)


def _single(chosen: list, line: int) -> str:
    if len(chosen) > 1:
        raise InvalidInputError(
            f"task {line} of the export has {len(chosen)} classes chosen ({chosen}): "
            "a row has one label; make the Choices control single-choice"
        )
    if not chosen:
        return ""
    if not isinstance(chosen[0], str):
        raise InvalidInputError(
            f"task {line} of the export has the choice {chosen[0]!r}, not a class name"
        )
    return chosen[0]


def _from_task(task: Mapping, line: int) -> dict | None:
    """A "JSON" export task: its latest non-cancelled annotation, or None."""
    data = task.get("data")
    if not isinstance(data, Mapping):
        raise InvalidInputError(f"task {line} of the export has no 'data' object")
    fairpool_id = _text_id(data.get(ID_KEY), line, f"data.{ID_KEY}")
    annotations = task.get("annotations", task.get("completions", []))
    if annotations is None:
        annotations = []
    if not isinstance(annotations, list):
        raise InvalidInputError(f"task {line} of the export has 'annotations' that is not a list")
    kept = []
    for position, annotation in enumerate(annotations):
        if not isinstance(annotation, Mapping):
            raise InvalidInputError(f"task {line} of the export has an annotation that is "
                                    f"not an object: {annotation!r}")
        if annotation.get("was_cancelled") or annotation.get("skipped"):
            continue
        kept.append((_moment(annotation, line), position, annotation))
    if not kept:
        return None
    annotation = _latest(kept)
    return {
        "id": fairpool_id,
        "label": _choice_of(annotation.get("result", []), line),
        "annotator": _annotator(annotation.get("completed_by")),
        "line": line,
    }


def _from_min_record(record: Mapping, line: int) -> dict | None:
    """A "JSON_MIN" record: the task's data keys plus the answer under ``label``."""
    fairpool_id = _text_id(record.get(ID_KEY), line, ID_KEY)
    if record.get("was_cancelled") or CONTROL_NAME not in record:
        return None  # a task without annotation: JSON_MIN writes its data only
    answer = record[CONTROL_NAME]
    if isinstance(answer, Mapping):  # several choices in one result: {"choices": [...]}
        answer = answer.get("choices", [])
    chosen = answer if isinstance(answer, list) else [answer]
    if answer is None:
        chosen = []
    return {
        "id": fairpool_id,
        "label": _single(chosen, line),
        "annotator": _annotator(record.get("annotator")),
        "line": line,
    }


def read_export(source: Any) -> pd.DataFrame:
    """Read a Label Studio export into the fairpool id and label of each annotated task.

    Reads the "JSON" export (tasks with ``data`` and ``annotations[].result[].value
    .choices``, ``completed_by``, ``was_cancelled``) and the "JSON_MIN" export (one flat
    record per annotation with the task's data keys, the answer under ``label`` and
    ``annotator``), even mixed in one list.

    * A cancelled (skipped) annotation is ignored.
    * A task with several annotations gives one row: the latest non-cancelled one, by
      ``updated_at`` (else ``created_at``), ties and missing times going to the one
      listed last. In JSON_MIN the records of one Label Studio task (same ``id``; the
      fairpool id when there is none) are reduced the same way.
    * A task without a non-cancelled annotation is left out.
    * An annotation that chose no class gives the label ``""``, which a session refuses
      row by row as an empty label.

    Parameters
    ----------
    source : str, os.PathLike, bytes or list
        A path to the exported file, its JSON text or bytes, or the parsed list (as
        ``label_studio_sdk``'s ``projects.exports.as_json`` returns it).

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (str, the fairpool id), ``label`` (str), ``annotator`` (str, the
        Label Studio user id or e-mail, or None) and ``line`` (int, the 1-based position
        of the task or record in the export), in export order.

    Raises
    ------
    InvalidInputError
        The file is missing or not JSON, or an entry is malformed: not an object, no
        ``data.fairpool_id`` (JSON) or ``fairpool_id`` (JSON_MIN), annotations or results
        of the wrong type, several classes chosen, an unreadable time. The message names
        the entry's position (``task N of the export``).

    Notes
    -----
    Formats: https://labelstud.io/guide/task_format and
    https://labelstud.io/guide/export.html (JSON, JSON_MIN).
    """
    entries = _load_export(source)
    rows: list[dict] = []
    minimal: dict[Any, list] = {}
    for line, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise InvalidInputError(
                f"task {line} of the export is a JSON {type(entry).__name__}, not an object"
            )
        if "annotations" in entry or "completions" in entry or "data" in entry:
            row = _from_task(entry, line)
            if row is not None:
                rows.append(row)
            continue
        row = _from_min_record(entry, line)
        if row is None:
            continue
        task = entry.get("id")
        key = ("task", str(task)) if task is not None else ("id", row["id"])
        if key not in minimal:
            minimal[key] = []
            rows.append(key)  # the task keeps the place of its first record
        minimal[key].append((_moment(entry, line), line, row))
    resolved = [_latest(minimal[r]) if isinstance(r, tuple) else r for r in rows]
    frame = pd.DataFrame(resolved, columns=list(EXPORT_COLUMNS))
    frame["line"] = frame["line"].astype("int64")
    frame["annotator"] = frame["annotator"].astype(object)
    return frame.sort_values("line", kind="stable").reset_index(drop=True)


# --- a live server -------------------------------------------------------------------


def _sdk() -> Any:
    try:
        import label_studio_sdk
    except ImportError:
        raise InvalidInputError(
            f"talking to a Label Studio server needs label-studio-sdk; install it with: "
            f"{_INSTALL_HINT}"
        ) from None
    return label_studio_sdk


@contextmanager
def _answering(url: str, doing: str, project: int | None = None) -> Iterator[None]:
    """Turn the SDK's HTTP and connection errors into fairpool errors that say the fix."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as error:
        body = error.body
        detail = body.get("detail", body) if isinstance(body, Mapping) else body
        if isinstance(body, Mapping) and body.get("validation_errors"):
            detail = body["validation_errors"]
        if error.status_code in (401, 403):
            hint = "check the API key (Label Studio: Account & Settings > Access Token)"
        elif error.status_code == 404 and project is not None:
            hint = f"check the project id: there is no project {project} for this key"
        else:
            hint = "see the server's message"
        raise InvalidInputError(
            f"Label Studio at {url} refused to {doing} (HTTP {error.status_code}: "
            f"{detail}); {hint}"
        ) from None
    except httpx.TransportError as error:
        raise InvalidInputError(
            f"cannot reach Label Studio at {url} to {doing} ({type(error).__name__}: "
            f"{error}); check the URL and that the server runs"
        ) from None


def _client(url: str, api_key: str) -> Any:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"the Label Studio URL must start with http:// or https://, got {url!r}"
        )
    if not isinstance(api_key, str) or not api_key.strip():
        raise InvalidInputError(
            "the Label Studio API key is empty: copy it from Account & Settings > "
            "Access Token (or Personal Access Token)"
        )
    sdk = _sdk()
    with _answering(url, "accept the API key"):  # the SDK checks a token's expiry here
        return sdk.LabelStudio(base_url=url.rstrip("/"), api_key=api_key)


class LabelStudioConnection:
    """One Label Studio project on a running server, through ``label-studio-sdk``.

    Parameters
    ----------
    url : str
        The server's address, e.g. ``"http://localhost:8080"``.
    api_key : str
        A legacy access token or a personal access token (the SDK tells them apart).
    project : int or str
        The project's id (the number in its address, ``/projects/<id>``; digits as text
        are accepted, as a command line passes them); make one with
        :func:`create_project` or in the web interface with :func:`labeling_config`.

    Raises
    ------
    InvalidInputError
        ``label-studio-sdk`` is not installed (install it with ``pip install
        'fairpool[labelstudio]'``), the URL, key or project id is malformed. Errors of
        the server (a refused key, a missing project, no server) are raised by the
        methods, as :class:`InvalidInputError` saying the fix.

    Notes
    -----
    API: https://api.labelstud.io (projects.import_tasks, tasks.list,
    projects.exports).
    """

    def __init__(self, url: str, api_key: str, project: int) -> None:
        if isinstance(project, str) and project.strip().isdigit():
            project = int(project)  # as a command line gives it
        if isinstance(project, (bool, np.bool_)) or not isinstance(project, (int, np.integer)):
            raise InvalidInputError(
                f"the Label Studio project must be an integer id, got {project!r}"
            )
        self.url = url
        self.project = int(project)
        self._client = _client(url, api_key)

    def __repr__(self) -> str:
        return f"LabelStudioConnection(url={self.url!r}, project={self.project})"

    def task_ids(self) -> set[str]:
        """The fairpool ids of the tasks already in the project.

        Returns
        -------
        set of str
            ``data["fairpool_id"]`` of every task that has one.

        Raises
        ------
        InvalidInputError
            The server refuses the key, has no such project, or cannot be reached.
        """
        found: set[str] = set()
        with _answering(self.url, "list the project's tasks", self.project):
            for task in self._client.tasks.list(
                project=self.project, fields="task_only", page_size=1000
            ):
                value = (task.data or {}).get(ID_KEY)
                if value is not None:
                    found.add(str(value))
        return found

    def push(self, tasks: Sequence[Mapping]) -> int:
        """Import the tasks that the project does not hold yet (matched by fairpool id).

        Pushing the same tasks twice imports them once: a task whose
        ``data["fairpool_id"]`` is already in the project, or earlier in ``tasks``, is
        left out.

        Parameters
        ----------
        tasks : sequence of dict
            Tasks as :func:`to_tasks` writes them.

        Returns
        -------
        int
            How many tasks were imported.

        Raises
        ------
        InvalidInputError
            A task has no ``data["fairpool_id"]``, or the server refuses the import (for
            instance tasks whose data do not fit the project's labeling config), the key
            or the project, or cannot be reached.
        """
        fresh: list[dict] = []
        seen = self.task_ids()
        for position, task in enumerate(tasks, start=1):
            data = task.get("data") if isinstance(task, Mapping) else None
            if not isinstance(data, Mapping) or data.get(ID_KEY) is None:
                raise InvalidInputError(
                    f"task {position} has no data[{ID_KEY!r}]: push tasks made by to_tasks"
                )
            key = str(data[ID_KEY])
            if key in seen:
                continue
            seen.add(key)
            fresh.append({"data": dict(data), "meta": dict(task.get("meta") or {})})
        with _answering(self.url, "import tasks", self.project):
            for start in range(0, len(fresh), _IMPORT_CHUNK):
                self._client.projects.import_tasks(
                    id=self.project, request=fresh[start : start + _IMPORT_CHUNK]
                )
        return len(fresh)

    def export(self) -> list:
        """The project's "JSON" export, as the parsed list of tasks.

        Raises
        ------
        InvalidInputError
            The server refuses the export, the key or the project, or cannot be reached.
        """
        with _answering(self.url, "export the project", self.project):
            return self._client.projects.exports.as_json(self.project)

    def pull(self) -> pd.DataFrame:
        """The finished annotations of the project: :func:`read_export` of its export.

        Every annotated task of the project comes back each time (the latest
        non-cancelled annotation of each); a session stores a label it already holds
        once.

        Returns
        -------
        pandas.DataFrame
            Columns ``id``, ``label``, ``annotator``, ``line`` as :func:`read_export`.

        Raises
        ------
        InvalidInputError
            As :meth:`export`, or the export holds a task not made by fairpool.
        """
        return read_export(self.export())


def create_project(
    url: str,
    api_key: str,
    title: str,
    classes: Sequence[str],
    feature_columns: Sequence[str],
) -> int:
    """Create a Label Studio project whose labeling config is :func:`labeling_config`.

    Parameters
    ----------
    url, api_key : str
        As :class:`LabelStudioConnection`.
    title : str
        The project's title (Label Studio asks for 3 to 50 characters).
    classes, feature_columns : sequence of str
        As :func:`labeling_config`.

    Returns
    -------
    int
        The new project's id.

    Raises
    ------
    InvalidInputError
        ``label-studio-sdk`` is missing, the classes are invalid, or the server refuses
        the project (a title too short or long, a refused key) or cannot be reached.
    """
    config = labeling_config(classes, feature_columns)
    client = _client(url, api_key)
    with _answering(url, "create a project"):
        project = client.projects.create(title=title, label_config=config)
    return int(project.id)
