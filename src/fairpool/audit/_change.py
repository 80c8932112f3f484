"""Bootstrap intervals of the headline disparities, and the test of a change in disparity.

Hand-written with numpy and scipy (``scipy.stats.chi2`` for the p-value):
statsmodels has no test of a change in the gaps between groups' proportions across
two independent samples (its OLS with a robust covariance is the reference in the
tests), and the bootstrap below is exact for binary predictions and vectorised.

**Bootstrap.** Resampling the rows within each (group, label) cell of a period is, for
binary predictions, a binomial draw of each cell's true and false positives (a row
resampled from a cell of ``n`` rows with ``k`` positive predictions is positive with
probability ``k / n``), so the replicates are drawn with ``Generator.binomial``,
``n_boot x groups`` at once. Percentile intervals (Efron & Tibshirani 1993, ch. 13).

**Change test.** A Wald test on the change of the **contrasts between groups**: for
demographic parity, each group's selection rate minus the last group's, in the
period minus the same vector in the reference. "No change in disparity" makes that
vector zero whatever happens to the overall rate (a shift of every group alike is
not a change in disparity). With ``k`` groups the statistic is chi-square with
``k - 1`` degrees of freedom (two groups: the square of the z statistic of the change
in the DP difference). The proportions carry the Agresti-Caffo adjustment (one success
and one failure added per group; Agresti & Caffo 2000, The American Statistician
54(4), 280-288), which keeps variances positive at rates of 0 or 1 and holds the size
near nominal in small groups. Equalized odds stacks the TPR contrasts (rows with
y = 1) and the FPR contrasts (rows with y = 0): disjoint rows, so the statistics and
degrees of freedom add.

Why not a bootstrap test on ``max - min``: the max-minus-min of noisy rates is biased
upwards by an amount that depends on the group sizes, so two periods of different
sizes differ in it with no change at all; the contrast test compares the same
quantities in both periods. Its size and power are measured on simulated data in
``tests/test_monitor.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._intervals import percentile_interval
from fairpool.errors import InvalidInputError

__all__ = ["DISPARITIES", "Cells", "bootstrap_disparities", "disparities", "disparity_change_test",
           "holm_adjusted", "scalar_interval"]

#: The headline disparities bootstrapped per period, in output order.
DISPARITIES = ("demographic_parity_difference", "disparate_impact_ratio",
               "equalized_odds_difference", "equal_opportunity_difference")


@dataclass(frozen=True)
class Cells:
    """A period's counts per group, arrays of shape (k,).

    Attributes
    ----------
    n1, n0 : ndarray
        Rows with y = 1 and with y = 0.
    tp, fp : ndarray
        True positives (of ``n1``) and false positives (of ``n0``).
    """
    """A period's counts per group: rows with y = 1 and y = 0, true and false positives."""

    n1: np.ndarray
    n0: np.ndarray
    tp: np.ndarray
    fp: np.ndarray

    @classmethod
    def from_audit(cls, by_group: pd.DataFrame) -> Cells:
        """The counts behind an audit's ``by_group`` (``count``, ``base_rate``, TPR, FPR)."""
        count = by_group["count"].to_numpy(dtype=np.float64)
        n1 = np.rint(by_group["base_rate"].to_numpy(dtype=np.float64) * count)
        n0 = count - n1
        tp = np.rint(np.nan_to_num(by_group["tpr"].to_numpy(dtype=np.float64)) * n1)
        fp = np.rint(np.nan_to_num(by_group["fpr"].to_numpy(dtype=np.float64)) * n0)
        return cls(n1, n0, tp, fp)


def _range(values: np.ndarray) -> np.ndarray:
    """max - min over the last axis, ignoring NaN; NaN with fewer than two defined values."""
    defined = (~np.isnan(values)).sum(axis=-1)
    with np.errstate(invalid="ignore"), _quiet():
        spread = np.nanmax(values, axis=-1) - np.nanmin(values, axis=-1)
    return np.where(defined >= 2, spread, np.nan)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's all-NaN-slice warnings inside a ``with`` block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def disparities(tp: np.ndarray, fp: np.ndarray, cells: Cells) -> dict[str, np.ndarray]:
    """The headline disparities from true / false positive counts.

    Parameters
    ----------
    tp, fp : ndarray of shape (..., k)
        True and false positives per group (leading axes: replicates).
    cells : Cells
        The rows per group and label.

    Returns
    -------
    dict of str to ndarray of shape (...)
        :data:`DISPARITIES`: max - min selection rate, min / max selection rate
        (1 when every rate is 0), the larger of the TPR and FPR gaps, the TPR gap
        (fairlearn's definitions); NaN with fewer than two groups defining a rate.
    """
    n = cells.n1 + cells.n0
    with np.errstate(invalid="ignore", divide="ignore"):
        selection = np.where(n > 0, (tp + fp) / np.where(n > 0, n, 1), np.nan)
        tpr = np.where(cells.n1 > 0, tp / np.where(cells.n1 > 0, cells.n1, 1), np.nan)
        fpr = np.where(cells.n0 > 0, fp / np.where(cells.n0 > 0, cells.n0, 1), np.nan)
        with _quiet():
            top = np.nanmax(selection, axis=-1)
            ratio = np.where(top == 0, 1.0, np.nanmin(selection, axis=-1) / top)
    dp = _range(selection)
    tpr_gap, fpr_gap = _range(tpr), _range(fpr)
    eo = np.where(np.isnan(tpr_gap), fpr_gap,
                  np.where(np.isnan(fpr_gap), tpr_gap, np.maximum(tpr_gap, fpr_gap)))
    return {"demographic_parity_difference": dp,
            "disparate_impact_ratio": np.where(np.isnan(dp), np.nan, ratio),
            "equalized_odds_difference": eo,
            "equal_opportunity_difference": tpr_gap}


def bootstrap_disparities(
    cells: Cells, n_boot: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``n_boot`` replicates of each disparity, resampling rows within (group, label) cells.

    Parameters
    ----------
    cells : Cells
        A period's counts, ``k`` groups.
    n_boot : int
        Replicates.
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to ndarray of shape (n_boot,)
        Each of :data:`DISPARITIES` per replicate (NaN where undefined).
    """
    shape = (n_boot, cells.n1.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(cells.n1 > 0, cells.tp / np.where(cells.n1 > 0, cells.n1, 1), 0.0)
        p0 = np.where(cells.n0 > 0, cells.fp / np.where(cells.n0 > 0, cells.n0, 1), 0.0)
    tp = rng.binomial(cells.n1.astype(np.int64), p1, size=shape).astype(np.float64)
    fp = rng.binomial(cells.n0.astype(np.int64), p0, size=shape).astype(np.float64)
    return disparities(tp, fp, cells)



def _contrast_wald(
    x_t: np.ndarray, n_t: np.ndarray, x_r: np.ndarray, n_r: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Wald statistic and its covariance pieces for a change in group contrasts.

    Arrays of shape (..., k) with k >= 2 groups and every n > 0. Returns the
    statistic (...,) and the degrees of freedom k - 1 (an int array).
    """
    q_t, q_r = (x_t + 1) / (n_t + 2), (x_r + 1) / (n_r + 2)
    v = q_t * (1 - q_t) / (n_t + 2) + q_r * (1 - q_r) / (n_r + 2)
    gap = q_t - q_r
    d = gap[..., :-1] - gap[..., -1:]
    cov = np.eye(d.shape[-1]) * v[..., :-1, None] + v[..., -1, None, None]
    stat = np.einsum("...i,...i->...", d, np.linalg.solve(cov, d[..., None])[..., 0])
    return stat, np.full(stat.shape, d.shape[-1])


def disparity_change_test(
    x_t: Any, n_t: Any, x_r: Any, n_r: Any, *, x_t0: Any = None, n_t0: Any = None,
    x_r0: Any = None, n_r0: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test whether the gaps between groups' rates changed between two independent samples.

    Demographic parity: ``x`` the positive predictions and ``n`` the rows of each
    group, in the period (``_t``) and the reference (``_r``). Equalized odds: the
    same for the rows with y = 1 (true positives over positives), and the ``*0``
    arguments for the rows with y = 0 (false positives over negatives); the two
    Wald statistics add, and so do their degrees of freedom (disjoint rows).

    Parameters
    ----------
    x_t, n_t, x_r, n_r : array-like of shape (..., k)
        Counts per group; the leading axes are a batch (simulations). Groups with
        ``n = 0`` in either sample must be left out by the caller.
    x_t0, n_t0, x_r0, n_r0 : array-like of shape (..., k0), optional
        The second block (equalized odds' FPR).

    Returns
    -------
    stat : ndarray of shape (...)
        Wald chi-square statistic on the change of the contrasts
        (each group minus the last), Agresti-Caffo adjusted proportions.
    df : ndarray of shape (...)
        Degrees of freedom, ``k - 1`` (plus ``k0 - 1``).
    p_value : ndarray of shape (...)
        ``scipy.stats.chi2.sf(stat, df)``.

    Raises
    ------
    InvalidInputError
        If fewer than two groups are given or a count is negative or exceeds its ``n``.

    Notes
    -----
    The adjusted proportion of a group is ``(x + 1) / (n + 2)`` with variance
    ``q (1 - q) / (n + 2)`` (Agresti & Caffo 2000); the statistic is
    ``d' V^-1 d`` with ``d`` the contrasts' change and ``V`` the sum of the two
    samples' covariances of the contrasts.
    """
    from scipy.stats import chi2

    blocks = [(x_t, n_t, x_r, n_r)]
    if x_t0 is not None:
        blocks.append((x_t0, n_t0, x_r0, n_r0))
    stat, df = 0.0, 0
    for block in blocks:
        x1, m1, x2, m2 = (np.asarray(a, dtype=np.float64) for a in block)
        if x1.shape[-1] < 2:
            raise InvalidInputError("the change test compares at least two groups")
        if (x1 < 0).any() or (x2 < 0).any() or (x1 > m1).any() or (x2 > m2).any():
            raise InvalidInputError("counts must lie between 0 and their group's rows")
        s, d = _contrast_wald(x1, m1, x2, m2)
        stat, df = stat + s, df + d
    stat, df = np.asarray(stat), np.asarray(df)
    return stat, df, chi2.sf(stat, df)


def holm_adjusted(p: np.ndarray) -> np.ndarray:
    """Holm's adjusted p-values (statsmodels' ``multipletests``); NaN stays NaN."""
    from statsmodels.stats.multitest import multipletests

    out = np.full(p.shape, np.nan)
    defined = ~np.isnan(p)
    if defined.any():
        out[defined] = multipletests(p[defined], method="holm")[1]
    return out


def scalar_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval of one statistic's draws, as floats."""
    low, high = percentile_interval(np.asarray(draws, dtype=np.float64), confidence)
    return float(low), float(high)
