"""Audit a user's table: the data itself, or a model's predictions on it.

This is what ``fairpool audit`` runs. The result leads with a headline -- the
fairness measures by name (demographic parity, equalized odds, equal
opportunity, disparate impact with the four-fifths rule), each with the two
groups it compares -- and then every group's rates, base rates beside
prediction rates, each with a Wilson interval, and small groups flagged, so a
reader can tell a gap from noise. Groups come from
:func:`fairpool.metrics.group_report` / :func:`~fairpool.metrics.data_report`:
intersections stay tuples of values, never joined names that could collide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.audit._intervals import wilson_interval
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.datasets import DELIMITERS, read_table
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
)

__all__ = ["FOUR_FIFTHS", "MISSING_POLICIES", "AuditResult", "audit_file", "audit_frame"]

#: The four-fifths (80 %) rule of the US EEOC Uniform Guidelines: a disparate
#: impact ratio below it is taken as evidence of adverse impact.
FOUR_FIFTHS = 0.8

#: What ``missing=`` may do with rows whose sensitive value is missing.
MISSING_POLICIES = ("error", "drop", "group")

#: The name of the group ``missing="group"`` makes of missing sensitive values.
MISSING_GROUP = "(missing)"

#: Rates that get a Wilson interval, with the count column that is their denominator.
_INTERVAL_RATES = ("base_rate", "selection_rate", "tpr", "fpr")


@dataclass(frozen=True)
class AuditResult:
    """What an audit found.

    Attributes
    ----------
    kind : {"data", "predictions"}
        ``"data"`` audits representation and base rates; ``"predictions"`` a model.
    headline : pandas.DataFrame
        The fairness measures by name, one row each: ``key``
        (``demographic_parity_difference``, ...), ``measure``, ``value``,
        ``rate`` (the per-group rate it compares), ``highest_group`` /
        ``highest_rate``, ``lowest_group`` / ``lowest_rate`` and ``flag`` (the
        four-fifths rule, intervals that overlap, small groups).
    by_group : pandas.DataFrame
        One row per group (a MultiIndex of value tuples for intersections):
        ``count``, ``share``, ``small``, ``base_rate`` and, for predictions,
        every rate of :data:`fairpool.metrics.RATE_NAMES`; ``<rate>_ci_low`` /
        ``<rate>_ci_high`` bound the Wilson interval of base rate, selection
        rate, TPR and FPR.
    summary : dict
        Overall figures and every gap between groups (``difference_<rate>``,
        ``ratio_<rate>`` for predictions; ``base_rate_difference`` ... for data).
    target : str
        The target column.
    positive : object
        The target value counted as positive.
    negative : object or None
        The other target value.
    sensitive : tuple of str
        The sensitive columns.
    predictions : str or None
        How the predictions were read (a column, or scores over a threshold).
    notes : tuple of str
        Rows dropped, the group made of missing values, small groups.
    min_support : int
        Groups with fewer rows are flagged ``small``.
    confidence : float
        The level of the intervals.
    """

    kind: Literal["data", "predictions"]
    headline: pd.DataFrame
    by_group: pd.DataFrame
    summary: dict[str, Any]
    target: str
    positive: Any
    negative: Any = None
    sensitive: tuple[str, ...] = ()
    predictions: str | None = None
    notes: tuple[str, ...] = field(default=())
    min_support: int = 30
    confidence: float = 0.95

    def group_values(self, group: Any) -> dict[str, Any]:
        """A group label (a value or a tuple of values) as ``{sensitive column: value}``."""
        values = group if isinstance(group, tuple) else (group,)
        return dict(zip(self.sensitive, (_jsonable(v) for v in values), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of the whole result (NaN is None).

        Groups are structured, never joined: ``{"sex": "F", "race": "a|b"}``.
        """
        headline = []
        for row in self.headline.to_dict(orient="records"):
            for end in ("highest_group", "lowest_group"):
                row[end] = None if no_group(row[end]) else self.group_values(row[end])
            headline.append({k: _jsonable(v) for k, v in row.items()})
        by_group = [
            {"group": self.group_values(g), **{k: _jsonable(v) for k, v in row.items()}}
            for g, row in self.by_group.astype(object).iterrows()
        ]
        return {
            "kind": self.kind,
            "target": self.target,
            "positive": _jsonable(self.positive),
            "negative": _jsonable(self.negative),
            "predictions": self.predictions,
            "sensitive": list(self.sensitive),
            "min_support": self.min_support,
            "confidence": self.confidence,
            "notes": list(self.notes),
            "headline": headline,
            "by_group": by_group,
            "summary": {k: _jsonable(v) for k, v in self.summary.items()},
        }


def no_group(value: Any) -> bool:
    """Whether a headline cell holds no group (None, or the NaN pandas made of it)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _check_columns(
    df: pd.DataFrame, target: str, sensitive: list[str], pred: str | None
) -> None:
    """Every named column exists, and each plays one role."""
    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise InvalidInputError(f"the table has duplicate column names: {dup}")
    if not sensitive:
        raise InvalidInputError("name at least one sensitive column (--sensitive)")
    columns = list(df.columns)
    for col in [target, *sensitive, *([pred] if pred is not None else [])]:
        if col not in columns:
            hint = ""
            if len(columns) == 1 and any(d in str(columns[0]) for d in DELIMITERS):
                sep = df.attrs.get("sep")
                hint = (f" (the file was read with delimiter {sep!r}: pass --sep to name "
                        "another)" if sep else " (is the delimiter right? pass --sep)")
            raise UnknownColumnError(
                f"column {col!r} not in the table; columns are: "
                f"{', '.join(map(str, columns))}{hint}"
            )
    repeated = sorted({c for c in sensitive if sensitive.count(c) > 1})
    if repeated:
        raise InvalidInputError(f"sensitive column {repeated[0]!r} is named more than once")
    roles = [("target", target), *(("sensitive", c) for c in sensitive)]
    if pred is not None:
        roles.append(("prediction", pred))
    for i, (role, col) in enumerate(roles):
        for other, other_col in roles[i + 1:]:
            if col == other_col:
                raise InvalidInputError(
                    f"column {col!r} is named as both the {role} and the {other} column; "
                    "each column plays one role (--target, --sensitive, --pred)"
                )


def _sensitive_frame(
    df: pd.DataFrame, sensitive: list[str], missing: str
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The sensitive columns after the missing-value policy, the rows kept, and notes."""
    if missing not in MISSING_POLICIES:
        raise InvalidInputError(
            f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}"
        )
    frame = df[sensitive]
    holes = frame.isna().to_numpy()
    keep = np.ones(len(df), dtype=bool)
    if not holes.any():
        return frame, keep, []
    per_column = {c: int(k) for c, k in zip(sensitive, holes.sum(axis=0), strict=True) if k}
    rows = holes.any(axis=1)
    counts = ", ".join(f"{k} in {c!r}" for c, k in per_column.items())
    if missing == "error":
        first = int(np.flatnonzero(rows)[0])
        raise MissingValueError(
            f"sensitive column(s) have missing values ({counts}; first at row index {first}); "
            "pass --missing drop to leave those rows out or --missing group to audit them "
            "as a group (missing= in Python)"
        )
    if missing == "drop":
        keep = ~rows
        if not keep.any():
            raise EmptyInputError("every row has a missing sensitive value; nothing is left")
        note = (f"dropped {int(rows.sum())} of {len(df)} rows with a missing sensitive value "
                f"({counts})")
        return frame.loc[keep], keep, [note]
    filled = {}
    for col in sensitive:
        values = frame[col]
        if values.isna().any():
            name = MISSING_GROUP
            while (values.astype(str) == name).any():  # never merge with a real value
                name += "*"
            values = values.astype(object).where(values.notna(), name)
        filled[col] = values
    note = (f"{int(rows.sum())} rows with a missing sensitive value ({counts}) are audited "
            f"as the group {MISSING_GROUP!r}")
    return pd.DataFrame(filled, index=frame.index), keep, [note]


def _with_intervals(by_group: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Insert ``<rate>_ci_low`` / ``_ci_high`` after each rate that has a count behind it."""
    count = by_group["count"].to_numpy(dtype=np.float64)
    positives = np.rint(by_group["base_rate"].to_numpy(dtype=np.float64) * count)
    trials = {"base_rate": count, "selection_rate": count, "tpr": positives,
              "fpr": count - positives}
    out = by_group.copy()
    for rate in _INTERVAL_RATES:
        if rate not in out.columns:
            continue
        n = trials[rate]
        k = np.rint(np.nan_to_num(out[rate].to_numpy(dtype=np.float64)) * n)
        low, high = wilson_interval(k, n, confidence)
        at = out.columns.get_loc(rate) + 1
        out.insert(at, f"{rate}_ci_low", low)
        out.insert(at + 1, f"{rate}_ci_high", high)
    return out


def _extremes(by_group: pd.DataFrame, rate: str) -> tuple[Any, float, Any, float] | None:
    """The groups with the highest and lowest defined ``rate`` (None if fewer than two)."""
    values = by_group[rate].dropna()
    if len(values) < 2:
        return None
    return values.idxmax(), float(values.max()), values.idxmin(), float(values.min())


def _headline_row(
    key: str, measure: str, by_group: pd.DataFrame, rate: str, kind: Literal["difference", "ratio"],
    min_support: int, confidence: float, four_fifths: bool = False,
) -> dict[str, Any]:
    """One headline measure: the gap of ``rate`` between its highest and lowest group."""
    ends = _extremes(by_group, rate)
    row: dict[str, Any] = {"key": key, "measure": measure, "value": math.nan, "rate": rate,
                           "highest_group": None, "highest_rate": math.nan,
                           "lowest_group": None, "lowest_rate": math.nan, "flag": ""}
    if ends is None:
        row["flag"] = f"undefined: fewer than two groups have a {rate.replace('_', ' ')}"
        return row
    high_group, high, low_group, low = ends
    value = high - low if kind == "difference" else (1.0 if high == 0 else low / high)
    flags = []
    if four_fifths:
        flags.append("FAILS four-fifths rule (< 0.8)" if value < FOUR_FIFTHS
                     else "passes four-fifths rule")
    if high == low:
        row.update(value=value, highest_rate=high, lowest_rate=low)
        row["flag"] = "; ".join([*flags, "every group has the same rate"])
        return row
    row.update(value=value, highest_group=high_group, highest_rate=high,
               lowest_group=low_group, lowest_rate=low)
    low_col, high_col = f"{rate}_ci_low", f"{rate}_ci_high"
    if low_col in by_group.columns and (
        by_group.at[high_group, low_col] <= by_group.at[low_group, high_col]
    ):
        flags.append(f"{confidence:.0%} intervals overlap: may be noise")
    small = [g for g in (high_group, low_group) if by_group.at[g, "count"] < min_support]
    if small:
        flags.append(f"{'both groups' if len(small) == 2 else 'a group'} under {min_support} rows")
    row["flag"] = "; ".join(flags)
    return row


def audit_frame(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None = None,
    pos_label: Any = None,
    threshold: float | None = None,
    missing: str = "error",
    min_support: int = 30,
    confidence: float = 0.95,
) -> AuditResult:
    """Audit a table's labels, or a model's predictions, per sensitive group.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    target : str
        Column holding the true (recorded) label: two values.
    sensitive : str or list of str
        Sensitive column(s); several give intersectional groups (tuples of values).
    pred : str, optional
        Column holding a model's predictions, in the target's values (or scores,
        with ``threshold``). Without it the data is audited (representation and
        base rate per group); with it, the predictions.
    pos_label : optional
        The target value that is positive (``--positive``); a string also names a
        number or boolean ("2", "true"). Needed unless the target is coded 0/1,
        true/false or yes/no (any case).
    threshold : float, optional
        Read ``pred`` as scores: a score ``>= threshold`` predicts the positive value.
    missing : {"error", "drop", "group"}, default "error"
        What to do with rows whose sensitive value is missing: refuse, leave them
        out (the count is in ``notes``), or audit them as a group ``"(missing)"``.
    min_support : int, default 30
        Groups with fewer rows are flagged ``small``.
    confidence : float, default 0.95
        Level of the Wilson intervals.

    Returns
    -------
    AuditResult

    Raises
    ------
    UnknownColumnError
        If a named column is not in the table.
    InvalidInputError
        If a column is named for two roles, the positive value is not obvious and
        not given (the message lists the values), a prediction value is not a
        target value, ``threshold`` is given without ``pred`` or for non-numeric
        predictions, or an option is out of range.
    NonBinaryLabelError
        If the target has more than two values.
    MissingValueError
        If the target or predictions have missing values, or the sensitive
        columns have some and ``missing="error"``.
    EmptyInputError
        If the table has no rows, or ``missing="drop"`` leaves none.
    """
    from fairpool.metrics import data_report, group_report

    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    _check_columns(df, target, sensitive, pred)
    if threshold is not None and pred is None:
        raise InvalidInputError("threshold turns a score column into predictions: name it "
                                "with --pred (pred= in Python)")
    if isinstance(min_support, bool) or not isinstance(min_support, int | np.integer) or (
        min_support < 1
    ):
        raise InvalidInputError(f"min_support must be a positive integer, got {min_support!r}")
    if not isinstance(confidence, float | int) or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must be between 0 and 1, got {confidence!r}")
    if len(df) == 0:
        raise EmptyInputError("the table has no rows")
    groups, keep, notes = _sensitive_frame(df, sensitive, missing)
    rows = df.loc[keep] if not keep.all() else df
    labels = encode_target(rows[target], pos_label)
    sf = groups[sensitive[0]] if len(sensitive) == 1 else groups
    common = {"target": target, "positive": labels.positive, "negative": labels.negative,
              "sensitive": tuple(sensitive), "min_support": int(min_support),
              "confidence": float(confidence)}

    data = data_report(labels.y, sensitive_features=sf)
    by_group = data.by_group.copy()
    by_group.insert(2, "small", by_group["count"] < min_support)
    small = [g for g, s in by_group["small"].items() if s]
    if small:
        notes.append(f"{len(small)} group(s) have fewer than {min_support} rows; read their "
                     "rates with the intervals")
    summary: dict[str, Any] = {**data.summary, "rows_dropped": int((~keep).sum())}

    def measure(key: str, name: str, rate: str, kind: Literal["difference", "ratio"],
                four_fifths: bool = False) -> dict[str, Any]:
        return _headline_row(key, name, by_group, rate, kind, min_support, confidence,
                             four_fifths=four_fifths)

    if pred is None:
        by_group = _with_intervals(by_group, confidence)
        headline = pd.DataFrame([
            measure("base_rate_difference", "base rate difference", "base_rate", "difference"),
            measure("base_rate_ratio", "base rate ratio (four-fifths on recorded outcomes)",
                    "base_rate", "ratio", four_fifths=True),
            measure("share_ratio", "representation ratio (smallest / largest share)", "share",
                    "ratio"),
        ])
        return AuditResult("data", headline, by_group, summary, **common, notes=tuple(notes))

    y_pred, how = encode_predictions(rows[pred], labels, target=target, threshold=threshold)
    report = group_report(labels.y, y_pred, sensitive_features=sf)
    by_group = pd.concat([by_group, report.by_group.drop(columns="count")], axis=1)
    by_group = _with_intervals(by_group, confidence)
    summary.update({f"overall_{k}": v for k, v in report.overall.items() if k != "count"})
    summary.update({f"difference_{k}": v for k, v in report.difference().items()})
    summary.update({f"ratio_{k}": v for k, v in report.ratio().items()})
    tpr = measure("equal_opportunity_difference", "equal opportunity difference", "tpr",
                  "difference")
    fpr = measure("fpr_difference", "FPR difference", "fpr", "difference")
    # equalized odds (fairlearn's definition): the larger of the TPR and FPR gaps
    odds = dict(max((tpr, fpr), key=lambda r: -1.0 if math.isnan(r["value"]) else r["value"]))
    odds.update(key="equalized_odds_difference", measure="equalized odds difference")
    headline = pd.DataFrame([
        measure("demographic_parity_difference", "demographic parity difference",
                "selection_rate", "difference"),
        measure("disparate_impact_ratio", "disparate impact ratio", "selection_rate", "ratio",
                four_fifths=True),
        odds,
        tpr,
        measure("base_rate_difference", "base rate difference (data)", "base_rate",
                "difference"),
    ])
    return AuditResult("predictions", headline, by_group, summary, **common,
                       predictions=how, notes=tuple(notes))


def audit_file(
    path: str | Path,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None = None,
    sep: str | None = None,
    **options: Any,
) -> AuditResult:
    """Read a CSV or Parquet file and audit it.

    Parameters
    ----------
    path : str or Path
        The file (see :func:`read_table`).
    target, sensitive, pred
        As for :func:`audit_frame`.
    sep : str, optional
        The CSV delimiter; detected when not given.
    **options
        ``pos_label``, ``threshold``, ``missing``, ``min_support``, ``confidence``
        of :func:`audit_frame`.

    Returns
    -------
    AuditResult

    Raises
    ------
    FileNotFoundError, InvalidInputError
        From :func:`read_table`; and whatever :func:`audit_frame` raises.
    """
    return audit_frame(read_table(path, sep=sep), target=target, sensitive=sensitive, pred=pred,
                       **options)
