"""The session store: one SQLite database per labelling campaign.

Written by hand on the standard library's :mod:`sqlite3` because no library keeps an
active-learning campaign durably (modAL leaves pickling to the user, small-text pickles
the whole object, baal keeps which items are labelled but not the labels). SQLite and
not DuckDB (the results store's engine): a session is written by short transactions from
several processes (two annotators teaching at once, a status while a query runs), and
SQLite gives exactly that: WAL readers that never block, a busy timeout that serialises
writers instead of refusing them, partial unique indexes (at most one live label per
row) and ``synchronous=FULL`` durability. DuckDB locks the whole file to one writing
process and has no partial indexes.

Rules every command follows (see docs/sessions.md):

* every write is one ``BEGIN IMMEDIATE`` transaction (:meth:`SessionStore.write`), so a
  kill at any point leaves either all of a command's rows or none;
* nothing is deleted: an undone teach and its labels, a released batch row carry the
  time they stopped counting;
* ``meta.generation`` grows by one in every write, so a command that computed outside a
  transaction (a query) can tell whether the session changed under it;
* no pickle: learner states are ``pack_state`` bytes (safetensors), models skops bytes,
  everything else JSON text.

Tables
------
``meta``         key/value: schema version, config, encoder schema, classes, generation,
                 ``complete`` (written last by ``init``).
``inputs``       the input tables: original source, SHA-256, the Parquet copy and its SHA-256.
``rows``         every row id of the labelled table and the pool with its position.
``strategies``   the strategy in force from a moment on (the first one written by ``init``).
``batches``      one row per query: round, strategy and options, the strategy's info, the
                 learner state after the query.
``batch_rows``   the rows of each batch with rank, pool position and the strategy's score
                 (NULL when it does not score rows); ``released_at`` marks a row freed by
                 ``release``.
``releases``     one row per release.
``teaches``      one row per teach that stored labels: source, SHA-256, annotator, refused
                 rows; ``undone_at`` marks an undone teach.
``labels``       one row per stored label; ``undone_at`` marks the labels of an undone teach.
``rounds``       the model after each teach (teach 0: the initial labelled rows): metrics,
                 the model as skops bytes (a Pipeline of the standardisation and the
                 model; or why it could not be saved); recomputable.
``pushes``       rows pushed to a Label Studio project (so ``sync`` pushes each once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fairpool.errors import (
    SessionBusyError,
    SessionNotFoundError,
    SessionSchemaError,
)

__all__ = [
    "BUSY_TIMEOUT_S",
    "DB_NAME",
    "SCHEMA_VERSION",
    "SessionStore",
    "utc_now",
]

#: File name of the database inside a session directory.
DB_NAME = "session.sqlite"

#: Version of the table layout below; a store with another version is refused.
SCHEMA_VERSION = 1

#: How long a command waits for another process's write transaction before giving up.
BUSY_TIMEOUT_S = 60.0

_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE inputs (
    role TEXT PRIMARY KEY CHECK (role IN ('labelled', 'pool', 'validation')),
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    copy TEXT NOT NULL,
    copy_sha256 TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    columns TEXT NOT NULL
);
CREATE TABLE rows (
    row_id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('labelled', 'pool')),
    position INTEGER NOT NULL,
    UNIQUE (role, position)
) WITHOUT ROWID;
CREATE TABLE strategies (
    strategy_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    options TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE batches (
    batch_id INTEGER PRIMARY KEY,
    round INTEGER NOT NULL,
    strategy_id INTEGER NOT NULL REFERENCES strategies (strategy_id),
    strategy TEXT NOT NULL,
    strategy_options TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    info TEXT NOT NULL,
    learner_state BLOB NOT NULL,
    state_format TEXT NOT NULL,
    seconds REAL NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE releases (
    release_id INTEGER PRIMARY KEY,
    batch_id INTEGER REFERENCES batches (batch_id),
    n_rows INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE batch_rows (
    batch_id INTEGER NOT NULL REFERENCES batches (batch_id),
    rank INTEGER NOT NULL,
    row_id TEXT NOT NULL REFERENCES rows (row_id),
    pool_position INTEGER NOT NULL,
    released_at TEXT,
    release_id INTEGER REFERENCES releases (release_id),
    score REAL,
    PRIMARY KEY (batch_id, rank)
);
CREATE UNIQUE INDEX batch_rows_live ON batch_rows (row_id) WHERE released_at IS NULL;
CREATE TABLE teaches (
    teach_id INTEGER PRIMARY KEY,
    strategy_id INTEGER NOT NULL REFERENCES strategies (strategy_id),
    source TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    annotator TEXT,
    n_stored INTEGER NOT NULL,
    n_refused INTEGER NOT NULL,
    refused TEXT NOT NULL,
    created TEXT NOT NULL,
    undone_at TEXT
);
CREATE INDEX teaches_sha ON teaches (source_sha256);
CREATE TABLE labels (
    label_id INTEGER PRIMARY KEY,
    teach_id INTEGER NOT NULL REFERENCES teaches (teach_id),
    row_id TEXT NOT NULL REFERENCES rows (row_id),
    batch_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    value TEXT NOT NULL,
    code INTEGER NOT NULL,
    line INTEGER,
    annotator TEXT,
    created TEXT NOT NULL,
    undone_at TEXT,
    FOREIGN KEY (batch_id, rank) REFERENCES batch_rows (batch_id, rank)
);
CREATE UNIQUE INDEX labels_live ON labels (row_id) WHERE undone_at IS NULL;
CREATE INDEX labels_teach ON labels (teach_id);
CREATE TABLE rounds (
    teach_id INTEGER PRIMARY KEY,
    n_labelled INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    evaluation TEXT NOT NULL,
    model BLOB,
    model_format TEXT NOT NULL,
    model_note TEXT NOT NULL,
    seconds REAL NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE pushes (
    target TEXT NOT NULL,
    row_id TEXT NOT NULL REFERENCES rows (row_id),
    batch_id INTEGER NOT NULL REFERENCES batches (batch_id),
    created TEXT NOT NULL,
    PRIMARY KEY (target, row_id, batch_id)
);
"""


def utc_now() -> str:
    """The current time in UTC as ISO 8601 text with microseconds (sorts as text)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; every write is an explicit
    # BEGIN IMMEDIATE ... COMMIT (SessionStore.write).
    con = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = FULL")
    return con


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SessionStore:
    """The SQLite database of one session directory.

    Use :meth:`create` for a new store and :meth:`open` for an existing one; reads go
    through :meth:`read` (one consistent snapshot), writes through :meth:`write` (one
    ``BEGIN IMMEDIATE`` transaction).

    Parameters
    ----------
    connection : sqlite3.Connection
    directory : Path
    """

    def __init__(self, connection: sqlite3.Connection, directory: Path) -> None:
        self._con = connection
        self.directory = directory
        self._in_transaction = False

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> SessionStore:
        """Create an empty store (the tables, no ``complete`` mark) in ``directory``.

        A database left by an ``init`` that never finished is replaced.
        """
        path = Path(directory) / DB_NAME
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        con = _connect(path, busy_timeout)
        con.execute("PRAGMA journal_mode = WAL")
        store = cls(con, Path(directory))
        with store.write(bump=False):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            store.set_meta("schema_version", SCHEMA_VERSION)
            store.set_meta("generation", 0)
        return store

    @classmethod
    def open(cls, directory: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> SessionStore:
        """Open the store of an existing session.

        Raises
        ------
        SessionNotFoundError
            No database in ``directory``, or one whose ``init`` did not finish.
        SessionSchemaError
            The database has another schema version (or none).
        """
        directory = Path(directory)
        path = directory / DB_NAME
        if not path.is_file():
            raise SessionNotFoundError(
                f"{directory} holds no fairpool session (no {DB_NAME}); create one with "
                "`fairpool session init` / Session.create"
            )
        con = _connect(path, busy_timeout)
        store = cls(con, directory)
        try:
            version = store.get_meta("schema_version")
            complete = store.get_meta("complete")
        except sqlite3.DatabaseError as exc:
            con.close()
            raise SessionSchemaError(
                f"{path} is not a fairpool session store this version can read ({exc})"
            ) from None
        if version != SCHEMA_VERSION:
            con.close()
            raise SessionSchemaError(
                f"{path} has session store schema {version!r}; this fairpool reads schema "
                f"{SCHEMA_VERSION} only: open it with the fairpool version that wrote it"
            )
        if not complete:
            con.close()
            raise SessionNotFoundError(
                f"the session in {directory} was never finished (its init was interrupted); "
                "run `fairpool session init` again into that directory"
            )
        try:
            store._add_missing_columns()
        except BaseException:
            con.close()
            raise
        return store

    def _add_missing_columns(self) -> None:
        """Add the columns a store written before they existed lacks (same schema version).

        ``batch_rows.score`` came after the first stores; added empty (NULL: no score
        recorded), in one write transaction that checks again, so two processes opening
        the same old store add it once.
        """
        if self._has_column("batch_rows", "score"):
            return
        with self.write(bump=False) as con:
            if not self._has_column("batch_rows", "score"):
                con.execute("ALTER TABLE batch_rows ADD COLUMN score REAL")

    def _has_column(self, table: str, column: str) -> bool:
        return any(row[1] == column for row in self._con.execute(f"PRAGMA table_info({table})"))

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    # -- transactions -------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self, *, bump: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): everything inside commits or nothing.

        Waits up to the busy timeout for another process's write transaction.

        Raises
        ------
        SessionBusyError
            Another process held the session past the busy timeout.
        """
        if self._in_transaction:
            raise RuntimeError("nested session transaction")  # a programming error
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise SessionBusyError(
                    f"another fairpool command is writing to the session in {self.directory} "
                    f"and held it for more than {self._timeout():.0f} s; try again when it "
                    "has finished"
                ) from None
            raise
        self._in_transaction = True
        try:
            yield self._con
            if bump:  # last, so the body still reads the generation it started from
                self._con.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"
                )
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._in_transaction = False

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same snapshot."""
        if self._in_transaction:
            yield self._con
            return
        self._con.execute("BEGIN")
        self._in_transaction = True
        try:
            yield self._con
        finally:
            self._con.execute("COMMIT")
            self._in_transaction = False

    def _timeout(self) -> float:
        return float(self._con.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000.0

    # -- meta ---------------------------------------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        """Store ``value`` (as JSON) under ``key``; call inside :meth:`write`."""
        self._con.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key`` (``default`` when absent)."""
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def generation(self) -> int:
        """How many write transactions the session has seen (changes with every write)."""
        return int(self.get_meta("generation", 0))

    # -- small helpers ------------------------------------------------------------------
    def one(self, sql: str, params: tuple = ()) -> Any:
        """The first column of the first row of ``sql`` (None when no row)."""
        row = self._con.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Every row of ``sql``."""
        return self._con.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Run one statement (inside :meth:`write` for a change)."""
        return self._con.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        """Run one statement for many rows (inside :meth:`write`)."""
        return self._con.executemany(sql, rows)
