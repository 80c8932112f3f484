"""Monitor a model's fairness over time: the audit per period, and a test of change.

``monitor`` splits a table by calendar period of a timestamp column (pandas
``Period``) or takes one table per period, audits each period with
:func:`~fairpool.audit.audit_frame` (the same rates and Wilson intervals per
group), and adds what one audit cannot say: a bootstrap interval for each headline
disparity of each period, and a test of whether a period's disparity moved against a
reference period beyond sampling noise. Both are in :mod:`fairpool.audit._change`
(hand-written; why there). The target and predictions are read once over all
periods, so a period holding one target value counts the same positive value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.audit._audit import AuditResult, _jsonable, audit_frame
from fairpool.audit._change import (
    DISPARITIES,
    Cells,
    bootstrap_disparities,
    disparity_change_test,
    holm_adjusted,
    scalar_interval,
)
from fairpool.audit._intervals import wilson_interval
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.datasets import read_table
from fairpool.errors import (
    EmptyInputError,
    FairpoolError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
    UnknownNameError,
)

__all__ = ["PERIODS", "MonitorResult", "monitor", "monitor_file"]


#: Period names and their pandas frequency.
PERIODS: dict[str, str] = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}

#: Per-group columns the monitor keeps from each period's audit.
_GROUP_COLUMNS = ("count", "base_rate", "selection_rate", "selection_rate_ci_low",
                  "selection_rate_ci_high", "tpr", "tpr_ci_low", "tpr_ci_high", "fpr",
                  "fpr_ci_low", "fpr_ci_high", "accuracy")


@dataclass(frozen=True)
class MonitorResult:
    """The audit of every period and the change test against the reference period.

    Attributes
    ----------
    periods : pandas.DataFrame
        One row per period, in time order: ``period`` (its label), ``rows``,
        ``groups``, ``base_rate`` (share of rows with y = 1); ``accuracy`` with its
        Wilson interval; each of
        :data:`DISPARITIES` with ``<name>_ci_low`` / ``<name>_ci_high`` (percentile
        bootstrap); ``dp_change`` (this period's DP difference minus the
        reference's) with its bootstrap interval, ``dp_change_stat``, ``dp_change_df``,
        ``dp_change_p`` and ``dp_changed``; the same ``eo_*`` for equalized odds;
        ``small`` (fewer than ``min_rows`` rows) and ``flag`` (what to read with care).
    by_group : pandas.DataFrame
        One row per (period, group): ``period``, one column per sensitive column,
        ``count``, ``base_rate``, ``selection_rate``, ``tpr``, ``fpr`` (each of the
        last three with its Wilson interval) and ``accuracy``.
    reference : str
        The label of the reference period.
    target, positive, sensitive, predictions
        As in :class:`~fairpool.audit.AuditResult`.
    alpha : float
        Level of the change test.
    correction : str
        ``"none"`` or ``"holm"`` (over the periods compared with the reference).
    confidence : float
        Level of the intervals.
    min_rows : int
        Periods with fewer rows are flagged ``small``.
    n_boot : int
        Bootstrap replicates per period.
    notes : tuple of str
        How periods were formed, which reference was chosen.
    """

    periods: pd.DataFrame
    by_group: pd.DataFrame
    reference: str
    target: str
    positive: Any
    sensitive: tuple[str, ...]
    predictions: str | None
    alpha: float
    correction: str
    confidence: float
    min_rows: int
    n_boot: int
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN is None); per-group rows carry ``group`` as a dict."""
        by_group = []
        for row in self.by_group.astype(object).to_dict(orient="records"):
            group = {c: _jsonable(row.pop(c)) for c in self.sensitive}
            by_group.append({"period": row.pop("period"), "group": group,
                             **{k: _jsonable(v) for k, v in row.items()}})
        return {
            "kind": "monitor",
            "target": self.target,
            "positive": _jsonable(self.positive),
            "predictions": self.predictions,
            "sensitive": list(self.sensitive),
            "reference": self.reference,
            "alpha": self.alpha,
            "correction": self.correction,
            "confidence": self.confidence,
            "min_rows": self.min_rows,
            "n_boot": self.n_boot,
            "notes": list(self.notes),
            "periods": [{k: _jsonable(v) for k, v in row.items()}
                        for row in self.periods.astype(object).to_dict(orient="records")],
            "by_group": by_group,
        }


# ---------------------------------------------------------------- splitting by period


def _parse_times(column: pd.Series) -> pd.Series:
    """A timestamp column as naive datetimes (UTC for time-zone-aware values)."""
    name = column.name
    if column.isna().any():
        first = column.index[column.isna().to_numpy()][0]
        raise MissingValueError(
            f"time column {name!r} has {int(column.isna().sum())} missing value(s) "
            f"(first at row index {first}); fill or remove those rows first"
        )
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        raise InvalidInputError(
            f"time column {name!r} holds numbers, not timestamps; write dates as text "
            "(2024-03-31) or as a datetime column"
        )
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    text = column.astype(str)
    parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        examples = ", ".join(repr(v) for v in pd.unique(text[bad])[:3])
        raise InvalidInputError(
            f"time column {name!r} has {int(bad.sum())} value(s) that are not timestamps "
            f"({examples}; first at row index {column.index[bad][0]})"
        )
    return parsed.dt.tz_localize(None)


def _split_by_time(
    df: pd.DataFrame, time_column: str | None, period: str
) -> tuple[list[tuple[str, pd.DataFrame]], str]:
    """The table's rows per period, every period from the first to the last (empty ones too)."""
    if time_column is None:
        raise InvalidInputError(
            "a single table is split by period through its timestamps: name the column with "
            "time_column= (--time-column), or pass one table per period"
        )
    if time_column not in df.columns:
        raise UnknownColumnError(
            f"time column {time_column!r} not in the table; columns are: "
            f"{', '.join(map(str, df.columns))}"
        )
    if len(df) == 0:
        raise EmptyInputError("the table has no rows")
    times = _parse_times(df[time_column])
    stamps = times.dt.to_period(PERIODS[period])
    labels = pd.period_range(stamps.min(), stamps.max(), freq=PERIODS[period])
    codes = pd.Categorical(stamps, categories=labels).codes
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    frames = [(str(label), df.iloc[order[bounds[i]:bounds[i + 1]]])
              for i, label in enumerate(labels)]
    note = (f"periods: {period} of time column {time_column!r}, {labels[0]} to {labels[-1]} "
            f"({len(labels)} periods)")
    return frames, note


def _split(
    data: Any, time_column: str | None, period: str
) -> tuple[list[tuple[str, pd.DataFrame]], str]:
    """(label, frame) per period from a table with timestamps, a dict or a list of tables."""
    if period not in PERIODS:
        raise InvalidInputError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    if isinstance(data, pd.DataFrame):
        return _split_by_time(data, time_column, period)
    if isinstance(data, Mapping):
        items = [(str(k), v) for k, v in data.items()]
        how = "periods: the keys of the tables given"
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        items = [(str(i), v) for i, v in enumerate(data)]
        how = "periods: the positions 0, 1, ... of the tables given"
    else:
        raise InvalidInputError(
            "monitor takes a DataFrame with a time column, a dict of period -> DataFrame or a "
            f"list of DataFrames, got {type(data).__name__}"
        )
    if not items:
        raise EmptyInputError("no periods given")
    if len({k for k, _ in items}) != len(items):
        raise InvalidInputError("two periods have the same label")
    for label, frame in items:
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError(
                f"period {label!r} is a {type(frame).__name__}, not a pandas DataFrame"
            )
    if time_column is not None:
        raise InvalidInputError("time_column splits one table; the tables given are the periods")
    return items, how


# ---------------------------------------------------------------- the monitor


@dataclass
class _Period:
    label: str
    rows: int
    audit: AuditResult | None
    cells: Cells | None


def _audit_period(label: str, frame: pd.DataFrame, options: dict[str, Any]) -> _Period:
    if len(frame) == 0:
        return _Period(label, 0, None, None)
    try:
        result = audit_frame(frame, **options)
    except FairpoolError as exc:
        raise type(exc)(f"period {label}: {exc.args[0] if exc.args else exc}") from None
    return _Period(label, len(frame), result, Cells.from_audit(result.by_group))


def _encode(
    items: list[tuple[str, pd.DataFrame]], target: str, pred: str, pos_label: Any,
    threshold: float | None,
) -> tuple[list[tuple[str, pd.DataFrame]], Any, str]:
    """Every period's target and predictions as 0/1, read once over all periods.

    A period may hold one target value only; reading the coding over all rows makes
    every period count the same positive value and read predictions the same way.
    """
    filled = [(k, f) for k, f in items if len(f)]
    if not filled:
        raise EmptyInputError("every period is empty")
    for label, frame in filled:
        for col in (target, pred):
            if col not in frame.columns:
                raise UnknownColumnError(
                    f"period {label}: column {col!r} not in the table; columns are: "
                    f"{', '.join(map(str, frame.columns))}"
                )
    y_all = pd.concat([f[target] for _, f in filled], ignore_index=True).rename(target)
    p_all = pd.concat([f[pred] for _, f in filled], ignore_index=True).rename(pred)
    labels = encode_target(y_all, pos_label)
    y_pred, how = encode_predictions(p_all, labels, target=target, threshold=threshold)
    out, start = [], 0
    for label, frame in items:
        stop = start + len(frame)
        if len(frame):
            frame = frame.assign(**{target: labels.y[start:stop].astype(np.int64),
                                    pred: np.asarray(y_pred[start:stop], dtype=np.int64)})
        out.append((label, frame))
        start = stop
    return out, labels.positive, how


def _change(
    period: _Period, ref: _Period, which: Literal["dp", "eo"]
) -> tuple[float, float, float]:
    """(stat, df, p) of the change of ``which`` against the reference; NaN when undefined."""
    assert period.cells is not None and ref.cells is not None
    index_t = period.audit.by_group.index  # type: ignore[union-attr]
    index_r = ref.audit.by_group.index  # type: ignore[union-attr]
    common = index_t.intersection(index_r, sort=False)
    at_t, at_r = index_t.get_indexer(common), index_r.get_indexer(common)
    c_t, c_r = period.cells, ref.cells

    def pick(x: np.ndarray, n: np.ndarray, y: np.ndarray, m: np.ndarray) -> tuple | None:
        keep = (n[at_t] > 0) & (m[at_r] > 0)
        if keep.sum() < 2:
            return None
        return x[at_t][keep], n[at_t][keep], y[at_r][keep], m[at_r][keep]

    if which == "dp":
        block = pick(c_t.tp + c_t.fp, c_t.n1 + c_t.n0, c_r.tp + c_r.fp, c_r.n1 + c_r.n0)
        if block is None:
            return math.nan, math.nan, math.nan
        stat, df, p = disparity_change_test(*block)
    else:
        positives = pick(c_t.tp, c_t.n1, c_r.tp, c_r.n1)
        negatives = pick(c_t.fp, c_t.n0, c_r.fp, c_r.n0)
        blocks = [b for b in (positives, negatives) if b is not None]
        if not blocks:
            return math.nan, math.nan, math.nan
        extra = {} if len(blocks) == 1 else dict(zip(("x_t0", "n_t0", "x_r0", "n_r0"),
                                                     blocks[1], strict=True))
        stat, df, p = disparity_change_test(*blocks[0], **extra)
    return float(stat), float(df), float(p)


def _choose_reference(periods: list[_Period], reference: str) -> tuple[int, str]:
    usable = [i for i, p in enumerate(periods)
              if p.audit is not None and len(p.audit.by_group) >= 2]
    if reference == "first":
        if not usable:
            raise InvalidInputError(
                "no period has rows of two groups or more, so there is no reference period "
                "to compare with"
            )
        i = usable[0]
        skipped = "" if i == 0 else " (the earlier periods are empty or hold one group)"
        return i, f"reference period: {periods[i].label}, the first with two groups{skipped}"
    labels = [p.label for p in periods]
    if str(reference) not in labels:
        shown = ", ".join(labels[:12]) + (", ..." if len(labels) > 12 else "")
        raise UnknownNameError(f"reference period {reference!r} is not a period; periods are: "
                               f"{shown}")
    i = labels.index(str(reference))
    if i not in usable:
        raise InvalidInputError(
            f"reference period {reference!r} has {periods[i].rows} rows and "
            f"{0 if periods[i].audit is None else len(periods[i].audit.by_group)} group(s); "
            "a reference needs rows of two groups or more"
        )
    return i, f"reference period: {periods[i].label}"


def monitor(
    data: pd.DataFrame | Mapping[Any, pd.DataFrame] | Sequence[pd.DataFrame],
    *,
    target: str,
    sensitive: str | list[str],
    pred: str,
    time_column: str | None = None,
    period: str = "month",
    reference: str = "first",
    alpha: float = 0.05,
    correction: str = "none",
    confidence: float = 0.95,
    min_rows: int = 100,
    min_support: int = 30,
    n_boot: int = 1000,
    random_state: int = 0,
    pos_label: Any = None,
    threshold: float | None = None,
    missing: str = "error",
) -> MonitorResult:
    """Audit a model's predictions per period and flag periods whose disparity moved.

    Parameters
    ----------
    data : DataFrame, dict of label -> DataFrame, or list of DataFrames
        One table with a timestamp column (``time_column``), split by ``period``
        (every period from the first to the last, empty ones included); or one
        table per period, labelled by the dict's keys or the list's positions.
    target, sensitive, pred
        Columns, as for :func:`~fairpool.audit.audit_frame` (``pred`` is required).
    time_column : str, optional
        The timestamp column of a single table: datetimes, or text pandas parses
        (ISO 8601 and the like; time zones are converted to UTC).
    period : {"day", "week", "month", "quarter", "year"}, default "month"
        Calendar periods (pandas ``Period``; weeks end on Sunday).
    reference : str, default "first"
        The period every other is compared with: ``"first"`` (the first period
        with rows of two groups or more) or a period's label (``"2013-04"``,
        ``"2013Q2"``, a dict key).
    alpha : float, default 0.05
        Level of the change test: ``dp_changed`` / ``eo_changed`` when its p-value
        (Holm-adjusted with ``correction="holm"``) is below it.
    correction : {"none", "holm"}, default "none"
        ``"holm"`` controls the chance of any false flag over all the periods
        compared (Holm 1979); ``"none"`` tests each period on its own, so that
        adding a period later does not change earlier flags.
    confidence : float, default 0.95
        Level of the Wilson and bootstrap intervals.
    min_rows : int, default 100
        Periods with fewer rows are flagged ``small``.
    min_support : int, default 30
        Groups with fewer rows in a period are flagged (as in the audit).
    n_boot : int, default 1000
        Bootstrap replicates per period.
    random_state : int, default 0
        Seed of the bootstrap (period ``i`` uses a stream spawned from it).
    pos_label, threshold, missing
        As for :func:`~fairpool.audit.audit_frame`; the positive value is read once
        over all periods so every period counts the same value.

    Returns
    -------
    MonitorResult

    Raises
    ------
    UnknownColumnError
        If a named column (``time_column`` included) is not in the table.
    InvalidInputError
        On an unknown ``period`` or ``correction``, timestamps that do not parse
        (the message shows some), a numeric time column, a reference period
        with fewer than two groups, options out of range; and whatever
        :func:`audit_frame` raises for a period (the message names the period).
    MissingValueError
        If the time column, target or predictions have missing values.
    UnknownNameError
        If ``reference`` names no period.
    EmptyInputError
        If there are no rows or no periods.
    """
    if not isinstance(pred, str):
        raise InvalidInputError("monitoring audits a model's predictions: name them with "
                                "pred= (--pred)")
    if correction not in ("none", "holm"):
        raise InvalidInputError(f"correction must be 'none' or 'holm', got {correction!r}")
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha!r}")
    for name, value in (("min_rows", min_rows), ("n_boot", n_boot)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    items, how = _split(data, time_column, period)
    items, positive, how_read = _encode(items, target, pred, pos_label, threshold)
    options = {"target": target, "sensitive": sensitive, "pred": pred, "missing": missing,
               "min_support": min_support, "confidence": confidence}
    periods = [_audit_period(label, frame, options) for label, frame in items]
    ref_at, ref_note = _choose_reference(periods, str(reference))
    ref = periods[ref_at]
    ref_values = dict(zip(ref.audit.headline["key"], ref.audit.headline["value"],  # type: ignore
                          strict=True))
    seeds = np.random.SeedSequence(random_state).spawn(len(periods))
    draws: list[dict[str, np.ndarray] | None] = [
        None if p.cells is None or len(p.cells.n1) < 2
        else bootstrap_disparities(p.cells, n_boot, np.random.default_rng(s))
        for p, s in zip(periods, seeds, strict=True)
    ]

    rows, groups = [], []
    for i, p in enumerate(periods):
        row: dict[str, Any] = {"period": p.label, "rows": p.rows,
                               "groups": 0 if p.audit is None else len(p.audit.by_group)}
        flags = []
        if p.audit is None:
            flags.append("no rows")
        elif p.rows < min_rows:
            flags.append(f"fewer than {min_rows} rows")
        if p.audit is not None and row["groups"] < 2:
            flags.append("one group: no disparity")
        base_rate = math.nan
        if p.audit is not None:
            small = int(p.audit.by_group["small"].sum())
            if small:
                flags.append(f"{small} group(s) under {min_support} rows")
            positives = float(p.cells.n1.sum())  # type: ignore[union-attr]
            base_rate = positives / p.rows
            if positives in (0, p.rows):
                flags.append("no rows with y = " + ("1: TPR" if positives == 0 else "0: FPR")
                             + " undefined")
        row["base_rate"] = base_rate
        accuracy = math.nan if p.audit is None else float(p.audit.summary["overall_accuracy"])
        low, high = (math.nan, math.nan) if p.audit is None else (
            float(v[0]) for v in wilson_interval(np.array([round(accuracy * p.rows)]),
                                         np.array([p.rows]), confidence))
        row.update(accuracy=accuracy, accuracy_ci_low=low, accuracy_ci_high=high)
        values = (dict.fromkeys(DISPARITIES, math.nan) if p.audit is None else
                  {k: float(v) for k, v in zip(p.audit.headline["key"],
                                               p.audit.headline["value"], strict=True)})
        for name in DISPARITIES:
            ci = (math.nan, math.nan) if draws[i] is None else scalar_interval(draws[i][name],
                                                                           confidence)
            row.update({name: values[name], f"{name}_ci_low": ci[0], f"{name}_ci_high": ci[1]})
        for short, name in (("dp", "demographic_parity_difference"),
                            ("eo", "equalized_odds_difference")):
            change = stat = df = pval = math.nan
            ci = (math.nan, math.nan)
            if i != ref_at and p.audit is not None and row["groups"] >= 2:
                stat, df, pval = _change(p, ref, short)  # type: ignore[arg-type]
                change = row[name] - ref_values[name]
                if draws[i] is not None:
                    ci = scalar_interval(draws[i][name] - draws[ref_at][name], confidence)
            row.update({f"{short}_change": change, f"{short}_change_ci_low": ci[0],
                        f"{short}_change_ci_high": ci[1], f"{short}_change_stat": stat,
                        f"{short}_change_df": df, f"{short}_change_p": pval})
        row["small"] = p.rows < min_rows
        row["flag"] = flags
        rows.append(row)
        if p.audit is not None:
            frame = p.audit.by_group[list(_GROUP_COLUMNS)].copy()
            keys = [g if isinstance(g, tuple) else (g,) for g in frame.index]
            front = pd.DataFrame(keys, columns=sensitive, dtype=object)
            front.insert(0, "period", p.label)
            groups.append(pd.concat([front, frame.reset_index(drop=True)], axis=1))

    table = pd.DataFrame(rows)
    for short in ("dp", "eo"):
        p_values = table[f"{short}_change_p"].to_numpy(dtype=np.float64)
        decided = holm_adjusted(p_values) if correction == "holm" else p_values
        table[f"{short}_changed"] = np.where(np.isnan(decided), False, decided < alpha)
    order = [c for c in table.columns if c not in ("small", "flag", "dp_changed", "eo_changed")]
    for short in ("dp", "eo"):
        order.insert(order.index(f"{short}_change_p") + 1, f"{short}_changed")
    table = table[[*order, "small", "flag"]]
    word = {"dp": "demographic parity", "eo": "equalized odds"}
    table["flag"] = [
        "; ".join(["reference"] * (i == ref_at) + list(f) + [
            f"{word[s]} moved (p = {table.at[i, f'{s}_change_p']:.2g})"
            for s in ("dp", "eo") if table.at[i, f"{s}_changed"]])
        for i, f in enumerate(table["flag"])
    ]
    by_group = (pd.concat(groups, ignore_index=True) if groups else
                pd.DataFrame(columns=["period", *sensitive, *_GROUP_COLUMNS]))
    notes = (how, ref_note, f"change test: Wald chi-square on the groups' contrasts, "
             f"alpha {alpha}, correction {correction}")
    return MonitorResult(
        periods=table, by_group=by_group, reference=ref.label, target=target, positive=positive,
        sensitive=tuple(sensitive), predictions=how_read, alpha=float(alpha),
        correction=correction, confidence=float(confidence), min_rows=int(min_rows),
        n_boot=int(n_boot), notes=notes,
    )


def monitor_file(
    path: str | Path,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str,
    time_column: str | None = None,
    sep: str | None = None,
    **options: Any,
) -> MonitorResult:
    """Read a CSV or Parquet file and :func:`monitor` it by period of a timestamp column.

    Parameters
    ----------
    path : str or Path
        The file (see :func:`~fairpool.datasets.read_table`).
    target, sensitive, pred, time_column
        As for :func:`monitor`. Without ``time_column`` the one column that holds
        timestamps is used (a datetime column, or text whose first 200 values
        parse as ISO 8601 dates); none or several is an error naming them.
    sep : str, optional
        The CSV delimiter; detected when not given.
    **options
        The other keywords of :func:`monitor`.

    Returns
    -------
    MonitorResult

    Raises
    ------
    InvalidInputError
        If no ``time_column`` is given and not exactly one column holds timestamps;
        and whatever :func:`read_table` and :func:`monitor` raise.
    """
    df = read_table(path, sep=sep)
    note = None
    if time_column is None:
        taken = {target, pred, *([sensitive] if isinstance(sensitive, str) else sensitive)}
        found = [c for c in df.columns if c not in taken and _looks_like_time(df[c])]
        if len(found) != 1:
            what = ("no column holds timestamps" if not found else
                    f"several columns hold timestamps ({', '.join(map(repr, found))})")
            raise InvalidInputError(f"{what}; name the one to split by with --time-column COL "
                                    "(time_column= in Python)")
        time_column, note = found[0], f"time column {found[0]!r} detected"
    result = monitor(df, target=target, sensitive=sensitive, pred=pred, time_column=time_column,
                     **options)
    if note is None:
        return result
    from dataclasses import replace

    return replace(result, notes=(note, *result.notes))


def _looks_like_time(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return False
    sample = column.dropna().astype(str).head(200)
    if sample.empty:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
    return bool(parsed.notna().all())
