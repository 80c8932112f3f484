"""Count once: group codes and the group x y_true x y_pred contingency table.

Every binary group metric in :mod:`fairpool.metrics` is a function of one table
of (weighted) counts indexed by ``[group, y_true, y_pred]``. This module builds
that table in a single pass over the rows and encodes sensitive features to
integer group codes once. The active-learning loop calls
:func:`confusion_by_group` directly with codes it encoded once per dataset.

How the counting works (written by hand because neither fairlearn nor
scikit-learn offer it: fairlearn runs a pandas ``groupby`` and one
scikit-learn ``confusion_matrix`` per group and per metric, about 1000x slower
at 10^6 rows): the columns are combined into one integer per row,
``(group * 2 + y_true) * 2 + y_pred``, and ``np.bincount`` counts those
integers. The combined codes are formed chunk by chunk in a small reusable
buffer, so the inputs are never copied and the extra memory does not grow with
the number of rows; ``bool`` and ``int8`` labels are read as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import from_foreign_frame
from fairpool.errors import EmptyInputError, InvalidInputError, MissingValueError
from fairpool.metrics._validation import (
    as_1d_array,
    as_binary,
    as_sample_weight,
    check_lengths,
)

__all__ = [
    "EncodedGroups",
    "GroupedTable",
    "confusion_by_group",
    "count_by_group",
    "encode_groups",
    "encode_sensitive_features",
    "group_key",
    "grouped_table",
]

#: Rows per counting chunk: large enough to amortise the per-chunk overhead,
#: small enough that the chunk buffer (8 bytes a row) stays in cache.
CHUNK_ROWS = 1 << 16

#: Integer groups whose value range is at most this many times the row count
#: (or at most ``_MIN_LOOKUP``) are encoded with a lookup table, otherwise sorted.
_LOOKUP_FACTOR = 4
_MIN_LOOKUP = 1 << 16


def group_key(group: Any) -> str:
    """One group's label as a flat string that no other group can share.

    A single value is its string; an intersection (a tuple) joins its values with
    ``"|"`` after escaping ``"\\"`` and ``"|"`` inside each value, so the groups
    ``("a|b", "c")`` and ``("a", "b|c")`` keep two names.

    Examples
    --------
    >>> group_key(("a|b", "c")), group_key(("a", "b|c")), group_key("a|b")
    ('a\\\\|b|c', 'a|b\\\\|c', 'a|b')
    """
    if isinstance(group, tuple):
        return "|".join(str(v).replace("\\", "\\\\").replace("|", "\\|") for v in group)
    return str(group)


@dataclass(frozen=True)
class EncodedGroups:
    """Sensitive features encoded to integer group codes.

    Attributes
    ----------
    codes : ndarray of int, shape (n,)
        Group code of each row, ``0 .. len(names) - 1``; every code occurs. The
        integer dtype is the input's own when it already held compact codes
        (no copy), else ``int64`` (``int32`` for intersections that fit).
    names : tuple of str
        Name of each code; an intersection is its :func:`group_key` (the column values
        joined with ``"|"``, escaped so that no two intersections share a name).
        Codes follow the sorted order of the values (column by column for
        intersections), the order fairlearn's ``MetricFrame.by_group`` uses.
    feature_names : tuple of str
        Name of each sensitive column (``"sensitive_feature_0"``, ... when the
        input has no names).
    values : tuple of tuple of str, optional
        For intersections, each code's tuple of column values (None for one column).
    """

    codes: np.ndarray
    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    values: tuple[tuple[str, ...], ...] | None = None

    @property
    def index(self) -> pd.Index:
        """The groups as a pandas index: a MultiIndex of value tuples for intersections
        (as fairlearn's ``MetricFrame.by_group``), else the names."""
        if self.values is not None:
            return pd.MultiIndex.from_tuples(self.values, names=list(self.feature_names))
        return pd.Index(list(self.names), name=self.label, dtype=object)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.names)

    @property
    def label(self) -> str:
        """Name for the group axis: the feature names joined with ``"|"``."""
        return "|".join(self.feature_names)


def encode_groups(sensitive_features: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    """Encode sensitive features to integer group codes and group names.

    Parameters
    ----------
    sensitive_features : array-like, DataFrame, dict or list of columns
        One value per row (list, ndarray, Series, Categorical) for one
        attribute; an ``(n, k)`` array, a DataFrame, a dict of columns or a
        list of columns for ``k`` attributes, whose combinations are the
        (intersectional) groups.

    Returns
    -------
    codes : ndarray of shape (n,)
        ``int64`` code of each row's group; every code in ``0 .. len(names) - 1``
        occurs. An ``int64`` array that already holds such compact codes is
        returned as it is, without a copy.
    names : tuple of str
        Group names in code order: the sorted distinct values as strings, or
        for intersections the column values joined with ``"|"``
        (``"Female|Black"``), in lexicographic order of the columns.

    Raises
    ------
    InvalidInputError
        If ``sensitive_features`` is None, a scalar, or has an unusable shape.
    EmptyInputError
        If it holds no rows.
    MissingValueError
        If a value is NaN or None.
    LengthMismatchError
        If the columns have different lengths.

    Examples
    --------
    >>> codes, names = encode_groups(["b", "a", "b"])
    >>> codes.tolist(), names
    ([1, 0, 1], ('a', 'b'))
    >>> codes, names = encode_groups({"sex": ["F", "M", "F"], "age": [1, 1, 2]})
    >>> codes.tolist(), names
    ([0, 2, 1], ('F|1', 'F|2', 'M|1'))
    """
    encoded = encode_sensitive_features(sensitive_features)
    return np.asarray(encoded.codes, dtype=np.int64), encoded.names


def encode_sensitive_features(sensitive_features: Any) -> EncodedGroups:
    """Encode sensitive features like :func:`encode_groups`, keeping the column names.

    Parameters
    ----------
    sensitive_features : array-like, DataFrame, dict or list of columns
        As for :func:`encode_groups`.

    Returns
    -------
    EncodedGroups
    """
    columns, feature_names = _split_columns(sensitive_features)
    several = len(columns) > 1
    encoded = [
        _encode_column(column, feature, several)
        for column, feature in zip(columns, feature_names, strict=True)
    ]
    if several:
        check_lengths(**{
            f"sensitive_features[{feature!r}]": codes
            for feature, (codes, _) in zip(feature_names, encoded, strict=True)
        })
    codes, names = encoded[0]
    if not several:
        return EncodedGroups(codes=codes, names=names, feature_names=feature_names)
    values: tuple[tuple[str, ...], ...] = tuple((n,) for n in names)
    for more_codes, more_names in encoded[1:]:
        codes, values = _intersect(codes, values, more_codes, more_names)
    return EncodedGroups(codes=codes, names=tuple(group_key(v) for v in values),
                         feature_names=feature_names, values=values)


def _split_columns(sf: Any) -> tuple[list[Any], tuple[str, ...]]:
    """Split ``sensitive_features`` into its columns and their names."""
    if sf is None:
        raise InvalidInputError("sensitive_features is required, got None")
    sf = from_foreign_frame(sf)
    if isinstance(sf, pd.DataFrame):
        if sf.shape[1] == 0:
            raise InvalidInputError("sensitive_features is a DataFrame with no columns")
        return [sf.iloc[:, j] for j in range(sf.shape[1])], tuple(str(c) for c in sf.columns)
    if isinstance(sf, Mapping):
        if not sf:
            raise InvalidInputError("sensitive_features is an empty dict")
        return list(sf.values()), tuple(str(k) for k in sf)
    if isinstance(sf, pd.Series):
        name = "sensitive_feature_0" if sf.name is None else str(sf.name)
        return [sf], (name,)
    if isinstance(sf, np.ndarray) and sf.ndim == 2:
        if sf.shape[1] == 0:
            raise InvalidInputError("sensitive_features has shape (n, 0): no columns")
        return [sf[:, j] for j in range(sf.shape[1])], _default_names(sf.shape[1])
    if isinstance(sf, list | tuple) and sf and all(_is_column(c) for c in sf):
        return list(sf), _default_names(len(sf))
    return [sf], _default_names(1)


def _is_column(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index | pd.Categorical)


def _default_names(k: int) -> tuple[str, ...]:
    return tuple(f"sensitive_feature_{j}" for j in range(k))


def _encode_column(values: Any, feature: str, several: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes (sorted order of values) and names of one sensitive column."""
    what = f"sensitive_features column {feature!r}" if several else "sensitive_features"
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.array
    if isinstance(values, pd.Categorical):
        if len(values) == 0:
            raise EmptyInputError(f"{what} is empty; metrics need at least one row")
        codes = np.asarray(values.codes)
        if (codes < 0).any():
            position = int(np.flatnonzero(codes < 0)[0])
            raise MissingValueError(f"{what} has a missing value at position {position}")
        categories = [str(c) for c in values.categories]
        return _compact_integers(codes, categories.__getitem__)
    # Object arrays are checked for missing values by the factorization below (-1 codes).
    arr = as_1d_array(values, what, check_objects=False)
    kind = arr.dtype.kind
    if kind == "b":
        return _compact_integers(arr.view(np.uint8), ("False", "True").__getitem__)
    if kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < max(_LOOKUP_FACTOR * arr.shape[0], _MIN_LOOKUP):
            shifted = arr if lo == 0 else np.subtract(arr, lo, dtype=np.int64)
            return _compact_integers(shifted, lambda v: str(lo + v), hi - lo + 1)
        uniques, codes = np.unique(arr, return_inverse=True)
        return codes.astype(np.int64, copy=False), tuple(str(int(u)) for u in uniques)
    try:
        codes, uniques = pd.factorize(arr, sort=True)
        _refuse_missing_codes(codes, what)
        names = tuple(str(u) for u in uniques)
    except TypeError:  # values of mixed, unorderable types: order by their string form
        codes, uniques = pd.factorize(arr, sort=False)
        _refuse_missing_codes(codes, what)
        order = np.argsort([str(u) for u in uniques], kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        codes = rank[codes]
        names = tuple(str(uniques[i]) for i in order)
    return codes.astype(np.int64, copy=False), names


def _refuse_missing_codes(codes: np.ndarray, what: str) -> None:
    """pandas codes NaN, None, pd.NA and NaT as -1: refuse them, naming the first."""
    if codes.shape[0] and codes.min() < 0:
        position = int(np.flatnonzero(codes < 0)[0])
        raise MissingValueError(f"{what} has a missing value (NaN or None) at position {position}")


def _compact_integers(
    values: np.ndarray, name_of: Callable[[int], Any], size: int | None = None
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Renumber non-negative integer values so that the codes present are 0..k-1.

    ``name_of(v)`` names value ``v``; ``size`` is ``max(values) + 1`` when the
    caller knows it. When every value in ``0 .. max`` occurs the input is
    returned unchanged (no copy); otherwise a lookup table maps values to
    compact codes, keeping their order.
    """
    if size is None:
        size = int(values.max()) + 1
    present = np.flatnonzero(count_by_group(values, size))
    names = tuple(name_of(v) for v in present.tolist())
    if present.size == size:
        return values, names
    lookup = np.full(size, -1, dtype=np.int64 if values.dtype.itemsize > 4 else np.int32)
    lookup[present] = np.arange(present.size)
    return lookup[values], names


def _intersect(
    codes_a: np.ndarray,
    values_a: tuple[tuple[str, ...], ...],
    codes_b: np.ndarray,
    names_b: tuple[str, ...],
) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    """Codes of the combinations of two code arrays, in lexicographic order, and the value
    tuple of each combination (``values_a`` extended by one column)."""
    k_b = len(names_b)
    size = len(values_a) * k_b
    # int32 halves the memory traffic whenever the combinations fit; chunks keep numpy's
    # dtype casts (codes_b may be int64) to chunk-sized temporaries
    combined = np.empty(codes_a.shape[0], dtype=np.int32 if size < 2**31 else np.int64)
    for start in range(0, combined.shape[0], CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        np.multiply(codes_a[part], k_b, out=combined[part], casting="unsafe")
        np.add(combined[part], codes_b[part], out=combined[part], casting="unsafe")

    def name_of(v: int) -> tuple[str, ...]:
        return (*values_a[v // k_b], names_b[v % k_b])

    if size <= max(_LOOKUP_FACTOR * combined.shape[0], _MIN_LOOKUP):
        return _compact_integers(combined, name_of, size)
    present, codes = np.unique(combined, return_inverse=True)
    return codes.astype(np.int64, copy=False), tuple(name_of(v) for v in present.tolist())


def count_by_group(
    groups: np.ndarray,
    n_groups: int,
    *binary_columns: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Count rows per group and per value of some 0/1 columns, in one pass.

    The low-level counter behind every table in this package; inputs are
    trusted (use :func:`confusion_by_group` for checked input).

    Parameters
    ----------
    groups : ndarray of int, shape (n,)
        Group codes in ``0 .. n_groups - 1``.
    n_groups : int
        Number of groups (rows of the result).
    *binary_columns : ndarray of shape (n,)
        0/1 columns (``bool`` or any integer dtype), each adding an axis of length 2.
    sample_weight : ndarray of float, shape (n,), optional
        Row weights; without them the counts are integers.

    Returns
    -------
    ndarray of shape (n_groups, 2, ..., 2)
        ``int64`` counts, or ``float64`` summed weights.
    """
    n = groups.shape[0]
    n_bits = len(binary_columns)
    size = n_groups << n_bits
    if n_bits == 0 and groups.dtype == np.intp and groups.flags.writeable and (
        sample_weight is None
    ):
        # already bincount's dtype: no copy (np.bincount copies read-only arrays, such as
        # pandas' copy-on-write views, so those take the chunked path)
        return np.bincount(groups, minlength=size)
    total = np.zeros(size, dtype=np.float64 if sample_weight is not None else np.int64)
    chunk = max(1, min(n, CHUNK_ROWS))
    buffer = np.empty(chunk, dtype=np.intp)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        combined = buffer[: stop - start]
        np.copyto(combined, groups[start:stop], casting="unsafe")
        for column in binary_columns:
            combined <<= 1
            np.add(combined, column[start:stop], out=combined, dtype=np.intp, casting="unsafe")
        weights = None if sample_weight is None else sample_weight[start:stop]
        total += np.bincount(combined, weights=weights, minlength=size)
    return total.reshape((n_groups,) + (2,) * n_bits)


def check_group_codes(groups: Any, n_groups: int, name: str = "groups") -> np.ndarray:
    """Return ``groups`` as a 1-D integer array of codes in ``[0, n_groups)``.

    Raises
    ------
    InvalidInputError
        If the codes are not integers or fall outside ``[0, n_groups)``.
    """
    if not isinstance(n_groups, int | np.integer) or n_groups < 1:
        raise InvalidInputError(f"n_groups must be a positive integer, got {n_groups!r}")
    codes = as_1d_array(groups, name)
    if codes.dtype.kind == "b":
        codes = codes.view(np.uint8)
    if codes.dtype.kind not in "iu":
        raise InvalidInputError(
            f"{name} must hold integer group codes (see encode_groups), got dtype {codes.dtype}"
        )
    lo, hi = int(codes.min()), int(codes.max())
    if lo < 0 or hi >= n_groups:
        bad = lo if lo < 0 else hi
        raise InvalidInputError(f"{name} must hold codes in [0, {n_groups}), found {bad}")
    return codes


def confusion_by_group(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    *,
    n_groups: int,
    sample_weight: Any = None,
) -> np.ndarray:
    """Weighted confusion matrix of every group, counted in one pass.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels (0/1 or bool); ``bool`` and integer arrays are not copied.
    groups : array-like of int, shape (n,)
        Group codes in ``0 .. n_groups - 1``, e.g. from :func:`encode_groups`.
    n_groups : int
        Number of groups; groups with no rows get a row of zeros.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights.

    Returns
    -------
    ndarray of shape (n_groups, 2, 2)
        ``table[g, t, p]`` is the number of rows (or their total weight) of
        group ``g`` with ``y_true == t`` and ``y_pred == p``; ``int64`` counts
        without weights, ``float64`` with.

    Raises
    ------
    InvalidInputError
        If ``groups`` are not integer codes in ``[0, n_groups)``.
    NonBinaryLabelError, MissingValueError, LengthMismatchError, EmptyInputError
        On bad labels, missing values, different lengths or empty input.

    Examples
    --------
    >>> confusion_by_group([1, 0, 1, 1], [1, 1, 0, 1], [0, 0, 1, 1], n_groups=2)[1]
    array([[0, 0],
           [1, 1]])
    """
    t = as_binary(y_true, "y_true")
    p = as_binary(y_pred, "y_pred")
    codes = check_group_codes(groups, n_groups)
    n = check_lengths(y_true=t, y_pred=p, groups=codes)
    weights = as_sample_weight(sample_weight, n)
    return count_by_group(codes, int(n_groups), t, p, sample_weight=weights)


@dataclass(frozen=True)
class GroupedTable:
    """A contingency table with the group names it is indexed by (internal carrier)."""

    table: np.ndarray
    groups: EncodedGroups


def grouped_table(
    columns: Sequence[tuple[str, Any]],
    sensitive_features: Any,
    sample_weight: Any,
    *,
    length_only: Mapping[str, Any] | None = None,
) -> GroupedTable:
    """Check binary ``columns`` and count them per group of ``sensitive_features``.

    Parameters
    ----------
    columns : sequence of (str, array-like of shape (n,))
        ``(argument name, values)`` pairs of 0/1 columns (e.g. ``y_true``, ``y_pred``),
        each adding an axis of length 2 to the table, in this order.
    sensitive_features : array-like, DataFrame, dict or list of columns
        As for :func:`encode_groups`; several columns give intersections.
    sample_weight : array-like of shape (n,) or None
        Non-negative row weights.
    length_only : mapping of str to array-like, optional
        Arguments only checked for length (such as ``y_true`` for selection
        rates, which fairlearn ignores).

    Returns
    -------
    GroupedTable
        ``table`` of shape ``(n_groups, 2, ..., 2)`` (see :func:`count_by_group`)
        and the encoded ``groups``.

    Raises
    ------
    NonBinaryLabelError, MissingValueError, LengthMismatchError, EmptyInputError
        On labels other than 0/1, missing values, different lengths, no rows.
    """
    arrays = {name: as_binary(values, name) for name, values in columns}
    encoded = encode_sensitive_features(sensitive_features)
    extra = {name: as_1d_array(v, name) for name, v in (length_only or {}).items()}
    n = check_lengths(**arrays, **extra, sensitive_features=encoded.codes)
    weights = as_sample_weight(sample_weight, n)
    table = count_by_group(
        encoded.codes, encoded.n_groups, *arrays.values(), sample_weight=weights
    )
    return GroupedTable(table=table, groups=encoded)
