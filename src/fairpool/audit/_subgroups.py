"""Subgroup analysis: every rate of every group and intersection, with intervals and a test.

:func:`subgroups` reports, for each sensitive column alone and for each
intersection of several, the support, base rate, selection rate, accuracy,
precision, recall, FPR, FNR and error rate of every group, each with a confidence
interval; then ranks the groups by one of those rates, with the gap to the rest of
the rows and whether it survives a correction for the number of groups compared.

Who does the work:

- counting: :func:`fairpool.metrics.grouped_table` counts the finest intersection's
  group x y_true x y_pred table in one pass; every coarser grouping (one column,
  two columns, ...) is a sum of its cells, so the rows are read once whatever the
  number of groupings;
- rates: :func:`fairpool.metrics.rates_from_confusion` (the same definitions as
  :func:`fairpool.metrics.group_report`);
- intervals: statsmodels' Wilson interval or the multinomial bootstrap of
  :mod:`fairpool.audit._intervals` (shared with :func:`fairpool.audit.audit_frame`);
- the test of a group against the rest: the two-sided Fisher exact test on the
  2 x 2 table (group / rest) x (counted / not counted) of the ranking rate, with
  SciPy's hypergeometric distribution; :func:`fisher_two_sided` runs SciPy's
  ``fisher_exact`` algorithm on all groups at once (hand-written because
  ``fisher_exact`` takes one table per call and searches the other tail one pmf
  call at a time: most of a 3-column audit's time before this);
- the correction: statsmodels' ``multipletests`` (Holm by default).

Written here: the table of which confusion cells are each rate's numerator and
denominator, the sums over cells for coarser groupings, and the ranking.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.audit._binning import as_frame, bin_numeric
from fairpool.audit._intervals import (
    bootstrap_counts,
    percentile_interval,
    wilson_interval,
)
from fairpool.errors import (
    InvalidInputError,
    SingleGroupError,
    UnknownColumnError,
    UnknownNameError,
)

__all__ = ["CORRECTIONS", "LOWER_IS_WORSE", "SUBGROUP_METRICS", "fisher_two_sided",
           "proportion_counts", "subgroups"]

#: The rates :func:`subgroups` reports, in column order; each is a proportion.
SUBGROUP_METRICS: tuple[str, ...] = (
    "base_rate", "selection_rate", "accuracy", "precision", "recall", "fpr", "fnr",
    "error_rate",
)

#: Rates for which a lower value is the worse one (the others: higher is worse).
LOWER_IS_WORSE = frozenset({"base_rate", "selection_rate", "accuracy", "precision", "recall"})

#: statsmodels ``multipletests`` methods accepted by ``correction=``, and "none".
CORRECTIONS: tuple[str, ...] = (
    "holm", "bonferroni", "sidak", "holm-sidak", "simes-hochberg", "hommel", "fdr_bh",
    "fdr_by", "none",
)

# Numerator and denominator cells of each rate in the [y_true, y_pred] 2 x 2 table.
_ALL = np.ones((2, 2), dtype=bool)
_CELLS: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "base_rate": (np.array([[0, 0], [1, 1]], bool), _ALL),
    "selection_rate": (np.array([[0, 1], [0, 1]], bool), _ALL),
    "accuracy": (np.array([[1, 0], [0, 1]], bool), _ALL),
    "error_rate": (np.array([[0, 1], [1, 0]], bool), _ALL),
    "precision": (np.array([[0, 0], [0, 1]], bool), np.array([[0, 1], [0, 1]], bool)),
    "recall": (np.array([[0, 0], [0, 1]], bool), np.array([[0, 0], [1, 1]], bool)),
    "fpr": (np.array([[0, 1], [0, 0]], bool), np.array([[1, 1], [0, 0]], bool)),
    "fnr": (np.array([[0, 0], [1, 0]], bool), np.array([[0, 0], [1, 1]], bool)),
}


def proportion_counts(table: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator counts of a rate from confusion tables.

    Parameters
    ----------
    table : ndarray of shape (..., 2, 2)
        Counts indexed ``[..., y_true, y_pred]``.
    metric : str
        One of :data:`SUBGROUP_METRICS`.

    Returns
    -------
    successes, trials : ndarray of shape (...)
        E.g. for ``"fpr"``: false positives and actual negatives.
    """
    numerator, denominator = _CELLS[metric]
    return (table * numerator).sum(axis=(-2, -1)), (table * denominator).sum(axis=(-2, -1))


def _rates(table: np.ndarray) -> dict[str, np.ndarray]:
    """Every rate of :data:`SUBGROUP_METRICS` of confusion tables ``(..., 2, 2)``."""
    from fairpool.metrics import rates_from_confusion

    with np.errstate(all="ignore"):
        rates = rates_from_confusion(table)
        total = table.sum(axis=(-2, -1)).astype(np.float64)
        positives = table[..., 1, :].sum(axis=-1)
        rates["base_rate"] = np.where(total > 0, positives / np.where(total > 0, total, 1),
                                      np.nan)
    return {m: rates[m] for m in SUBGROUP_METRICS}


def _bisect(
    value: Any, target: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Largest ``i`` in ``[lo, hi]`` with ``value(i) <= target`` for each element at once.

    The same steps as SciPy's scalar search used by ``fisher_exact``
    (``scipy.stats._binomtest._binary_search_for_binom_tst``), run on arrays so
    that every group's search costs one vectorised pmf call per halving.
    """
    lo, hi = lo.astype(np.int64).copy(), hi.astype(np.int64).copy()
    found = np.full(lo.shape, -1, dtype=np.int64)
    active = lo < hi
    while active.any():
        idx = np.flatnonzero(active)
        mid = lo[idx] + (hi[idx] - lo[idx]) // 2
        val = value(mid, idx)
        below, above = val < target[idx], val > target[idx]
        lo[idx] = np.where(below, mid + 1, lo[idx])
        hi[idx] = np.where(above, mid - 1, hi[idx])
        equal = ~below & ~above
        found[idx[equal]] = mid[equal]
        active[idx[equal]] = False
        active &= lo < hi
    rest = np.flatnonzero(found < 0)
    if rest.size:
        ok = value(lo[rest], rest) <= target[rest]
        found[rest] = np.where(ok, lo[rest], lo[rest] - 1)
    return found


def fisher_two_sided(table: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact test of many 2 x 2 tables, vectorised over the tables.

    Parameters
    ----------
    table : ndarray of int, shape (m, 2, 2)
        ``table[i]`` as ``scipy.stats.fisher_exact`` reads it (rows: group / rest,
        columns: counted / not counted).

    Returns
    -------
    ndarray of shape (m,)
        The p-values ``scipy.stats.fisher_exact(table[i]).pvalue`` returns: the
        probability under the hypergeometric null of a table no more likely than
        the observed one (Fisher 1922), with SciPy's relative tolerance of 1e-14 on
        ties and its search for the other tail. SciPy's function takes one table
        per call and its search calls the hypergeometric pmf one value at a time;
        this runs every group's search together.
    """
    from scipy.stats import hypergeom

    c = np.asarray(table, dtype=np.int64)
    x = c[:, 0, 0]
    n1, n2 = c[:, 0].sum(axis=1), c[:, 1].sum(axis=1)
    n = c[:, 0, 0] + c[:, 1, 0]
    total = n1 + n2
    p = np.ones(c.shape[0])
    degenerate = (c.sum(axis=1) == 0).any(axis=1) | (c.sum(axis=2) == 0).any(axis=1)
    mode = np.floor((n + 1) * (n1 + 1) / (total + 2)).astype(np.int64)
    pexact = hypergeom.pmf(x, total, n1, n)
    pmode = hypergeom.pmf(mode, total, n1, n)
    gamma = 1 + 1e-14
    with np.errstate(invalid="ignore", divide="ignore"):
        at_mode = np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= 1e-14
    open_ = ~degenerate & ~at_mode
    target = pexact * gamma

    def pmf_at(k: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return hypergeom.pmf(k, total[idx], n1[idx], n[idx])

    lower = open_ & (x < mode)
    if lower.any():
        i = np.flatnonzero(lower)
        plower = hypergeom.cdf(x[i], total[i], n1[i], n[i])
        one_tail = hypergeom.pmf(n[i], total[i], n1[i], n[i]) > target[i]
        p[i] = plower
        j = i[~one_tail]
        if j.size:
            guess = _bisect(lambda k, idx: -pmf_at(k, j[idx]), -target[j], mode[j], n[j])
            p[j] = plower[~one_tail] + hypergeom.sf(guess, total[j], n1[j], n[j])
    upper = open_ & (x >= mode)
    if upper.any():
        i = np.flatnonzero(upper)
        pupper = hypergeom.sf(x[i] - 1, total[i], n1[i], n[i])
        one_tail = hypergeom.pmf(0, total[i], n1[i], n[i]) > target[i]
        p[i] = pupper
        j = i[~one_tail]
        if j.size:
            guess = _bisect(lambda k, idx: pmf_at(k, j[idx]), target[j],
                            np.zeros(j.size, dtype=np.int64), mode[j])
            p[j] = pupper[~one_tail] + hypergeom.cdf(guess, total[j], n1[j], n[j])
    return np.minimum(p, 1.0)


def _check_choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise UnknownNameError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _resolve(data: pd.DataFrame | None, value: Any, argument: str) -> Any:
    """A column name of ``data`` as its column; anything else unchanged."""
    if data is None:
        return value
    names = [value] if isinstance(value, str) else value
    if isinstance(names, list | tuple) and names and all(isinstance(v, str) for v in names):
        missing = [v for v in names if v not in data.columns]
        if missing:
            raise UnknownColumnError(
                f"{argument}: column {missing[0]!r} not in data; columns are: "
                f"{', '.join(map(str, data.columns))}"
            )
        return data[value] if isinstance(value, str) else data[list(names)]
    return value


def _groupings(n_columns: int, max_order: int | None) -> list[tuple[int, ...]]:
    """Column subsets to group by: each column, then pairs, ... up to ``max_order``."""
    top = n_columns if max_order is None else min(int(max_order), n_columns)
    return [c for r in range(1, top + 1) for c in itertools.combinations(range(n_columns), r)]


def subgroups(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    data: pd.DataFrame | None = None,
    metrics: str | list[str] | tuple[str, ...] | None = None,
    ci: Literal["wilson", "bootstrap"] = "wilson",
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = None,
    min_support: int = 30,
    rank_by: str = "error_rate",
    alpha: float = 0.05,
    correction: str = "holm",
    max_order: int | None = None,
    n_bins: int | None = None,
) -> pd.DataFrame:
    """Rates of every group and intersection with intervals, ranked worst first.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or str
        Binary labels and predictions (0/1 or bool); column names with ``data``.
    sensitive_features : DataFrame, dict of columns, array-like of shape (n,) or (n, k)
        The sensitive columns (polars and pyarrow frames too), or column names of
        ``data``. Each column alone and each intersection of several (up to
        ``max_order`` columns) is a grouping; its groups are the value combinations
        that occur.
    data : pandas.DataFrame, optional
        A table whose columns ``y_true``, ``y_pred`` and ``sensitive_features`` name.
    metrics : str or sequence of str, optional
        Rates to report, among :data:`SUBGROUP_METRICS` (default: all); ``rank_by``
        is always included.
    ci : {"wilson", "bootstrap"}, default "wilson"
        Wilson score intervals (statsmodels), or percentile intervals of a
        nonparametric bootstrap of the rows (every rate of every group from the
        same resamples, drawn as multinomial cell counts).
    n_boot : int, default 1000
        Bootstrap resamples (``ci="bootstrap"``).
    random_state : int, numpy Generator or None
        Seed of the bootstrap; the same seed gives the same intervals.
    min_support : int, default 30
        Groups with fewer rows are shown, flagged ``small``, and neither ranked nor
        tested.
    rank_by : str, default "error_rate"
        The rate that ranks the groups; for base rate, selection rate, accuracy,
        precision and recall lower is worse, for FPR, FNR and error rate higher.
    alpha : float, default 0.05
        Significance level of the corrected tests; the intervals are at ``1 - alpha``.
    correction : str, default "holm"
        statsmodels ``multipletests`` method over the tested groups (see
        :data:`CORRECTIONS`), or ``"none"``.
    max_order : int, optional
        Largest number of columns intersected (default: all of them).
    n_bins : int, optional
        Cut numeric sensitive columns with more than ``n_bins`` values into quantile
        bins (see :mod:`fairpool.audit._binning`); default None keeps the values.

    Returns
    -------
    pandas.DataFrame
        One row per group of every grouping, worst ranked first then the unranked:
        ``grouping`` (columns joined by ``" & "``), one column per sensitive column
        (the group's value as a string, None where the grouping does not use that
        column), ``support`` (rows), ``share`` (of all rows), ``small``; each rate
        with ``<rate>_ci_low`` / ``<rate>_ci_high`` (NaN where undefined); then for
        ``rank_by``: ``rest`` (its value over every other row), ``gap`` (group minus
        rest), ``p_value`` (two-sided Fisher exact test, group against rest),
        ``p_adjusted`` (corrected), ``significant`` (``p_adjusted <= alpha``) and
        ``rank`` (1 = worst). ``attrs`` holds the settings (``rank_by``, ``worse``,
        ``ci``, ``confidence``, ``alpha``, ``correction``, ``n_boot``,
        ``random_state``, ``min_support``, ``sensitive``, ``n``, ``n_tested``,
        ``test``, ``bins``) and ``overall`` (each rate over all rows).

    Raises
    ------
    NonBinaryLabelError, MissingValueError, LengthMismatchError, EmptyInputError
        On labels other than 0/1, missing values (NaN sensitive values too),
        different lengths or no rows.
    SingleGroupError
        If the sensitive columns make a single group (nothing to compare).
    UnknownColumnError
        If a name is not a column of ``data``.
    UnknownNameError
        If a metric, ``ci``, ``rank_by`` or ``correction`` is not one of the choices.
    InvalidInputError
        If ``n_boot``, ``min_support``, ``alpha``, ``max_order`` or ``n_bins`` is out
        of range.

    Notes
    -----
    A group is compared with the rest (its complement among all rows), not with the
    overall rate that contains it. The tests use groups with at least
    ``min_support`` rows and a defined rate in the group and in the rest; their
    count is ``attrs["n_tested"]``, the number the correction accounts for.
    Wilson intervals: Wilson (JASA 22, 1927); bootstrap: Efron & Tibshirani (1993),
    sections 6.2 and 13.3; Fisher exact test: Fisher (1922); Holm (Scand. J.
    Statist. 6, 1979).

    Examples
    --------
    >>> table = subgroups([1, 0, 1, 1, 0, 0], [1, 0, 0, 1, 1, 0],
    ...                   sensitive_features={"sex": ["F", "F", "F", "M", "M", "M"]},
    ...                   min_support=1)
    >>> table[["sex", "support", "error_rate"]].to_dict("list")
    {'sex': ['F', 'M'], 'support': [3, 3], 'error_rate': [0.3333333333333333, 0.3333333333333333]}
    """
    from statsmodels.stats.multitest import multipletests

    from fairpool.metrics import grouped_table

    ci = _check_choice(ci, "ci", ("wilson", "bootstrap"))
    rank_by = _check_choice(rank_by, "rank_by", SUBGROUP_METRICS)
    correction = _check_choice(correction, "correction", CORRECTIONS)
    chosen = SUBGROUP_METRICS if metrics is None else (
        (metrics,) if isinstance(metrics, str) else tuple(metrics))
    for m in chosen:
        _check_choice(m, "each metric", SUBGROUP_METRICS)
    shown = [m for m in SUBGROUP_METRICS if m in chosen or m == rank_by]
    for name, value, low in (("n_boot", n_boot, 1), ("min_support", min_support, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha!r}")
    if max_order is not None and (isinstance(max_order, bool) or not isinstance(
            max_order, int | np.integer) or max_order < 1):
        raise InvalidInputError(f"max_order must be a positive integer or None, got {max_order!r}")

    y_true = _resolve(data, y_true, "y_true")
    y_pred = _resolve(data, y_pred, "y_pred")
    frame = as_frame(_resolve(data, sensitive_features, "sensitive_features"),
                     "sensitive_features")
    frame, edges = bin_numeric(frame, n_bins)
    grouped = grouped_table([("y_true", y_true), ("y_pred", y_pred)], frame, None)
    finest, encoded = grouped.table, grouped.groups
    columns = list(encoded.feature_names)
    if encoded.n_groups < 2:
        raise SingleGroupError(
            f"the sensitive column(s) {columns} make a single group "
            f"({encoded.names[0]!r}); subgroup analysis compares groups with the rest"
        )
    cell_values = encoded.values if encoded.values is not None else tuple(
        (name,) for name in encoded.names)
    n = int(finest.sum())

    # membership of each finest cell in each group of each grouping
    labels: list[tuple[str, tuple[str | None, ...]]] = []
    member_rows: list[np.ndarray] = []
    for subset in _groupings(len(columns), max_order):
        keys = [tuple(v[j] for j in subset) for v in cell_values]
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
        order = sorted(range(len(uniques)), key=lambda i: [str(x) for x in uniques[i]])
        for i in order:
            full: list[str | None] = [None] * len(columns)
            for j, value in zip(subset, uniques[i], strict=True):
                full[j] = value
            labels.append((" & ".join(columns[j] for j in subset), tuple(full)))
            member_rows.append(codes == i)
    membership = np.array(member_rows, dtype=np.int64)  # (groups, finest cells)
    tables = np.tensordot(membership, finest, axes=(1, 0))  # (groups, 2, 2)
    overall = finest.sum(axis=0)
    rates = _rates(tables)
    confidence = 1 - float(alpha)

    out = pd.DataFrame({"grouping": [g for g, _ in labels]})
    for j, column in enumerate(columns):
        out[column] = pd.Series([full[j] for _, full in labels], dtype=object)
    support = tables.sum(axis=(1, 2))
    out["support"] = support.astype(np.int64)
    out["share"] = support / n
    out["small"] = support < min_support
    if ci == "bootstrap":
        rng = np.random.default_rng(random_state)
        resampled = bootstrap_counts(finest, int(n_boot), rng)  # (n_boot, cells, 2, 2)
        # (n_boot, cells, 2, 2) x (groups, cells) -> (n_boot, groups, 2, 2), through BLAS
        summed = np.tensordot(resampled.astype(np.float64), membership.astype(np.float64),
                              axes=([1], [1]))
        replicates = _rates(np.moveaxis(summed, -1, 1))
    for m in shown:
        if ci == "wilson":
            low, high = wilson_interval(*proportion_counts(tables, m), confidence)
        else:
            low, high = percentile_interval(replicates[m], confidence)
        out[m] = rates[m]
        out[f"{m}_ci_low"] = np.where(np.isnan(rates[m]), np.nan, low)
        out[f"{m}_ci_high"] = np.where(np.isnan(rates[m]), np.nan, high)

    # each group against the rest of the rows, on the ranking rate
    hit, trials = proportion_counts(tables, rank_by)
    all_hit, all_trials = proportion_counts(overall, rank_by)
    rest_hit, rest_trials = all_hit - hit, all_trials - trials
    with np.errstate(all="ignore"):
        rest = np.where(rest_trials > 0, rest_hit / np.where(rest_trials > 0, rest_trials, 1),
                        np.nan)
    tested = (~out["small"].to_numpy()) & (trials > 0) & (rest_trials > 0)
    p_value = np.full(len(out), np.nan)
    if tested.any():
        p_value[tested] = fisher_two_sided(np.stack(
            [np.stack([hit, trials - hit], axis=-1),
             np.stack([rest_hit, rest_trials - rest_hit], axis=-1)], axis=1)[tested])
    p_adjusted = np.full(len(out), np.nan)
    if tested.any():
        if correction == "none":
            p_adjusted[tested] = p_value[tested]
        else:
            p_adjusted[tested] = multipletests(p_value[tested], alpha=alpha,
                                               method=correction)[1]
    out["rest"] = rest
    out["gap"] = out[rank_by].to_numpy() - rest
    out["p_value"] = p_value
    out["p_adjusted"] = p_adjusted
    out["significant"] = tested & (p_adjusted <= alpha)
    worse = "lower" if rank_by in LOWER_IS_WORSE else "higher"
    badness = -out[rank_by] if worse == "lower" else out[rank_by]
    rankable = (~out["small"]) & out[rank_by].notna()
    out["rank"] = badness.where(rankable).rank(method="min", ascending=False).astype("Int64")
    out = out.sort_values(["rank", "grouping"], na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update({
        "rank_by": rank_by, "worse": worse, "ci": ci, "confidence": confidence,
        "alpha": float(alpha), "correction": correction,
        "n_boot": int(n_boot) if ci == "bootstrap" else None,
        "random_state": random_state if isinstance(random_state, int | None) else "generator",
        "min_support": int(min_support), "sensitive": columns, "n": n,
        "n_tested": int(tested.sum()), "test": "Fisher exact, two-sided, group vs rest",
        "bins": edges,
        "overall": {m: float(v) for m, v in _rates(overall).items()},
    })
    return out
