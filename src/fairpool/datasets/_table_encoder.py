"""A fitted table schema: :class:`TableEncoder` and what it returns, :class:`EncodedTable`.

Fitted on the labelled table (and, through ``also``, on the feature values of unlabelled
tables such as the pool), a :class:`TableEncoder` encodes any later table with the same
columns, with or without the target, into the same feature columns and the same group
codes. The rules are those of ``docs/datasets.md`` ("Encoding rules"); the one-hot
blocks, the scaling and their assembly are scikit-learn's OneHotEncoder, StandardScaler
and ColumnTransformer (:func:`~fairpool.datasets._schema.build_transformer`). The fitted
schema is a plain dict (:meth:`TableEncoder.to_dict`), saved as JSON: no pickle.

Why one module: :class:`TableEncoder` is one scikit-learn-style estimator whose fit,
transform and JSON form read and write the same fitted attributes; split across modules,
each half would have to know the other's private state. The parts that stand alone are
elsewhere: the per-column codes in :mod:`~fairpool.datasets._frames`, the roles, fitted
columns and ColumnTransformer in :mod:`~fairpool.datasets._schema`, the target's coding
in :mod:`~fairpool.datasets._target`.
"""

from __future__ import annotations

import importlib.metadata
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.base import BaseEstimator

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._frames import (
    as_name_list,
    canonical_text,
    codes_in,
    combine_codes,
    group_names,
    row_hashes,
    to_pandas,
    value_codes,
)
from fairpool.datasets._schema import (
    Coding,
    Feature,
    build_transformer,
    fit_feature,
    json_values,
    numeric_values,
    resolve_roles,
)
from fairpool.datasets._target import TargetCoding, fit_target
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
)

__all__ = ["EncodedTable", "TableEncoder"]

MissingPolicy = Literal["error", "drop"]

#: Name of the saved format, and its version (raised when an older reader would misread).
FORMAT = "fairpool.datasets.TableEncoder"
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class EncodedTable:
    """A table encoded by a fitted :class:`TableEncoder`.

    Attributes
    ----------
    X : ndarray of shape (n, d), float32
        The features, in the fitted feature space (``feature_names``).
    groups : ndarray of shape (n,), int64
        Group code of each row, into ``group_names`` (fixed at fit).
    group_names : tuple of str
    feature_names : tuple of str
    y : ndarray of shape (n,) or None
        The coded target (int64 codes, or float64 for regression); None when the table
        has no target column, or one without a single value (an unlabelled pool).
    ids : ndarray of shape (n,), object, or None
        Each row's id as text: the id column's values, or without an id column the
        SHA-256 (hex) of the row's values (:meth:`TableEncoder.row_ids`); None when
        ``transform(..., ids=False)``.
    clusters : ndarray of shape (n,), int64, or None
        Cluster codes (into ``TableEncoder.cluster_names_``) when there is a cluster column.
    unseen : dict
        For each feature column with values not seen at fit, ``[(value, count), ...]``,
        most frequent first; their rows are zero in that column's one-hot block.
    rows : ndarray of shape (n,), int64
        Position in the input table of each encoded row: ``0 .. n - 1`` unless
        ``missing="drop"`` left out rows with a missing feature value.
    n_dropped : int
        Rows of the input left out for a missing feature value.
    """

    X: np.ndarray
    groups: np.ndarray
    group_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    y: np.ndarray | None
    ids: np.ndarray | None
    clusters: np.ndarray | None = None
    unseen: Mapping[str, list[tuple[Any, int]]] = field(default_factory=dict)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_dropped: int = 0

    def __len__(self) -> int:
        return int(self.X.shape[0])


def _unique_columns(df: pd.DataFrame, argument: str) -> pd.DataFrame:
    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        where = "the table" if argument == "df" else argument
        raise InvalidInputError(f"{where} has duplicate column names: {dup}")
    return df.rename(columns=str)


def _concat(parts: Sequence[pd.Series]) -> pd.Series:
    return parts[0] if len(parts) == 1 else pd.concat(list(parts), ignore_index=True)


def _listing(found: Sequence[tuple[Any, int]], limit: int = 10) -> str:
    shown = ", ".join(f"{v!r} ({k} row{'' if k == 1 else 's'})" for v, k in found[:limit])
    return shown + (f" and {len(found) - limit} more" if len(found) > limit else "")


class TableEncoder(BaseEstimator):
    """A fitted table schema: one encoding for the labelled table and every later table.

    Fitted on a labelled table, it encodes any table with the same columns (with or
    without the target) into the same feature columns, group codes and classes. The
    rules are those of :func:`fairpool.datasets.from_frame`, which is
    ``TableEncoder(...).fit(df).to_dataset(df)``: one-hot columns ``"<column>=<value>"``
    in category order (a categorical dtype's order, unused categories dropped; other
    columns sorted by value), numeric columns as float32 (standardised, by option, with
    the fitted mean and population standard deviation), intersectional groups ``"a|b"``,
    the target coded as ``from_frame`` codes it. Parameters are stored unchanged and
    checked by :meth:`fit` (scikit-learn's convention).

    Parameters
    ----------
    target : str or None
        The label column. None fits the features and groups only: :meth:`transform`
        then gives ``y=None`` and :meth:`to_dataset` is refused.
    sensitive : str or sequence of str
        Column(s) defining each row's group; the groups are fixed at fit.
    id : str, optional
        A column identifying each row (not a feature; values unique, none missing).
        Without one, a row's id is the SHA-256 of its values (:meth:`row_ids`).
    clusters : str, optional
        A column of cluster (random-effect) labels, coded like the groups (not a feature).
    drop : sequence of str, optional
        Columns to leave out.
    categorical : sequence of str, optional
        Numeric columns to one-hot encode.
    sensitive_as_feature : bool, default False
        Also encode the sensitive columns (or their ``sensitive_sources``) as features.
    positive : optional
        The target value coded 1 for a binary target (needed unless the values are a
        recognised coding: 0/1, true/false, yes/no).
    standardize : bool, default False
        Standardise numeric features with the fitted mean and standard deviation.
    missing : {"error", "drop"}, default "error"
        Missing feature values raise :class:`MissingValueError`, or their rows are left
        out: of the fit, and of each encoded table (whose ``rows`` and ``ids`` then
        hold only the kept rows; ``n_dropped`` counts the others).
    sensitive_sources : mapping, optional
        For each sensitive column, the raw columns that carry it as a feature.
    task : {None, "classification", "regression"}, default None
        None infers it from the target column (a float column with more than two values
        is a regression target); ``"regression"`` makes any numeric column (an integer
        score) a regression target and refuses values that are not numbers.

    Attributes
    ----------
    feature_names_ : tuple of str
    group_names_ : tuple of str
    classes_ : list of str
        The target's classes as text (binary: negative, positive); empty for regression.
    task_ : {"classification", "regression"} or None
    categories_ : dict
        The categories of each one-hot column.
    cluster_names_ : tuple of str or None
    roles_ : Roles
        The fitted table's columns and their roles.

    Examples
    --------
    >>> import pandas as pd
    >>> import fairpool as fp
    >>> labelled = pd.DataFrame({"job": ["a", "b", "a"], "sex": ["F", "M", "M"],
    ...                          "y": [0, 1, 1]})
    >>> pool = pd.DataFrame({"job": ["c", "a"], "sex": ["F", "F"]})
    >>> enc = fp.datasets.TableEncoder(target="y", sensitive="sex").fit(labelled, also=[pool])
    >>> enc.feature_names_
    ('job=a', 'job=b', 'job=c')
    >>> encoded = enc.transform(pool)
    >>> encoded.X.tolist(), encoded.groups.tolist(), encoded.y is None
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [0, 0], True)
    """

    def __init__(
        self,
        *,
        target: str | None = None,
        sensitive: str | Sequence[str],
        id: str | None = None,
        clusters: str | None = None,
        drop: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        sensitive_as_feature: bool = False,
        positive: Any = None,
        standardize: bool = False,
        missing: MissingPolicy = "error",
        sensitive_sources: Mapping[str, Sequence[str]] | None = None,
        task: str | None = None,
    ) -> None:
        self.target = target
        self.sensitive = sensitive
        self.id = id
        self.clusters = clusters
        self.drop = drop
        self.categorical = categorical
        self.sensitive_as_feature = sensitive_as_feature
        self.positive = positive
        self.standardize = standardize
        self.missing = missing
        self.sensitive_sources = sensitive_sources
        self.task = task

    # -- fit ---------------------------------------------------------------------
    def fit(self, frame: Any, *, also: Sequence[Any] | None = None) -> TableEncoder:
        """Fit the schema on a labelled table.

        Parameters
        ----------
        frame : pandas.DataFrame, polars.DataFrame or pyarrow.Table
            The labelled table (with the target column unless ``target=None``).
        also : sequence of tables, or mapping of name to table, optional
            Unlabelled tables with the same columns (the pool): their feature, group and
            cluster values join the categories and the standardisation statistics, as if
            they were rows of ``frame`` (so the labelled table and the pool encode as
            the two tables concatenated would). No label is read from them; a target
            column there is ignored. Error messages name a table by its key in a
            mapping (``{"the pool": pool}``), else as ``also[i]``. A feature column
            that is numeric in ``frame`` must be numeric in every ``also`` table.

        Returns
        -------
        TableEncoder
            ``self``, fitted.

        Raises
        ------
        UnknownColumnError
            A named column is not in the table, or a fitted column is not in ``also``.
        MissingValueError
            Missing target, sensitive, id or cluster values, or (``missing="error"``)
            missing feature values.
        EmptyInputError
            The table has no rows.
        InvalidInputError
            Any other bad argument (target also sensitive, unsupported dtype, a column
            numeric in ``frame`` holding text in an ``also`` table, ...).

        Warns
        -----
        UserWarning
            A text feature column holds a different value in every row (of at least
            20): it looks like an identifier (pass it as ``id`` or ``drop``), and
            one-hot encoding it would add one useless feature per row.
        """
        # Until this fit succeeds the encoder is not fitted (no half-refitted state).
        self.__dict__.pop("features_", None)
        self._fit(frame, also)
        return self

    def _fit(self, frame: Any, also: Sequence[Any] | None) -> None:
        df = _unique_columns(to_pandas(frame), "df")
        if len(df) == 0 or not len(df.columns):
            raise EmptyInputError(
                f"the table is empty (shape {df.shape}); it needs at least one row"
            )
        if self.missing not in ("error", "drop"):
            raise InvalidInputError(f"missing must be 'error' or 'drop', got {self.missing!r}")
        roles = resolve_roles(
            list(df.columns),
            target=self.target,
            sensitive=self.sensitive,
            id=self.id,
            clusters=self.clusters,
            drop=self.drop,
            categorical=self.categorical,
            sensitive_as_feature=self.sensitive_as_feature,
            sensitive_sources=self.sensitive_sources,
        )
        # Missing labels or groups are always an error: a row without them cannot be used.
        target_role = [] if roles.target is None else [(roles.target, "target")]
        self._check_complete(df, target_role + roles.coded(), "df")
        self.roles_ = roles

        tables, names = [df], ["df"]
        named = (list(also.items()) if isinstance(also, Mapping)
                 else [(f"also[{i}]", t) for i, t in enumerate(also or [])])
        for argument, other in named:
            argument = str(argument)
            table = _unique_columns(to_pandas(other, argument=argument), argument)
            self._require_columns(table, argument, target=False)
            self._check_complete(table, roles.coded(), argument)
            tables.append(table)
            names.append(argument)
        kept = [self._drop_missing(t, name)[0] for t, name in zip(tables, names, strict=True)]
        forced = set(as_name_list(self.categorical, "categorical"))
        _check_feature_kinds(kept, names, [c for c in roles.features if c not in forced])

        # The target's coding, from the labelled rows only.
        self.target_coding_: TargetCoding | None = None
        if roles.target is not None:
            self.target_coding_, _ = fit_target(kept[0][roles.target], self.positive,
                                                 self.task)

        # The groups: the value combinations observed in all the tables.
        codings, codes = [], []
        for col in roles.sensitive:
            column_codes, values, by_text = value_codes(_concat([t[col] for t in kept]))
            codings.append(Coding(col, values, by_text))
            codes.append(column_codes)
        self.group_codings_ = codings
        self.group_combinations_ = np.unique(
            combine_codes(codes, [len(c.values) for c in codings])
        )
        self.group_names_ = group_names(self.group_combinations_, [c.values for c in codings])
        if len(self.group_names_) == 1:
            warnings.warn(
                f"sensitive column(s) {roles.sensitive} hold a single group "
                f"({self.group_names_[0]!r}); fairness measures need at least two",
                UserWarning,
                stacklevel=3,
            )
        self.cluster_coding_: Coding | None = None
        if roles.clusters is not None:
            _, values, by_text = value_codes(_concat([t[roles.clusters] for t in kept]))
            self.cluster_coding_ = Coding(roles.clusters, values, by_text)

        features = [
            fit_feature(_concat([t[col] for t in kept]), col, categorical=col in forced,
                        standardize=bool(self.standardize))
            for col in roles.features
        ]
        self._set_features(features)
        _warn_identifier_like(features, kept)

    def _set_features(self, features: list[Feature]) -> None:
        self.features_ = features
        self.feature_names_ = tuple(n for f in features for n in f.names())
        self.transformer_ = build_transformer(features, bool(self.standardize))

    # -- reading a table ---------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "features_"):
            raise InvalidInputError("the TableEncoder is not fitted: call fit(frame) first")

    @staticmethod
    def _check_complete(df: pd.DataFrame, columns: list[tuple[str, str]], argument: str) -> None:
        of = "" if argument == "df" else f" of {argument}"
        for col, role in columns:
            n_missing = int(df[col].isna().sum())
            if n_missing:
                raise MissingValueError(
                    f"{role} column {col!r}{of} has {n_missing} missing value(s); "
                    "fill or remove those rows first"
                )

    def _require_columns(self, df: pd.DataFrame, argument: str, *, target: bool) -> None:
        absent = [c for c in self.roles_.needed(target=target) if c not in df.columns]
        if absent:
            where = "the table" if argument == "df" else argument
            raise UnknownColumnError(
                f"{where} lacks the column(s) {absent} the encoder was fitted with; "
                f"its columns are: {list(df.columns)}"
            )

    def _drop_missing(
        self, df: pd.DataFrame, argument: str, *, allow_empty: bool = False
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Apply the ``missing`` policy to the feature columns; return the kept rows."""
        rows = np.arange(len(df), dtype=np.int64)
        cols = self.roles_.features
        if not cols or not len(df):
            return df, rows
        na = df[cols].isna()
        with_na = {c: int(k) for c, k in na.sum().items() if k}
        if not with_na:
            return df, rows
        if self.missing == "error":
            col, k = next(iter(with_na.items()))
            of = "" if argument == "df" else f" of {argument}"
            raise MissingValueError(
                f"feature column {col!r}{of} has {k} missing value(s) (all: {with_na}); "
                "pass missing='drop' to drop those rows, or fill them"
            )
        keep = ~na.any(axis=1).to_numpy()
        if not keep.any() and not allow_empty:
            raise EmptyInputError(
                "every row has a missing feature value; missing='drop' left no rows"
            )
        return df.loc[keep].reset_index(drop=True), rows[keep]

    # -- transform ---------------------------------------------------------------
    def transform(self, frame: Any, *, ids: bool = True) -> EncodedTable:
        """Encode a table with the fitted schema.

        Parameters
        ----------
        frame : pandas.DataFrame, polars.DataFrame or pyarrow.Table
            A table with the fitted columns, in any order; the target column may be
            absent or hold no value at all (an unlabelled pool). Other columns are
            ignored.
        ids : bool, default True
            Compute the row ids (``False``: ``EncodedTable.ids`` is None). Hashing the
            rows of a table without an id column costs seconds per million rows.

        Returns
        -------
        EncodedTable

        Raises
        ------
        UnknownColumnError
            A fitted column (feature, sensitive, id, clusters) is absent.
        MissingValueError
            A missing sensitive, id or cluster value; some (not all) target values
            missing; a missing feature value with ``missing="error"``.
        InvalidInputError
            A group (a value, or a combination of values) or a cluster not seen at fit,
            a target value outside the fitted classes, repeated ids, text in a numeric
            column.

        Warns
        -----
        UserWarning
            Feature values not seen at fit, named with their counts (also in
            ``EncodedTable.unseen``); their one-hot blocks are zero, as
            ``OneHotEncoder(handle_unknown="ignore")`` encodes them.
        """
        self._check_fitted()
        df = _unique_columns(to_pandas(frame, argument="frame"), "df")
        return self._encode(df, need_target=False, with_ids=ids)

    def _encode(self, df: pd.DataFrame, *, need_target: bool, with_ids: bool = True
                ) -> EncodedTable:
        roles = self.roles_
        self._require_columns(df, "df", target=need_target)
        self._check_complete(df, roles.coded(), "df")
        labelled = False
        if roles.target is not None and roles.target in df.columns:
            n_missing = int(df[roles.target].isna().sum())
            labelled = need_target or n_missing < len(df) or not len(df)
            if labelled and n_missing:
                self._check_complete(df, [(roles.target, "target")], "df")
        n_rows = len(df)
        df, rows = self._drop_missing(df, "df", allow_empty=not need_target)
        ids = self.row_ids(df) if with_ids else None
        groups = self._group_codes(df)
        clusters = None
        if self.cluster_coding_ is not None:
            clusters = self._codes(df, self.cluster_coding_, "clusters")
        y = None
        if labelled:
            assert self.target_coding_ is not None
            y = self.target_coding_.code(df[roles.target])
        X, unseen = self._features(df)
        if unseen:
            warnings.warn(
                "feature value(s) not seen at fit, encoded as all-zero one-hot blocks: "
                + "; ".join(f"{col!r}: {_listing(found)}" for col, found in unseen.items()),
                UserWarning,
                stacklevel=3,
            )
        return EncodedTable(
            X=X,
            groups=groups,
            group_names=self.group_names_,
            feature_names=self.feature_names_,
            y=y,
            ids=ids,
            clusters=clusters,
            unseen=unseen,
            rows=rows,
            n_dropped=n_rows - len(rows),
        )

    def _codes(self, df: pd.DataFrame, coding: Coding, role: str) -> np.ndarray:
        codes, unseen = codes_in(df[coding.column], coding.values, by_text=coding.by_text)
        if unseen:
            raise InvalidInputError(
                f"{role} column {coding.column!r} holds value(s) not seen at fit: "
                f"{_listing(unseen)}; the fitted values are {[str(v) for v in coding.values]} "
                "(fit with also=[this table] to include them)"
            )
        return codes

    def _group_codes(self, df: pd.DataFrame) -> np.ndarray:
        codings = self.group_codings_
        combined = combine_codes([self._codes(df, c, "sensitive") for c in codings],
                                 [len(c.values) for c in codings])
        observed = self.group_combinations_
        position = np.searchsorted(observed, combined)
        found = position < len(observed)
        found[found] = observed[position[found]] == combined[found]
        if not found.all():
            new, counts = np.unique(combined[~found], return_counts=True)
            names = group_names(new, [c.values for c in codings])
            raise InvalidInputError(
                "group(s) not seen at fit: "
                + _listing(list(zip(names, counts.tolist(), strict=True)))
                + f"; the fitted groups are {list(self.group_names_)} (the groups are "
                "fixed at fit: fit with also=[this table] to include them)"
            )
        return position.astype(np.int64)

    def _features(self, df: pd.DataFrame) -> tuple[np.ndarray, dict[str, list[tuple[Any, int]]]]:
        unseen: dict[str, list[tuple[Any, int]]] = {}
        prepared: dict[str, np.ndarray] = {}
        for f in self.features_:
            if f.kind == "onehot":
                codes, found = codes_in(df[f.column], f.categories, by_text=f.by_text)
                if found:
                    unseen[f.column] = found
                prepared[f.column] = codes
            else:
                prepared[f.column] = numeric_values(df[f.column], f.column)
        if self.transformer_ is None or not len(df):
            return np.zeros((len(df), len(self.feature_names_)), dtype=np.float32), unseen
        X = self.transformer_.transform(pd.DataFrame(prepared))
        if scipy.sparse.issparse(X):
            X = X.toarray()
        return np.ascontiguousarray(X, dtype=np.float32), unseen

    def row_ids(self, frame: Any) -> np.ndarray:
        """Each row's id as text: its id column's value, or a stable hash of the row.

        With an id column, its values as text (an integral number is written as an
        integer: ``17`` whether a file holds ``17`` or ``17.0``); they must be unique.
        Without one, the SHA-256 (hex) of the row's values in the fitted column order,
        over the columns the encoder reads (features, sensitive and cluster columns:
        not the target, so that a row keeps its id once labelled, nor dropped columns),
        each value written as text whatever the column's dtype. The hash does not depend
        on the row's position or the table's column order; identical rows get
        ``<hash>``, ``<hash>-1``, ... so that ids are unique within a table.

        Returns
        -------
        ndarray of shape (n,), object
        """
        self._check_fitted()
        df = _unique_columns(to_pandas(frame, argument="frame"), "df")
        roles = self.roles_
        if roles.id is None:
            needed = set(roles.needed(target=False))
            return row_hashes(df, [c for c in roles.columns if c in needed])
        column = df[roles.id]
        ids = canonical_text(column)
        # Numbers have one text each, so their repeats show in the (faster) numbers.
        numeric = isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf"
        repeated = (column if numeric else pd.Series(ids)).duplicated(keep=False).to_numpy()
        if repeated.any():
            values = sorted(set(ids[repeated].tolist()))
            raise InvalidInputError(
                f"id column {roles.id!r} holds {len(values)} repeated id(s): "
                f"{values[:10]}{' ...' if len(values) > 10 else ''}"
            )
        return ids

    # -- a Dataset ---------------------------------------------------------------
    def to_dataset(
        self, frame: Any, *, name: str = "user", info: Mapping[str, Any] | None = None
    ) -> Dataset:
        """Encode a labelled table as a :class:`Dataset` (what ``from_frame`` returns).

        Parameters
        ----------
        frame : pandas.DataFrame, polars.DataFrame or pyarrow.Table
            A table with the target column.
        name : str, default "user"
            Name of the dataset.
        info : mapping, optional
            Merged into ``Dataset.info`` (wins over the computed keys).

        Returns
        -------
        Dataset
            With the cluster codes when the encoder has a cluster column.
        """
        self._check_fitted()
        coding = self.target_coding_
        if coding is None:
            raise InvalidInputError("to_dataset needs a target: this encoder has target=None")
        df = _unique_columns(to_pandas(frame), "df")
        if len(df) == 0:
            raise EmptyInputError(
                f"the table is empty (shape {df.shape}); it needs at least one row"
            )
        encoded = self._encode(df, need_target=True, with_ids=False)
        assert encoded.y is not None
        target, positive = self.target, coding.positive
        computed: dict[str, Any] = {
            "source": "user-supplied table",
            "licence": "as supplied by the user",
            # The dataset's name, so consumers that see only ``info`` (a strategy's
            # QueryState) can find what is declared for it (its causal graph).
            "dataset": name,
            "sensitive": list(self.roles_.sensitive),
            "sensitive_columns": list(self.sensitive_feature_names_),
            "label": target if positive is None else f"{target} == {positive!s}",
            "task": coding.task,
            "classes": list(coding.classes),
            "positive_label": None if positive is None else str(positive),
            "target_column": target,
            "numeric_columns": [f.column for f in self.features_ if f.kind == "numeric"],
            "categorical_columns": [f.column for f in self.features_ if f.kind == "onehot"],
            "standardized": bool(self.standardize),
            "rows_dropped_missing": encoded.n_dropped,
            "single_group": len(self.group_names_) == 1,
        }
        if self.cluster_coding_ is not None and encoded.clusters is not None:
            sizes = np.bincount(encoded.clusters, minlength=len(self.cluster_coding_.values))
            computed["clusters_column"] = self.cluster_coding_.column
            computed["cluster_names"] = [str(v) for v in self.cluster_coding_.values]
            computed["singleton_clusters"] = int((sizes == 1).sum())
        if info:
            computed.update(info)
        return Dataset(
            X=encoded.X,
            y=encoded.y,
            groups=encoded.groups,
            group_names=self.group_names_,
            feature_names=self.feature_names_,
            name=name,
            clusters=encoded.clusters,
            info=computed,
        )

    def fit_transform(self, frame: Any, *, also: Sequence[Any] | None = None) -> EncodedTable:
        """:meth:`fit` on ``frame`` (and ``also``), then :meth:`transform` ``frame``."""
        return self.fit(frame, also=also).transform(frame)

    # -- fitted attributes ---------------------------------------------------------
    @property
    def sensitive_feature_names_(self) -> tuple[str, ...]:
        """The feature names encoding the sensitive attributes (``info["sensitive_columns"]``)."""
        self._check_fitted()
        if not self.sensitive_as_feature:
            return ()
        by_column = {f.column: f.names() for f in self.features_}
        return tuple(n for c in self.roles_.source_columns() for n in by_column.get(c, []))

    @property
    def classes_(self) -> list[str]:
        """The target's classes as text (binary: negative, positive); empty for regression."""
        self._check_fitted()
        return [] if self.target_coding_ is None else list(self.target_coding_.classes)

    @property
    def task_(self) -> str | None:
        """``"classification"`` or ``"regression"`` (None without a target)."""
        self._check_fitted()
        return None if self.target_coding_ is None else self.target_coding_.task

    @property
    def cluster_names_(self) -> tuple[str, ...] | None:
        """Name of each cluster code (None without a cluster column)."""
        self._check_fitted()
        coding = self.cluster_coding_
        return None if coding is None else tuple(str(v) for v in coding.values)

    @property
    def categories_(self) -> dict[str, list[Any]]:
        """The categories of each one-hot column, in code order."""
        self._check_fitted()
        return {f.column: list(f.categories) for f in self.features_ if f.kind == "onehot"}

    # -- saving --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fitted schema as a plain dict of JSON types; :meth:`from_dict` reads it.

        Keys: ``format``, ``format_version``, ``fairpool_version``, ``params`` (the
        constructor's), ``columns`` (the fitted table's), ``features`` (per feature
        column: its categories, or its mean and scale), ``feature_names``, ``target``
        (task, values, classes, positive), ``groups`` (per sensitive column its values,
        the observed combinations and their names), ``clusters``.

        Raises
        ------
        InvalidInputError
            A category value that JSON cannot hold as it is (a date, a tuple, ...).
        """
        self._check_fitted()
        params = self.get_params()
        params["sensitive"] = as_name_list(params["sensitive"], "sensitive")
        for key in ("drop", "categorical"):
            params[key] = None if params[key] is None else list(params[key])
        if params["sensitive_sources"] is not None:
            params["sensitive_sources"] = {
                str(k): as_name_list(v, "sensitive_sources")
                for k, v in params["sensitive_sources"].items()
            }
        if params["positive"] is not None:
            params["positive"] = json_values([params["positive"]], "positive")[0]
        target = None
        if self.target_coding_ is not None:
            target = self.target_coding_.to_dict()
            target["values"] = json_values(target["values"], "the target")
            if target["positive"] is not None:
                target["positive"] = json_values([target["positive"]], "the target")[0]
        try:
            version = importlib.metadata.version("fairpool")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
            version = "unknown"
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "fairpool_version": version,
            "params": params,
            "columns": list(self.roles_.columns),
            "features": [f.to_dict() for f in self.features_],
            "feature_names": list(self.feature_names_),
            "target": target,
            "groups": {
                "codings": [c.to_dict() for c in self.group_codings_],
                "combinations": [int(v) for v in self.group_combinations_],
                "names": list(self.group_names_),
            },
            "clusters": None if self.cluster_coding_ is None else self.cluster_coding_.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TableEncoder:
        """A fitted encoder from :meth:`to_dict`'s dict; it encodes as the original did."""
        if not isinstance(d, Mapping) or d.get("format") != FORMAT:
            raise InvalidInputError(f"not a saved TableEncoder (no format {FORMAT!r})")
        if d.get("format_version") != FORMAT_VERSION:
            raise InvalidInputError(
                f"saved TableEncoder format version {d.get('format_version')!r}; this "
                f"fairpool reads version {FORMAT_VERSION}"
            )
        enc = cls(**dict(d["params"]))
        enc.roles_ = resolve_roles(
            list(d["columns"]), **{k: v for k, v in d["params"].items()
                                   if k not in ("positive", "standardize", "missing", "task")}
        )
        enc.target_coding_ = None if d["target"] is None else TargetCoding.from_dict(d["target"])
        enc.group_codings_ = [Coding.from_dict(c) for c in d["groups"]["codings"]]
        enc.group_combinations_ = np.asarray(d["groups"]["combinations"], dtype=np.int64)
        enc.group_names_ = tuple(d["groups"]["names"])
        enc.cluster_coding_ = None if d["clusters"] is None else Coding.from_dict(d["clusters"])
        enc._set_features([Feature.from_dict(f) for f in d["features"]])
        if list(enc.feature_names_) != list(d["feature_names"]) or [
            f.column for f in enc.features_
        ] != enc.roles_.features:
            raise InvalidInputError("the saved TableEncoder is inconsistent: its features differ")
        return enc

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``; return the path."""
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TableEncoder:
        """Read an encoder :meth:`save` wrote."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


#: Fewest rows for a text column with a distinct value in every row to look like an id.
IDENTIFIER_MIN_ROWS = 20


def _check_feature_kinds(tables: list[pd.DataFrame], names: list[str],
                         columns: list[str]) -> None:
    """Refuse a feature column that is numeric in the labelled table but not in another.

    Concatenating them would silently turn the column into text categories (``age=18``,
    ``age=19``, ..., ``age=unknown``): a different model from the one the labelled table
    describes. The values that are not numbers are named.
    """
    first = tables[0]
    for col in columns:
        if not _is_numeric(first[col]):
            continue
        for name, table in zip(names[1:], tables[1:], strict=True):
            if _is_numeric(table[col]):
                continue
            values = table[col]
            bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            shown = [str(v) for v in pd.unique(bad)[:5]]
            raise InvalidInputError(
                f"feature column {col!r} is numeric in the labelled table but {name} holds "
                f"values that are not numbers (e.g. {shown}); fix or remove those values, "
                f"or list {col!r} in categorical to treat it as categories everywhere"
            )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype)


def _warn_identifier_like(features: list[Feature], tables: list[pd.DataFrame]) -> None:
    """Warn about a one-hot column with a distinct value in every row: an id, not a feature."""
    n_rows = sum(len(t) for t in tables)
    if n_rows < IDENTIFIER_MIN_ROWS:
        return
    for feature in features:
        if feature.kind == "onehot" and len(feature.categories) == n_rows:
            warnings.warn(
                f"feature column {feature.column!r} has a different value in each of its "
                f"{n_rows} rows: it looks like an identifier, and one-hot encoding it adds "
                f"{n_rows} features that carry nothing; pass id={feature.column!r} (or "
                f"drop=[{feature.column!r}])",
                UserWarning,
                stacklevel=4,
            )
