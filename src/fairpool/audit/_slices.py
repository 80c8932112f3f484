"""Worst-slice search: the intersections of up to k columns where a model does worst.

:func:`worst_slices` follows SliceLine (Sagadeeva & Boehm, "SliceLine: Fast,
Linear-Algebra-based Slice Finding for ML Model Debugging", SIGMOD 2021): a
slice is a conjunction of ``column == value`` predicates; its score (section
3.1, equation 1) is

    sc(S) = alpha * (e(S) / |S| / e_bar - 1) - (1 - alpha) * (n / |S| - 1),

with ``e(S)`` the errors in the slice, ``e_bar`` the mean error over all ``n``
rows and ``alpha`` in (0, 1] trading error against size. Slices with fewer than
``min_support`` rows or a score <= 0 are not reported. The lattice is searched
level by level with the paper's pruning (section 3.2): a slice is extended only
if it has ``min_support`` rows and some error; a candidate at level ``l`` must
have all of its ``l`` parents alive; and a candidate whose upper bound on the
score -- computed from its parents' smallest size, error and maximum error and
evaluated at the bound's probe points (section 3.2, "score upper bound") -- is
below the k-th best score found so far is dropped with its whole subtree.

Why not the ``sliceline`` package (DataDome, BSD-3, on PyPI; checked at 0.3.0):
its API fits (``Slicefinder(alpha, k, max_l, min_sup).fit(X, errors)``) but it
evaluates every candidate against the one-hot matrix of all rows, so its time
grows with the rows (SciPy's sparse product and comparison dominate a profile);
``benchmarks/subgroups.py`` times both on the same rows. Here the rows are read once,
by :func:`fairpool.metrics.grouped_table`, into the confusion table of each
distinct value combination (a "cell"); a slice's size and error are sums over
cells, so the search costs a function of the number of cells, not of rows, with
the same scores (``tests/test_slices.py`` compares it with an independent
brute-force enumeration over the rows). The enumeration extends each live slice
by predicates on columns after its last one (each slice generated once, the
paper's deduplicated form) and checks the parents by lookup instead of the
paper's sparse self-join; this is the hand-written part.

Which rate: any rate of :func:`fairpool.audit.subgroups`. A slice is measured on
the rows of the rate's denominator, and a row is an error where it makes the rate
worse: ``error_rate`` counts wrong predictions over all rows (``accuracy`` the
same), ``fpr`` predicted positives among actual negatives, ``fnr`` and
``recall`` misses among actual positives, ``precision`` actual negatives among
predicted positives, ``selection_rate`` predicted negatives and ``base_rate``
actual negatives (a low rate is the harm for those). Sizes are counts of the
measured rows. Numeric columns are cut into quantile bins first
(:mod:`fairpool.audit._binning`). Ties with the k-th score are all returned; the
order is score, then size (larger first), then fewer predicates, then the
predicates' column order and values as strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._binning import as_frame, bin_numeric
from fairpool.audit._subgroups import LOWER_IS_WORSE, SUBGROUP_METRICS, proportion_counts
from fairpool.errors import EmptyInputError, InvalidInputError, UnknownNameError

__all__ = ["SLICE_METRICS", "slice_score", "worst_slices"]

#: Rates :func:`worst_slices` can search on: every rate of :func:`subgroups`.
SLICE_METRICS: tuple[str, ...] = SUBGROUP_METRICS

#: Cells compared against candidates per block (bounds the boolean match matrix).
_BLOCK = 1 << 22


def slice_score(
    errors: Any, size: Any, *, n: int, mean_error: float, alpha: float
) -> np.ndarray:
    """SliceLine's score of slices with ``errors`` errors among ``size`` rows.

    Parameters
    ----------
    errors, size : array-like of shape (m,)
        Error sum and row count of each slice (size > 0).
    n : int
        Rows in the whole data.
    mean_error : float
        Mean error over all rows (> 0).
    alpha : float
        Weight of the error term, in (0, 1].

    Returns
    -------
    ndarray of shape (m,)
        ``alpha * (errors / size / mean_error - 1) - (1 - alpha) * (n / size - 1)``
        (Sagadeeva & Boehm, SIGMOD 2021, equation 1).
    """
    errors = np.asarray(errors, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return alpha * (errors / size / mean_error - 1) - (1 - alpha) * (n / size - 1)


def _score_bound(
    size_ub: np.ndarray, error_ub: np.ndarray, max_error_ub: np.ndarray, *, n: int,
    mean_error: float, alpha: float, min_support: int,
) -> np.ndarray:
    """Upper bound of the score of any slice within the given size / error bounds.

    The score rises with the error; for a fixed error it is monotone in the size,
    and the error of a slice of size s is at most ``min(error_ub, s * max_error_ub)``,
    so the maximum lies at s = min_support, s = error_ub / max_error_ub or s =
    size_ub (the probe points of the paper, section 3.2).
    """
    probes = [np.full_like(size_ub, float(min_support)), size_ub,
              np.divide(error_ub, max_error_ub, out=size_ub.copy(), where=max_error_ub > 0)]
    best = np.full(size_ub.shape, -np.inf)
    for s in probes:
        s = np.clip(s, min_support, size_ub)
        e = np.minimum(error_ub, s * max_error_ub)
        best = np.maximum(best, slice_score(e, s, n=n, mean_error=mean_error, alpha=alpha))
    return np.where(size_ub >= min_support, best, -np.inf)


def _evaluate(
    cells: np.ndarray, counts: np.ndarray, sums: np.ndarray,
    features: np.ndarray, values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Size and error sum of each candidate (rows of ``features`` / ``values``, (c, l))."""
    c = features.shape[0]
    size, err = np.empty(c), np.empty(c)
    step = max(1, _BLOCK // max(1, cells.shape[0]))
    for start in range(0, c, step):
        f, v = features[start:start + step], values[start:start + step]
        match = np.ones((f.shape[0], cells.shape[0]), dtype=bool)
        for t in range(f.shape[1]):
            match &= cells[:, f[:, t]].T == v[:, t][:, None]
        size[start:start + step] = match @ counts
        err[start:start + step] = match @ sums
    return size, err


def _search(
    cells: np.ndarray, counts: np.ndarray, sums: np.ndarray, *, k: int, max_depth: int,
    min_support: int, alpha: float,
) -> tuple[list[tuple[tuple[int, int], ...]], list[tuple[float, float, float]], int]:
    """SliceLine on collapsed cells: the top-k slices, their (score, size, errors), and
    the number of slices evaluated."""
    n = float(counts.sum())
    mean_error = float(sums.sum()) / n
    d = cells.shape[1]
    top: dict[tuple[tuple[int, int], ...], tuple[float, float, float]] = {}

    def threshold() -> float:
        if len(top) < k:
            return 0.0
        return sorted((s for s, _, _ in top.values()), reverse=True)[k - 1]

    def keep_top(slices: list[tuple[tuple[int, int], ...]], size: np.ndarray,
                 err: np.ndarray) -> None:
        scores = slice_score(err, size, n=int(n), mean_error=mean_error, alpha=alpha)
        for s, sc, sz, e in zip(slices, scores, size, err, strict=True):
            if sz >= min_support and sc > 0 and sc >= threshold():
                top[s] = (float(sc), float(sz), float(e))
        ranked = sorted(top.items(), key=_order)
        if len(ranked) > k:  # keep ties with the k-th best score
            cut = ranked[k - 1][1][0]
            top.clear()
            top.update((s, v) for s, v in ranked if v[0] >= cut)

    # level 1: every (column, value)
    basic = [((j, int(v)),) for j in range(d) for v in np.unique(cells[:, j])]
    feats = np.array([[s[0][0]] for s in basic], dtype=np.int64)
    vals = np.array([[s[0][1]] for s in basic], dtype=np.int64)
    size, err = _evaluate(cells, counts, sums, feats, vals)
    evaluated = len(basic)
    keep_top(basic, size, err)
    alive = {s: (sz, e, 1.0 if e > 0 else 0.0) for s, sz, e in zip(basic, size, err, strict=True)
             if sz >= min_support and e > 0}
    live_basic = sorted(alive)
    for level in range(2, min(max_depth, d) + 1):
        cut = threshold()
        candidates, bounds = [], []
        for parent in sorted(alive):
            last = parent[-1][0]
            for (pred,) in live_basic:
                if pred[0] <= last:
                    continue
                child = (*parent, pred)
                parents = [child[:i] + child[i + 1:] for i in range(level)]
                if not all(p in alive for p in parents):
                    continue
                stats = np.array([alive[p] for p in parents])
                candidates.append(child)
                bounds.append(stats.min(axis=0))
        if not candidates:
            break
        bounds_arr = np.array(bounds)
        ub = _score_bound(bounds_arr[:, 0], bounds_arr[:, 1], bounds_arr[:, 2], n=int(n),
                          mean_error=mean_error, alpha=alpha, min_support=min_support)
        keep = ub >= cut
        candidates = [c for c, kept in zip(candidates, keep, strict=True) if kept]
        if not candidates:
            break
        feats = np.array([[p[0] for p in c] for c in candidates], dtype=np.int64)
        vals = np.array([[p[1] for p in c] for c in candidates], dtype=np.int64)
        size, err = _evaluate(cells, counts, sums, feats, vals)
        evaluated += len(candidates)
        keep_top(candidates, size, err)
        cut = threshold()
        own_ub = _score_bound(size, err, (err > 0).astype(np.float64), n=int(n),
                              mean_error=mean_error, alpha=alpha, min_support=min_support)
        alive = {c: (sz, e, 1.0) for c, sz, e, u in zip(candidates, size, err, own_ub, strict=True)
                 if sz >= min_support and e > 0 and u >= cut}
        if not alive:
            break
    ranked = sorted(top.items(), key=_order)
    return [s for s, _ in ranked], [v for _, v in ranked], evaluated


def _order(item: tuple[tuple[tuple[int, int], ...], tuple[float, float, float]]) -> tuple:
    """Report order: score (high first), then size (large first), fewer predicates, predicates."""
    slice_, (score, size, _) = item
    return (-score, -size, len(slice_), slice_)


def worst_slices(
    y_true: Any,
    y_pred: Any,
    *,
    features: Any,
    metric: str = "error_rate",
    max_depth: int = 3,
    k: int = 10,
    min_support: int = 30,
    alpha: float = 0.95,
    n_bins: int | None = 4,
) -> pd.DataFrame:
    """The slices (intersections of up to ``max_depth`` column values) with the worst rate.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    features : DataFrame, dict of columns or array-like of shape (n, d)
        Columns to slice on (sensitive columns and any others; polars too).
        Numeric columns with more than ``n_bins`` values are cut into quantile bins.
    metric : str, default "error_rate"
        One of :data:`SLICE_METRICS`: the rate's denominator rows are the rows a
        slice is measured on, and a row counts as an error where it makes the rate
        worse (see the module docstring).
    max_depth : int, default 3
        Most predicates in a slice (the paper's ``max_l``).
    k : int, default 10
        Slices to return (more when several tie with the k-th score).
    min_support : int, default 30
        Fewest rows (of those the metric is measured on) in a reported slice.
    alpha : float, default 0.95
        SliceLine's weight of the slice's error against its size, in (0, 1]; 1
        ranks by the error rate alone (above ``min_support`` rows).
    n_bins : int or None, default 4
        Quantile bins of numeric columns; None keeps their values.

    Returns
    -------
    pandas.DataFrame
        One row per slice, best score first: one column per feature (the slice's
        value as a string, None where the slice does not restrict that column),
        ``depth`` (predicates), ``support`` (rows), ``errors``, ``<metric>`` (the
        rate in the slice), ``overall`` (over all measured rows), ``gap``
        (slice minus overall) and ``score``. ``attrs``: ``metric``, ``measured_on``,
        ``error``, ``n`` (measured rows), ``alpha``, ``max_depth``, ``k``,
        ``min_support``, ``bins``, ``cells`` (distinct value combinations),
        ``evaluated`` (slices scored) and ``lattice`` (slices a full enumeration
        would score).

    Raises
    ------
    UnknownNameError
        If ``metric`` is not one of :data:`SLICE_METRICS`.
    InvalidInputError
        If ``max_depth``, ``k``, ``min_support``, ``alpha`` or ``n_bins`` is out of range.
    NonBinaryLabelError, MissingValueError, LengthMismatchError, EmptyInputError
        On labels other than 0/1, missing values, different lengths, no rows, or no
        rows for the metric (an FPR with no actual negatives).

    Examples
    --------
    >>> found = worst_slices([1, 1, 0, 0, 1, 0], [0, 0, 0, 0, 1, 0],
    ...                      features={"g": ["a", "a", "b", "b", "c", "c"]}, min_support=2)
    >>> found[["g", "support", "error_rate"]].to_dict("list")
    {'g': ['a'], 'support': [2], 'error_rate': [1.0]}
    """
    from fairpool.metrics import grouped_table

    if not isinstance(metric, str) or metric not in SLICE_METRICS:
        raise UnknownNameError(f"metric must be one of {', '.join(SLICE_METRICS)}; "
                               f"got {metric!r}")
    for name, value in (("max_depth", max_depth), ("k", k), ("min_support", min_support)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha <= 1:
        raise InvalidInputError(f"alpha must be in (0, 1], got {alpha!r}")
    frame, edges = bin_numeric(as_frame(features, "features"), n_bins)
    # one pass over the rows: the confusion table of every distinct value combination
    grouped = grouped_table([("y_true", y_true), ("y_pred", y_pred)], frame, None)
    table, encoded = grouped.table, grouped.groups
    values = np.array(encoded.values if encoded.values is not None
                      else [(name,) for name in encoded.names], dtype=object)
    hits, trials = proportion_counts(table, metric)
    lower_is_worse = metric in LOWER_IS_WORSE
    errors = (trials - hits) if lower_is_worse else hits
    measured = trials > 0
    if not measured.any():
        raise EmptyInputError(f"no rows on which the {metric} is defined (its denominator is "
                              "zero everywhere)")
    # per-column codes in the order of the values' strings (the order ties are broken in)
    names, codes = [], []
    for j in range(values.shape[1]):
        uniques, inverse = np.unique(values[measured, j].astype(str), return_inverse=True)
        names.append([str(u) for u in uniques])
        codes.append(inverse.ravel())
    cells = np.column_stack(codes).astype(np.int64)
    counts = trials[measured].astype(np.float64)
    sums = errors[measured].astype(np.float64)
    lattice = _lattice_size([len(v) for v in names], max_depth)
    columns = [str(c) for c in frame.columns]
    n = int(counts.sum())
    overall_error = float(sums.sum()) / n
    found: list[tuple[tuple[int, int], ...]] = []
    stats: list[tuple[float, float, float]] = []
    evaluated = 0
    if overall_error > 0:
        found, stats, evaluated = _search(cells, counts, sums, k=int(k),
                                          max_depth=int(max_depth),
                                          min_support=int(min_support), alpha=float(alpha))

    def rate(error_share: float) -> float:
        return 1 - error_share if lower_is_worse else error_share

    records = []
    for slice_, (score, size, err) in zip(found, stats, strict=True):
        record: dict[str, Any] = dict.fromkeys(columns)
        for j, v in slice_:
            record[columns[j]] = names[j][v]
        value = rate(err / size)
        record.update(depth=len(slice_), support=int(size), errors=int(err), **{metric: value},
                      overall=rate(overall_error), gap=value - rate(overall_error), score=score)
        records.append(record)
    fields = [*columns, "depth", "support", "errors", metric, "overall", "gap", "score"]
    out = pd.DataFrame({
        f: pd.Series([r[f] for r in records],
                     dtype=object if f in columns else (np.int64 if f in (
                         "depth", "support", "errors") else np.float64))
        for f in fields
    })
    out.attrs.update({
        "metric": metric, "worse": "lower" if lower_is_worse else "higher", "n": n,
        "alpha": float(alpha),
        "max_depth": int(max_depth), "k": int(k), "min_support": int(min_support),
        "bins": edges, "cells": int(cells.shape[0]), "evaluated": int(evaluated),
        "lattice": lattice,
    })
    return out


def _lattice_size(domains: list[int], max_depth: int) -> int:
    """Slices with up to ``max_depth`` predicates over columns with these many values."""
    # elementary symmetric sums of the domain sizes, e_1 + ... + e_max_depth
    e = [1] + [0] * max_depth
    for size in domains:
        for r in range(max_depth, 0, -1):
            e[r] += e[r - 1] * size
    return int(sum(e[1:]))
