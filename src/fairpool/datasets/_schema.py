"""The parts of a fitted table schema as plain data, and the scikit-learn transformer of them.

* :class:`Roles` and :func:`resolve_roles`: which column is the target, which are
  sensitive, the id, the clusters, dropped, and which are features (with every check
  of the column arguments);
* :class:`Feature` (a one-hot column's categories, or a numeric column's scaling) and
  :class:`Coding` (a sensitive or cluster column's values in code order), fitted by
  :func:`fit_feature` and :func:`~fairpool.datasets._frames.value_codes`;
* :func:`build_transformer`: the fitted :class:`~sklearn.compose.ColumnTransformer` of
  a list of features, the same whether they were just fitted or read back from JSON.

:class:`~fairpool.datasets.TableEncoder` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from fairpool.datasets._frames import (
    as_name_list,
    check_columns,
    is_categorical,
    plain,
    value_codes,
)
from fairpool.errors import InvalidInputError

__all__ = [
    "Coding",
    "Feature",
    "Roles",
    "build_transformer",
    "fit_feature",
    "json_values",
    "numeric_values",
    "resolve_roles",
]


# -- roles ----------------------------------------------------------------------
@dataclass(frozen=True)
class Roles:
    """The columns of a fitted table and the role of each."""

    columns: list[str]
    target: str | None
    sensitive: list[str]
    id: str | None
    clusters: str | None
    sources: dict[str, list[str]]
    features: list[str]

    def needed(self, *, target: bool) -> list[str]:
        """The columns a table must have to be encoded (``target``: the target too)."""
        needed = [*self.sensitive, *self.features]
        needed += [c for c in (self.id, self.clusters) if c is not None]
        if target and self.target is not None:
            needed.append(self.target)
        return list(dict.fromkeys(needed))

    def coded(self) -> list[tuple[str, str]]:
        """``(column, role)`` of the columns that may hold no missing value but the target."""
        return [(c, "sensitive") for c in self.sensitive] + [
            (c, role) for c, role in ((self.id, "id"), (self.clusters, "clusters")) if c
        ]

    def source_columns(self) -> list[str]:
        """The columns carrying the sensitive attributes as features, each once, in order."""
        return list(dict.fromkeys(c for col in self.sensitive for c in self.sources[col]))


def _name(value: Any, role: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"{role} must be a column name, got {value!r}")
    return value


def resolve_roles(
    columns: Sequence[str],
    *,
    target: str | None,
    sensitive: str | Sequence[str],
    id: str | None,  # noqa: A002 - the id column's role
    clusters: str | None,
    drop: Sequence[str] | None,
    categorical: Sequence[str] | None,
    sensitive_as_feature: bool,
    sensitive_sources: Mapping[str, Sequence[str]] | None,
) -> Roles:
    """Check the column arguments against a table's columns and give each column its role.

    Raises
    ------
    UnknownColumnError
        A named column is not among ``columns`` (the message lists them).
    InvalidInputError
        A column with two roles (target and sensitive, a dropped target, ...), an empty
        ``sensitive``, a name that is not a string.
    """
    columns = list(columns)
    target = _name(target, "target")
    id_col, cluster_col = _name(id, "id"), _name(clusters, "clusters")
    sensitive_cols = as_name_list(sensitive, "sensitive")
    if not sensitive_cols:
        raise InvalidInputError("sensitive must name at least one column")
    categorical_cols = as_name_list(categorical, "categorical")
    drop_cols = as_name_list(drop, "drop")
    target_cols = [] if target is None else [target]
    role_cols = [c for c in (id_col, cluster_col) if c is not None]
    check_columns(target_cols, columns, "target")
    check_columns(sensitive_cols, columns, "sensitive")
    check_columns(categorical_cols, columns, "categorical")
    check_columns(drop_cols, columns, "drop")
    check_columns([id_col] if id_col else [], columns, "id")
    check_columns([cluster_col] if cluster_col else [], columns, "clusters")
    if target is not None and target in sensitive_cols:
        raise InvalidInputError(f"column {target!r} cannot be both the target and sensitive")
    if (set(target_cols) | set(sensitive_cols)) & set(drop_cols):
        clash = sorted((set(target_cols) | set(sensitive_cols)) & set(drop_cols))
        raise InvalidInputError(f"drop lists the target or a sensitive column: {clash}")
    others = [*target_cols, *sensitive_cols, *drop_cols, *categorical_cols]
    if id_col is not None and id_col in [*others, cluster_col]:
        raise InvalidInputError(
            f"column {id_col!r} cannot be the id column and also the target, a sensitive, "
            "dropped, categorical or the clusters column"
        )
    if cluster_col is not None and cluster_col in others:
        raise InvalidInputError(
            f"column {cluster_col!r} cannot be the clusters column and also the target, a "
            "sensitive, dropped or categorical column"
        )

    sources = {col: [col] for col in sensitive_cols}
    if sensitive_sources is not None:
        for col, carried_by in sensitive_sources.items():
            carried = as_name_list(carried_by, f"sensitive_sources[{col!r}]")
            check_columns(carried, columns, f"sensitive_sources[{col!r}]")
            sources[col] = carried
    source_cols = [c for col in sensitive_cols for c in sources[col]]
    if set(source_cols) & {*target_cols, *role_cols}:
        clash = sorted(set(source_cols) & {*target_cols, *role_cols})
        raise InvalidInputError(f"sensitive_sources name the target, id or clusters: {clash}")

    excluded = {*target_cols, *drop_cols, *sensitive_cols, *source_cols, *role_cols}
    feature_cols = [c for c in columns if c not in excluded]
    if sensitive_as_feature:
        keep = set(feature_cols) | set(source_cols)
        feature_cols = [c for c in columns if c in keep]
    return Roles(columns, target, sensitive_cols, id_col, cluster_col, sources, feature_cols)


# -- fitted columns ---------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    """One input column's place in the feature space.

    A ``"onehot"`` column has its categories in code order (``by_text``: matched as
    text, see :func:`~fairpool.datasets._frames.value_codes`); a ``"numeric"`` column
    its standardisation (``mean`` 0 and ``scale`` 1 when not standardised).
    """

    column: str
    kind: str
    categories: list[Any] = field(default_factory=list)
    by_text: bool = False
    mean: float = 0.0
    scale: float = 1.0

    def names(self) -> list[str]:
        """Feature names: ``"<column>=<value>"`` per category, or the column's name."""
        if self.kind == "onehot":
            return [f"{self.column}={v}" for v in self.categories]
        return [self.column]

    def to_dict(self) -> dict[str, Any]:
        """The feature as a plain dict of JSON types."""
        if self.kind == "onehot":
            return {"column": self.column, "kind": "onehot", "by_text": self.by_text,
                    "categories": json_values(self.categories, f"feature column {self.column!r}")}
        return {"column": self.column, "kind": "numeric", "mean": self.mean, "scale": self.scale}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Feature:
        """The feature :meth:`to_dict` wrote."""
        if d["kind"] == "onehot":
            return cls(d["column"], "onehot", list(d["categories"]), bool(d["by_text"]))
        return cls(d["column"], "numeric", mean=float(d["mean"]), scale=float(d["scale"]))


@dataclass(frozen=True)
class Coding:
    """Values of a code column (a sensitive column or the clusters) in code order."""

    column: str
    values: list[Any]
    by_text: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The coding as a plain dict of JSON types."""
        return {"column": self.column, "by_text": self.by_text,
                "values": json_values(self.values, f"column {self.column!r}")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Coding:
        """The coding :meth:`to_dict` wrote."""
        return cls(d["column"], list(d["values"]), bool(d["by_text"]))


def json_values(items: Sequence[Any], what: str) -> list[Any]:
    """``items`` as Python str/int/float/bool values, else raise naming ``what``."""
    out = [plain(v) for v in items]
    for v in out:
        if not isinstance(v, str | int | float | bool) or (isinstance(v, float) and v != v):
            raise InvalidInputError(
                f"{what} has the value {v!r} of type {type(v).__name__}, which a saved "
                "encoder cannot hold (str, int, float or bool only); convert the column first"
            )
    return out


def numeric_values(series: pd.Series, column: str) -> np.ndarray:
    """A numeric feature column as float64 (zeros unsigned), refusing text and infinities."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        try:
            series = pd.to_numeric(series, errors="raise")
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"feature column {column!r} is numeric in the fitted table, but this table "
                f"holds values that are not numbers (dtype {series.dtype})"
            ) from None
    values = series.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"feature column {column!r} has {int((~np.isfinite(values)).sum())} "
            "infinite value(s)"
        )
    # -0.0 + 0.0 is 0.0: the sparse stacking of build_transformer keeps no signed zero,
    # so no encoding holds one (a table without one-hot columns would otherwise keep it).
    return values + 0.0


def fit_feature(
    series: pd.Series, column: str, *, categorical: bool, standardize: bool
) -> Feature:
    """Fit one feature column (all its rows, no missing values)."""
    if categorical or is_categorical(series):
        _, values, by_text = value_codes(series)
        return Feature(column, "onehot", values, by_text)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values_f = numeric_values(series, column)
        if not standardize:
            return Feature(column, "numeric")
        # Population standard deviation; a constant column is only centred.
        std = values_f.std()
        return Feature(column, "numeric", mean=float(values_f.mean()),
                       scale=float(std if std > 0 else 1.0))
    raise InvalidInputError(
        f"feature column {column!r} has dtype {series.dtype}, which fairpool cannot "
        "encode; convert it to numbers or categories, or list it in drop"
    )


# -- the scikit-learn transformer ---------------------------------------------------
def _to_float32(X: Any) -> np.ndarray:
    return np.asarray(X, dtype=np.float32)


def build_transformer(features: Sequence[Feature], standardize: bool) -> ColumnTransformer | None:
    """The fitted ColumnTransformer of a schema: one transformer per input column, in order.

    Its input is a frame with one column per feature column: a one-hot column as the
    codes of its fitted categories (-1 for a value not seen at fit), a numeric column as
    float64. Codes rather than values, so that the OneHotEncoder's categories are
    ``0 .. k-1``: pandas' hash tables find the codes of a million values about 4x faster
    than OneHotEncoder's own lookup of object values (a Python loop). A numeric column
    is scaled by a StandardScaler holding the fitted mean and population standard
    deviation (computed with numpy, so that encodings stay bit-for-bit those of earlier
    versions) when ``standardize``, then becomes float32. A one-hot block is float32.
    The output is a scipy sparse matrix when there is a one-hot column (dense otherwise).

    Returns
    -------
    ColumnTransformer or None
        None when there are no features.
    """
    if not features:
        return None
    steps = []
    for i, f in enumerate(features):
        if f.kind == "onehot":
            step: Any = OneHotEncoder(
                categories=[np.arange(len(f.categories), dtype=np.int64)],
                handle_unknown="ignore",
                sparse_output=True,
                dtype=np.float32,
            )
        elif standardize:
            step = Pipeline([("scale", StandardScaler()),
                             ("float32", FunctionTransformer(_to_float32))])
        else:
            step = FunctionTransformer(_to_float32)
        steps.append((f"f{i}", step, [f.column]))
    # Sparse one-hot blocks, stacked sparse and made dense once by the caller: stacking
    # dense (n, 1) blocks column by column takes about 1 s per million rows.
    transformer = ColumnTransformer(steps, remainder="drop", sparse_threshold=1.0)
    # The categories and statistics are the schema's; fitting only needs one row per code.
    k = max([len(f.categories) for f in features if f.kind == "onehot"] + [1])
    sample = pd.DataFrame({
        f.column: np.arange(k, dtype=np.int64) % len(f.categories)
        if f.kind == "onehot" else np.zeros(k, dtype=np.float64)
        for f in features
    })
    transformer.fit(sample)
    for i, f in enumerate(features):
        if f.kind == "numeric" and standardize:
            scaler = transformer.named_transformers_[f"f{i}"].named_steps["scale"]
            scaler.mean_ = np.array([f.mean], dtype=np.float64)
            scaler.scale_ = np.array([f.scale], dtype=np.float64)
            scaler.var_ = np.array([f.scale**2], dtype=np.float64)
    return transformer
