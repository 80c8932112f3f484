"""The session's use of the fitted table encoder: fitting it, reloading it, row ids.

The encoding itself (features, group codes, target classes, row hashes) is
:class:`fairpool.datasets.TableEncoder`'s: fitted on the labelled table with the pool
(and validation table) as ``also``, so every table lands in one feature space with one
set of groups. What the session adds:

* the row ids of the labelled table and the pool are computed over both tables at once
  (``row_ids`` of their concatenation), so an id (the user's column, or the hash of a
  row's values) names one row of the whole session: identical rows, even one labelled and
  one in the pool, get distinct ids (``<hash>``, ``<hash>-1``, ...), stable because the
  session keeps its own copy of the rows;
* a session needs class labels: a regression target is refused.

Until ``TableEncoder`` is in :mod:`fairpool.datasets`, :class:`_InterimEncoder` gives
the same interface with the rules of ``from_frame`` (numeric columns kept, text,
category and bool columns one-hot, groups from the sensitive values).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import binary_coding
from fairpool.errors import InvalidInputError, MissingValueError, UnknownColumnError

__all__ = [
    "EncodedRows",
    "fit_encoder",
    "load_encoder",
    "session_ids",
]


@dataclass(frozen=True)
class EncodedRows:
    """One input table as the learner sees it.

    Attributes
    ----------
    X : ndarray of float32, shape (n, d)
    groups : ndarray of int64, shape (n,)
    y : ndarray of int64, shape (n,), or None for the pool
    """

    X: np.ndarray
    groups: np.ndarray
    y: np.ndarray | None


def _encoder_class() -> Any:
    from fairpool import datasets

    return getattr(datasets, "TableEncoder", _InterimEncoder)


def fit_encoder(
    labelled: pd.DataFrame,
    also: Sequence[pd.DataFrame],
    *,
    target: str,
    sensitive: Sequence[str],
    id: str | None,
    drop: Sequence[str] | None,
    categorical: Sequence[str] | None,
    positive: Any,
) -> Any:
    """Fit the table encoder on the labelled table (vocabulary and groups also from ``also``).

    Raises
    ------
    InvalidInputError
        The target is a regression target (a session needs classes), or the encoder
        refuses the tables.
    """
    cls = _encoder_class()
    encoder = cls(
        target=target,
        sensitive=list(sensitive),
        id=id,
        drop=list(drop) if drop else None,
        categorical=list(categorical) if categorical else None,
        positive=positive,
    )
    encoder.fit(labelled, also=list(also))
    if getattr(encoder, "task_", "classification") != "classification":
        raise InvalidInputError(
            f"target column {target!r} is a regression target (float values); a labelling "
            "session needs class labels"
        )
    return encoder


def load_encoder(schema: dict[str, Any]) -> Any:
    """The encoder saved by ``to_dict`` (JSON), fitted as it was."""
    return _encoder_class().from_dict(schema)


def session_ids(encoder: Any, labelled: pd.DataFrame, pool: pd.DataFrame) -> tuple[list[str],
                                                                                  list[str]]:
    """The row ids of the labelled table and the pool, unique over both.

    Raises
    ------
    InvalidInputError
        The id column repeats a value (within or across the tables).
    MissingValueError
        The id column has an empty value.
    """
    columns = [c for c in labelled.columns if c in pool.columns]
    both = pd.concat([labelled[columns], pool[columns]], ignore_index=True)
    ids = [str(v) for v in encoder.row_ids(both)]
    if any(not i.strip() for i in ids):
        raise MissingValueError("the id column has empty values; every row needs an id")
    return ids[: len(labelled)], ids[len(labelled):]


# -- the interim encoder ---------------------------------------------------------------
@dataclass(frozen=True)
class _Encoded:
    X: np.ndarray
    groups: np.ndarray
    y: np.ndarray | None
    ids: np.ndarray
    clusters: np.ndarray | None
    unseen: dict[str, list[str]]


class _InterimEncoder:
    """The interface of ``fairpool.datasets.TableEncoder`` until it is there."""

    task_ = "classification"

    def __init__(self, *, target: str, sensitive: Sequence[str], id: str | None = None,
                 drop: Sequence[str] | None = None, categorical: Sequence[str] | None = None,
                 positive: Any = None) -> None:
        self.target = target
        self.sensitive = list(sensitive)
        self.id = id
        self.drop = list(drop or [])
        self.categorical = list(categorical or [])
        self.positive = positive

    def fit(self, df: pd.DataFrame, also: Sequence[pd.DataFrame] = ()) -> _InterimEncoder:
        named = [self.target, *self.sensitive, *self.drop, *self.categorical]
        if self.id is not None:
            named.append(self.id)
        for col in named:
            if col not in df.columns:
                raise UnknownColumnError(
                    f"column {col!r} is not in the labelled table; columns are: {list(df.columns)}"
                )
        excluded = {self.target, *self.sensitive, *self.drop} | ({self.id} - {None})
        frames = [df, *also]
        self.columns_ = [c for c in df.columns if c not in excluded]
        self.categories_: dict[str, list[str]] = {}
        for col in self.columns_:
            s = df[col]
            if col in self.categorical or not pd.api.types.is_numeric_dtype(s) or \
                    pd.api.types.is_bool_dtype(s):
                values = pd.concat([f[col] for f in frames if col in f.columns]).dropna()
                self.categories_[col] = sorted(values.astype(str).unique().tolist())
        for col in self.sensitive:
            if df[col].isna().any():
                raise MissingValueError(f"sensitive column {col!r} has missing values")
        keys = pd.concat([self._group_keys(f) for f in frames])
        self.group_names_ = tuple(sorted(keys.unique().tolist()))
        y = df[self.target]
        if y.isna().any():
            raise MissingValueError(f"target column {self.target!r} has missing values")
        values = sorted(y.astype(str).str.strip().unique().tolist())
        if len(values) == 2:
            positive = self.positive
            if positive is None:
                coded = [binary_coding(v) for v in values]
                if not all(coded) or coded[0][1] == coded[1][1]:
                    raise InvalidInputError(
                        f"target column {self.target!r} has the values {values}: pass "
                        "positive=<the value that means the positive outcome>"
                    )
                positive = values[0] if coded[0][1] else values[1]
            positive = str(positive)
            if positive not in values:
                raise InvalidInputError(f"positive={positive!r} is not a value of {self.target!r}")
            values = [v for v in values if v != positive] + [positive]
        self.classes_ = values
        self.feature_names_ = tuple(
            name for col in self.columns_
            for name in ([f"{col}={v}" for v in self.categories_[col]]
                         if col in self.categories_ else [col])
        )
        return self

    def _group_keys(self, df: pd.DataFrame) -> pd.Series:
        parts = [df[c].astype(str) for c in self.sensitive]
        key = parts[0]
        for p in parts[1:]:
            key = key + "|" + p
        return key

    def transform(self, df: pd.DataFrame) -> _Encoded:
        for col in [*self.columns_, *self.sensitive]:
            if col not in df.columns:
                raise UnknownColumnError(f"column {col!r} is not in the table")
        blocks = []
        unseen: dict[str, list[str]] = {}
        for col in self.columns_:
            s = df[col]
            if col in self.categories_:
                cats = self.categories_[col]
                text = s.astype(str)
                codes = pd.Index(cats).get_indexer(text)
                bad = (codes < 0) & s.notna().to_numpy()
                if bad.any():
                    unseen[col] = sorted(text[bad].unique().tolist())
                block = np.zeros((len(df), len(cats)), dtype=np.float32)
                ok = codes >= 0
                block[np.flatnonzero(ok), codes[ok]] = 1.0
            else:
                if s.isna().any():
                    raise MissingValueError(f"feature column {col!r} has missing values")
                block = s.to_numpy(dtype=np.float32)[:, None]
            blocks.append(block)
        X = np.hstack(blocks) if blocks else np.zeros((len(df), 0), np.float32)
        groups = pd.Index(self.group_names_).get_indexer(self._group_keys(df)).astype(np.int64)
        if (groups < 0).any():
            raise InvalidInputError("the table has groups not seen when the encoder was fitted")
        y = None
        if self.target in df.columns and df[self.target].notna().all():
            text = df[self.target].astype(str).str.strip()
            y = pd.Index(self.classes_).get_indexer(text).astype(np.int64)
            if (y < 0).any():
                raise InvalidInputError(f"target column {self.target!r} has unknown classes")
        return _Encoded(X, groups, y, self.row_ids(df), None, unseen)

    def row_ids(self, df: pd.DataFrame) -> np.ndarray:
        if self.id is not None:
            ids = df[self.id].astype(str).to_numpy()
            if pd.Series(ids).duplicated().any():
                raise InvalidInputError(f"id column {self.id!r} holds repeated ids")
            return ids
        cols = [*self.columns_, *self.sensitive]
        rows = df[cols].astype(str).to_numpy()
        ids = np.array([hashlib.sha256("\x1f".join(r).encode()).hexdigest() for r in rows],
                       dtype=object)
        repeat = pd.Series(ids).groupby(ids, sort=False).cumcount().to_numpy()
        return np.array([i if k == 0 else f"{i}-{k}" for i, k in zip(ids, repeat, strict=True)],
                        dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps({
            "kind": "interim", "target": self.target, "sensitive": self.sensitive, "id": self.id,
            "drop": self.drop, "categorical": self.categorical, "positive": self.positive,
            "columns": self.columns_, "categories": self.categories_,
            "group_names": list(self.group_names_), "classes": self.classes_,
        }, default=str))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> _InterimEncoder:
        enc = cls(target=d["target"], sensitive=d["sensitive"], id=d["id"], drop=d["drop"],
                  categorical=d["categorical"], positive=d["positive"])
        enc.columns_ = d["columns"]
        enc.categories_ = d["categories"]
        enc.group_names_ = tuple(d["group_names"])
        enc.classes_ = d["classes"]
        enc.feature_names_ = tuple(
            name for col in enc.columns_
            for name in ([f"{col}={v}" for v in enc.categories_[col]]
                         if col in enc.categories_ else [col])
        )
        return enc
