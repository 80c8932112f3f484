"""Turn a raw table into a :class:`Dataset`: the one encoding every loader uses.

The rules (documented in ``docs/datasets.md``):

* categorical columns (object, string, category or bool dtype, or named in
  ``categorical``) are one-hot encoded, one column per observed value, named
  ``"<column>=<value>"``; a categorical dtype keeps its category order, other
  columns are sorted by value;
* numeric columns are kept as they are (optionally standardised);
* the sensitive columns define the group of each row (several columns give
  intersectional groups named ``"a|b"``) and, by option, are also encoded as
  features;
* a binary target is mapped to 0/1 (``positive`` is 1; by default the last value
  in sorted order); a float target with more than two values is a regression
  target.

:func:`from_frame` is the public entry point for a user's own table; the bundled
loaders call :func:`encode_frame` with the same rules plus their provenance.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.datasets._binary import binary_coding
from fairpool.datasets._dataset import Dataset
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
)

__all__ = ["encode_frame", "from_frame", "group_codes", "to_pandas"]

MissingPolicy = Literal["error", "drop"]


# -- input tables ------------------------------------------------------------
def from_foreign_frame(values: Any) -> Any:
    """A polars or pyarrow table/series/array as its pandas equivalent; anything else as is.

    fairpool's metrics read pandas, numpy and plain sequences; other dataframe libraries
    (polars ``DataFrame``/``Series``/``LazyFrame``, pyarrow ``Table``/``Array``/
    ``ChunkedArray``) come in through their own ``to_pandas()``, so their column names
    and missing values survive (a polars frame given to numpy would lose its names).

    Parameters
    ----------
    values : object

    Returns
    -------
    object
        A pandas object for a polars or pyarrow input, otherwise ``values`` unchanged.
    """
    module = type(values).__module__.split(".")[0]
    if module not in ("polars", "pyarrow"):
        return values
    if hasattr(values, "collect") and not hasattr(values, "to_pandas"):  # a polars LazyFrame
        values = values.collect()
    return values.to_pandas()


def to_pandas(frame: Any, *, argument: str = "df") -> pd.DataFrame:
    """Return ``frame`` as a pandas DataFrame (polars and pyarrow tables are converted).

    Parameters
    ----------
    frame : pandas.DataFrame, polars.DataFrame or LazyFrame, or pyarrow.Table
        The table.
    argument : str
        Name of the argument, used in error messages.

    Returns
    -------
    pandas.DataFrame
    """
    converted = from_foreign_frame(frame)
    if isinstance(converted, pd.DataFrame):
        return converted
    raise InvalidInputError(
        f"{argument} must be a pandas or polars DataFrame or a pyarrow Table, "
        f"got {type(frame).__name__}"
    )


def _as_name_list(value: str | Sequence[str] | None, argument: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    for item in names:
        if not isinstance(item, str):
            raise InvalidInputError(
                f"{argument} must be a column name or a list of column names, got {item!r}"
            )
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{argument} lists a column twice: {names}")
    return names


def _check_columns(names: Sequence[str], columns: Sequence[str], argument: str) -> None:
    known = set(columns)
    for col in names:
        if col not in known:
            raise UnknownColumnError(
                f"{argument} column {col!r} is not in the table; columns are: {list(columns)}"
            )


# -- value codes ---------------------------------------------------------------
def _is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _value_codes(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer code of each value and the observed values in code order.

    A categorical dtype keeps its category order (unused categories dropped);
    any other column is sorted by value (by text when values are not comparable).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy()
        used = np.flatnonzero(np.bincount(raw[raw >= 0], minlength=len(series.cat.categories)))
        remap = np.full(len(series.cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        return remap[raw], [series.cat.categories[i] for i in used]
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # mixed types that do not compare: order them by text
        codes, uniques = pd.factorize(series.astype(str), sort=True)
    return np.asarray(codes, dtype=np.int64), list(uniques)


def group_codes(
    frame: pd.DataFrame, columns: Sequence[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Code the (intersectional) group of each row from one or more columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; the columns must hold no missing values.
    columns : sequence of str
        The sensitive columns. With several, a group is a combination of values
        observed in the data, named by joining the values with ``"|"``.

    Returns
    -------
    codes : ndarray of shape (n,), int64
        Group code of each row, ``0 .. len(names) - 1``, ordered lexicographically
        by the per-column value order.
    names : tuple of str
        Name of each group code.
    """
    per_column = [_value_codes(frame[col]) for col in columns]
    combined = np.zeros(len(frame), dtype=np.int64)
    for codes, values in per_column:
        combined = combined * len(values) + codes
    observed, inverse = np.unique(combined, return_inverse=True)
    names = []
    for code in observed.tolist():
        parts = []
        for _, values in reversed(per_column):
            code, digit = divmod(code, len(values))
            parts.append(str(values[digit]))
        names.append("|".join(reversed(parts)))
    return inverse.astype(np.int64).reshape(-1), tuple(names)


# -- target --------------------------------------------------------------------
def _recognised_positive(values: Sequence[Any], column: Any) -> Any:
    """The positive one of two target values when they are a recognised coding, else raise."""
    coded = [binary_coding(v) for v in values]
    if all(c is not None for c in coded) and coded[0][0] == coded[1][0] and (
        coded[0][1] != coded[1][1]
    ):
        return values[0] if coded[0][1] else values[1]
    raise InvalidInputError(
        f"target column {column!r} has the values {[str(v) for v in values]}: pass "
        "positive=<the value that means the positive outcome>; fairpool does not guess it "
        "unless the values are 0/1, true/false or yes/no"
    )


def _encode_target(
    series: pd.Series, positive: Any
) -> tuple[np.ndarray, str, list[str], Any]:
    """Return ``(y, task, classes, positive)`` for the target column."""
    column = series.name
    is_float = pd.api.types.is_float_dtype(series.dtype)
    if is_float and series.nunique() > 2:
        if positive is not None:
            raise InvalidInputError(
                f"positive={positive!r} only applies to a binary target, but target "
                f"column {column!r} is a float column with {series.nunique()} values "
                "(a regression target)"
            )
        return series.to_numpy(dtype=np.float64), "regression", [], None

    codes, values = _value_codes(series)
    if positive is not None and positive not in values:
        raise InvalidInputError(
            f"positive={positive!r} is not a value of target column {column!r}; "
            f"its values are {[str(v) for v in values]}"
        )
    if len(values) == 1:
        warnings.warn(
            f"target column {column!r} holds a single class ({values[0]!r}); "
            "models cannot be trained on it until both classes are present",
            UserWarning,
            stacklevel=3,
        )
        only = values[0]
        if positive is not None:
            value = int(only == positive)
        elif isinstance(only, (bool, int, float, np.number)) and float(only) in (0.0, 1.0):
            value = int(only)  # an all-0 or all-1 numeric target keeps its meaning
        else:
            value = 0
        y = np.full(len(series), value, dtype=np.int64)
        return y, "classification", [str(only)], positive if positive is not None else only
    if len(values) == 2:
        if positive is None:
            positive = _recognised_positive(values, column)
        y = (codes == values.index(positive)).astype(np.int64)
        negative = values[0] if values[1] == positive else values[1]
        return y, "classification", [str(negative), str(positive)], positive
    if positive is not None:
        raise InvalidInputError(
            f"positive={positive!r} only applies to a binary target, but target column "
            f"{column!r} has {len(values)} classes"
        )
    return codes, "classification", [str(v) for v in values], None


# -- the encoder -----------------------------------------------------------------
def encode_frame(
    frame: Any,
    *,
    target: str,
    sensitive: str | Sequence[str],
    sensitive_as_feature: bool = False,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    name: str = "user",
    positive: Any = None,
    missing: MissingPolicy = "error",
    standardize: bool = False,
    sensitive_sources: Mapping[str, Sequence[str]] | None = None,
    info: Mapping[str, Any] | None = None,
) -> Dataset:
    """Encode a raw table into a :class:`Dataset` (shared by every loader).

    Parameters
    ----------
    frame : pandas.DataFrame or polars.DataFrame
        The raw table, one row per example.
    target : str
        The label column.
    sensitive : str or sequence of str
        Column(s) defining the sensitive group of each row.
    sensitive_as_feature : bool, default False
        Also encode the sensitive attributes as features.
    categorical : sequence of str, optional
        Columns to one-hot encode even though their dtype is numeric.
    drop : sequence of str, optional
        Columns to leave out.
    name : str, default "user"
        Name of the dataset.
    positive : optional
        The target value coded 1 for a binary target (default: last in sorted order).
    missing : {"error", "drop"}, default "error"
        What to do with missing values in feature columns.
    standardize : bool, default False
        Standardise numeric feature columns to mean 0, standard deviation 1.
    sensitive_sources : mapping, optional
        For each sensitive column, the raw columns that carry it as a feature
        (default: the column itself). A loader uses this when the group is a
        bucketing of a feature (Adult's age groups come from the numeric ``age``)
        or when a code mixes it with other facts (German credit's personal status
        carries sex). The sources are features only when ``sensitive_as_feature``.
    info : mapping, optional
        Provenance and other facts merged into ``Dataset.info`` (they win over the
        computed keys).

    Returns
    -------
    Dataset
    """
    df = to_pandas(frame)
    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise InvalidInputError(f"the table has duplicate column names: {dup}")
    df = df.rename(columns=str)
    columns = list(df.columns)
    if len(df) == 0 or not columns:
        raise EmptyInputError(f"the table is empty (shape {df.shape}); it needs at least one row")
    if missing not in ("error", "drop"):
        raise InvalidInputError(f"missing must be 'error' or 'drop', got {missing!r}")
    if not isinstance(target, str):
        raise InvalidInputError(f"target must be a column name, got {target!r}")

    sensitive_cols = _as_name_list(sensitive, "sensitive")
    if not sensitive_cols:
        raise InvalidInputError("sensitive must name at least one column")
    categorical_cols = _as_name_list(categorical, "categorical")
    drop_cols = _as_name_list(drop, "drop")
    _check_columns([target], columns, "target")
    _check_columns(sensitive_cols, columns, "sensitive")
    _check_columns(categorical_cols, columns, "categorical")
    _check_columns(drop_cols, columns, "drop")
    if target in sensitive_cols:
        raise InvalidInputError(f"column {target!r} cannot be both the target and sensitive")
    if target in drop_cols or set(sensitive_cols) & set(drop_cols):
        clash = sorted(({target} | set(sensitive_cols)) & set(drop_cols))
        raise InvalidInputError(f"drop lists the target or a sensitive column: {clash}")

    sources = {col: [col] for col in sensitive_cols}
    if sensitive_sources is not None:
        for col, carried_by in sensitive_sources.items():
            carried = _as_name_list(carried_by, f"sensitive_sources[{col!r}]")
            _check_columns(carried, columns, f"sensitive_sources[{col!r}]")
            sources[col] = carried
    source_cols = [c for col in sensitive_cols for c in sources[col]]

    # Missing labels or groups are always an error: a row without them cannot be used.
    for col, role in [(target, "target")] + [(c, "sensitive") for c in sensitive_cols]:
        n_missing = int(df[col].isna().sum())
        if n_missing:
            raise MissingValueError(
                f"{role} column {col!r} has {n_missing} missing value(s); "
                "fill or remove those rows first"
            )

    excluded = {target, *drop_cols, *sensitive_cols, *source_cols}
    feature_cols = [c for c in columns if c not in excluded]
    if sensitive_as_feature:
        keep = set(feature_cols) | set(source_cols)
        feature_cols = [c for c in columns if c in keep]

    n_dropped = 0
    if feature_cols:
        na_counts = df[feature_cols].isna().sum()
        with_na = {c: int(k) for c, k in na_counts.items() if k}
        if with_na and missing == "error":
            col, k = next(iter(with_na.items()))
            raise MissingValueError(
                f"feature column {col!r} has {k} missing value(s) (all: {with_na}); "
                "pass missing='drop' to drop those rows, or fill them"
            )
        if with_na:
            keep_rows = ~df[feature_cols].isna().any(axis=1).to_numpy()
            n_dropped = int((~keep_rows).sum())
            df = df.loc[keep_rows].reset_index(drop=True)
            if len(df) == 0:
                raise EmptyInputError(
                    "every row has a missing feature value; missing='drop' left no rows"
                )

    y, task, classes, positive = _encode_target(df[target], positive)
    groups, group_names = group_codes(df, sensitive_cols)
    if len(group_names) == 1:
        warnings.warn(
            f"sensitive column(s) {sensitive_cols} hold a single group "
            f"({group_names[0]!r}); fairness measures need at least two",
            UserWarning,
            stacklevel=2,
        )

    blocks: list[np.ndarray] = []
    feature_names: list[str] = []
    names_by_column: dict[str, list[str]] = {}
    numeric_cols: list[str] = []
    one_hot_cols: list[str] = []
    forced = set(categorical_cols)
    for col in feature_cols:
        series = df[col]
        if col in forced or _is_categorical(series):
            codes, values = _value_codes(series)
            block = (codes[:, None] == np.arange(len(values))[None, :]).astype(np.float32)
            names = [f"{col}={v}" for v in values]
            one_hot_cols.append(col)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            values_f = series.to_numpy(dtype=np.float64)
            if not np.isfinite(values_f).all():
                raise InvalidInputError(
                    f"feature column {col!r} has {int((~np.isfinite(values_f)).sum())} "
                    "infinite value(s)"
                )
            if standardize:
                std = values_f.std()
                values_f = (values_f - values_f.mean()) / (std if std > 0 else 1.0)
            block = values_f.astype(np.float32)[:, None]
            names = [col]
            numeric_cols.append(col)
        else:
            raise InvalidInputError(
                f"feature column {col!r} has dtype {series.dtype}, which fairpool cannot "
                "encode; convert it to numbers or categories, or list it in drop"
            )
        blocks.append(block)
        feature_names.extend(names)
        names_by_column[col] = names
    X = np.hstack(blocks) if blocks else np.zeros((len(df), 0), dtype=np.float32)

    sensitive_columns = (
        [n for col in dict.fromkeys(source_cols) for n in names_by_column.get(col, [])]
        if sensitive_as_feature
        else []
    )
    computed: dict[str, Any] = {
        "source": "user-supplied table",
        "licence": "as supplied by the user",
        # The dataset's name, so consumers that see only ``info`` (a strategy's
        # QueryState) can find what is declared for it (its causal graph).
        "dataset": name,
        "sensitive": list(sensitive_cols),
        "sensitive_columns": sensitive_columns,
        "label": target if positive is None else f"{target} == {positive!s}",
        "task": task,
        "classes": classes,
        "positive_label": None if positive is None else str(positive),
        "target_column": target,
        "numeric_columns": numeric_cols,
        "categorical_columns": one_hot_cols,
        "standardized": bool(standardize),
        "rows_dropped_missing": n_dropped,
        "single_group": len(group_names) == 1,
    }
    if info:
        computed.update(info)
    return Dataset(
        X=X,
        y=y,
        groups=groups,
        group_names=group_names,
        feature_names=tuple(feature_names),
        name=name,
        info=computed,
    )


def from_frame(
    df: Any,
    *,
    target: str,
    sensitive: str | Sequence[str],
    sensitive_as_feature: bool = False,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    name: str = "user",
    positive: Any = None,
    missing: MissingPolicy = "error",
    standardize: bool = False,
) -> Dataset:
    """Build a :class:`Dataset` from your own table, with the bundled datasets' rules.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        One row per example.
    target : str
        The label column. A two-valued column becomes 0/1 (see ``positive``); a
        float column with more than two values is a regression target; other
        columns with more than two values become class codes in sorted order.
    sensitive : str or list of str
        The column(s) that define each row's group. Several columns give
        intersectional groups named ``"value_a|value_b"``. A single group is
        accepted (with a warning, and ``info["single_group"] = True``): it is legal
        data, and only fairness functions refuse it.
    sensitive_as_feature : bool, default False
        Also encode the sensitive columns as features (their feature names are
        listed in ``info["sensitive_columns"]``).
    categorical : list of str, optional
        Numeric columns to one-hot encode as categories. Object, string,
        category and bool columns are one-hot encoded anyway.
    drop : list of str, optional
        Columns to leave out of the features.
    name : str, default "user"
        Name of the dataset.
    positive : optional
        For a binary target, the value coded 1. Needed unless the two values are a
        recognised coding (0/1, true/false, yes/no in any case, whose positive value is
        plain); fairpool does not guess which of ``approved``/``denied`` is positive.
    missing : {"error", "drop"}, default "error"
        Missing values in feature columns raise :class:`MissingValueError`, or
        drop their rows. Missing target or sensitive values always raise.
    standardize : bool, default False
        Standardise numeric feature columns to mean 0 and standard deviation 1.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownColumnError
        A named column is not in the table (the message lists the columns).
    MissingValueError
        Missing values in the target, a sensitive column, or (by default) a feature.
    EmptyInputError
        The table has no rows.
    InvalidInputError
        Any other bad argument (target also sensitive, unsupported dtype, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> import fairpool as fp
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "sex": ["F", "M", "F", "M"],
    ...                    "y": ["no", "yes", "yes", "no"]})
    >>> ds = fp.datasets.from_frame(df, target="y", sensitive="sex")
    >>> ds.feature_names, ds.y.tolist(), ds.group_names
    (('x',), [0, 1, 1, 0], ('F', 'M'))
    """
    return encode_frame(
        df,
        target=target,
        sensitive=sensitive,
        sensitive_as_feature=sensitive_as_feature,
        categorical=categorical,
        drop=drop,
        name=name,
        positive=positive,
        missing=missing,
        standardize=standardize,
    )
