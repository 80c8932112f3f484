"""The results store: one DuckDB file holding every finished cell.

Tables
------
``configs``
    One row per experiment config that was run (its TOML text, for the report).
``runs``
    One row per finished cell: its key, what it ran, package versions, wall time.
``rounds``
    The History rows of every run (one per round), keyed by ``cell_key``. Columns
    follow the History: the fixed metric columns plus ``picked_<group>`` counts and
    any ``strategy_*`` columns, added as new cells bring them. List-valued columns
    (``picked``) are stored as JSON text.

A cell's ``runs`` row and its ``rounds`` rows are written in one transaction, so
the store never holds half a cell: a ``runs`` row means the whole History is there.
Only the parent process of a run writes; DuckDB locks the file for that process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from fairpool.bench._cells import CellOutcome
from fairpool.bench._grid import Cell, canonical_json
from fairpool.errors import InvalidInputError

__all__ = ["ResultsStore", "DEFAULT_DB_NAME", "RUN_COLUMNS"]

DEFAULT_DB_NAME = "fairpool.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS configs (
    config_hash VARCHAR PRIMARY KEY,
    title VARCHAR,
    path VARCHAR,
    source VARCHAR,
    first_run_at TIMESTAMP,
    last_run_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS runs (
    cell_key VARCHAR PRIMARY KEY,
    config_hash VARCHAR,
    grid VARCHAR,
    dataset VARCHAR,
    dataset_label VARCHAR,
    dataset_options VARCHAR,
    subsample BIGINT,
    split VARCHAR,
    split_options VARCHAR,
    learner VARCHAR,
    learner_label VARCHAR,
    learner_options VARCHAR,
    strategy VARCHAR,
    strategy_label VARCHAR,
    strategy_params VARCHAR,
    seed BIGINT,
    budget BIGINT,
    batch_size BIGINT,
    initial BIGINT,
    n_rounds BIGINT,
    history_config VARCHAR,
    versions VARCHAR,
    wall_seconds DOUBLE,
    finished_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS rounds (
    cell_key VARCHAR NOT NULL,
    round BIGINT NOT NULL,
    n_labelled BIGINT
);
"""

#: Columns of the ``runs`` table, in order.
RUN_COLUMNS: tuple[str, ...] = (
    "cell_key", "config_hash", "grid", "dataset", "dataset_label", "dataset_options",
    "subsample", "split", "split_options", "learner", "learner_label", "learner_options",
    "strategy", "strategy_label", "strategy_params", "seed", "budget", "batch_size",
    "initial", "n_rounds", "history_config", "versions", "wall_seconds", "finished_at",
)

# Column kinds, narrowest first; a column seen with two kinds is widened to the wider.
_KIND_TYPES = {"bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE", "text": "VARCHAR"}
_TYPE_KINDS = {"BOOLEAN": "bool", "BIGINT": "int", "INTEGER": "int", "DOUBLE": "float",
               "VARCHAR": "text"}
_KIND_ORDER = ("bool", "int", "float", "text")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, sort_keys=True)


def _is_listlike(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray, dict, set, frozenset))


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "text"


def _wider(a: str, b: str) -> str:
    if {a, b} <= {"int", "float"}:
        return "float"
    if a == b:
        return a
    return "text"


def _prepare_rounds(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The History rows as a table DuckDB can take: lists to JSON, objects to text."""
    out = pd.DataFrame(index=range(len(frame)))
    out["cell_key"] = key
    for col in frame.columns:
        name = str(col)
        if name == "cell_key":
            raise InvalidInputError("a History must not have a column named 'cell_key'")
        values = frame[col].reset_index(drop=True)
        kind = _column_kind(values)
        if kind == "text":
            values = values.map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                else (_to_json(v) if _is_listlike(v) else str(v))
            ).astype(object)
        out[name] = values
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ResultsStore:
    """A DuckDB results database: finished cells, their History rows, the configs.

    Parameters
    ----------
    path : str or Path
        The database file (created with its folder unless ``read_only``).
    read_only : bool
        Open an existing database for reading only.

    Examples
    --------
    >>> with ResultsStore("results/fairpool.duckdb") as store:  # doctest: +SKIP
    ...     store.finished_keys()
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise InvalidInputError(
                f"no results database at {str(self.path)!r}; run `fairpool run` first "
                "or pass the path of a database"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            busy = "lock" in str(exc).lower()
            hint = " (another `fairpool run` is writing to it; wait for it to end)" if busy else ""
            raise InvalidInputError(
                f"cannot open results database {str(self.path)!r}{hint}: {exc}"
            ) from None
        if not read_only:
            self._con.execute(_SCHEMA)
        elif not self._has_tables():
            self._con.close()
            raise InvalidInputError(
                f"{str(self.path)!r} is a DuckDB database without fairpool results "
                "(tables runs and rounds are missing)"
            )

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Close the connection (pending writes are already committed)."""
        self._con.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_tables(self) -> bool:
        names = {r[0] for r in self._con.execute("SELECT table_name FROM duckdb_tables()")
                 .fetchall()}
        return {"runs", "rounds"} <= names

    # -- writing -----------------------------------------------------------
    def record_config(self, *, config_hash: str, title: str, path: str, source: str) -> None:
        """Remember an experiment config (its TOML text) and when it was last run."""
        now = dt.datetime.now()
        self._con.execute(
            "INSERT INTO configs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (config_hash) "
            "DO UPDATE SET last_run_at = excluded.last_run_at, path = excluded.path",
            [config_hash, title, path, source, now, now],
        )

    def finished_keys(self) -> set[str]:
        """Keys of the cells already stored."""
        return {r[0] for r in self._con.execute("SELECT cell_key FROM runs").fetchall()}

    def write_cell(self, cell: Cell, outcome: CellOutcome, *, config_hash: str = "") -> None:
        """Store a finished cell: its ``runs`` row and all its ``rounds``, atomically.

        Parameters
        ----------
        cell : Cell
            The cell that ran.
        outcome : CellOutcome
            Its successful outcome.
        config_hash : str
            Hash of the config the cell was run from.

        Raises
        ------
        InvalidInputError
            If the outcome is a failure, belongs to another cell or the cell is stored.
        """
        if not outcome.ok or outcome.result is None:
            raise InvalidInputError(f"cell {cell.describe()} failed; only results are stored")
        if outcome.key != cell.key:
            raise InvalidInputError(
                f"outcome for cell {outcome.key!r} given with cell {cell.key!r}"
            )
        frame = outcome.result.frame
        for required in ("round", "n_labelled"):
            if required not in frame.columns:
                raise InvalidInputError(
                    f"the History of {cell.describe()} lacks the column {required!r}"
                )
        rows = _prepare_rounds(frame, cell.key)
        run_row = [
            cell.key, config_hash, cell.grid, cell.dataset, cell.dataset_label,
            canonical_json(cell.dataset_options), cell.subsample, cell.split,
            canonical_json(cell.split_options), cell.learner, cell.learner_label,
            canonical_json(cell.learner_options), cell.strategy, cell.strategy_label,
            canonical_json(cell.strategy_params), cell.seed, cell.budget, cell.batch_size,
            cell.initial, len(frame), _to_json(outcome.result.config),
            _to_json(outcome.versions), float(outcome.seconds), dt.datetime.now(),
        ]
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            self._ensure_columns(rows)
            con.execute(
                f"INSERT INTO runs VALUES ({', '.join('?' * len(RUN_COLUMNS))})", run_row
            )
            con.register("_fairpool_cell_rounds", rows)
            try:
                con.execute(
                    "INSERT INTO rounds BY NAME SELECT * FROM _fairpool_cell_rounds"
                )
            finally:
                con.unregister("_fairpool_cell_rounds")
            con.execute("COMMIT")
        except BaseException:
            # A Ctrl-C landing just after COMMIT finds no transaction left to roll back.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise

    def _ensure_columns(self, rows: pd.DataFrame) -> None:
        existing = {
            name.lower(): (name, _TYPE_KINDS.get(dtype, "text"))
            for name, dtype in self._con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE table_name = 'rounds'"
            ).fetchall()
        }
        for col in rows.columns:
            kind = _column_kind(rows[col])
            if col.lower() not in existing:
                self._con.execute(
                    f"ALTER TABLE rounds ADD COLUMN {_quote(col)} {_KIND_TYPES[kind]}"
                )
                existing[col.lower()] = (col, kind)
                continue
            name, old = existing[col.lower()]
            new = _wider(old, kind)
            if new != old:
                self._con.execute(
                    f"ALTER TABLE rounds ALTER COLUMN {_quote(name)} TYPE {_KIND_TYPES[new]}"
                )
                existing[col.lower()] = (name, new)

    # -- reading -----------------------------------------------------------
    def runs(self) -> pd.DataFrame:
        """The ``runs`` table, one row per stored cell, in the order they finished."""
        return self._con.execute("SELECT * FROM runs ORDER BY finished_at, cell_key").df()

    def rounds(self, *, decode_json: bool = True) -> pd.DataFrame:
        """Every History row joined with its run's description.

        Parameters
        ----------
        decode_json : bool
            Turn the JSON text of list columns (``picked``) back into lists.

        Returns
        -------
        pandas.DataFrame
            The ``rounds`` columns plus the run columns that describe the cell.
        """
        frame = self._con.execute(
            "SELECT r.grid, r.dataset, r.dataset_label, r.learner, r.learner_label, "
            "r.strategy, r.strategy_label, r.seed, r.budget, r.batch_size, x.* "
            "FROM rounds x JOIN runs r USING (cell_key) "
            "ORDER BY r.grid, r.dataset_label, r.learner_label, r.strategy_label, r.seed, "
            "x.round"
        ).df()
        if decode_json and "picked" in frame.columns:
            frame["picked"] = frame["picked"].map(
                lambda v: json.loads(v) if isinstance(v, str) else v
            )
        return frame

    def final_rounds(self) -> pd.DataFrame:
        """The last round of every run (the final budget), with the run's description."""
        rounds = self.rounds(decode_json=False)
        if rounds.empty:
            return rounds
        last = rounds.groupby("cell_key")["round"].transform("max")
        return rounds[rounds["round"] == last].reset_index(drop=True)

    def configs(self) -> pd.DataFrame:
        """The configs run into this database, oldest first."""
        return self._con.execute("SELECT * FROM configs ORDER BY first_run_at").df()

    def count(self, table: str) -> int:
        """Number of rows of ``table`` (``runs``, ``rounds`` or ``configs``)."""
        if table not in ("runs", "rounds", "configs"):
            raise InvalidInputError(f"table must be runs, rounds or configs; got {table!r}")
        return int(self._con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def export(self, path: str | Path, *, table: str = "rounds") -> Path:
        """Write ``rounds`` (joined with runs), ``final`` or ``runs`` to Parquet or CSV.

        Parameters
        ----------
        path : str or Path
            Target file; the suffix ``.parquet`` or ``.csv`` picks the format.
        table : {"rounds", "final", "runs"}
            What to export.

        Returns
        -------
        Path
        """
        path = Path(path)
        frames = {"rounds": lambda: self.rounds(decode_json=False),
                  "final": self.final_rounds, "runs": self.runs}
        if table not in frames:
            raise InvalidInputError(
                f"export table must be one of {', '.join(frames)}; got {table!r}"
            )
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise InvalidInputError(
                f"export file {str(path)!r} must end in .parquet or .csv"
            )
        frame = frames[table]()
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path

