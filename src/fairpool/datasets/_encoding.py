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
loaders call :func:`encode_frame` with the same rules plus their provenance. Both are
``TableEncoder(...).fit(df)`` then ``.to_dataset(df)``: the one encoding is the fitted
schema of :mod:`~fairpool.datasets._table_encoder` (built on scikit-learn's
ColumnTransformer and OneHotEncoder), which also encodes later tables (an unlabelled
pool) into the same feature space. The per-column pieces are in
:mod:`~fairpool.datasets._frames` and the target's coding in
:mod:`~fairpool.datasets._target`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._frames import from_foreign_frame, group_codes, to_pandas
from fairpool.datasets._table_encoder import TableEncoder
from fairpool.errors import InvalidInputError

__all__ = ["encode_frame", "from_foreign_frame", "from_frame", "group_codes", "to_pandas"]

MissingPolicy = Literal["error", "drop"]


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
    clusters: str | None = None,
    task: str | None = None,
    info: Mapping[str, Any] | None = None,
) -> Dataset:
    """Encode a raw table into a :class:`Dataset` (shared by every loader).

    ``TableEncoder(...).fit(frame).to_dataset(frame, name=name, info=info)``: the one
    encoding, whose fitted schema also encodes later tables with the same columns.

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
        The target value coded 1 for a binary target (needed unless the two values are
        a recognised coding: 0/1, true/false, yes/no).
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
    clusters : str, optional
        A column of cluster (random-effect) labels: coded ``0 .. k - 1`` in sorted
        order into ``Dataset.clusters`` (names in ``info["cluster_names"]``), not a
        feature.
    task : {None, "classification", "regression"}, default None
        The target's task; None infers it (see :func:`from_frame`).
    info : mapping, optional
        Provenance and other facts merged into ``Dataset.info`` (they win over the
        computed keys).

    Returns
    -------
    Dataset
    """
    encoder = TableEncoder(
        target=target,
        sensitive=sensitive,
        sensitive_as_feature=sensitive_as_feature,
        categorical=categorical,
        drop=drop,
        positive=positive,
        missing=missing,
        standardize=standardize,
        sensitive_sources=sensitive_sources,
        clusters=clusters,
        task=task,
    )
    df = to_pandas(frame)
    if not isinstance(target, str):  # checked here: a TableEncoder takes target=None
        raise InvalidInputError(f"target must be a column name, got {target!r}")
    return encoder.fit(df).to_dataset(df, name=name, info=info)


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
    clusters: str | None = None,
    task: str | None = None,
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
    clusters : str, optional
        A column of cluster labels (school, hospital, occupation) for mixed-effects
        models. Its values are coded ``0 .. k - 1`` (sorted; names in
        ``info["cluster_names"]``) into ``Dataset.clusters`` and it is not a feature.
        A cluster with a single row is kept (a mixed-effects model shrinks its effect
        toward zero); its count is in ``info["singleton_clusters"]``.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownColumnError
        A named column is not in the table (the message lists the columns).
    MissingValueError
        Missing values in the target, a sensitive column, the clusters column, or (by
        default) a feature; the message names the column and the count.
    EmptyInputError
        The table has no rows.
    InvalidInputError
        Any other bad argument (target also sensitive, unsupported dtype, a
        ``task="regression"`` target holding text that is not a number, ...).

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
        clusters=clusters,
        task=task,
    )
