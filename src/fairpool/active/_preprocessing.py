"""Feature standardisation inside the active-learning loop.

Each round the loop fits the scaler on the *labelled* features only (the pool's
statistics are not used, so nothing about unlabelled rows leaks into the model's
input space beyond what a user fitting on their labelled data would do), then
maps the labelled set, the pool and the validation set into that space. Every
column is standardised, one-hot columns included: a column that is constant on
the labelled set keeps scale 1 (scikit-learn's rule), so it is only centred.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

__all__ = ["LabelledScaler"]


class LabelledScaler:
    """Standardise with statistics of the labelled set, copying the rows once.

    Parameters
    ----------
    enabled : bool, default=True
        ``False`` makes :meth:`transform` return float32 copies unchanged (for
        learners that do not care about scale, such as trees).
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._scaler: StandardScaler | None = None

    def fit(self, X: np.ndarray) -> LabelledScaler:
        """Learn the per-column mean and scale of the labelled features ``X``."""
        self._scaler = StandardScaler().fit(X) if self.enabled else None
        return self

    def transform(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Return ``X[rows]`` (all rows when ``rows`` is None), standardised, as float32.

        The selected rows are copied once into a new float32 array and scaled in
        place there, so ``X`` itself is never modified and a 1e6-row pool costs one
        allocation per call.
        """
        if rows is None:
            out = np.array(X, dtype=np.float32, copy=True, order="C")
        else:
            out = np.ascontiguousarray(X[rows], dtype=np.float32)  # fancy indexing copies
        if self._scaler is not None:
            # In place, by hand: scikit-learn's transform would re-validate (a full
            # finiteness pass) rows the loop has already checked once per pool.
            out -= self._scaler.mean_.astype(np.float32)
            out /= self._scaler.scale_.astype(np.float32)
        return out

    @property
    def mean_(self) -> np.ndarray | None:
        """Column means of the labelled set (None when disabled or not fitted)."""
        return None if self._scaler is None else self._scaler.mean_

    @property
    def scale_(self) -> np.ndarray | None:
        """Column scales of the labelled set (None when disabled or not fitted)."""
        return None if self._scaler is None else self._scaler.scale_
