"""Label files: reading them with each row's line number, and checking every row.

Written by hand because the checks are the session's own rules: a row is kept only when
its id names a pool row reserved in an open batch and its label is one of the classes;
every other row is refused with the reason and the line it came from (CSV lines count
from 1 at the header, as an editor shows them; Parquet files and frames give the row
number instead). The CSV is read with the standard :mod:`csv` module rather than pandas
so the line numbers stay true when a quoted cell spans lines or blank lines are skipped.
A Label Studio JSON export is read by :func:`fairpool.sessions._labelstudio.read_export`;
a CSV or Parquet file with a ``fairpool_id`` column (Label Studio's CSV export of
fairpool's tasks, whose ``id`` column is Label Studio's own task id) takes its ids from that
column unless the id column is named. A row already taught with the same label is skipped
(counted, not refused); a file with no rows is refused as a whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fairpool.datasets import from_foreign_frame, sniff_delimiter
from fairpool.errors import InvalidInputError, LabelFileError
from fairpool.sessions._labelstudio import ID_KEY
from fairpool.sessions._tables import file_sha256, is_parquet

__all__ = [
    "LabelFile",
    "LabelProblem",
    "LabelRecord",
    "TeachReport",
    "check_records",
    "match_class",
    "read_labels",
]


@dataclass(frozen=True)
class LabelRecord:
    """One row of a label file.

    Attributes
    ----------
    line : int or None
        The CSV line the row starts on; None for a frame, Parquet or a Label Studio export.
    row : int
        1-based number of the row among the file's rows (the task's position in a Label
        Studio export).
    id, label : str
        As written (stripped).
    annotator : str or None
    unit : str
        What ``row`` counts: ``"row"``, or ``"task"`` in a Label Studio export.
    """

    line: int | None
    row: int
    id: str
    label: str
    annotator: str | None = None
    unit: str = "row"

    @property
    def where(self) -> str:
        """``"line N"``, ``"row N"`` or ``"task N"``."""
        return f"line {self.line}" if self.line is not None else f"{self.unit} {self.row}"


@dataclass(frozen=True)
class LabelFile:
    """A label file read into records, with its digest."""

    records: list[LabelRecord]
    source: str
    sha256: str
    format: str
    id_column: str
    label_column: str


@dataclass(frozen=True)
class LabelProblem:
    """A refused row: where it is, what it says, and why it was refused."""

    line: int | None
    row: int
    id: str
    label: str
    problem: str
    unit: str = "row"

    @property
    def where(self) -> str:
        """``"line N"``, ``"row N"`` or ``"task N"``."""
        return f"line {self.line}" if self.line is not None else f"{self.unit} {self.row}"

    def __str__(self) -> str:
        return f"{self.where}: id {self.id!r}, label {self.label!r}: {self.problem}"


@dataclass
class TeachReport:
    """What a teach did.

    Attributes
    ----------
    source : str
        The label file (or ``"<pandas DataFrame>"``).
    sha256 : str
    teach_id : int or None
        The teach recorded (None when nothing was stored).
    stored : int
        Labels stored.
    refused : list of LabelProblem
        Every refused row with its line number and reason.
    noop_of : int or None
        When the same file (same SHA-256) was taught before: that teach, and nothing
        was done.
    metrics : dict or None
        The refitted model's metrics (None when no refit happened).
    evaluation : str
        How the metrics were read.
    same_label : int
        Rows already taught with the same label: skipped as they are (not refused).
    """

    source: str
    sha256: str
    teach_id: int | None = None
    stored: int = 0
    refused: list[LabelProblem] = field(default_factory=list)
    noop_of: int | None = None
    metrics: dict[str, float] | None = None
    evaluation: str = ""
    same_label: int = 0

    @property
    def noop(self) -> bool:
        """True when the file had been taught already and nothing was done."""
        return self.noop_of is not None

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return not self.refused

    def summary(self) -> str:
        """One line: what was stored, refused, or that nothing was done."""
        if self.noop:
            return (f"{self.source} was already taught (teach {self.noop_of}, same SHA-256 "
                    f"{self.sha256[:12]}): nothing to do")
        skipped = (f"{self.same_label} row(s) already taught with the same label: skipped"
                   if self.same_label else "")
        if self.teach_id is None:
            if not self.refused:
                return f"stored no labels from {self.source}: {skipped or 'no rows'}"
            text = f"stored no labels from {self.source}: "
            text += f"{skipped}; " if skipped else "all "
            return text + f"{len(self.refused)} row(s) refused"
        text = f"stored {self.stored} label(s) from {self.source} (teach {self.teach_id})"
        if skipped:
            text += f"; {skipped}"
        if self.refused:
            text += f"; refused {len(self.refused)} row(s)"
        return text

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  {p}" for p in self.refused)])


# -- reading ---------------------------------------------------------------------------
def _choose(columns: Sequence[str], explicit: str | None, defaults: Sequence[str],
            what: str, source: str, option: str) -> str:
    if explicit is not None:
        if explicit not in columns:
            raise LabelFileError(
                f"{source} has no {what} column {explicit!r}; its columns are {list(columns)}"
            )
        return explicit
    if what == "id" and ID_KEY in columns:
        return ID_KEY  # Label Studio's CSV export of fairpool's tasks: "id" is its task id
    for name in defaults:
        if name in columns:
            return name
    raise LabelFileError(
        f"{source} has no {what} column: expected {' or '.join(map(repr, defaults))}; its "
        f"columns are {list(columns)}. Rename the column or pass {option}"
    )


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a Parquet/pandas float column holding whole numbers
    return str(value).strip()


def _read_csv_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (start line, cells) of every non-blank data row of a CSV file."""
    delimiter = sniff_delimiter(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{path} is not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    out: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                continue
            out.append((start, cells))
    except csv.Error as exc:
        raise LabelFileError(f"cannot read {path} as CSV (line {reader.line_num}): {exc}") from None
    if header is None:
        raise LabelFileError(f"{path} is empty: a label file needs a header and rows")
    return header, out


def _frame_sha256(frame: pd.DataFrame) -> str:
    payload = json.dumps([[_cell(v) for v in row] for row in frame.itertuples(index=False)]
                         + [list(map(str, frame.columns))])
    return hashlib.sha256(payload.encode()).hexdigest()


def _looks_like_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    return head[:1] in (b"[", b"{")


def read_labels(
    labels: Any,
    *,
    id_defaults: Sequence[str],
    label_defaults: Sequence[str],
    id_column: str | None = None,
    label_column: str | None = None,
    read_export: Callable[[Any], pd.DataFrame] | None = None,
) -> LabelFile:
    """Read a label file or frame into :class:`LabelRecord` rows.

    Parameters
    ----------
    labels : str, Path, pandas/polars DataFrame
        A CSV file (delimiter detected), a Parquet file, a Label Studio JSON export, or
        a frame.
    id_defaults, label_defaults : sequence of str
        Column names tried in order when ``id_column`` / ``label_column`` is not given.
    id_column, label_column : str, optional
    read_export : callable, optional
        Reader of a Label Studio JSON export (returns columns id, label, annotator, line).

    Returns
    -------
    LabelFile

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    LabelFileError
        The file cannot be read, has no id or label column, or has no rows.

    Notes
    -----
    Unless ``id_column`` is given, a file or frame with a ``fairpool_id`` column (the key
    of the fairpool id in the Label Studio tasks fairpool writes) takes its ids from it:
    Label Studio's CSV export of those tasks also has an ``id`` column, its own task id.
    """
    read = _read_labels(labels, id_defaults, label_defaults, id_column, label_column,
                        read_export)
    if not read.records:
        if read.format == "labelstudio":
            raise LabelFileError(f"{read.source} has no annotated task: nothing to teach")
        raise LabelFileError(f"{read.source} has no rows: a label file needs a header and rows")
    return read


def _read_labels(labels: Any, id_defaults: Sequence[str], label_defaults: Sequence[str],
                 id_column: str | None, label_column: str | None,
                 read_export: Callable[[Any], pd.DataFrame] | None) -> LabelFile:
    if isinstance(labels, str | os.PathLike):
        path = Path(labels)
        if not path.is_file():
            raise FileNotFoundError(f"label file not found: {path}")
        source, digest = str(path), file_sha256(path)
        if is_parquet(path):
            frame = pd.read_parquet(path)
            return _from_frame(frame, source, digest, "parquet", id_defaults, label_defaults,
                               id_column, label_column)
        if _looks_like_json(path):
            if read_export is None:
                raise LabelFileError(f"{path} is JSON, but no Label Studio reader is available")
            try:
                frame = read_export(path)
            except (ValueError, KeyError, TypeError) as exc:
                raise LabelFileError(
                    f"cannot read {path} as a Label Studio export: {exc}") from None
            records = [
                LabelRecord(
                    line=None, row=int(r.line) if not pd.isna(r.line) else i + 1,
                    id=_cell(r.id), label=_cell(r.label), annotator=(_cell(r.annotator) or None),
                    unit="task",
                )
                for i, r in enumerate(frame.itertuples(index=False))
            ]
            return LabelFile(records, source, digest, "labelstudio", "id", "label")
        header, rows = _read_csv_records(path)
        id_col = _choose(header, id_column, id_defaults, "id", source, "--id-column")
        label_col = _choose(header, label_column, label_defaults, "label", source,
                            "--label-column")
        i_id, i_label = header.index(id_col), header.index(label_col)
        i_ann = header.index("annotator") if "annotator" in header else None
        records = []
        for k, (line, cells) in enumerate(rows):
            def get(i: int | None, cells: list[str] = cells) -> str:
                return cells[i].strip() if i is not None and i < len(cells) else ""
            records.append(LabelRecord(line, k + 1, get(i_id), get(i_label), get(i_ann) or None))
        return LabelFile(records, source, digest, "csv", id_col, label_col)
    frame = from_foreign_frame(labels)
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(
            "labels must be a path (CSV, Parquet, Label Studio JSON) or a DataFrame, "
            f"got {type(labels).__name__}"
        )
    frame = frame.rename(columns=str)
    return _from_frame(frame, f"<{type(labels).__module__.split('.')[0]} DataFrame>",
                       _frame_sha256(frame), "frame", id_defaults, label_defaults, id_column,
                       label_column)


def _from_frame(frame: pd.DataFrame, source: str, digest: str, fmt: str,
                id_defaults: Sequence[str], label_defaults: Sequence[str],
                id_column: str | None, label_column: str | None) -> LabelFile:
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    id_col = _choose(columns, id_column, id_defaults, "id", source, "id_column=")
    label_col = _choose(columns, label_column, label_defaults, "label", source, "label_column=")
    annotators = frame["annotator"].tolist() if "annotator" in columns else [None] * len(frame)
    records = [
        LabelRecord(None, k + 1, _cell(i), _cell(lab), _cell(a) or None)
        for k, (i, lab, a) in enumerate(zip(frame[id_col].tolist(), frame[label_col].tolist(),
                                             annotators, strict=True))
    ]
    return LabelFile(records, source, digest, fmt, id_col, label_col)


# -- checking --------------------------------------------------------------------------
def match_class(label: str, classes: Sequence[str]) -> int | None:
    """The code of ``label`` among ``classes`` (exact text, else the one case-insensitive
    match), None when it is none of them."""
    if label in classes:
        return list(classes).index(label)
    folded = [i for i, c in enumerate(classes) if c.casefold() == label.casefold()]
    return folded[0] if len(folded) == 1 else None


@dataclass(frozen=True)
class GoodRow:
    """A kept row: the record and where it goes."""

    record: LabelRecord
    batch_id: int
    rank: int
    code: int
    value: str


def check_records(
    records: Sequence[LabelRecord],
    *,
    classes: Sequence[str],
    roles: Mapping[str, str],
    reserved: Mapping[str, tuple[int, int]],
    labelled: Mapping[str, tuple[str, str]],
    released: Mapping[str, int],
) -> tuple[list[GoodRow], list[LabelProblem], int]:
    """Split label records into the rows to store and the refused ones.

    Parameters
    ----------
    records : sequence of LabelRecord
    classes : sequence of str
        The class values; a label must be one of them.
    roles : mapping
        ``id -> "labelled" | "pool"`` for the ids of ``records`` that exist.
    reserved : mapping
        ``id -> (batch, rank)`` of the rows reserved in open batches.
    labelled : mapping
        ``id -> (value, description)`` of rows that already have a live label.
    released : mapping
        ``id -> batch`` of pool rows whose batch row was released.

    Returns
    -------
    good : list of GoodRow
    problems : list of LabelProblem
        In file order.
    same_label : int
        Rows whose id already has a live label equal to theirs: skipped, neither kept nor
        refused (a growing answers file taught again).
    """
    by_id: dict[str, list[LabelRecord]] = {}
    for r in records:
        by_id.setdefault(r.id, []).append(r)
    good: list[GoodRow] = []
    problems: list[LabelProblem] = []
    same_label = 0

    def refuse(r: LabelRecord, why: str) -> None:
        problems.append(LabelProblem(r.line, r.row, r.id, r.label, why, r.unit))

    for r in records:
        if r.id == "":
            refuse(r, "empty id")
            continue
        same = by_id[r.id]
        if len(same) > 1:
            first = same[0]
            if len({s.label for s in same}) > 1:
                others = ", ".join(s.where for s in same if s is not r)
                refuse(r, f"id repeated with a different label ({others}); none of them kept")
                continue
            if r is not first:
                refuse(r, f"duplicate id (first on {first.where})")
                continue
        role = roles.get(r.id)
        if role is None:
            refuse(r, "unknown id: not a row of the pool")
            continue
        if r.label == "":
            refuse(r, "empty label")
            continue
        code = match_class(r.label, classes)
        if code is None:
            refuse(r, f"label {r.label!r} is not one of the classes {list(classes)}")
            continue
        if role == "labelled":
            refuse(r, "already labelled: a row of the initial labelled table")
            continue
        if r.id in labelled:
            value, taught = labelled[r.id]
            if value == classes[code]:
                same_label += 1
            else:
                refuse(r, f"already labelled {value!r} ({taught}); to change it: "
                          "`fairpool session undo DIR` (Session.undo()) undoes the last teach "
                          "with all its labels (repeat back to that teach), then teach the "
                          "corrected rows")
            continue
        if r.id not in reserved:
            if r.id in released:
                refuse(r, f"not in an open batch: batch {released[r.id]} released it; "
                          "query it again to label it")
            else:
                refuse(r, "not in an open batch: no query has offered this row")
            continue
        batch_id, rank = reserved[r.id]
        good.append(GoodRow(r, batch_id, rank, code, classes[code]))
    return good, problems, same_label
