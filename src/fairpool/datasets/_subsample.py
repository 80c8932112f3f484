"""A seeded subsample of a dataset's rows, the same for every process that asks."""

from __future__ import annotations

import numpy as np

from fairpool.datasets._dataset import Dataset
from fairpool.errors import InvalidInputError

__all__ = ["subsample"]

# Distinct stream for subsampling, so it is not the stream the loop draws from the seed.
_SUBSAMPLE_STREAM = 0x5AB5


def subsample(dataset: Dataset, n_rows: int, *, seed: int) -> Dataset:
    """Draw ``n_rows`` rows of ``dataset`` without replacement, in their original order.

    Parameters
    ----------
    dataset : Dataset
        The full dataset.
    n_rows : int
        Rows to keep, at most ``len(dataset)``.
    seed : int
        The cell's seed; the draw uses its own stream derived from it.

    Returns
    -------
    Dataset

    Raises
    ------
    InvalidInputError
        If ``n_rows`` exceeds the rows of ``dataset``.
    """
    total = len(dataset)
    if n_rows > total:
        raise InvalidInputError(
            f"subsample = {n_rows} exceeds the {total} rows of dataset {dataset.name!r}"
        )
    if n_rows == total:
        return dataset
    rng = np.random.default_rng([seed, _SUBSAMPLE_STREAM])
    idx = np.sort(rng.choice(total, size=n_rows, replace=False))
    return dataset.subset(idx)
