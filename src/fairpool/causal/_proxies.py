"""Which features are proxies of the sensitive attribute: by the causal graph, or by the data.

Two readings of "proxy", for datasets with and without a declared graph:

* :func:`graph_proxies` -- the feature columns of the variables the dataset's causal
  graph (:func:`~fairpool.causal.dataset_graph`) puts downstream of the sensitive
  attribute and does not declare admissible: the variables a counterfactual
  regenerates (:attr:`BoundGraph.regenerate`). On Adult these are marital status,
  relationship, occupation and hours per week; on genomes1000 every SNP but the
  known causal ones.
* :func:`association_proxies` -- features whose correlation ratio with the group,
  ``eta^2 = sum_g n_g (mean_g - mean)^2 / (n var)`` (the share of the feature's
  variance that the group means explain; Pearson 1903, Fisher's eta squared), reaches
  a threshold. ``eta^2 = 1`` for a column that copies the group; for one-hot columns
  of a two-group attribute it is the squared point-biserial correlation.

:func:`proxy_features` chooses: the graph for a dataset that declares one (Adult,
COMPAS, genomes1000), the association screen otherwise (a user's table, whose default
graph makes every feature a descendant and so says nothing).

Written by hand with NumPy (one ``bincount`` per statistic, over all columns at once):
no library computes eta squared for a whole matrix against group codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairpool.causal._graph import dataset_graph
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
)

__all__ = [
    "GRAPH_DATASETS",
    "association_proxies",
    "correlation_ratio",
    "graph_proxies",
    "proxy_features",
]

#: Datasets whose causal graph is declared (others get the cautious default graph).
GRAPH_DATASETS = ("adult", "compas", "genomes1000")


def correlation_ratio(X: Any, groups: Any) -> np.ndarray:
    """Correlation ratio ``eta^2`` of every column of ``X`` with the group codes.

    ``eta^2_j = sum_g n_g (mean_gj - mean_j)^2 / sum_i (x_ij - mean_j)^2``, in [0, 1]:
    the share of column ``j``'s variance explained by the group means (0 for a
    constant column).

    Parameters
    ----------
    X : array-like of shape (n, d)
    groups : array-like of int, shape (n,)
        Group codes ``0 .. k-1``.

    Returns
    -------
    ndarray of shape (d,)

    Raises
    ------
    EmptyInputError
        ``X`` has no rows.
    LengthMismatchError
        ``groups`` has another length.
    MissingValueError
        ``X`` holds NaN or infinite values.
    InvalidInputError
        ``groups`` are not non-negative integer codes.
    """
    X = np.asarray(X, dtype=np.float64)
    g = np.asarray(groups)
    if X.ndim != 2 or X.shape[0] == 0:
        raise EmptyInputError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if g.shape != (X.shape[0],):
        raise LengthMismatchError(f"groups must have shape ({X.shape[0]},), got {g.shape}")
    if g.dtype.kind not in "iu" or g.min() < 0:
        raise InvalidInputError("groups must be non-negative integer codes")
    if not np.isfinite(X).all():
        raise MissingValueError("X holds NaN or infinite values")
    k = int(g.max()) + 1
    n = np.bincount(g, minlength=k).astype(np.float64)
    mean = X.mean(axis=0)
    centred = X - mean
    # group sums of the centred columns, all columns in one bincount
    flat = g[:, None] * X.shape[1] + np.arange(X.shape[1])[None, :]
    sums = np.bincount(flat.ravel(), weights=centred.ravel(), minlength=k * X.shape[1])
    sums = sums.reshape(k, X.shape[1])
    present = n > 0
    between = (sums[present] ** 2 / n[present, None]).sum(axis=0)
    total = (centred**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.where(total > 0, between / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(eta, 0.0, 1.0)


def association_proxies(
    X: Any,
    groups: Any,
    *,
    feature_names: Sequence[str],
    threshold: float = 0.3,
    exclude: Sequence[str] = (),
) -> list[str]:
    """Features whose correlation ratio with the group reaches ``threshold``.

    Parameters
    ----------
    X : array-like of shape (n, d)
    groups : array-like of int, shape (n,)
    feature_names : sequence of str, length d
    threshold : float in (0, 1], default 0.3
        Smallest ``eta^2`` that makes a proxy. 0.3 catches Adult's
        ``relationship=Husband`` (``eta^2`` = 0.34 with sex) and no other Adult column.
    exclude : sequence of str
        Columns never reported (the sensitive attribute's own columns).

    Returns
    -------
    list of str
        In decreasing ``eta^2``.

    Raises
    ------
    LengthMismatchError
        ``feature_names`` does not match the columns of ``X``.
    InvalidInputError
        ``threshold`` outside (0, 1].
    """
    if not (isinstance(threshold, (int, float)) and 0.0 < float(threshold) <= 1.0):
        raise InvalidInputError(f"threshold must be in (0, 1], got {threshold!r}")
    eta = correlation_ratio(X, groups)
    names = list(feature_names)
    if len(names) != eta.size:
        raise LengthMismatchError(f"feature_names has {len(names)} names for {eta.size} columns")
    skip = set(exclude)
    order = np.argsort(-eta, kind="stable")
    return [names[j] for j in order if eta[j] >= threshold and names[j] not in skip]


def graph_proxies(dataset: Any) -> list[str]:
    """Feature columns of the non-admissible descendants of the sensitive attribute.

    Parameters
    ----------
    dataset : Dataset
        Its name selects the declared graph (:func:`~fairpool.causal.dataset_graph`);
        ``info["sensitive_columns"]`` are the attribute's own columns (not proxies).

    Returns
    -------
    list of str
        In the order of ``dataset.feature_names``.
    """
    sensitive = [c for c in dataset.info.get("sensitive_columns", ())
                 if c in dataset.feature_names]
    graph = dataset_graph(dataset.name, feature_names=dataset.feature_names, info=dataset.info)
    bound = graph.bind(dataset.feature_names, sensitive)
    cols = sorted(int(j) for v in bound.regenerate for j in bound.columns[v])
    return [dataset.feature_names[j] for j in cols]


def proxy_features(dataset: Any, *, method: str = "auto", threshold: float = 0.3) -> list[str]:
    """The sensitive attribute's proxies among a dataset's features.

    Parameters
    ----------
    dataset : Dataset
    method : {"auto", "graph", "association"}, default "auto"
        ``"graph"``: :func:`graph_proxies`; ``"association"``:
        :func:`association_proxies`; ``"auto"``: the graph for the datasets in
        :data:`GRAPH_DATASETS`, the association screen otherwise.
    threshold : float, default 0.3
        ``eta^2`` threshold of the association screen.

    Returns
    -------
    list of str

    Raises
    ------
    InvalidInputError
        Unknown ``method``.
    """
    if method not in ("auto", "graph", "association"):
        raise InvalidInputError(
            f"proxy method must be 'auto', 'graph' or 'association', got {method!r}"
        )
    if method == "graph" or (method == "auto" and dataset.name in GRAPH_DATASETS):
        return graph_proxies(dataset)
    return association_proxies(
        dataset.X, dataset.groups, feature_names=dataset.feature_names, threshold=threshold,
        exclude=list(dataset.info.get("sensitive_columns", ())),
    )
