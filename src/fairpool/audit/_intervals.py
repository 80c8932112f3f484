"""Confidence intervals of proportions: Wilson (statsmodels) and a vectorised bootstrap.

The one place the audit builds intervals: :func:`fairpool.audit.audit_frame` and
:func:`fairpool.audit.subgroups` both call :func:`wilson_interval`, a thin wrapper
over statsmodels' ``proportion_confint(method="wilson")`` that leaves empty
denominators undefined (NaN) instead of dividing by zero.

:func:`bootstrap_counts` is written here by hand because no library resamples a
contingency table without a loop over resamples: a nonparametric bootstrap of
``n`` rows (drawing rows with replacement) only changes how many rows fall in
each cell of the group x y_true x y_pred table, and those cell counts follow a
multinomial distribution with the observed cell shares (Efron & Tibshirani, *An
Introduction to the Bootstrap*, 1993, section 6.2: the bootstrap sample is a
draw from the empirical distribution). One ``numpy`` multinomial call of shape
``(n_boot, cells)`` therefore draws every resample at once, in time independent
of the number of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["bootstrap_counts", "percentile_interval", "wilson_interval"]


def wilson_interval(
    successes: Any, trials: Any, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each proportion ``successes / trials``.

    Parameters
    ----------
    successes, trials : array-like of shape (m,)
        Counts; ``trials`` may be 0 (the interval is then NaN).
    confidence : float
        Level in (0, 1), e.g. 0.95.

    Returns
    -------
    low, high : ndarray of shape (m,)
        Bounds from statsmodels' ``proportion_confint(method="wilson")``
        (Wilson, JASA 1927); NaN where ``trials`` is 0.
    """
    from statsmodels.stats.proportion import proportion_confint

    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    safe = np.where(trials > 0, trials, 1)
    low, high = proportion_confint(
        np.where(trials > 0, successes, 0), safe, alpha=1 - confidence, method="wilson"
    )
    return (np.where(trials > 0, low, np.nan).astype(np.float64),
            np.where(trials > 0, high, np.nan).astype(np.float64))


def bootstrap_counts(
    counts: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Cell counts of ``n_boot`` nonparametric bootstrap resamples of the rows, drawn at once.

    Parameters
    ----------
    counts : ndarray of int, shape (...)
        Rows per cell (e.g. a ``(groups, 2, 2)`` confusion table); their sum is ``n``.
    n_boot : int
        Number of resamples.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).

    Returns
    -------
    ndarray of int64, shape (n_boot, ...)
        Each resample's counts: a multinomial draw of ``n`` rows with the observed
        cell shares, which is the distribution of the cell counts when ``n`` rows
        are drawn with replacement.
    """
    flat = np.asarray(counts, dtype=np.int64).ravel()
    n = int(flat.sum())
    draws = rng.multinomial(n, flat / n, size=n_boot)
    return draws.reshape((n_boot, *np.shape(counts)))


def percentile_interval(
    replicates: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval along axis 0, ignoring undefined (NaN) replicates.

    Parameters
    ----------
    replicates : ndarray of shape (n_boot, ...)
        The statistic in each resample; NaN where it is undefined there (a group
        with no rows in that resample).
    confidence : float
        Level in (0, 1).

    Returns
    -------
    low, high : ndarray of shape (...)
        The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles
        (Efron & Tibshirani 1993, section 13.3); NaN where every replicate is NaN.
    """
    tail = (1 - confidence) / 2
    ordered = np.sort(replicates, axis=0)  # NaN sorts last
    defined = (~np.isnan(ordered)).sum(axis=0)
    bounds = []
    for q in (tail, 1 - tail):
        # numpy's default ("linear") quantile of the defined values, for every column at
        # once (np.nanquantile loops over columns in Python)
        position = np.maximum(defined - 1, 0) * q
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(defined - 1, 0))
        low_value = np.take_along_axis(ordered, below[None], axis=0)[0]
        high_value = np.take_along_axis(ordered, above[None], axis=0)[0]
        value = low_value + (high_value - low_value) * (position - below)
        bounds.append(np.where(defined > 0, value, np.nan))
    return bounds[0], bounds[1]
