"""Stratified partition of rows into parts of exact sizes.

scikit-learn's ``train_test_split(stratify=...)`` splits in two and refuses strata
with a single member; the split schemes here need several parts at once, exact
part sizes and tolerance of tiny strata (an intersectional group with two rows),
so the allocation is written here: every (stratum, part) cell receives the floor
or the ceiling of its proportional share, and every part its exact size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairpool.errors import InvalidInputError

__all__ = ["allocate", "stratified_partition"]


def allocate(
    stratum_sizes: np.ndarray, part_sizes: Sequence[int], rng: np.random.Generator
) -> np.ndarray:
    """Split each stratum's rows among the parts, proportionally and with exact totals.

    Parameters
    ----------
    stratum_sizes : ndarray of shape (S,)
        Number of rows in each stratum.
    part_sizes : sequence of int, length P
        Number of rows each part must receive; they sum to ``stratum_sizes.sum()``.
    rng : numpy.random.Generator
        Breaks ties between equally deserving cells.

    Returns
    -------
    ndarray of shape (S, P), int64
        Rows of stratum ``s`` in part ``p``. Row sums are the stratum sizes, column
        sums the part sizes, and each cell is the floor or the ceiling of
        ``stratum_size * part_size / n`` (controlled rounding).
    """
    strata = np.asarray(stratum_sizes, dtype=np.int64)
    parts = np.asarray(part_sizes, dtype=np.int64)
    n = int(strata.sum())
    if int(parts.sum()) != n or (parts < 0).any():
        raise InvalidInputError(f"part sizes {parts.tolist()} must be >= 0 and sum to {n}")
    if n == 0:
        return np.zeros((strata.size, parts.size), dtype=np.int64)
    expected = np.outer(strata, parts) / n
    counts = np.floor(expected + 1e-9).astype(np.int64)
    fraction = expected - counts
    row_need = strata - counts.sum(axis=1)
    col_need = parts - counts.sum(axis=0)
    # Ryser's greedy fill of a 0/1 matrix with the remaining margins: rows with the
    # largest need first, each takes the columns with the most remaining need
    # (then the largest fractional share). The fractional shares form a feasible
    # fractional solution, so a 0/1 one exists and the greedy finds it. The loop
    # runs over strata (a handful), not over rows.
    row_order = np.lexsort((rng.random(strata.size), -row_need))
    for s in row_order:
        k = int(row_need[s])
        if k == 0:
            continue
        ranking = np.lexsort((rng.random(parts.size), fraction[s], col_need))[::-1]
        chosen = ranking[:k]
        counts[s, chosen] += 1
        col_need[chosen] -= 1
    return counts


def stratified_partition(
    strata: np.ndarray, sizes: Sequence[int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Partition row positions into parts of the given sizes, stratified by ``strata``.

    Parameters
    ----------
    strata : ndarray of shape (n,)
        Integer stratum of each row (for example ``group * 2 + label``).
    sizes : sequence of int
        Size of each part; if they sum to less than ``n`` the remaining rows are
        left out (returned in no part).
    rng : numpy.random.Generator
        Source of randomness; the same generator state gives the same parts.

    Returns
    -------
    list of ndarray
        Sorted row positions of each part, pairwise disjoint.
    """
    strata = np.asarray(strata)
    n = strata.size
    sizes = [int(s) for s in sizes]
    if any(s < 0 for s in sizes) or sum(sizes) > n:
        raise InvalidInputError(f"part sizes {sizes} must be >= 0 and sum to at most {n}")
    all_sizes = sizes + [n - sum(sizes)]
    _, codes = np.unique(strata, return_inverse=True)
    codes = codes.reshape(-1)
    stratum_sizes = np.bincount(codes)
    counts = allocate(stratum_sizes, all_sizes, rng)
    # Rows grouped by stratum, in random order within each stratum; each stratum's
    # rows are then cut into consecutive runs of its per-part counts.
    perm = rng.permutation(n)
    order = perm[np.argsort(codes[perm], kind="stable")]
    labels = np.repeat(np.tile(np.arange(len(all_sizes)), stratum_sizes.size), counts.ravel())
    return [np.sort(order[labels == p]) for p in range(len(sizes))]
