"""fairpool's per-group numbers to and from the other fairness toolkits' formats.

- **fairlearn** ``MetricFrame``: :func:`to_metric_frame` builds one whose metrics are
  fairpool's rates (fairlearn does the grouping), :func:`from_metric_frame` reads any
  MetricFrame of rates (fairpool's names or fairlearn's / scikit-learn's function
  names) back as a :class:`~fairpool.metrics.GroupReport`.
- **AIF360** ``BinaryLabelDataset`` / ``ClassificationMetric`` (the optional extra
  ``fairpool[aif360]``): :func:`to_aif360` encodes a user's table the way AIF360 needs
  it (numeric columns, the favourable label 1.0, each sensitive value a code recorded
  in the dataset's ``metadata``), :func:`aif360_metric` gives the ``ClassificationMetric``
  for a privileged value, :func:`from_aif360` decodes a dataset back to the table.
- **Aequitas**' crosstab table: :func:`aequitas_crosstab` computes it per sensitive
  column and value with the columns and definitions of Aequitas' ``Group.get_crosstabs``
  (hand-written: the ``aequitas`` package pins pandas below 3, which fairpool's
  environment does not allow); :func:`from_aequitas_crosstab` rebuilds group reports
  from its counts; :func:`to_aequitas_frame` writes the input table Aequitas reads.
- **TFMA**-style sliced metrics: :func:`to_tfma_json` writes a list of
  ``MetricsForSlice`` messages (``tensorflow_model_analysis/proto/metrics_for_slice.proto``)
  in proto3's JSON mapping with the proto's field names, and :func:`read_tfma_json`
  reads them back. Hand-written: TFMA itself pulls TensorFlow and Apache Beam.

Every conversion keeps the groups as values (tuples for intersections), never as
joined names.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._audit import AuditResult, _check_columns
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.errors import InvalidInputError, UnknownColumnError, UnknownNameError
from fairpool.metrics import RATE_NAMES, GroupReport, rates_from_confusion

__all__ = [
    "AEQUITAS_COLUMNS",
    "aequitas_crosstab",
    "aif360_metric",
    "from_aequitas_crosstab",
    "from_aif360",
    "from_metric_frame",
    "read_tfma_json",
    "to_aequitas_frame",
    "to_aif360",
    "to_metric_frame",
    "to_tfma_json",
]

#: fairlearn / scikit-learn function names of fairpool's rates (what a MetricFrame
#: built from those functions names its columns).
FAIRLEARN_NAMES: dict[str, str] = {
    "selection_rate": "selection_rate", "true_positive_rate": "tpr",
    "false_positive_rate": "fpr", "false_negative_rate": "fnr", "accuracy_score": "accuracy",
    "precision_score": "precision", "recall_score": "recall", "f1_score": "f1",
}

#: The columns of Aequitas' crosstab table, in its order (``Group.get_crosstabs``).
AEQUITAS_COLUMNS = (
    "model_id", "score_threshold", "k", "attribute_name", "attribute_value", "tpr", "tnr",
    "for", "fdr", "fpr", "fnr", "npv", "precision", "pp", "pn", "ppr", "pprev", "fp", "fn",
    "tn", "tp", "group_label_pos", "group_label_neg", "group_size", "total_entities", "prev",
)


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """The 2 x 2 table ``[y_true, y_pred]`` of one group's 0/1 labels and predictions."""
    w = np.ones(len(y_true)) if weight is None else np.asarray(weight, dtype=np.float64)
    cell = 2 * np.asarray(y_true, dtype=np.int64) + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(cell, weights=w, minlength=4).reshape(2, 2)


def _rate_metric(rate: str) -> Callable[..., float]:
    def metric(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        return float(rates_from_confusion(_confusion(y_true, y_pred, sample_weight))[rate])

    metric.__name__ = rate
    return metric


def to_metric_frame(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    rates: tuple[str, ...] = RATE_NAMES,
) -> Any:
    """A fairlearn ``MetricFrame`` of fairpool's rates per group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        0/1 labels and predictions.
    sensitive_features : array-like, Series, DataFrame or dict
        As fairlearn takes them; several columns give intersections.
    sample_weight : array-like of shape (n,), optional
        Row weights of the rates (``count`` stays rows).
    rates : tuple of str, default every rate of :data:`fairpool.metrics.RATE_NAMES`
        Which rates; ``count`` (fairlearn's) is always added.

    Returns
    -------
    fairlearn.metrics.MetricFrame
        Columns ``count`` and the rates by fairpool's names (``tpr``, ``fpr``, ...);
        a rate whose denominator is zero in a group is NaN (fairlearn's own
        ``true_positive_rate`` would report 0 there).

    Raises
    ------
    UnknownNameError
        If a rate is not one of fairpool's.
    """
    from fairlearn.metrics import MetricFrame, count

    unknown = [r for r in rates if r not in RATE_NAMES]
    if unknown:
        raise UnknownNameError(f"unknown rate(s) {unknown}; rates are: {', '.join(RATE_NAMES)}")
    metrics: dict[str, Callable[..., float]] = {"count": count}
    metrics.update({r: _rate_metric(r) for r in rates})
    params = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        params = {r: {"sample_weight": weights} for r in rates}
    return MetricFrame(metrics=metrics, y_true=np.asarray(y_true), y_pred=np.asarray(y_pred),
                       sensitive_features=sensitive_features, sample_params=params)


def from_metric_frame(frame: Any) -> GroupReport:
    """Read a fairlearn ``MetricFrame`` of rates as a :class:`~fairpool.metrics.GroupReport`.

    Parameters
    ----------
    frame : fairlearn.metrics.MetricFrame
        With several metrics (a DataFrame ``by_group``); columns named by
        fairpool's rates or by fairlearn's / scikit-learn's functions
        (``true_positive_rate`` becomes ``tpr``, ``accuracy_score`` ``accuracy``, ...).
        Other columns are kept under their names; ``count`` becomes the row count.

    Returns
    -------
    GroupReport
        ``by_group`` indexed like the MetricFrame (a MultiIndex for several
        sensitive features), ``overall`` from ``frame.overall``.

    Raises
    ------
    InvalidInputError
        If ``frame`` is not a MetricFrame, has a single unnamed metric, or is
        conditional on control features.
    """
    from fairlearn.metrics import MetricFrame

    if not isinstance(frame, MetricFrame):
        raise InvalidInputError(f"expected a fairlearn MetricFrame, got {type(frame).__name__}")
    if frame.control_levels:
        raise InvalidInputError("a MetricFrame with control_features has one table per "
                                "control level; read each level's frame separately")
    by_group, overall = frame.by_group, frame.overall
    if isinstance(by_group, pd.Series):
        if by_group.name is None:
            raise InvalidInputError("the MetricFrame holds one unnamed metric; build it with "
                                    "metrics={name: function}")
        by_group, overall = by_group.to_frame(), pd.Series({by_group.name: overall})
    names = {c: FAIRLEARN_NAMES.get(c, c) for c in by_group.columns}
    by_group = by_group.rename(columns=names)
    overall = overall.rename(index=names)
    rates = [c for c in by_group.columns if c != "count"]
    out = by_group[rates].astype(np.float64)
    if "count" in by_group.columns:
        out.insert(0, "count", by_group["count"].astype(np.int64))
    overall_out = pd.Series({c: overall[c] for c in out.columns}, name="overall", dtype=object)
    return GroupReport(overall=overall_out, by_group=out)


# ---------------------------------------------------------------- AIF360


def _aif360() -> tuple[Any, Any]:
    try:
        import logging

        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import ClassificationMetric
    except ImportError as exc:  # the optional extra
        raise ImportError("the AIF360 conversion needs aif360: pip install 'fairpool[aif360]'"
                          ) from exc
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


# ---------------------------------------------------------------- Aequitas


def _binary_columns(
    df: pd.DataFrame, target: str, sensitive: list[str], pred: str, pos_label: Any,
    threshold: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    _check_columns(df, target, sensitive, pred)
    labels = encode_target(df[target], pos_label)
    y_pred, _ = encode_predictions(df[pred], labels, target=target, threshold=threshold)
    return labels.y.astype(np.int64), np.asarray(y_pred, dtype=np.int64)


def to_aequitas_frame(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str,
    pos_label: Any = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """The input table Aequitas reads: ``score`` (0/1), ``label_value`` (0/1), attributes as text.

    Parameters
    ----------
    df, target, sensitive, pred, pos_label, threshold
        As for :func:`~fairpool.audit.audit_frame`.

    Returns
    -------
    pandas.DataFrame
        ``score``, ``label_value`` and one text column per sensitive column.

    Raises
    ------
    UnknownColumnError, InvalidInputError, MissingValueError, NonBinaryLabelError
        As :func:`audit_frame`.
    """
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    y, y_pred = _binary_columns(df, target, sensitive, pred, pos_label, threshold)
    out = pd.DataFrame({"score": y_pred, "label_value": y})
    for col in sensitive:
        if df[col].isna().any():
            raise InvalidInputError(f"sensitive column {col!r} has missing values")
        out[col] = df[col].astype(str).to_numpy(dtype=object)
    return out


def aequitas_crosstab(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str,
    pos_label: Any = None,
    threshold: float | None = None,
    model_id: Any = 0,
) -> pd.DataFrame:
    """Aequitas' crosstab table: every sensitive column's groups, one row each.

    As Aequitas' ``Group().get_crosstabs`` computes it (Saleiro et al. 2018,
    "Aequitas: A Bias and Fairness Audit Toolkit", arXiv:1811.05577; the package's
    documented group metrics): each sensitive column on its own (no
    intersections), attribute values as text.

    Parameters
    ----------
    df, target, sensitive, pred, pos_label, threshold
        As for :func:`~fairpool.audit.audit_frame`.
    model_id : default 0
        Aequitas' ``model_id`` column.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AEQUITAS_COLUMNS`: ``k`` predicted positives in all rows;
        per group ``tp``, ``fp``, ``tn``, ``fn``, ``pp`` = tp + fp, ``pn`` = tn + fn,
        ``tpr`` = tp / (tp + fn), ``tnr`` = tn / (tn + fp), ``for`` = fn / pn,
        ``fdr`` = fp / pp, ``fpr`` = fp / (fp + tn), ``fnr`` = fn / (fn + tp),
        ``npv`` = tn / pn, ``precision`` = tp / pp, ``ppr`` = pp / k (the group's share
        of all predicted positives), ``pprev`` = pp / group size (predicted
        prevalence), ``prev`` = positives / group size, ``group_label_pos`` / ``_neg``,
        ``group_size``, ``total_entities``; ``score_threshold`` is ``"binary 0/1"``
        (``"<T>_val"`` for scores over a threshold). A ratio with a zero
        denominator is NaN.

    Raises
    ------
    UnknownColumnError, InvalidInputError, MissingValueError, NonBinaryLabelError
        As :func:`audit_frame`.
    """
    frame = to_aequitas_frame(df, target=target, sensitive=sensitive, pred=pred,
                              pos_label=pos_label, threshold=threshold)
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    y, y_pred = frame["label_value"].to_numpy(), frame["score"].to_numpy()
    k = int(y_pred.sum())
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for col in sensitive:
            codes, values = pd.factorize(frame[col], sort=True)
            cell = 4 * codes + 2 * y + y_pred
            counts = np.bincount(cell, minlength=4 * len(values)).reshape(-1, 2, 2)
            tn, fp, fn, tp = (counts[:, a, b].astype(np.int64)
                              for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)))
            for i, value in enumerate(values):
                rows.append(_crosstab_row(col, value, tp[i], fp[i], tn[i], fn[i], k, len(y)))
    table = pd.DataFrame(rows)
    table.insert(0, "model_id", model_id)
    table.insert(1, "score_threshold", "binary 0/1" if threshold is None else f"{threshold}_val")
    table.insert(2, "k", k)
    return table[list(AEQUITAS_COLUMNS)]


def _crosstab_row(
    column: str, value: str, tp: int, fp: int, tn: int, fn: int, k: int, total: int
) -> dict[str, Any]:
    def ratio(a: float, b: float) -> float:
        return a / b if b else math.nan

    pp, pn = tp + fp, tn + fn
    size = pp + pn
    return {"attribute_name": column, "attribute_value": value,
            "tpr": ratio(tp, tp + fn), "tnr": ratio(tn, tn + fp), "for": ratio(fn, pn),
            "fdr": ratio(fp, pp), "fpr": ratio(fp, fp + tn), "fnr": ratio(fn, fn + tp),
            "npv": ratio(tn, pn), "precision": ratio(tp, pp), "pp": int(pp), "pn": int(pn),
            "ppr": ratio(pp, k), "pprev": ratio(pp, size), "fp": int(fp), "fn": int(fn),
            "tn": int(tn), "tp": int(tp), "group_label_pos": int(tp + fn),
            "group_label_neg": int(tn + fp), "group_size": int(size), "total_entities": total,
            "prev": ratio(tp + fn, size)}


def from_aequitas_crosstab(crosstab: pd.DataFrame) -> dict[str, GroupReport]:
    """Group reports rebuilt from an Aequitas crosstab table's counts, one per attribute.

    Parameters
    ----------
    crosstab : pandas.DataFrame
        Aequitas' ``get_crosstabs`` output (or :func:`aequitas_crosstab`'s): the
        columns ``attribute_name``, ``attribute_value``, ``tp``, ``fp``, ``tn``, ``fn``.
        One model and threshold.

    Returns
    -------
    dict of str to GroupReport
        By attribute name; each report's ``by_group`` indexed by the attribute's
        values (named by the attribute), every rate from the counts.

    Raises
    ------
    UnknownColumnError
        If a needed column is missing.
    InvalidInputError
        If the table holds several models or thresholds.
    """
    needed = ["attribute_name", "attribute_value", "tp", "fp", "tn", "fn"]
    missing = [c for c in needed if c not in crosstab.columns]
    if missing:
        raise UnknownColumnError(f"crosstab lacks column(s) {missing}; an Aequitas crosstab "
                                 f"has {', '.join(needed)}")
    for col in ("model_id", "score_threshold"):
        if col in crosstab.columns and crosstab[col].nunique() > 1:
            raise InvalidInputError(f"crosstab holds several {col} values; select one first")
    reports = {}
    for name, part in crosstab.groupby("attribute_name", sort=False):
        table = np.stack([part[["tn", "fp"]].to_numpy(dtype=np.float64),
                          part[["fn", "tp"]].to_numpy(dtype=np.float64)], axis=1)
        index = pd.Index(part["attribute_value"].to_list(), name=name, dtype=object)
        by_group = pd.DataFrame(rates_from_confusion(table), index=index)
        by_group.insert(0, "count", table.sum(axis=(1, 2)).astype(np.int64))
        total = rates_from_confusion(table.sum(axis=0))
        overall = pd.Series({"count": int(table.sum()), **{r: float(v) for r, v in total.items()}},
                            name="overall", dtype=object)
        reports[str(name)] = GroupReport(overall=overall, by_group=by_group)
    return reports


# ---------------------------------------------------------------- TFMA


def _slice_key(columns: tuple[str, ...], group: Any) -> dict[str, Any]:
    values = group if isinstance(group, tuple) else (group,)
    keys = []
    for column, value in zip(columns, values, strict=True):
        value = _plain(value)
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float):
            text = str(value).encode("utf-8")
            keys.append({"column": column, "bytes_value": base64.b64encode(text).decode("ascii")})
        elif isinstance(value, int):
            keys.append({"column": column, "int64_value": str(value)})  # proto3 JSON int64
        else:
            keys.append({"column": column, "float_value": value})
    return {"single_slice_keys": keys}


def _number(value: Any) -> Any:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _metrics(row: pd.Series, columns: list[str]) -> dict[str, Any]:
    out = {}
    for name in columns:
        if name.endswith(("_ci_low", "_ci_high")) or name == "small":
            continue
        key = "example_count" if name == "count" else name
        low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
        if low is not None and high is not None:
            out[key] = {"bounded_value": {"lower_bound": _number(low),
                                          "upper_bound": _number(high),
                                          "value": _number(row[name])}}
        else:
            out[key] = {"double_value": _number(row[name])}
    return out


def to_tfma_json(result: AuditResult | GroupReport, path: str | Path | None = None) -> str:
    """Per-group metrics as TFMA ``MetricsForSlice`` messages in JSON.

    Parameters
    ----------
    result : AuditResult or GroupReport
        An audit (its ``by_group``: rates and Wilson intervals) or a group report.
    path : str or Path, optional
        Where to write the JSON (UTF-8).

    Returns
    -------
    str
        A JSON array: first the overall slice (``slice_key`` with no keys; from the
        audit's ``summary`` or the report's ``overall``), then one message per
        group, ``slice_key.single_slice_keys`` one ``{column, bytes_value |
        int64_value | float_value}`` per sensitive column (text as base64 bytes,
        integers as decimal strings: proto3's JSON mapping). ``metrics`` maps a
        name to ``{"double_value": x}``, or ``{"bounded_value": {"lower_bound",
        "upper_bound", "value"}}`` for a rate with an interval; ``count`` is
        ``example_count``; NaN is ``"NaN"``.
    """
    if isinstance(result, AuditResult):
        columns = tuple(result.sensitive)
        frame = result.by_group
        overall = {"count": result.summary["n"]}
        overall.update({k[len("overall_"):]: v for k, v in result.summary.items()
                        if k.startswith("overall_")})
    elif isinstance(result, GroupReport):
        frame = result.by_group
        columns = tuple(str(n) for n in frame.index.names)
        overall = dict(result.overall)
    else:
        raise InvalidInputError(f"expected an AuditResult or GroupReport, got "
                                f"{type(result).__name__}")
    names = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
             and not pd.api.types.is_bool_dtype(frame[c])]
    slices = [{"slice_key": {}, "metrics": _metrics(pd.Series(overall), list(overall))}]
    for group, row in frame.iterrows():
        slices.append({"slice_key": _slice_key(columns, group), "metrics": _metrics(row, names)})
    text = json.dumps(slices, indent=2)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _read_number(value: Any) -> float:
    return float(value)  # proto3 JSON writes NaN and infinities as strings float() reads


def read_tfma_json(source: str | Path) -> tuple[pd.Series, pd.DataFrame]:
    """Read sliced metrics written by :func:`to_tfma_json` (or TFMA's JSON of the same messages).

    Parameters
    ----------
    source : str or Path
        A path to the file, or the JSON text itself.

    Returns
    -------
    overall : pandas.Series
        The metrics of the slice with no keys (empty if absent).
    by_group : pandas.DataFrame
        One row per slice with keys, indexed by its values (a MultiIndex named by
        the columns for several); ``example_count`` is ``count``; a bounded value
        gives ``<name>``, ``<name>_ci_low`` and ``<name>_ci_high``.

    Raises
    ------
    InvalidInputError
        If the text is not a JSON array of MetricsForSlice messages, or slices
        have different key columns.
    """
    text = source
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith(
            ("[", "{"))):
        text = Path(source).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(m, dict) for m in data):
        raise InvalidInputError("expected a JSON array of MetricsForSlice messages")
    overall: dict[str, float] = {}
    rows, keys, columns = [], [], None
    for message in data:
        metrics = {}
        for name, value in (message.get("metrics") or {}).items():
            name = "count" if name == "example_count" else name
            if "bounded_value" in value:
                bounded = value["bounded_value"]
                metrics[name] = _read_number(bounded.get("value", "NaN"))
                metrics[f"{name}_ci_low"] = _read_number(bounded.get("lower_bound", "NaN"))
                metrics[f"{name}_ci_high"] = _read_number(bounded.get("upper_bound", "NaN"))
            elif "double_value" in value:
                metrics[name] = _read_number(value["double_value"])
        single = (message.get("slice_key") or {}).get("single_slice_keys") or []
        if not single:
            overall = metrics
            continue
        names = tuple(k["column"] for k in single)
        if columns is None:
            columns = names
        elif names != columns:
            raise InvalidInputError(f"slices have different key columns: {columns} and {names}")
        keys.append(tuple(_slice_value(k) for k in single))
        rows.append(metrics)
    if columns is None:
        return pd.Series(overall, dtype=object), pd.DataFrame()
    index = (pd.MultiIndex.from_tuples(keys, names=list(columns)) if len(columns) > 1
             else pd.Index([k[0] for k in keys], name=columns[0], dtype=object))
    by_group = pd.DataFrame(rows, index=index)
    if "count" in by_group.columns:
        by_group["count"] = by_group["count"].astype(np.int64)
    return pd.Series(overall, dtype=object), by_group


def _slice_value(key: dict[str, Any]) -> Any:
    if "bytes_value" in key:
        return base64.b64decode(key["bytes_value"]).decode("utf-8")
    if "int64_value" in key:
        return int(key["int64_value"])
    if "float_value" in key:
        return _read_number(key["float_value"])
    raise InvalidInputError(f"slice key of column {key.get('column')!r} has no value")
