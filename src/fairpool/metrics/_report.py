"""Group reports: every rate of every group in one table, for people and for the CLI.

:func:`group_report` audits a model's predictions, :func:`data_report` a
dataset's labels before any model exists. Both count one contingency table and
render as a pandas DataFrame, Markdown, a rich Table (``rich.print(report)``)
or a JSON-ready dict (``fairpool audit``).

Groups are labelled by their values: one column gives a plain index of names,
several columns a :class:`pandas.MultiIndex` of tuples, so the intersections
(``"a|b"``, ``"c"``) and (``"a"``, ``"b|c"``) stay two groups. Where a flat string
is needed (``to_dict`` keys, Markdown, rich) a tuple is joined with ``"|"`` after
escaping ``"\\"`` and ``"|"`` inside each value (``"a\\|b|c"`` and ``"a|b\\|c"``).

Reports describe; they do not raise on undefined quantities. A rate that is
undefined for a group is NaN in ``by_group`` (and ``None`` in ``to_dict``), a
difference or ratio with fewer than two defined groups is NaN, and a ratio of
all-zero rates is 1.0 -- the same values the disparity functions return, minus
their warnings and errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.errors import InvalidInputError
from fairpool.metrics._contingency import (
    GroupedTable,
    check_group_codes,
    group_key,
    grouped_table,
)
from fairpool.metrics._rates import RATE_NAMES, rates_from_confusion
from fairpool.metrics._spread import METHODS, Method
from fairpool.metrics._validation import check_option

__all__ = ["DataReport", "GroupReport", "data_report", "group_report"]


def _grouped(
    columns: list[tuple[str, Any]], sensitive_features: Any, sample_weight: Any, group_names: Any
) -> tuple[GroupedTable, pd.Index]:
    """Count ``columns`` per group (:func:`grouped_table`) and build the report's group index.

    The index holds the group names; for intersections a MultiIndex of value tuples
    (the shared encoder's ``"|"``-joined names can collide: ``"a|b"`` + ``"c"`` and
    ``"a"`` + ``"b|c"``); with ``group_names``, ``group_names[code]``.
    """
    _check_group_names(group_names, sensitive_features)
    grouped = grouped_table(columns, sensitive_features, sample_weight)
    encoded = grouped.groups
    if group_names is None:
        return grouped, encoded.index
    names = list(group_names)
    values = [names[int(code)] for code in encoded.names]
    if values and all(isinstance(v, tuple) for v in values):
        level_names = group_names.names if isinstance(group_names, pd.MultiIndex) else None
        return grouped, pd.MultiIndex.from_tuples(values, names=level_names)
    return grouped, pd.Index([str(v) for v in values], name=encoded.label, dtype=object)


def _check_group_names(group_names: Any, sensitive_features: Any) -> None:
    """``group_names`` must name every integer code of a single column, once each."""
    if group_names is None:
        return
    if isinstance(group_names, str) or not hasattr(group_names, "__len__"):
        raise InvalidInputError(
            f"group_names must be a sequence of names, one per group code, got {group_names!r}"
        )
    names = list(group_names)
    if not names:
        raise InvalidInputError("group_names is empty; it needs one name per group code")
    if len({group_key(n) if isinstance(n, tuple) else str(n) for n in names}) != len(names):
        raise InvalidInputError(f"group_names repeats a name: {names}")
    check_group_codes(sensitive_features, len(names), "sensitive_features (with group_names)")


def _flat_index(index: pd.Index) -> pd.Index:
    """``index`` with each group as its :func:`group_key`, named by the joined feature names."""
    if isinstance(index, pd.MultiIndex):
        label = "|".join(str(n) for n in index.names if n is not None)
    else:
        label = index.name
    return pd.Index([group_key(g) for g in index], name=label, dtype=object)


def _groups_dict(index: pd.Index) -> dict[str, Any]:
    """The JSON-ready description of a report's groups (keys, label, features, values)."""
    flat = _flat_index(index)
    several = isinstance(index, pd.MultiIndex)
    return {
        "groups": list(flat),
        "group_label": str(flat.name),
        "group_features": [None if n is None else str(n) for n in index.names],
        "group_values": [[_plain(v) for v in g] if several else [_plain(g)] for g in index],
    }


def _rows_dict(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each group's row by its :func:`group_key` (object rows keep ``count`` an int)."""
    return {
        group_key(g): {k: _plain(v) for k, v in row.items()}
        for g, row in frame.astype(object).iterrows()
    }


def _quiet_difference(values: pd.Series, overall: float, method: str) -> float:
    defined = values.dropna().to_numpy(dtype=np.float64)
    if defined.size < 2 or (method == "to_overall" and math.isnan(overall)):
        return math.nan
    if method == "between_groups":
        return float(defined.max() - defined.min())
    return float(np.abs(defined - overall).max())


def _quiet_ratio(values: pd.Series, overall: float, method: str) -> float:
    defined = values.dropna().to_numpy(dtype=np.float64)
    if defined.size < 2 or (method == "to_overall" and math.isnan(overall)):
        return math.nan
    if method == "between_groups":
        top = defined.max()
        return 1.0 if top == 0 else float(defined.min() / top)
    if overall == 0:
        return 1.0
    relative = defined / overall
    with np.errstate(divide="ignore"):
        return float(np.where(relative > 1, 1 / relative, relative).min())


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy scalars to Python, NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _markdown(frame: pd.DataFrame, digits: int) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` with its index as the first column."""
    def escape(text: str) -> str:  # "|" joins intersection names but splits Markdown cells
        return text.replace("|", "\\|")

    header = [escape(str(frame.index.name or ""))] + [escape(str(c)) for c in frame.columns]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---"] + ["---:"] * len(frame.columns)) + "|",
    ]
    for label, row in frame.iterrows():
        cells = [escape(str(label))] + [escape(_cell(v, digits)) for v in row.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rich_table(frame: pd.DataFrame, title: str, digits: int, split_before: int | None) -> Any:
    from rich.table import Table

    table = Table(title=title)
    table.add_column(str(frame.index.name or ""), style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for i, (label, row) in enumerate(frame.iterrows()):
        table.add_row(
            str(label), *(_cell(v, digits) for v in row.tolist()),
            end_section=split_before is not None and i == split_before - 1,
        )
    return table


@dataclass(frozen=True)
class GroupReport:
    """Counts and rates of a binary classifier for every group and overall.

    Attributes
    ----------
    overall : pandas.Series
        ``count`` and every rate of :data:`fairpool.metrics.RATE_NAMES` over all rows.
    by_group : pandas.DataFrame
        One row per group, the same columns; undefined rates are NaN. The index
        holds the group names, or for intersections a :class:`pandas.MultiIndex`
        of value tuples named by the sensitive columns.
    """

    overall: pd.Series
    by_group: pd.DataFrame

    #: A group's flat, collision-free name: :func:`group_key` (``"a\\|b|c"`` for ("a|b", "c")).
    group_key = staticmethod(group_key)

    @property
    def rates(self) -> list[str]:
        """The rate columns (every column but ``count``)."""
        return [c for c in self.by_group.columns if c != "count"]

    def difference(self, method: Method = "between_groups") -> pd.Series:
        """Largest gap of each rate between groups, or to the overall value.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default "between_groups"
            ``max - min`` over groups, or ``max |group - overall|``.

        Returns
        -------
        pandas.Series
            One value per rate; NaN if fewer than two groups define the rate.
            The ``selection_rate`` entry is the demographic parity difference,
            ``tpr`` the equal opportunity difference.
        """
        check_option(method, "method", METHODS)
        return pd.Series(
            {r: _quiet_difference(self.by_group[r], self.overall[r], method) for r in self.rates},
            name="difference",
        )

    def ratio(self, method: Method = "between_groups") -> pd.Series:
        """Smallest ratio of each rate between groups, or to the overall value (at most 1).

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default "between_groups"
            ``min / max`` over groups, or ``min(group / overall, overall / group)``.

        Returns
        -------
        pandas.Series
            One value per rate; NaN if fewer than two groups define the rate,
            1.0 if the rate is 0 in every group.
        """
        check_option(method, "method", METHODS)
        return pd.Series(
            {r: _quiet_ratio(self.by_group[r], self.overall[r], method) for r in self.rates},
            name="ratio",
        )

    def to_frame(self) -> pd.DataFrame:
        """``by_group`` followed by rows ``overall``, ``difference`` and ``ratio``.

        Intersections are flattened to their :func:`group_key` (``"F|a"``).
        """
        summary = pd.DataFrame(
            [dict(self.overall), {"count": "", **self.difference()},
             {"count": "", **self.ratio()}],
            index=["overall", "difference", "ratio"], dtype=object,
        )
        index = _flat_index(self.by_group.index)
        frame = pd.concat([self.by_group.astype(object).set_axis(index), summary])
        frame.index.name = index.name
        return frame

    def to_markdown(self, digits: int = 3) -> str:
        """The report as a Markdown table (groups, then overall, difference, ratio)."""
        return _markdown(self.to_frame(), digits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the report; NaN is None.

        Returns
        -------
        dict
            ``groups`` (each group's :func:`group_key`, the keys of ``by_group``),
            ``group_label``, ``group_features`` (the sensitive columns),
            ``group_values`` (each group's values, one per feature), ``overall``,
            ``by_group``, ``difference`` and ``ratio``.
        """
        return {
            **_groups_dict(self.by_group.index),
            "overall": {k: _plain(v) for k, v in self.overall.items()},
            "by_group": _rows_dict(self.by_group),
            "difference": {k: _plain(v) for k, v in self.difference().items()},
            "ratio": {k: _plain(v) for k, v in self.ratio().items()},
        }

    def __rich__(self) -> Any:
        """A rich Table of the report, for ``rich.print(report)``."""
        return _rich_table(self.to_frame(), "Group report", 3, len(self.by_group))


def group_report(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    group_names: Any = None,
) -> GroupReport:
    """Count, selection rate, TPR, FPR, FNR, error rate, accuracy, precision, recall, F1 per group.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights for the rates; ``count`` stays the number of rows.
    group_names : sequence, optional
        The name of each integer group code, when ``sensitive_features`` holds
        codes ``0 .. len(group_names) - 1`` (a :class:`~fairpool.datasets.Dataset`'s
        ``groups`` and ``group_names``). Tuples give a MultiIndex.

    Returns
    -------
    GroupReport
        ``by_group`` is indexed by group name; several sensitive columns give a
        MultiIndex of value tuples, so no two intersections share a name.

    Raises
    ------
    EmptyInputError, LengthMismatchError, MissingValueError, NonBinaryLabelError
        On bad input, naming the argument.
    InvalidInputError
        If ``group_names`` repeats a name or ``sensitive_features`` holds values
        that are not codes into it.

    Examples
    --------
    >>> report = group_report([1, 0, 1, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"])
    >>> report.by_group[["count", "selection_rate", "tpr"]]  # doctest: +NORMALIZE_WHITESPACE
                         count  selection_rate  tpr
    sensitive_feature_0
    a                        2             1.0  1.0
    b                        2             0.5  0.5
    >>> float(report.difference()["selection_rate"])
    0.5
    >>> codes_report = group_report([1, 0, 1], [1, 0, 0], sensitive_features=[1, 0, 1],
    ...                             group_names=["Female", "Male"])
    >>> list(codes_report.by_group.index)
    ['Female', 'Male']
    """
    grouped, index = _grouped(
        [("y_true", y_true), ("y_pred", y_pred)], sensitive_features, sample_weight, group_names
    )
    codes, groups = grouped.groups.codes, grouped.groups
    counts = np.bincount(codes, minlength=groups.n_groups).astype(np.int64)
    by_group = pd.DataFrame(rates_from_confusion(grouped.table), index=index)
    by_group.insert(0, "count", counts)
    overall_rates = rates_from_confusion(grouped.table.sum(axis=0))
    overall = pd.Series(
        {"count": int(codes.shape[0]), **{r: float(overall_rates[r]) for r in RATE_NAMES}},
        name="overall", dtype=object,
    )
    return GroupReport(overall=overall, by_group=by_group)


@dataclass(frozen=True)
class DataReport:
    """Representation and base rate of every group of a labelled dataset.

    Attributes
    ----------
    overall : pandas.Series
        ``count``, ``share`` (1.0) and ``base_rate`` P(y=1) over all rows.
    by_group : pandas.DataFrame
        Per group: ``count`` (rows), ``share`` of the rows (of the total weight
        when weighted) and ``base_rate`` P(y=1 | group).
    gaps : dict of str to float
        ``share_ratio`` (smallest over largest share), ``share_difference``,
        ``base_rate_difference`` (largest minus smallest base rate) and
        ``base_rate_ratio`` (smallest over largest; 1.0 if all are 0).
    """

    overall: pd.Series
    by_group: pd.DataFrame
    gaps: dict[str, float]

    #: A group's flat, collision-free name, as :attr:`GroupReport.group_key`.
    group_key = staticmethod(group_key)

    @property
    def summary(self) -> dict[str, Any]:
        """Flat dict: ``n``, ``n_groups``, ``overall_base_rate`` and the gaps."""
        return {
            "n": int(self.overall["count"]),
            "n_groups": len(self.by_group),
            "overall_base_rate": float(self.overall["base_rate"]),
            **self.gaps,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the report; NaN is None.

        Returns
        -------
        dict
            ``groups``, ``group_label``, ``group_features``, ``group_values`` (as in
            :meth:`GroupReport.to_dict`), ``overall``, ``by_group`` and ``gaps``.
        """
        return {
            **_groups_dict(self.by_group.index),
            "overall": {k: _plain(v) for k, v in self.overall.items()},
            "by_group": _rows_dict(self.by_group),
            "gaps": {k: _plain(v) for k, v in self.gaps.items()},
        }

    def to_frame(self) -> pd.DataFrame:
        """``by_group`` followed by the ``overall`` row (intersections as their group key)."""
        index = _flat_index(self.by_group.index)
        frame = pd.concat([
            self.by_group.astype(object).set_axis(index),
            self.overall.to_frame().T.astype(object),
        ])
        frame.index.name = index.name
        return frame

    def to_markdown(self, digits: int = 3) -> str:
        """The report as Markdown: the per-group table, then the gaps."""
        gaps = "\n".join(f"- {k}: {_cell(v, digits)}" for k, v in self.gaps.items())
        return _markdown(self.to_frame(), digits) + "\n\n" + gaps

    def __rich__(self) -> Any:
        """A rich Table of the report, for ``rich.print(report)``."""
        caption = ", ".join(f"{k} {_cell(v, 3)}" for k, v in self.gaps.items())
        table = _rich_table(self.to_frame(), "Data report", 3, len(self.by_group))
        table.caption = caption
        return table


def data_report(
    y_true: Any, *, sensitive_features: Any, sample_weight: Any = None, group_names: Any = None
) -> DataReport:
    """Audit a labelled dataset without predictions: who is in it, and how often y = 1.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels (0/1 or bool).
    sensitive_features : array-like, DataFrame, dict or list of columns
        Group membership; several columns mean intersectional groups.
    sample_weight : array-like of shape (n,), optional
        Non-negative row weights for shares and base rates.
    group_names : sequence, optional
        The name of each integer group code, as for :func:`group_report`.

    Returns
    -------
    DataReport
        ``by_group`` is indexed like :attr:`GroupReport.by_group`.

    Raises
    ------
    EmptyInputError, LengthMismatchError, MissingValueError, NonBinaryLabelError
        On bad input, naming the argument.
    InvalidInputError
        If ``group_names`` repeats a name or does not cover the group codes.

    Examples
    --------
    >>> report = data_report([1, 0, 0, 1, 1, 1], sensitive_features=["a", "a", "a", "b", "b", "b"])
    >>> report.by_group  # doctest: +NORMALIZE_WHITESPACE
                         count  share  base_rate
    sensitive_feature_0
    a                        3    0.5   0.333333
    b                        3    0.5   1.000000
    >>> round(report.gaps["base_rate_difference"], 4)
    0.6667
    """
    grouped, index = _grouped([("y_true", y_true)], sensitive_features, sample_weight,
                              group_names)
    table, groups = grouped.table, grouped.groups
    weight = table.sum(axis=1)
    total = float(weight.sum())
    share = weight / total
    with np.errstate(invalid="ignore", divide="ignore"):
        base_rate = np.where(weight > 0, table[:, 1] / np.where(weight > 0, weight, 1), np.nan)
    counts = np.bincount(groups.codes, minlength=groups.n_groups).astype(np.int64)
    by_group = pd.DataFrame(
        {"count": counts, "share": share, "base_rate": base_rate}, index=index
    )
    overall_base = float(table[:, 1].sum() / total)
    overall = pd.Series(
        {"count": int(groups.codes.shape[0]), "share": 1.0, "base_rate": overall_base},
        name="overall", dtype=object,
    )
    gaps = {
        "share_ratio": _quiet_ratio(by_group["share"], 1.0, "between_groups"),
        "share_difference": _quiet_difference(by_group["share"], 1.0, "between_groups"),
        "base_rate_difference": _quiet_difference(by_group["base_rate"], overall_base,
                                                  "between_groups"),
        "base_rate_ratio": _quiet_ratio(by_group["base_rate"], overall_base, "between_groups"),
    }
    return DataReport(overall=overall, by_group=by_group, gaps=gaps)
