"""Optimal-transport (Wasserstein-1) distance between two samples, with POT.

FACA-GEN reports how far apart the groups' distributions are (of features, or
of model scores) as an optimal-transport distance. The exact distance between
two empirical samples with uniform weights and Euclidean cost is a network
simplex problem (``ot.emd2``) whose cost matrix has ``n_a * n_b`` cells, so it
is exact only up to a size; above it fairpool estimates the distance on
seeded random subsamples. One-dimensional samples are always exact: the
distance is the area between the two quantile functions (``ot.wasserstein_1d``),
computed in O(n log n).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.errors import EmptyInputError, InvalidInputError, MissingValueError
from fairpool.metrics._validation import check_option

__all__ = ["TransportMethod", "optimal_transport_distance"]

TransportMethod = Literal["auto", "exact", "subsample", "sliced"]
_METHODS = ("auto", "exact", "subsample", "sliced")

#: Default largest cost matrix (cells) solved exactly: 1000 x 1000 points, 8 MB, about 1-2 s.
MAX_EXACT_PAIRS = 1_000_000


def _as_points(values: Any, name: str) -> np.ndarray:
    """A sample as a float64 array of shape (n, d); 1-D input is (n, 1)."""
    if values is None:
        raise InvalidInputError(f"{name} is required, got None")
    arr = values.to_numpy() if isinstance(values, pd.DataFrame | pd.Series) else np.asarray(values)
    try:
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must hold numbers, got dtype {arr.dtype}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{name} must be 1-D (scores) or 2-D (rows x features), got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise EmptyInputError(f"{name} is empty; a distribution needs at least one point")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise MissingValueError(f"{name} has a NaN or infinite value in row {row}")
    return arr


def _pot() -> Any:
    """POT, imported on first use: it loads its torch backend, which takes seconds."""
    import ot

    return ot


def _exact(a: np.ndarray, b: np.ndarray) -> float:
    """W1 by the network simplex on the full Euclidean cost matrix."""
    ot = _pot()
    cost = ot.dist(a, b, metric="euclidean")
    weights_a = np.full(a.shape[0], 1.0 / a.shape[0])
    weights_b = np.full(b.shape[0], 1.0 / b.shape[0])
    max_iter = max(100_000, 50 * a.shape[0] * b.shape[0])
    return float(ot.emd2(weights_a, weights_b, cost, numItermax=max_iter))


def _subsampled(
    a: np.ndarray, b: np.ndarray, max_exact_pairs: int, n_repeats: int, rng: np.random.Generator
) -> float:
    """Mean exact W1 over ``n_repeats`` pairs of random subsamples that fit ``max_exact_pairs``."""
    side = max(1, int(np.sqrt(max_exact_pairs)))
    size_a = min(a.shape[0], side if b.shape[0] > side else max_exact_pairs // b.shape[0])
    size_b = min(b.shape[0], max(1, max_exact_pairs // size_a))
    values = []
    for _ in range(n_repeats):
        rows_a = rng.choice(a.shape[0], size=size_a, replace=False)
        rows_b = rng.choice(b.shape[0], size=size_b, replace=False)
        values.append(_exact(a[rows_a], b[rows_b]))
    return float(np.mean(values))


def optimal_transport_distance(
    a: Any,
    b: Any,
    *,
    method: TransportMethod = "auto",
    max_exact_pairs: int = MAX_EXACT_PAIRS,
    n_repeats: int = 3,
    n_projections: int = 256,
    seed: int | np.random.Generator | None = 0,
) -> float:
    """Wasserstein-1 distance between two samples with uniform weights and Euclidean cost.

    Parameters
    ----------
    a, b : array-like of shape (n_a,) / (n_b,) or (n_a, d) / (n_b, d)
        The two samples: 1-D scores, or rows of ``d`` features each.
    method : {"auto", "exact", "subsample", "sliced"}, default "auto"
        ``"exact"``: the network simplex (``ot.emd2``) on the full cost matrix,
        at any size. ``"subsample"``: the mean of ``n_repeats`` exact distances
        between random subsamples of at most ``max_exact_pairs`` point pairs
        (about ``sqrt(max_exact_pairs)`` points each); an estimate, biased
        slightly upwards because small samples are farther apart than large
        ones (docs/metrics.md gives measured errors). ``"sliced"``: the sliced
        Wasserstein-1 distance over ``n_projections`` random directions
        (``ot.sliced_wasserstein_distance``), a different, cheaper metric
        that is a lower bound of W1 and equals it in 1-D. ``"auto"``: exact for
        1-D samples (the quantile formula, any size) and for
        ``n_a * n_b <= max_exact_pairs``; ``"subsample"`` otherwise.
    max_exact_pairs : int, default 1_000_000
        Largest cost matrix (``n_a * n_b`` cells) ``"auto"`` solves exactly,
        and the subsample size of ``"subsample"``.
    n_repeats : int, default 3
        Subsample pairs averaged by ``"subsample"``.
    n_projections : int, default 256
        Random directions of ``"sliced"``.
    seed : int, numpy.random.Generator or None, default 0
        Randomness of ``"subsample"`` and ``"sliced"``; the same seed gives the
        same value.

    Returns
    -------
    float
        The distance, in the units of the features.

    Raises
    ------
    InvalidInputError
        If the samples have different numbers of features, bad shapes or
        non-numeric values, or an option is invalid.
    EmptyInputError
        If a sample is empty.
    MissingValueError
        If a value is NaN or infinite.

    Examples
    --------
    >>> optimal_transport_distance([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    1.0
    >>> optimal_transport_distance([[0.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [3.0, 2.0]])
    3.0
    """
    check_option(method, "method", _METHODS)
    if not isinstance(max_exact_pairs, int | np.integer) or max_exact_pairs < 1:
        raise InvalidInputError(
            f"max_exact_pairs must be a positive integer, got {max_exact_pairs!r}"
        )
    for name, value in (("n_repeats", n_repeats), ("n_projections", n_projections)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    x, y = _as_points(a, "a"), _as_points(b, "b")
    if x.shape[1] != y.shape[1]:
        raise InvalidInputError(
            f"a and b must have the same number of features, got {x.shape[1]} and {y.shape[1]}"
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if method == "exact":
        return _exact(x, y)
    ot = _pot()
    if method == "sliced":
        return float(
            ot.sliced_wasserstein_distance(
                x, y, n_projections=int(n_projections), p=1,
                seed=int(rng.integers(2**31 - 1)),
            )
        )
    if method == "auto" and x.shape[1] == 1:
        return float(ot.wasserstein_1d(x[:, 0], y[:, 0], p=1))
    if method == "auto" and x.shape[0] * y.shape[0] <= max_exact_pairs:
        return _exact(x, y)
    return _subsampled(x, y, int(max_exact_pairs), int(n_repeats), rng)
