"""The :class:`Dataset` type every part of fairpool passes around."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError

__all__ = ["TASKS", "Dataset"]

#: The values ``Dataset.task`` (``info["task"]``) may take.
TASKS = ("classification", "regression")


def _cluster_codes(clusters: object) -> np.ndarray:
    """Cluster codes as int64, refusing missing, negative and non-integral values."""
    codes = np.asarray(clusters)
    if codes.dtype.kind == "f":
        n_missing = int(np.isnan(codes).sum())
        if n_missing:
            raise MissingValueError(
                f"Dataset.clusters has {n_missing} missing value(s) (NaN); every row "
                "needs a cluster code"
            )
        if codes.size and not np.all(np.mod(codes, 1) == 0):
            raise InvalidInputError("Dataset.clusters must be integer codes, got fractions")
    elif codes.dtype.kind not in "iub":
        raise InvalidInputError(
            f"Dataset.clusters must be integer codes (dtype {codes.dtype}); code cluster "
            "labels with fairpool.datasets.from_frame(..., clusters=column)"
        )
    codes = codes.astype(np.int64)
    if codes.size and codes.min() < 0:
        raise InvalidInputError(
            f"Dataset.clusters must be non-negative codes, got minimum {codes.min()}"
        )
    return codes


@dataclass(frozen=True, eq=False)
class Dataset:
    """An encoded table ready for learning: features, labels and group membership.

    Loading raw tables and encoding them happens once, in :mod:`fairpool.datasets`;
    everything downstream reads this type.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32
        Encoded features (one-hot categoricals, numeric columns as they are).
    y : ndarray of shape (n,)
        Integer class labels (binary tasks use 0/1) or float regression targets.
        For semi-synthetic data this is the *recorded* label, bias included.
    groups : ndarray of shape (n,), int64
        Integer code of each row's (possibly intersectional) sensitive group,
        ``0 .. len(group_names) - 1``.
    group_names : tuple of str
        Name of each group code, e.g. ``("Female", "Male")`` or ``("Female|Black", ...)``.
    feature_names : tuple of str
        Name of each column of ``X``.
    name : str
        Short name of the dataset (``"adult"``, ``"user"``, ...).
    clusters : ndarray of shape (n,), optional
        Integer cluster (random-effect) codes ``0 .. k - 1`` for mixed-effects models
        (students' schools, workers' occupations); names, where known, in
        ``info["cluster_names"]``. Carried with the rows by :meth:`subset`, hence by
        every split. Integral floats are accepted and stored as int64.
    y_true : ndarray of shape (n,), optional
        Unbiased ground truth where the data is semi-synthetic.
    info : dict
        Provenance, sensitive attribute names, causal features and other facts;
        ``info["task"]`` is ``"classification"`` or ``"regression"`` (see :attr:`task`).

    Raises
    ------
    LengthMismatchError
        ``y``, ``groups``, ``clusters``, ``y_true`` or ``feature_names`` do not match
        the rows or columns of ``X``.
    MissingValueError
        NaN or infinite values in ``X`` or a float ``y``; missing cluster codes (the
        message gives the count).
    InvalidInputError
        Group codes outside ``0 .. len(group_names) - 1``; cluster codes that are not
        non-negative integers; an ``info["task"]`` other than the two tasks.
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    group_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    name: str = "dataset"
    clusters: np.ndarray | None = None
    y_true: np.ndarray | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float32)
        if X.ndim != 2:
            raise InvalidInputError(f"Dataset.X must be 2-D (n, d), got shape {X.shape}")
        n = X.shape[0]
        y = np.asarray(self.y)
        groups = np.asarray(self.groups, dtype=np.int64)
        for arg, arr in (("y", y), ("groups", groups)):
            if arr.shape != (n,):
                raise LengthMismatchError(
                    f"Dataset.{arg} must have shape ({n},) to match X, got {arr.shape}"
                )
        if not np.isfinite(X).all():
            raise MissingValueError("Dataset.X contains NaN or infinite values")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise MissingValueError("Dataset.y contains NaN or infinite values")
        if len(self.feature_names) != X.shape[1]:
            raise LengthMismatchError(
                f"Dataset.feature_names has {len(self.feature_names)} names "
                f"for {X.shape[1]} columns of X"
            )
        if n and (groups.min() < 0 or groups.max() >= len(self.group_names)):
            raise InvalidInputError(
                f"Dataset.groups must be codes in [0, {len(self.group_names)}), "
                f"got values in [{groups.min()}, {groups.max()}]"
            )
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "group_names", tuple(str(g) for g in self.group_names))
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))
        if self.clusters is not None:
            object.__setattr__(self, "clusters", _cluster_codes(self.clusters))
        task = dict(self.info).get("task")
        if task is not None and task not in TASKS:
            raise InvalidInputError(f"Dataset.info['task'] must be one of {TASKS}, got {task!r}")
        for opt in ("clusters", "y_true"):
            value = getattr(self, opt)
            if value is not None:
                value = np.asarray(value)
                if value.shape != (n,):
                    raise LengthMismatchError(
                        f"Dataset.{opt} must have shape ({n},), got {value.shape}"
                    )
                object.__setattr__(self, opt, value)
        object.__setattr__(self, "info", dict(self.info))

    # -- sizes -------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])

    @property
    def n_groups(self) -> int:
        """Number of sensitive groups (including ones absent from this subset)."""
        return len(self.group_names)

    def __len__(self) -> int:
        return self.n_samples

    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"``: what ``y`` holds.

        ``info["task"]`` when the loader or encoder set it (every bundled dataset and
        :func:`~fairpool.datasets.from_frame` do); otherwise ``"regression"`` for a
        float ``y`` with a non-integral value and ``"classification"`` for anything else.
        """
        task = self.info.get("task")
        if task is not None:
            return str(task)
        if self.y.dtype.kind == "f" and self.y.size and not np.all(np.mod(self.y, 1) == 0):
            return "regression"
        return "classification"

    @property
    def n_clusters(self) -> int | None:
        """Number of clusters (from ``info["cluster_names"]`` when set, else the codes seen).

        None without clusters.
        """
        if self.clusters is None:
            return None
        names = self.info.get("cluster_names")
        if names is not None:
            return len(names)
        return int(self.clusters.max()) + 1 if self.clusters.size else 0

    # -- derived views -----------------------------------------------------
    def subset(self, idx: Sequence[int] | np.ndarray) -> Dataset:
        """Return the rows ``idx`` (integer positions or a boolean mask) as a new Dataset.

        Group codes and names are kept, so codes mean the same in every subset.
        """
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape != (self.n_samples,):
                raise LengthMismatchError(
                    f"boolean mask has shape {idx.shape}, expected ({self.n_samples},)"
                )
            idx = np.flatnonzero(idx)
        elif idx.size and idx.dtype.kind not in "iu":
            raise InvalidInputError(f"subset indices must be integers, got dtype {idx.dtype}")
        idx = idx.astype(np.int64, copy=False)
        return replace(
            self,
            X=self.X[idx],
            y=self.y[idx],
            groups=self.groups[idx],
            clusters=None if self.clusters is None else self.clusters[idx],
            y_true=None if self.y_true is None else self.y_true[idx],
            info=dict(self.info),
        )

    def feature_index(self, name: str) -> int:
        """Position of the feature called ``name`` in ``X``."""
        from fairpool.errors import UnknownColumnError

        try:
            return self.feature_names.index(name)
        except ValueError:
            raise UnknownColumnError(
                f"feature {name!r} not in dataset {self.name!r}"
            ) from None

    def group_counts(self) -> dict[str, int]:
        """Number of rows in each group, by group name."""
        counts = np.bincount(self.groups, minlength=self.n_groups)
        return dict(zip(self.group_names, counts.tolist(), strict=True))

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_samples={self.n_samples}, "
            f"n_features={self.n_features}, groups={list(self.group_names)})"
        )
