"""Labelling sessions: an active-learning campaign on your own data, kept in a directory.

A session holds a labelled table and an unlabelled pool (copied in as Parquet), the
fitted table encoder, every query batch, every label with where it came from, and the
model of every round, in one SQLite store that survives kill -9 at any point. The same
verbs exist in Python and on the command line (``fairpool session ...``)::

    import fairpool as fp
    s = fp.Session.create("campaign", labelled="labelled.csv", pool="pool.csv",
                          target="income", sensitive="sex", budget=500)
    batch = s.query()            # the next rows to label (reserved until taught)
    s.teach("answers.csv")       # id + label columns; bad rows reported by line
    s.status()                   # budget, open batches, metrics per round, label shares

One private module per idea: :mod:`~fairpool.sessions._store` (the SQLite store),
:mod:`~fairpool.sessions._session` (the verbs), :mod:`~fairpool.sessions._labels`
(label files), :mod:`~fairpool.sessions._status` (status and its tables),
:mod:`~fairpool.sessions._model` (the learner rebuilt, its state and models saved
without pickle), :mod:`~fairpool.sessions._encoding` (the table encoder fitted and
reloaded, row ids), :mod:`~fairpool.sessions._tables` (input tables),
:mod:`~fairpool.sessions._labelstudio` (Label Studio's task, config and export formats and
a live server, used by ``query --format labelstudio``, ``teach`` and ``sync``).
See docs/sessions.md.
"""

from __future__ import annotations

from fairpool.sessions._labels import LabelProblem, TeachReport
from fairpool.sessions._session import Session, SyncReport
from fairpool.sessions._status import (
    SessionStatus,
    format_metric,
    format_share,
    format_time,
    format_trend,
    print_status,
)
from fairpool.sessions._store import DB_NAME, SCHEMA_VERSION

__all__ = [
    "DB_NAME",
    "LabelProblem",
    "SCHEMA_VERSION",
    "Session",
    "SessionStatus",
    "SyncReport",
    "TeachReport",
    "format_metric",
    "format_share",
    "format_time",
    "format_trend",
    "print_status",
]
