"""The session verbs: create, open, query, teach, status, export, undo, release, strategy, sync.

A :class:`Session` is a directory (see :mod:`fairpool.sessions._store`) and nothing in
memory that matters: every verb reads what it needs from the store, writes its result
in one transaction, and leaves the directory complete after a kill at any point. Written
by hand because no active-learning library keeps a campaign across processes (modAL and
small-text pickle the learner; baal keeps which rows are labelled, not the labels).

The order of the labelled rows, which fixes every refit (and so every model and every
query), is: the initial labelled table in file order, then the taught rows in teach
order, within a teach by (batch, rank). With the labels revealed batch by batch, this is
the order in which :func:`fairpool.active.run` adds them, and a session queries exactly
what ``run`` picks (tests/sessions/test_session_equals_run.py).

Why one module: the verbs are the methods of one class and share its few private
readers of the store (the live labels in order, the reserved rows, the learner rebuilt
with the last query's state); the other ideas (store, label files, status, learner state,
encoding) are their own modules.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairpool.errors import (
    BudgetError,
    FairpoolError,
    InvalidInputError,
    SessionError,
    SessionExistsError,
    UnknownColumnError,
)
from fairpool.sessions._encoding import EncodedRows, fit_encoder, load_encoder, session_ids
from fairpool.sessions._labels import TeachReport, check_records, read_labels
from fairpool.sessions._model import (
    LearnerSpec,
    build_learner,
    capture_state,
    evaluate,
    load_model,
    metrics_from_json,
    metrics_json,
    restore_state,
    save_model,
)
from fairpool.sessions._status import SessionStatus, read_status
from fairpool.sessions._store import DB_NAME, SessionStore, utc_now
from fairpool.sessions._tables import copy_as_parquet, read_input

if TYPE_CHECKING:  # pragma: no cover
    from fairpool.active import ActiveLearner

__all__ = ["Session", "SyncReport"]

#: How often a query recomputes when another process changed the session meanwhile.
_QUERY_ATTEMPTS = 3

_ROLES = ("labelled", "pool", "validation")

#: Files and folders a session directory may hold (anything else: not ours).
_OWN_NAMES = {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", "inputs",
              "encoded"}


class _Changed(Exception):
    """The session changed between a query's reading and its writing."""


@dataclass
class SyncReport:
    """What :meth:`Session.sync` did.

    Attributes
    ----------
    pushed : int
        Tasks pushed to the Label Studio project (rows of open batches not pushed before).
    pulled : int
        Annotations pulled.
    already : int
        Pulled annotations of rows already labelled with that label (taught by an
        earlier sync); left out of the teach.
    teach : TeachReport or None
        The teach of the other pulled annotations (None when there were none).
    """

    pushed: int
    pulled: int
    already: int
    teach: TeachReport | None

    def __str__(self) -> str:
        lines = [f"pushed {self.pushed} task(s); pulled {self.pulled} annotation(s), "
                 f"{self.already} already taught"]
        if self.teach is not None:
            lines.append(str(self.teach))
        return "\n".join(lines)


def _name_list(value: str | Sequence[str] | None, argument: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = [str(v) for v in value]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{argument} lists a column twice: {names}")
    return names


def _positive_int(value: Any, argument: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise BudgetError(f"{argument} must be a positive integer, got {value!r}")
    return int(value)


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, array, allow_pickle=False)
    os.replace(tmp, path)


class Session:
    """A labelling campaign on your own data, kept in a directory.

    Build one with :meth:`create` (or ``fairpool session init``) and reopen it with
    :meth:`open` from any process. The verbs: :meth:`query` a batch, :meth:`teach` its
    labels, :meth:`status`, :meth:`export`, :meth:`undo`, :meth:`release`,
    :meth:`set_strategy`, :meth:`sync` with Label Studio.

    Examples
    --------
    >>> import fairpool as fp
    >>> s = fp.Session.create("campaign", labelled="labelled.csv", pool="pool.csv",
    ...                       target="income", sensitive="sex")  # doctest: +SKIP
    >>> batch = s.query()                                     # doctest: +SKIP
    >>> s.teach("answers.csv")                                # doctest: +SKIP
    """

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self.directory = store.directory
        self.config: dict[str, Any] = store.get_meta("config")
        self.classes: list[str] = list(self.config["classes"])
        self._encoder: Any = None
        self._arrays: dict[str, EncodedRows] = {}

    # -- create / open ------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        directory: str | os.PathLike,
        *,
        labelled: Any,
        pool: Any,
        target: str,
        sensitive: str | Sequence[str],
        id: str | None = None,
        validation: Any = None,
        strategy: str = "entropy",
        learner: str = "logreg",
        budget: int | None = None,
        batch_size: int = 50,
        seed: int = 0,
        positive: Any = None,
        strategy_options: Mapping[str, Any] | None = None,
        learner_options: Mapping[str, Any] | None = None,
        drop: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
    ) -> Session:
        """Start a session in ``directory`` from a labelled table and an unlabelled pool.

        The tables are copied into the directory as Parquet; the encoder is fitted on
        the labelled table (categories and groups also from the pool and validation
        table); the learner is fitted on the labelled rows (round 0).

        Parameters
        ----------
        directory : path
            A new or empty directory (or one left by an interrupted ``create``).
        labelled : path or DataFrame
            Rows with the target filled in (CSV with any common delimiter, Parquet, a
            pandas or polars frame).
        pool : path or DataFrame
            Unlabelled rows with the same columns; a target column, if present, must be
            empty (it is dropped).
        target : str
            The label column.
        sensitive : str or list of str
            The sensitive column(s); several give intersectional groups.
        id : str, optional
            A column identifying each row. Without it, rows are identified by a SHA-256
            hash of their values (``~2``, ``~3``... tell identical rows apart).
        validation : path or DataFrame, optional
            Labelled rows the round metrics are measured on. Without it, out-of-fold
            predictions on the initial labelled rows (docs/sessions.md).
        strategy, learner : str
            Names from ``fairpool strategies`` / ``fairpool learners``.
        budget : int, optional
            Labels to buy in all (default: the pool's size).
        batch_size : int, default=50
            Rows per query when ``query`` is not given ``n``.
        seed : int, default=0
        positive : optional
            The positive target value (needed unless 0/1, true/false, yes/no).
        strategy_options, learner_options : mapping, optional
        drop, categorical : list of str, optional
            Columns to leave out / to one-hot encode although numeric.

        Returns
        -------
        Session

        Raises
        ------
        SessionExistsError
            ``directory`` holds a session or other files.
        UnknownColumnError
            A named column is not in a table.
        EmptyInputError
            A table has no rows.
        BudgetError
            ``budget`` or ``batch_size`` not positive, or ``budget`` larger than the pool.
        InvalidInputError
            Duplicate ids, a one-class labelled table, unknown names, ...
        """
        directory = Path(directory)
        _check_directory(directory)
        sensitive_cols = _name_list(sensitive, "sensitive")
        if not sensitive_cols:
            raise InvalidInputError("sensitive must name at least one column")
        batch_size = _positive_int(batch_size, "batch_size")
        budget = _positive_int(budget, "budget", allow_none=True)
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise InvalidInputError(f"seed must be an int, got {seed!r}")
        _check_strategy(strategy, strategy_options)  # an unknown name now, not at query
        _check_learner(learner, learner_options)

        tables: dict[str, pd.DataFrame] = {}
        sources: dict[str, tuple[str, str | None]] = {}
        for role, source in (("labelled", labelled), ("pool", pool), ("validation", validation)):
            if source is None:
                continue
            frame, description, digest = read_input(source, role=role)
            tables[role], sources[role] = frame, (description, digest)
        lab, pool_df = tables["labelled"], tables["pool"]
        for role, frame in tables.items():
            needed = [target] if role != "pool" else []
            needed += sensitive_cols + ([id] if id else [])
            for col in needed:
                if col not in frame.columns:
                    raise UnknownColumnError(
                        f"column {col!r} is not in the {role} table; its columns are "
                        f"{list(frame.columns)}"
                    )
        if target in pool_df.columns:
            filled = int(pool_df[target].notna().sum())
            if filled:
                raise InvalidInputError(
                    f"the pool has {filled} value(s) in the target column {target!r}: a pool "
                    "is unlabelled; put labelled rows in the labelled table, or drop the column"
                )
            pool_df = tables["pool"] = pool_df.drop(columns=[target])
        features = [c for c in lab.columns if c not in {target, *(drop or [])}]
        missing = [c for c in features if c not in pool_df.columns]
        if missing:
            raise UnknownColumnError(
                f"the pool lacks the labelled table's column(s) {missing}; both need the same "
                "columns (the pool without the target)"
            )

        also = [pool_df] + ([tables["validation"]] if "validation" in tables else [])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # one group: said by status instead
            encoder = fit_encoder(lab, also, target=target, sensitive=sensitive_cols, id=id,
                                  drop=drop, categorical=categorical, positive=positive)
        encoded: dict[str, EncodedRows] = {}
        for role, frame in tables.items():
            enc = encoder.transform(frame)
            if role != "pool" and enc.y is None:
                raise InvalidInputError(f"the {role} table's target column {target!r} is empty")
            encoded[role] = EncodedRows(
                np.ascontiguousarray(enc.X, dtype=np.float32),
                np.asarray(enc.groups, dtype=np.int64),
                None if role == "pool" else np.asarray(enc.y, dtype=np.int64),
            )
        ids = dict(zip(("labelled", "pool"), session_ids(encoder, lab, pool_df), strict=True))
        n_pool = len(pool_df)
        if budget is not None and budget > n_pool:
            raise BudgetError(f"budget={budget} is larger than the pool ({n_pool} rows)")
        classes = [str(c) for c in encoder.classes_]
        present = np.unique(encoded["labelled"].y)
        if present.shape[0] < 2:
            raise InvalidInputError(
                f"the labelled table has a single class ({classes[int(present[0])]!r}) in "
                f"{target!r}; the learner needs at least two classes: label rows of the other "
                "class first"
            )
        id_label = id or next(n for n in ("id", "row_id", "fairpool_id")
                              if n not in pool_df.columns)
        config = {
            "target": target,
            "sensitive": sensitive_cols,
            "id": id,
            "id_label": id_label,
            "strategy": strategy,
            "strategy_options": dict(strategy_options or {}),
            "learner": learner,
            "learner_options": dict(learner_options or {}),
            "seed": int(seed),
            "budget": budget,
            "batch_size": batch_size,
            "positive": None if positive is None else str(positive),
            "drop": list(drop or []),
            "categorical": list(categorical or []),
            "classes": classes,
            "group_names": [str(n) for n in encoder.group_names_],
            "feature_names": [str(n) for n in encoder.feature_names_],
            "has_validation": "validation" in tables,
            "n_labelled": len(lab),
            "n_pool": n_pool,
            "fairpool_version": _fairpool_version(),
            "created": utc_now(),
        }
        json.dumps(config)  # refuse non-JSON options now, not after the files are written

        # Round 0: the learner on the initial rows (refuses a bad learner before any write).
        spec = _spec(config, strategy, dict(strategy_options or {}))
        validation_arrays = _triple(encoded.get("validation"))
        lab_arrays = _triple(encoded["labelled"])
        started = time.perf_counter()
        al = build_learner(spec, validation_arrays)
        al.fit(*lab_arrays)
        round0 = evaluate(spec, al, lab_arrays, len(lab_arrays[1]), validation_arrays)
        model = save_model(al, lab_arrays[0])
        seconds = time.perf_counter() - started

        (directory / "inputs").mkdir(parents=True, exist_ok=True)
        (directory / "encoded").mkdir(exist_ok=True)
        inputs = []
        for role, frame in tables.items():
            copy = f"inputs/{role}.parquet"
            copy_digest = copy_as_parquet(frame, directory / copy)
            description, digest = sources[role]
            inputs.append((role, description, digest or copy_digest, copy, copy_digest,
                           len(frame), json.dumps([str(c) for c in frame.columns])))
        for role, rows in encoded.items():
            _write_encoded(directory, role, rows)

        store = SessionStore.create(directory)
        with store.write() as con:
            store.set_meta("config", config)
            store.set_meta("encoder", encoder.to_dict())
            con.executemany("INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?)", inputs)
            for role in ("labelled", "pool"):
                con.executemany(
                    "INSERT INTO rows (row_id, role, position) VALUES (?, ?, ?)",
                    ((row_id, role, k) for k, row_id in enumerate(ids[role])),
                )
            con.execute(
                "INSERT INTO strategies (name, options, created) VALUES (?, ?, ?)",
                (strategy, json.dumps(dict(strategy_options or {})), utc_now()),
            )
            _insert_round(con, 0, len(lab_arrays[1]), round0, model, seconds)
            store.set_meta("complete", True)  # last: a store without it is an unfinished init
        session = cls(store)
        session._encoder = encoder
        session._arrays = encoded
        return session

    @classmethod
    def open(cls, directory: str | os.PathLike) -> Session:
        """Open the session in ``directory`` and finish any round a killed command left.

        A teach stores its labels in one transaction and refits after it; if the process
        died in between, the round's model and metrics are recomputed here.

        Raises
        ------
        SessionNotFoundError
            No (finished) session in ``directory``.
        SessionSchemaError
            The store was written by another store schema.
        """
        session = cls(SessionStore.open(Path(directory)))
        session.catch_up()
        return session

    def close(self) -> None:
        """Close the store (the session stays on disk)."""
        self._store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session({str(self.directory)!r})"

    # -- what the session knows ---------------------------------------------------------
    @property
    def target(self) -> str:
        """The target column."""
        return self.config["target"]

    @property
    def id_column(self) -> str:
        """The id column of query outputs and label files (the user's, or ``"id"``)."""
        return self.config["id_label"]

    @property
    def encoder(self) -> Any:
        """The fitted table encoder (loaded from the store's JSON schema)."""
        if self._encoder is None:
            self._encoder = load_encoder(self._store.get_meta("encoder"))
        return self._encoder

    @property
    def strategy(self) -> tuple[str, dict[str, Any]]:
        """The strategy in force: name and options."""
        row = self._store.all("SELECT name, options FROM strategies ORDER BY strategy_id DESC "
                              "LIMIT 1")[0]
        return row[0], json.loads(row[1])

    def _rows(self, role: str) -> EncodedRows:
        """The encoded table ``role`` (cached in ``encoded/``; recomputed if missing)."""
        if role in self._arrays:
            return self._arrays[role]
        n = self._store.one("SELECT n_rows FROM inputs WHERE role = ?", (role,))
        if n is None:
            raise SessionError(f"the session has no {role} table")
        base = self.directory / "encoded"
        try:
            X = np.load(base / f"{role}_X.npy", mmap_mode="r", allow_pickle=False)
            groups = np.load(base / f"{role}_groups.npy", allow_pickle=False)
            y = (None if role == "pool"
                 else np.load(base / f"{role}_y.npy", allow_pickle=False))
            if X.shape[0] != n or groups.shape[0] != n:
                raise ValueError("stale cache")
            rows = EncodedRows(X, groups, y)
        except (OSError, ValueError):
            frame = self._input_frame(role)
            enc = self.encoder.transform(frame)
            rows = EncodedRows(
                np.ascontiguousarray(enc.X, dtype=np.float32),
                np.asarray(enc.groups, dtype=np.int64),
                None if role == "pool" else np.asarray(enc.y, dtype=np.int64),
            )
            _write_encoded(self.directory, role, rows)
        self._arrays[role] = rows
        return rows

    def _input_frame(self, role: str, positions: np.ndarray | None = None) -> pd.DataFrame:
        """The session's copy of an input table (or the rows at ``positions``, in order)."""
        import pyarrow.parquet as pq

        copy = self._store.one("SELECT copy FROM inputs WHERE role = ?", (role,))
        table = pq.read_table(self.directory / copy)
        if positions is not None:
            table = table.take(np.asarray(positions, dtype=np.int64))
        return table.to_pandas()

    def _spec(self, strategy_id: int | None = None) -> LearnerSpec:
        if strategy_id is None:
            name, options = self.strategy
        else:
            name, text = self._store.all(
                "SELECT name, options FROM strategies WHERE strategy_id = ?", (strategy_id,))[0]
            options = json.loads(text)
        return _spec(self.config, name, options)

    def _validation(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        return _triple(self._rows("validation")) if self.config["has_validation"] else None

    def _labels(self, up_to_teach: int | None = None) -> pd.DataFrame:
        """Live labels in the session's order (teach, batch, rank), with pool positions."""
        sql = (
            "SELECT l.row_id, br.pool_position, l.code, l.teach_id, l.batch_id, l.rank "
            "FROM labels l JOIN batch_rows br ON br.batch_id = l.batch_id AND br.rank = l.rank "
            "WHERE l.undone_at IS NULL"
        )
        params: tuple = ()
        if up_to_teach is not None:
            sql += " AND l.teach_id <= ?"
            params = (up_to_teach,)
        sql += " ORDER BY l.teach_id, l.batch_id, l.rank"
        rows = self._store.all(sql, params)
        return pd.DataFrame(rows, columns=["row_id", "position", "code", "teach", "batch", "rank"])

    def _reserved(self) -> pd.DataFrame:
        rows = self._store.all(
            "SELECT br.row_id, br.batch_id, br.rank, br.pool_position FROM batch_rows br "
            "WHERE br.released_at IS NULL AND NOT EXISTS (SELECT 1 FROM labels l "
            "WHERE l.row_id = br.row_id AND l.undone_at IS NULL) ORDER BY br.batch_id, br.rank"
        )
        return pd.DataFrame(rows, columns=["row_id", "batch", "rank", "position"])

    def _labelled_arrays(self, labels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lab, pool = self._rows("labelled"), self._rows("pool")
        positions = labels["position"].to_numpy(dtype=np.int64)
        X = np.concatenate([np.asarray(lab.X), np.asarray(pool.X[positions])])
        y = np.concatenate([lab.y, labels["code"].to_numpy(dtype=np.int64)])
        g = np.concatenate([lab.groups, pool.groups[positions]])
        return X, y, g

    def learner(self) -> ActiveLearner:
        """The session's learner, rebuilt and fitted on every current labelled row.

        The rows in the session's order (docs/sessions.md), with the state stored by the
        last query loaded; its ``model_`` is the model of the last round.
        """
        with self._store.read():
            labels = self._labels()
            strategy_id = self._store.one("SELECT max(strategy_id) FROM strategies")
            last = self._last_batch(None)
        return self._fitted(labels, strategy_id, last)[0]

    def _last_batch(self, before: str | None) -> tuple | None:
        """(strategy_id, state, format) of the last batch (queried before ``before``)."""
        rows = self._store.all(
            "SELECT strategy_id, learner_state, state_format FROM batches "
            + ("" if before is None else "WHERE created <= ? ")
            + "ORDER BY batch_id DESC LIMIT 1", () if before is None else (before,))
        return rows[0] if rows else None

    def _fitted(self, labels: pd.DataFrame, strategy_id: int, last: tuple | None
                ) -> tuple[ActiveLearner, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A learner fitted on ``labels`` with the state of ``last`` when it is this
        strategy's (a strategy that changes the model, Falcon, needs it for the refit)."""
        arrays = self._labelled_arrays(labels)
        al = build_learner(self._spec(strategy_id), self._validation())
        al.fit(*arrays)
        if last is not None and last[0] == strategy_id:
            restore_state(al, last[1], last[2])
        return al, arrays

    def model(self, round: int | None = None) -> Any:
        """The stored model of a round (default: the last) as a scikit-learn Pipeline of
        the standardisation and the fitted model, predicting from encoded features.

        Raises
        ------
        SessionError
            The round does not exist, or its learner could not be saved (the note says
            why; use :meth:`learner` to refit it).
        """
        rounds = self._store.all(
            "SELECT r.teach_id, r.model, r.model_format, r.model_note FROM rounds r "
            "LEFT JOIN teaches t ON t.teach_id = r.teach_id "
            "WHERE r.teach_id = 0 OR t.undone_at IS NULL ORDER BY r.teach_id"
        )
        index = len(rounds) - 1 if round is None else round
        if not 0 <= index < len(rounds):
            raise SessionError(f"round {round} does not exist; rounds are 0..{len(rounds) - 1}")
        _, blob, fmt, note = rounds[index]
        if fmt != "skops":
            raise SessionError(f"round {index}'s model was not saved: {note}")
        return load_model(blob)

    # -- query --------------------------------------------------------------------------
    def query(self, n: int | None = None, *, release: bool = False) -> pd.DataFrame:
        """Ask the strategy for the next batch of pool rows to label.

        Parameters
        ----------
        n : int, optional
            Rows to pick (default: the batch size, or what is left of the budget).
        release : bool, default=False
            First release every open batch (its unlabelled rows become available again).

        Returns
        -------
        pandas.DataFrame
            The batch's rows in the pool's original columns (plus the id column when the
            session made the ids), then ``batch``, ``rank`` (0 = the strategy's first
            choice) and ``score`` (the strategy's score of the row, higher = wanted more;
            empty when the strategy does not score rows), in rank order.

        Raises
        ------
        BudgetError
            The budget is spent (labelled and reserved rows count), ``n`` exceeds what is
            left of it, or the pool has no available row left.
        SessionBusyError
            Other processes kept changing the session while this query computed.
        """
        for _attempt in range(_QUERY_ATTEMPTS):
            try:
                return self._query_once(n, release)
            except _Changed:
                continue
        raise SessionError(
            "the session kept changing while the query computed (other processes teaching "
            "or querying); run the query again"
        )

    def _query_once(self, n: int | None, release: bool) -> pd.DataFrame:
        started = time.perf_counter()
        with self._store.read():
            generation = self._store.generation()
            labels = self._labels()
            reserved = self._reserved()
            strategy_id = self._store.one("SELECT max(strategy_id) FROM strategies")
            last = self._store.all(
                "SELECT batch_id, strategy_id, learner_state, state_format FROM batches "
                "ORDER BY batch_id DESC LIMIT 1"
            )
            n_batches = self._store.one("SELECT count(*) FROM batches")
            n_teaches = self._store.one("SELECT count(*) FROM teaches WHERE undone_at IS NULL")
            spec = self._spec(strategy_id)
        n_pool = int(self.config["n_pool"])
        budget = self.config["budget"] or n_pool
        used, held = len(labels), 0 if release else len(reserved)
        left = budget - used - held
        free = np.ones(n_pool, dtype=bool)
        free[labels["position"].to_numpy(dtype=np.int64)] = False
        if not release:
            free[reserved["position"].to_numpy(dtype=np.int64)] = False
        available = np.flatnonzero(free)
        n = self._batch_size(n, left, budget, used, held, available.shape[0])

        pool = self._rows("pool")
        al = build_learner(spec, self._validation())
        al.fit(*self._labelled_arrays(labels))
        if last and last[0][1] == strategy_id:
            # The state carries the strategy's own state, a trained policy included.
            restore_state(al, last[0][2], last[0][3])
        else:  # first query, or a new strategy: it starts fresh at this round
            if getattr(al.strategy_, "requires_fit", False):
                al.fit_strategy(self._strategy_training_set())
            al.n_queries_ = int(n_batches)
        X_available = np.asarray(pool.X[available])  # a fresh array, in pool order
        picks = al.query(X_available, pool.groups[available], n)
        positions = available[picks]
        scores = [None] * len(positions) if al.last_scores_ is None else al.last_scores_.tolist()
        state, state_format = capture_state(al)
        info = json.dumps(al.last_info_, default=_json_default)
        seconds = time.perf_counter() - started

        ids = dict(self._store.all(
            "SELECT position, row_id FROM rows WHERE role = 'pool' AND position IN "
            f"({','.join('?' * len(positions))})", tuple(int(p) for p in positions)))
        now = utc_now()
        with self._store.write() as con:
            if self._store.generation() != generation:
                raise _Changed
            if release and len(reserved):
                self._release_rows(con, None, now)
            batch_id = con.execute(
                "INSERT INTO batches (round, strategy_id, strategy, strategy_options, n_rows, "
                "info, learner_state, state_format, seconds, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(n_teaches) + 1, strategy_id, spec.strategy,
                 json.dumps(dict(spec.strategy_options)), int(n), info, state, state_format,
                 seconds, now),
            ).lastrowid
            con.executemany(
                "INSERT INTO batch_rows (batch_id, rank, row_id, pool_position, score) "
                "VALUES (?, ?, ?, ?, ?)",
                ((batch_id, rank, ids[int(p)], int(p), score)
                 for rank, (p, score) in enumerate(zip(positions, scores, strict=True))),
            )
        return self._batch_frame(batch_id, positions, [ids[int(p)] for p in positions], scores)

    def _batch_size(self, n: int | None, left: int, budget: int, used: int, held: int,
                    n_available: int) -> int:
        if left <= 0:
            raise BudgetError(
                f"the budget of {budget} labels is spent: {used} labelled and {held} reserved "
                "in open batches; teach or release the open batches (query --release), or "
                "start a session with a larger budget"
            )
        if n_available == 0:
            raise BudgetError(
                f"the pool has no row left to offer: all {self.config['n_pool']} are labelled "
                f"or reserved ({held} reserved in open batches)"
            )
        if n is None:
            return int(min(self.config["batch_size"], left, n_available))
        n = _positive_int(n, "n")
        if n > left:
            raise BudgetError(
                f"n={n} is more than the {left} label(s) left of the budget of {budget} "
                f"({used} labelled, {held} reserved in open batches)"
            )
        if n > n_available:
            raise BudgetError(f"n={n} is more than the {n_available} pool row(s) still available")
        return n

    def _strategy_training_set(self) -> Any:
        """Labelled rows a strategy that must be trained learns from (initial + validation)."""
        from fairpool.datasets import Dataset

        parts = [self._rows("labelled")] + ([self._rows("validation")]
                                            if self.config["has_validation"] else [])
        return Dataset(
            X=np.concatenate([np.asarray(p.X) for p in parts]),
            y=np.concatenate([p.y for p in parts]),
            groups=np.concatenate([p.groups for p in parts]),
            group_names=tuple(self.config["group_names"]),
            feature_names=tuple(self.config["feature_names"]),
            name="session",
            info=_info(self.config),
        )

    def _batch_frame(self, batch_id: int, positions: np.ndarray, ids: list[str],
                     scores: list[float | None] | None = None) -> pd.DataFrame:
        frame = self._input_frame("pool", positions)
        if self.config["id"] is None:
            frame.insert(0, self.id_column, ids)
        frame["batch"] = batch_id
        frame["rank"] = np.arange(len(ids))
        frame["score"] = pd.array([None] * len(ids) if scores is None else scores, dtype="Float64")
        return frame

    def batch(self, batch_id: int) -> pd.DataFrame:
        """The rows of a batch as :meth:`query` returned them (plus ``label`` when taught).

        Raises
        ------
        SessionError
            No such batch.
        """
        rows = self._store.all(
            "SELECT br.row_id, br.pool_position, l.value, br.score FROM batch_rows br "
            "LEFT JOIN labels l "
            "ON l.batch_id = br.batch_id AND l.rank = br.rank AND l.undone_at IS NULL "
            "WHERE br.batch_id = ? ORDER BY br.rank", (int(batch_id),))
        if not rows:
            raise SessionError(f"there is no batch {batch_id}")
        frame = self._batch_frame(int(batch_id), np.array([r[1] for r in rows]),
                                  [r[0] for r in rows], [r[3] for r in rows])
        frame["label"] = [r[2] for r in rows]
        return frame

    # -- teach --------------------------------------------------------------------------
    def teach(
        self,
        labels: Any,
        *,
        source: str | None = None,
        annotator: str | None = None,
        id_column: str | None = None,
        label_column: str | None = None,
        refit: bool = True,
    ) -> TeachReport:
        """Store the labels of a file (or frame), then refit and record the round.

        Every row is checked: an unknown id, a duplicate id in the file, an id not in an
        open batch, an already labelled row, a label outside the classes or an empty one
        is refused with its line number; the good rows are stored together in one
        transaction. The same file (same SHA-256) taught again is a no-op that says so.

        Parameters
        ----------
        labels : path or DataFrame
            A CSV (id and label columns), a Parquet file, a Label Studio JSON export, or
            a frame.
        source : str, optional
            Name recorded for the labels (default: the path).
        annotator : str, optional
            Recorded with every label (a file's own ``annotator`` column wins).
        id_column, label_column : str, optional
            Default: the session's id column or ``id``; the target column or ``label``.
        refit : bool, default=True
            Refit and record the round now. With False the labels are stored and the
            round is left for :meth:`catch_up` (which every :meth:`open` runs): the
            command line acknowledges the stored labels before the refit.

        Returns
        -------
        TeachReport

        Raises
        ------
        LabelFileError
            The file cannot be read or lacks the id or label column.
        SessionBusyError
            Another process held the session past the busy timeout.
        """
        lf = read_labels(
            labels,
            id_defaults=list(dict.fromkeys([self.id_column, "id"])),
            label_defaults=list(dict.fromkeys([self.target, "label"])),
            id_column=id_column,
            label_column=label_column,
            read_export=lambda path: _labelstudio().read_export(path),
        )
        name = source or lf.source
        report = TeachReport(source=name, sha256=lf.sha256)
        ids = sorted({r.id for r in lf.records if r.id})
        now = utc_now()
        with self._store.write() as con:
            previous = self._store.one(
                "SELECT teach_id FROM teaches WHERE source_sha256 = ? AND undone_at IS NULL "
                "ORDER BY teach_id LIMIT 1", (lf.sha256,))
            if previous is not None:
                report.noop_of = int(previous)
                return report
            roles, labelled, released = self._lookups(ids)
            reserved = {r.row_id: (int(r.batch), int(r.rank))
                        for r in self._reserved().itertuples(index=False)}
            good, problems, report.same_label = check_records(
                lf.records, classes=self.classes, roles=roles, reserved=reserved,
                labelled=labelled, released=released)
            report.refused = problems
            if not good:
                return report
            strategy_id = self._store.one("SELECT max(strategy_id) FROM strategies")
            teach_id = con.execute(
                "INSERT INTO teaches (strategy_id, source, source_sha256, format, annotator, "
                "n_stored, n_refused, refused, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (strategy_id, name, lf.sha256, lf.format, annotator, len(good), len(problems),
                 json.dumps([p.__dict__ for p in problems]), now),
            ).lastrowid
            con.executemany(
                "INSERT INTO labels (teach_id, row_id, batch_id, rank, value, code, line, "
                "annotator, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((teach_id, g.record.id, g.batch_id, g.rank, g.value, g.code, g.record.line,
                  g.record.annotator or annotator, now) for g in good),
            )
        report.teach_id, report.stored = int(teach_id), len(good)
        if refit:
            report.metrics, report.evaluation = self._record_round(int(teach_id))
        return report

    def round_metrics(self, teach_id: int) -> tuple[dict[str, float], str] | None:
        """The metrics recorded for the round of a teach and how they were read (None when
        the round is still to be computed)."""
        rows = self._store.all("SELECT metrics, evaluation FROM rounds WHERE teach_id = ?",
                               (int(teach_id),))
        return None if not rows else (metrics_from_json(rows[0][0]), rows[0][1])

    def _lookups(self, ids: list[str]
                 ) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, int]]:
        roles: dict[str, str] = {}
        labelled: dict[str, tuple[str, str]] = {}
        released: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            chunk = tuple(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            roles.update(self._store.all(
                f"SELECT row_id, role FROM rows WHERE row_id IN ({marks})", chunk))
            for row_id, teach_id, src, line, value in self._store.all(
                "SELECT l.row_id, l.teach_id, t.source, l.line, l.value FROM labels l JOIN "
                "teaches t ON t.teach_id = l.teach_id "
                f"WHERE l.undone_at IS NULL AND l.row_id IN ({marks})",
                chunk,
            ):
                where = f", line {line}" if line is not None else ""
                labelled[row_id] = (value, f"teach {teach_id}, {src}{where}")
            released.update(self._store.all(
                "SELECT row_id, max(batch_id) FROM batch_rows WHERE released_at IS NOT NULL "
                f"AND row_id IN ({marks}) GROUP BY row_id", chunk))
        return roles, labelled, released

    # -- rounds -------------------------------------------------------------------------
    def _record_round(self, teach_id: int) -> tuple[dict[str, float], str]:
        """Refit on the labels up to ``teach_id``, score, save the model; idempotent."""
        started = time.perf_counter()
        with self._store.read():
            labels = self._labels(up_to_teach=teach_id)
            strategy_id, created = self._store.all(
                "SELECT strategy_id, created FROM teaches WHERE teach_id = ?", (teach_id,))[0]
            last = self._last_batch(created)
        al, arrays = self._fitted(labels, strategy_id, last)
        validation = self._validation()
        n_initial = int(self.config["n_labelled"])
        values, evaluation = evaluate(self._spec(strategy_id), al, arrays,
                                      n_initial, validation)
        model = save_model(al, arrays[0])
        seconds = time.perf_counter() - started
        with self._store.write() as con:
            _insert_round(con, teach_id, len(arrays[1]), (values, evaluation), model, seconds)
        return values, evaluation

    def catch_up(self) -> list[int]:
        """Recompute the rounds a killed command left without model and metrics.

        Returns
        -------
        list of int
            The teaches whose round was recomputed.
        """
        missing = [int(t) for (t,) in self._store.all(
            "SELECT t.teach_id FROM teaches t LEFT JOIN rounds r ON r.teach_id = t.teach_id "
            "WHERE r.teach_id IS NULL AND t.undone_at IS NULL ORDER BY t.teach_id")]
        for teach_id in missing:
            self._record_round(teach_id)
        return missing

    # -- undo, release, strategy --------------------------------------------------------
    def undo(self) -> str:
        """Undo the last teach: its labels stop counting and their rows are reserved again
        in their batches. Nothing is deleted (the teach and labels are marked undone).

        Returns
        -------
        str
            What was undone.

        Raises
        ------
        SessionError
            No teach to undo.
        """
        now = utc_now()
        with self._store.write() as con:
            row = con.execute(
                "SELECT teach_id, source, n_stored, created FROM teaches WHERE undone_at IS NULL "
                "ORDER BY teach_id DESC LIMIT 1").fetchone()
            if row is None:
                raise SessionError("nothing to undo: no teach has stored labels")
            teach_id, source, n_stored, created = row
            batches = [b for (b,) in con.execute(
                "SELECT DISTINCT batch_id FROM labels WHERE teach_id = ? ORDER BY batch_id",
                (teach_id,))]
            con.execute("UPDATE teaches SET undone_at = ? WHERE teach_id = ?", (now, teach_id))
            con.execute("UPDATE labels SET undone_at = ? WHERE teach_id = ? AND undone_at IS NULL",
                        (now, teach_id))
        where = ", ".join(map(str, batches))
        return (f"undid teach {teach_id} ({source}, {n_stored} label(s), taught {created}): "
                f"its rows are reserved again in batch(es) {where}")

    def release(self, batch: int | None = None) -> int:
        """Free the unlabelled rows of an open batch (default: every open batch).

        Released rows can be offered again by the next query; labelled rows stay.

        Returns
        -------
        int
            Rows released.

        Raises
        ------
        SessionError
            ``batch`` does not exist.
        """
        now = utc_now()
        with self._store.write() as con:
            if batch is not None and con.execute(
                    "SELECT 1 FROM batches WHERE batch_id = ?", (int(batch),)).fetchone() is None:
                raise SessionError(f"there is no batch {batch}")
            return self._release_rows(con, None if batch is None else int(batch), now)

    def _release_rows(self, con: Any, batch: int | None, now: str) -> int:
        where = "" if batch is None else " AND br.batch_id = ?"
        params: tuple = () if batch is None else (batch,)
        rows = con.execute(
            "SELECT br.batch_id, br.rank FROM batch_rows br WHERE br.released_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.row_id = br.row_id "
            f"AND l.undone_at IS NULL){where}", params).fetchall()
        if not rows:
            return 0
        release_id = con.execute(
            "INSERT INTO releases (batch_id, n_rows, created) VALUES (?, ?, ?)",
            (batch, len(rows), now)).lastrowid
        con.executemany(
            "UPDATE batch_rows SET released_at = ?, release_id = ? WHERE batch_id = ? AND rank = ?",
            ((now, release_id, b, r) for b, r in rows))
        return len(rows)

    def set_strategy(self, name: str, **options: Any) -> None:
        """Use another strategy from the next query on (recorded; earlier batches keep theirs).

        Raises
        ------
        UnknownNameError
            No strategy of that name.
        InvalidInputError
            Options the strategy does not take.
        """
        _check_strategy(name, options)
        text = json.dumps(options, default=_json_default)
        with self._store.write() as con:
            con.execute("INSERT INTO strategies (name, options, created) VALUES (?, ?, ?)",
                        (name, text, utc_now()))

    # -- status, export -----------------------------------------------------------------
    def status(self) -> SessionStatus:
        """Budget, open batches, the metrics of every round and the groups' label shares."""
        with self._store.read():
            return read_status(self._store, self.config, self.directory,
                               pool_groups=self._rows("pool").groups)

    def export(self, path: str | os.PathLike | None = None, format: str | None = None
               ) -> pd.DataFrame:
        """Every label: the initial table's and the taught ones, with where each came from.

        Parameters
        ----------
        path : path, optional
            Write the table there too: CSV, or Parquet for a ``.parquet``/``.pq`` name.
        format : {"csv", "parquet"}, optional
            Overrides the format read off the name.

        Returns
        -------
        pandas.DataFrame
            Columns: id, label, origin (``initial`` or ``taught``), batch, rank, round,
            teach, source, source_sha256, annotator, line, labelled_at.
        """
        lab = self._input_frame("labelled")
        with self._store.read():
            ids = [r for (r,) in self._store.all(
                "SELECT row_id FROM rows WHERE role = 'labelled' ORDER BY position")]
            labelled_source = self._store.all(
                "SELECT source, sha256 FROM inputs WHERE role = 'labelled'")[0]
            created = self.config["created"]
            taught = self._store.all(
                "SELECT l.row_id, l.value, b.round, l.batch_id, l.rank, l.teach_id, t.source, "
                "t.source_sha256, l.annotator, l.line, l.created FROM labels l "
                "JOIN teaches t ON t.teach_id = l.teach_id "
                "JOIN batches b ON b.batch_id = l.batch_id "
                "WHERE l.undone_at IS NULL ORDER BY l.teach_id, l.batch_id, l.rank")
        initial = pd.DataFrame({
            "id": ids,
            "label": lab[self.target].astype(str).str.strip().to_numpy(),
            "origin": "initial",
            "round": 0,
            "batch": None,
            "rank": None,
            "teach": None,
            "source": labelled_source[0],
            "source_sha256": labelled_source[1],
            "annotator": None,
            "line": None,
            "labelled_at": created,
        })
        bought = pd.DataFrame(taught, columns=["id", "label", "round", "batch", "rank", "teach",
                                               "source", "source_sha256", "annotator", "line",
                                               "labelled_at"])
        bought.insert(2, "origin", "taught")
        frame = pd.concat([initial, bought[initial.columns]], ignore_index=True)
        for col in ("batch", "rank", "teach", "line"):
            frame[col] = pd.array(frame[col], dtype="Int64")
        if path is not None:
            path = Path(path)
            fmt = (format or ("parquet" if path.suffix.lower() in (".parquet", ".pq")
                              else "csv")).lower()
            if fmt not in ("csv", "parquet"):
                raise InvalidInputError(f"format must be 'csv' or 'parquet', got {format!r}")
            if fmt == "parquet":
                frame.to_parquet(path, index=False)
            else:
                frame.to_csv(path, index=False)
        return frame

    # -- Label Studio -------------------------------------------------------------------
    def label_studio_tasks(self, batch: pd.DataFrame) -> list[dict[str, Any]]:
        """A batch from :meth:`query` as Label Studio tasks (its import format)."""
        ls = _labelstudio()
        tasks: list[dict[str, Any]] = []
        for batch_id, part in batch.groupby("batch", sort=True):
            tasks += ls.to_tasks(part.drop(columns=["batch", "rank"]), id_column=self.id_column,
                                 batch_id=int(batch_id), classes=self.classes,
                                 feature_columns=self._shown_columns())
        return tasks

    def label_studio_config(self) -> str:
        """The Label Studio labelling configuration (XML) for this session's tasks."""
        return _labelstudio().labeling_config(self.classes, self._shown_columns())

    def _shown_columns(self) -> list[str]:
        columns = json.loads(self._store.one("SELECT columns FROM inputs WHERE role = 'pool'"))
        return [c for c in columns if c != self.config["id"]]

    def sync(self, url: str, api_key: str, project: int | str, *, connection: Any = None
             ) -> SyncReport:
        """Push the open batches to a Label Studio project and teach its finished annotations.

        Each reserved row is pushed to a project once (recorded); pulled annotations of
        rows that already carry that label are skipped, the rest are taught like a file.

        Parameters
        ----------
        url, api_key : str
            The Label Studio server and an access token.
        project : int or str
            The project id.
        connection : object, optional
            Anything with ``push(tasks) -> int`` and ``pull() -> DataFrame`` (default: a
            ``LabelStudioConnection`` through the official SDK).

        Returns
        -------
        SyncReport
        """
        target = f"{url.rstrip('/')}#project={project}"
        if connection is None:
            connection = _labelstudio().LabelStudioConnection(url, api_key, project)
        with self._store.read():
            reserved = self._reserved()
            pushed_before = {(r, b) for r, b in self._store.all(
                "SELECT row_id, batch_id FROM pushes WHERE target = ?", (target,))}
        # A boolean mask (an empty list would select no *columns* rather than no rows).
        todo = reserved.loc[np.array(
            [(r, b) not in pushed_before
             for r, b in zip(reserved["row_id"], reserved["batch"], strict=True)], dtype=bool)]
        n_pushed = 0
        for batch_id, part in todo.groupby("batch", sort=True):
            frame = self._batch_frame(int(batch_id), part["position"].to_numpy(),
                                      part["row_id"].tolist())
            frame["rank"] = part["rank"].to_numpy()
            n_pushed += int(connection.push(self.label_studio_tasks(frame)))
            now = utc_now()
            with self._store.write() as con:
                con.executemany(
                    "INSERT OR IGNORE INTO pushes (target, row_id, batch_id, created) "
                    "VALUES (?, ?, ?, ?)",
                    ((target, r, int(batch_id), now) for r in part["row_id"]))
        pulled = connection.pull()
        live = dict(self._store.all("SELECT row_id, value FROM labels WHERE undone_at IS NULL"))
        same = np.array([live.get(str(i)) == str(lab).strip()
                         for i, lab in zip(pulled["id"], pulled["label"], strict=True)],
                        dtype=bool)
        fresh = pulled.loc[~same] if len(pulled) else pulled
        report = None
        if len(fresh):
            report = self.teach(fresh.reset_index(drop=True), source=f"label-studio {target}",
                                id_column="id", label_column="label")
        return SyncReport(n_pushed, len(pulled), int(same.sum()), report)


# -- helpers ---------------------------------------------------------------------------
def _check_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise SessionExistsError(f"{directory} is a file, not a directory")
    if (directory / DB_NAME).is_file():
        try:
            SessionStore.open(directory).close()
        except FairpoolError:
            return  # an init that never finished: replace it
        raise SessionExistsError(
            f"{directory} already holds a fairpool session; open it (Session.open / `fairpool "
            "session status`) or choose another directory"
        )
    if directory.is_dir():
        other = sorted(p.name for p in directory.iterdir() if p.name not in _OWN_NAMES)
        if other:
            raise SessionExistsError(
                f"{directory} is not empty ({other[:5]}); a session needs a new or empty "
                "directory"
            )


def _info(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "dataset": "session",
        "sensitive": list(config["sensitive"]),
        "target_column": config["target"],
        "classes": list(config["classes"]),
        "task": "classification",
    }


def _spec(config: Mapping[str, Any], strategy: str, options: Mapping[str, Any]) -> LearnerSpec:
    return LearnerSpec(
        strategy=strategy,
        strategy_options=dict(options),
        learner=config["learner"],
        learner_options=dict(config["learner_options"]),
        seed=int(config["seed"]),
        group_names=tuple(config["group_names"]),
        feature_names=tuple(config["feature_names"]),
        info=_info(config),
    )


def _triple(rows: EncodedRows | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if rows is None:
        return None
    return np.asarray(rows.X), rows.y, rows.groups


def _write_encoded(directory: Path, role: str, rows: EncodedRows) -> None:
    base = directory / "encoded"
    base.mkdir(exist_ok=True)
    _save_npy(base / f"{role}_X.npy", np.asarray(rows.X))
    _save_npy(base / f"{role}_groups.npy", rows.groups)
    if rows.y is not None:
        _save_npy(base / f"{role}_y.npy", rows.y)


def _insert_round(con: Any, teach_id: int, n_labelled: int,
                  result: tuple[Mapping[str, float], str],
                  model: tuple[bytes | None, str, str], seconds: float) -> None:
    values, evaluation = result
    blob, fmt, note = model
    con.execute(
        "INSERT OR IGNORE INTO rounds (teach_id, n_labelled, metrics, evaluation, model, "
        "model_format, model_note, seconds, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (teach_id, n_labelled, metrics_json(values), evaluation, blob, fmt, note, seconds,
         utc_now()),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _check_strategy(name: str, options: Mapping[str, Any] | None) -> None:
    """Build the strategy once, so an unknown name or option fails now (not at the query)."""
    from fairpool import active

    try:
        active.make_strategy(name, **dict(options or {}))
    except TypeError as exc:
        raise InvalidInputError(f"strategy {name!r} does not take the options "
                                f"{dict(options or {})}: {exc}") from None


def _check_learner(name: str, options: Mapping[str, Any] | None) -> None:
    """Build the learner once (an unknown name or option fails now)."""
    from fairpool import active

    try:
        active.make_learner(name, **dict(options or {}))
    except TypeError as exc:
        raise InvalidInputError(f"learner {name!r} does not take the options "
                                f"{dict(options or {})}: {exc}") from None


def _fairpool_version() -> str:
    """The installed fairpool version (the package root is not imported: layers)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fairpool")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "unknown"


def _labelstudio() -> Any:
    """The Label Studio exchange module (:mod:`fairpool.sessions._labelstudio`)."""
    try:
        from fairpool.sessions import _labelstudio as module
    except ImportError as exc:
        raise SessionError(f"Label Studio exchange is not available: {exc}") from None
    return module
