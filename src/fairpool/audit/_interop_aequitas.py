"""Aequitas' crosstab table, computed by its documented definitions, and read back.

Hand-written with numpy (one ``bincount`` per sensitive column): the ``aequitas``
package pins pandas below 3, which fairpool's environment does not allow. The
columns, their order and their definitions are those of Aequitas'
``Group().get_crosstabs`` (Saleiro et al. 2018, arXiv:1811.05577). See
docs/monitoring.md, "Interop".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._audit import _check_columns
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.errors import InvalidInputError, UnknownColumnError
from fairpool.metrics import GroupReport, rates_from_confusion

__all__ = ["AEQUITAS_COLUMNS", "aequitas_crosstab", "from_aequitas_crosstab",
           "to_aequitas_frame"]

#: The columns of Aequitas' crosstab table, in its order (``Group.get_crosstabs``).
AEQUITAS_COLUMNS = (
    "model_id", "score_threshold", "k", "attribute_name", "attribute_value", "tpr", "tnr",
    "for", "fdr", "fpr", "fnr", "npv", "precision", "pp", "pn", "ppr", "pprev", "fp", "fn",
    "tn", "tp", "group_label_pos", "group_label_neg", "group_size", "total_entities", "prev",
)



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
