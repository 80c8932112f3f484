"""A user's table to and from AIF360's ``BinaryLabelDataset``, and its ``ClassificationMetric``.

AIF360 (the optional extra ``fairpool[aif360]``, imported lazily) computes the
metrics; written here is the encoding AIF360 needs -- numeric columns, the
favourable label 1.0, each sensitive value a code recorded in the dataset's
``metadata`` (AIF360's own ``protected_attribute_maps`` / ``label_maps`` keys) -- and
its decoding back to the user's values. See docs/monitoring.md, "Interop".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._audit import _check_columns
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.errors import InvalidInputError, UnknownColumnError

__all__ = ["aif360_metric", "from_aif360", "to_aif360"]



def _aif360() -> tuple[Any, Any]:
    """AIF360's dataset and metric classes, imported without its optional-algorithm warnings.

    Importing aif360 logs a root-logger warning for each optional algorithm whose
    dependency (tensorflow, inFairness, ...) is absent; none is used here, so the
    root logger is raised to ERROR for the import only and restored after it.
    """
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import ClassificationMetric
    except ImportError as exc:  # the optional extra
        raise ImportError("the AIF360 conversion needs aif360: pip install 'fairpool[aif360]'"
                          ) from exc
    finally:
        root.setLevel(level)
    return BinaryLabelDataset, ClassificationMetric


def to_aif360(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None = None,
    pos_label: Any = None,
    threshold: float | None = None,
    features: list[str] | None = None,
) -> tuple[Any, Any]:
    """A user's table as AIF360 ``BinaryLabelDataset`` s: the true labels and the predictions.

    Parameters
    ----------
    df : pandas.DataFrame
    target, sensitive, pred, pos_label, threshold
        As for :func:`~fairpool.audit.audit_frame`: the positive target value
        becomes AIF360's favourable label 1.0, the other 0.0.
    features : list of str, optional
        Other columns to carry (numeric only: AIF360 stores a float matrix).
        Default: every numeric column not named in a role.

    Returns
    -------
    dataset : aif360.datasets.BinaryLabelDataset
        Labels from ``target``; each sensitive column coded 0, 1, ... in the sorted
        order of its values, the codes' values in
        ``metadata["protected_attribute_maps"]``, the target's in ``metadata["label_maps"]``.
    classified : aif360.datasets.BinaryLabelDataset or None
        A copy with the predictions as labels (and the scores, with ``threshold``);
        None without ``pred``.

    Raises
    ------
    UnknownColumnError, InvalidInputError, MissingValueError, NonBinaryLabelError
        As :func:`audit_frame`; a named feature that is not numeric.
    ImportError
        If aif360 is not installed.
    """
    dataset_class, _ = _aif360()
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    _check_columns(df, target, sensitive, pred)
    labels = encode_target(df[target], pos_label)
    roles = {target, *sensitive, *([pred] if pred else [])}
    if features is None:
        features = [c for c in df.columns if c not in roles and
                    pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    for col in features:
        if col not in df.columns:
            raise UnknownColumnError(f"feature column {col!r} not in the table")
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise InvalidInputError(f"feature column {col!r} is not numeric; AIF360 stores "
                                    "features as numbers (encode it first)")
    table = pd.DataFrame({c: df[c].to_numpy(dtype=np.float64) for c in features},
                         index=range(len(df)))
    maps = []
    for col in sensitive:
        if df[col].isna().any():
            raise InvalidInputError(f"sensitive column {col!r} has missing values; AIF360 "
                                    "needs a value for every row")
        values = sorted(pd.unique(df[col]), key=lambda v: (str(type(v)), v))
        codes = {v: float(i) for i, v in enumerate(values)}
        table[col] = df[col].map(codes).to_numpy(dtype=np.float64)
        maps.append({code: _plain(v) for v, code in codes.items()})
    table[target] = labels.y.astype(np.float64)
    label_map = {1.0: _plain(labels.positive), 0.0: _plain(labels.negative)}
    metadata = {"label_maps": [label_map], "protected_attribute_maps": maps}
    dataset = dataset_class(df=table, label_names=[target], protected_attribute_names=sensitive,
                            favorable_label=1.0, unfavorable_label=0.0, metadata=metadata)
    if pred is None:
        return dataset, None
    y_pred, _ = encode_predictions(df[pred], labels, target=target, threshold=threshold)
    classified = dataset.copy(deepcopy=True)
    classified.labels = np.asarray(y_pred, dtype=np.float64).reshape(-1, 1)
    if threshold is not None:
        classified.scores = df[pred].to_numpy(dtype=np.float64).reshape(-1, 1)
    return dataset, classified


def aif360_metric(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str,
    pred: str,
    privileged: Any,
    pos_label: Any = None,
    threshold: float | None = None,
) -> Any:
    """AIF360's ``ClassificationMetric`` of a model's predictions on a user's table.

    Parameters
    ----------
    df, target, sensitive, pred, pos_label, threshold
        As for :func:`to_aif360` (one sensitive column).
    privileged : object
        The sensitive value of the privileged group; every other value is unprivileged.

    Returns
    -------
    aif360.metrics.ClassificationMetric
        ``statistical_parity_difference()`` is P(ŷ=1 | unprivileged) - P(ŷ=1 | privileged),
        ``disparate_impact()`` their ratio (AIF360's definitions, Bellamy et al. 2018).

    Raises
    ------
    InvalidInputError
        If ``privileged`` is not a value of the column, or no other value occurs.
    ImportError
        If aif360 is not installed.
    """
    _, metric_class = _aif360()
    dataset, classified = to_aif360(df, target=target, sensitive=sensitive, pred=pred,
                                    pos_label=pos_label, threshold=threshold, features=[])
    codes = {v: k for k, v in dataset.metadata["protected_attribute_maps"][0].items()}
    if _plain(privileged) not in codes:
        raise InvalidInputError(f"privileged value {privileged!r} is not a value of "
                                f"{sensitive!r}: {sorted(map(str, codes))}")
    others = [c for v, c in codes.items() if v != _plain(privileged)]
    if not others:
        raise InvalidInputError(f"column {sensitive!r} holds only {privileged!r}: no "
                                "unprivileged group to compare")
    return metric_class(dataset, classified,
                        unprivileged_groups=[{sensitive: c} for c in others],
                        privileged_groups=[{sensitive: codes[_plain(privileged)]}])


def from_aif360(dataset: Any, classified: Any = None, *, pred: str = "pred") -> pd.DataFrame:
    """An AIF360 dataset back as a table: features, sensitive values, target (and predictions).

    Parameters
    ----------
    dataset : aif360.datasets.BinaryLabelDataset
        Its ``metadata`` maps (as :func:`to_aif360` writes them, and AIF360's own
        bundled datasets carry) decode labels and sensitive codes to their
        values; without them the numbers stay.
    classified : aif360.datasets.BinaryLabelDataset, optional
        The predictions: added as column ``pred``, decoded like the labels.
    pred : str, default "pred"
        Name of the prediction column.

    Returns
    -------
    pandas.DataFrame
        One row per instance, the dataset's columns in its order.

    Raises
    ------
    InvalidInputError
        If ``classified`` has a different number of rows.
    """
    table, _ = dataset.convert_to_dataframe(de_dummy_code=False)
    table = table.reset_index(drop=True)
    metadata = dataset.metadata or {}
    label_maps = metadata.get("label_maps") or [{}]
    label_map = label_maps[0]
    for col, mapping in zip(dataset.protected_attribute_names,
                            metadata.get("protected_attribute_maps") or [], strict=False):
        if mapping:
            table[col] = _decode(table[col], mapping)
    target = dataset.label_names[0]
    if label_map:
        table[target] = _decode(table[target], label_map)
    if classified is not None:
        labels = np.asarray(classified.labels).ravel()
        if labels.shape[0] != len(table):
            raise InvalidInputError(f"classified has {labels.shape[0]} rows, the dataset "
                                    f"{len(table)}")
        column = pd.Series(labels)
        table[pred] = _decode(column, label_map) if label_map else column
    return table


def _decode(column: pd.Series, mapping: dict[Any, Any]) -> pd.Series:
    by_float = {float(k): v for k, v in mapping.items()}
    values = [by_float.get(float(v), v) for v in column]
    return pd.Series(values, index=column.index, name=column.name, dtype=object).infer_objects()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
