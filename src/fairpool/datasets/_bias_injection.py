"""Synthetic bias injected into one group, for stress tests of models and strategies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._options import check_choice, check_count, check_fraction
from fairpool.errors import InvalidInputError, NonBinaryLabelError, UnknownColumnError

__all__ = ["BiasKind", "inject_bias"]

BiasKind = Literal["label_flip", "undersample", "feature_noise"]

_DIRECTIONS = {
    "label_flip": ("positive_to_negative", "negative_to_positive", "both"),
    "undersample": ("all", "positive", "negative"),
}


def _group_code(ds: Dataset, group: str | int) -> int:
    if isinstance(group, str):
        if group not in ds.group_names:
            raise InvalidInputError(
                f"group {group!r} is not a group of dataset {ds.name!r}; "
                f"its groups are {list(ds.group_names)}"
            )
        return ds.group_names.index(group)
    if isinstance(group, (int, np.integer)) and not isinstance(group, bool):
        if 0 <= int(group) < ds.n_groups:
            return int(group)
    raise InvalidInputError(
        f"group must be a group name or a code in [0, {ds.n_groups}), got {group!r}; "
        f"the groups are {list(ds.group_names)}"
    )


def _check_binary(ds: Dataset) -> None:
    values = np.unique(ds.y)
    if ds.y.dtype.kind not in "biu" or not np.isin(values, [0, 1]).all():
        raise NonBinaryLabelError(
            f"label_flip and label-based undersampling need 0/1 labels; dataset {ds.name!r} "
            f"has labels {values[:10].tolist()}"
        )


def _noise_columns(ds: Dataset, columns: Sequence[str] | None) -> np.ndarray:
    if columns is None:
        binary = ((ds.X == 0) | (ds.X == 1)).all(axis=0)
        cols = np.flatnonzero(~binary)
        if cols.size == 0:
            raise InvalidInputError(
                f"dataset {ds.name!r} has no non-binary feature columns to add noise to; "
                "pass columns=[...] to choose some"
            )
        return cols
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise InvalidInputError("columns must name at least one feature column")
    for col in names:
        if col not in ds.feature_names:
            raise UnknownColumnError(
                f"feature column {col!r} is not in dataset {ds.name!r}; "
                f"its columns are {list(ds.feature_names)}"
            )
    return np.array([ds.feature_names.index(c) for c in names], dtype=np.int64)


def inject_bias(
    ds: Dataset,
    *,
    kind: BiasKind,
    group: str | int,
    rate: float,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    direction: str | None = None,
    scale: float = 1.0,
) -> Dataset:
    """Return a copy of ``ds`` with a known bias injected into one group's rows.

    Parameters
    ----------
    ds : Dataset
        The dataset.
    kind : {"label_flip", "undersample", "feature_noise"}
        ``"label_flip"``: flip the labels of ``round(rate * m)`` of the group's ``m``
        eligible rows (``direction``: ``"positive_to_negative"``, the default, i.e.
        under-recording positives; ``"negative_to_positive"``; ``"both"``). The
        original labels are kept in ``y_true`` when the dataset had none.
        ``"undersample"``: drop ``round(rate * m)`` of the group's eligible rows
        (``direction``: ``"all"`` rows, the default, or only its ``"positive"`` or
        ``"negative"`` rows).
        ``"feature_noise"``: add Gaussian noise with standard deviation
        ``scale * std(column)`` to ``columns`` of ``round(rate * m)`` of the
        group's rows (default columns: every non-binary feature).
    group : str or int
        The group's name (or code).
    rate : float in [0, 1]
        Share of the group's eligible rows affected (rounded with Python's ``round``).
    seed : int, default 0
        Seed of the choice of rows and of the noise.
    columns : list of str, optional
        Feature columns for ``"feature_noise"``.
    direction : str, optional
        See ``kind``; not used by ``"feature_noise"``.
    scale : float, default 1.0
        Noise standard deviation in units of each column's standard deviation.

    Returns
    -------
    Dataset
        The biased copy; ``info["bias_injection"]`` records the kind, group, rate,
        direction, seed, the number of eligible and affected rows and their
        positions in ``ds`` (``"rows"``; ``"kept_rows"`` too after undersampling).
        Other groups' rows are untouched.
    """
    check_choice("kind", kind, ("label_flip", "undersample", "feature_noise"))
    code = _group_code(ds, group)
    rate = check_fraction("rate", rate, allow_one=True)
    seed = check_count("seed", seed, minimum=0)
    if kind == "feature_noise":
        if direction is not None:
            raise InvalidInputError("direction does not apply to kind='feature_noise'")
    else:
        if columns is not None:
            raise InvalidInputError(f"columns only applies to kind='feature_noise', not {kind!r}")
        direction = direction if direction is not None else _DIRECTIONS[kind][0]
        check_choice("direction", direction, _DIRECTIONS[kind])
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0):
        raise InvalidInputError(f"scale must be a positive number, got {scale!r}")
    rng = np.random.default_rng(seed)

    in_group = ds.groups == code
    if kind in ("label_flip", "undersample") and direction not in ("all", "both"):
        _check_binary(ds)
        wanted = 1 if direction in ("positive_to_negative", "positive") else 0
        eligible = np.flatnonzero(in_group & (ds.y == wanted))
    else:
        if kind == "label_flip":
            _check_binary(ds)
        eligible = np.flatnonzero(in_group)
    n_affected = round(rate * eligible.size)
    rows = np.sort(rng.choice(eligible, size=n_affected, replace=False))

    record: dict[str, Any] = {
        "kind": kind,
        "group": ds.group_names[code],
        "rate": rate,
        "direction": direction,
        "seed": seed,
        "n_eligible": int(eligible.size),
        "n_affected": int(n_affected),
        "rows": rows,
    }
    if "bias_injection" in ds.info:
        record["previous"] = ds.info["bias_injection"]
    info = {**ds.info, "bias_injection": record}

    if kind == "label_flip":
        y = ds.y.copy()
        y[rows] = 1 - y[rows]
        y_true = ds.y_true if ds.y_true is not None else ds.y.copy()
        return replace(ds, y=y, y_true=y_true, info=info)
    if kind == "undersample":
        keep = np.ones(ds.n_samples, dtype=bool)
        keep[rows] = False
        kept = np.flatnonzero(keep)
        record["kept_rows"] = kept
        return replace(ds.subset(kept), info=info)
    cols = _noise_columns(ds, columns)
    stds = ds.X[:, cols].astype(np.float64).std(axis=0)
    stds[stds == 0] = 1.0  # a constant column gets noise of standard deviation `scale`
    X = ds.X.copy()
    noise = rng.standard_normal((rows.size, cols.size)) * (scale * stds)
    X[np.ix_(rows, cols)] += noise.astype(np.float32)
    record["columns"] = [ds.feature_names[c] for c in cols]
    record["scale"] = float(scale)
    return replace(ds, X=X, info=info)
