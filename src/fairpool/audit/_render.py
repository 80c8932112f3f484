"""Print an audit, or any table, as rich tables, JSON or CSV on stdout.

Every format leads with what a reader needs to read the numbers: which target
value is positive, how the predictions were read, the headline measures; then
the groups; then (CSV, JSON) the whole summary.
"""

from __future__ import annotations

import io
import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._audit import AuditResult, no_group
from fairpool.errors import InvalidInputError

__all__ = ["FORMATS", "check_format", "print_audit", "render_frame"]

FORMATS = ("table", "json", "csv")

#: The per-group columns the table format shows (all of them: json and csv).
_TABLE_RATES = ("base_rate", "selection_rate", "tpr", "fpr", "accuracy")
_READABLE = {"base_rate": "base rate", "selection_rate": "selection rate", "tpr": "TPR",
             "fpr": "FPR", "accuracy": "accuracy", "share": "share"}


def check_format(format: str) -> str:
    """``format`` in lower case, if it is one of table, json, csv.

    Raises
    ------
    InvalidInputError
        If it is not one of them.
    """
    chosen = format.strip().lower() if isinstance(format, str) else format
    if chosen not in FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    return chosen


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else ""
    if isinstance(value, float | np.floating):
        return "nan" if np.isnan(value) else f"{value:.4g}"
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _console() -> Any:
    from rich.console import Console

    # Off a terminal (pipes, CI logs) rich would wrap to 80 columns and cut cells.
    return Console() if sys.stdout.isatty() else Console(width=200)


def _rich_table(frame: pd.DataFrame, title: str, right: set[str] | None = None) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title) if title else None)
    for col in frame.columns:
        table.add_column(escape(str(col)), justify="right" if right and col in right else "left")
    # A user's column names and group values are data, never rich markup.
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(_fmt(v)) for v in row))
    return table


def render_frame(frame: pd.DataFrame, *, format: str = "table", title: str = "") -> None:
    """Print a DataFrame as a rich table, JSON records or CSV on stdout.

    Raises
    ------
    InvalidInputError
        If ``format`` is not table, json or csv (any case).
    """
    format = check_format(format)
    if format == "json":
        print(frame.reset_index(drop=True).to_json(orient="records", indent=2))
    elif format == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        _console().print(_rich_table(frame, title))


def _group_text(result: AuditResult, group: Any) -> str:
    """A group for a person: ``sex=F, race=a|b`` for intersections, the value otherwise."""
    if no_group(group):
        return ""
    if len(result.sensitive) == 1:
        return str(group)
    return ", ".join(f"{k}={v}" for k, v in result.group_values(group).items())


def _preamble(result: AuditResult) -> list[str]:
    """What a reader must know before the numbers, one line each."""
    n, k = result.summary["n"], result.summary["n_groups"]
    what = "Prediction audit" if result.kind == "predictions" else "Data audit"
    columns = " x ".join(repr(c) for c in result.sensitive)
    negative = "" if result.negative is None else f", negative value {result.negative!r}"
    lines = [
        f"{what}: {n} rows, {k} groups of {columns}",
        f"target {result.target!r}: positive value {result.positive!r}{negative}; "
        f"every rate counts {result.positive!r}",
    ]
    if result.predictions is not None:
        lines.append(f"predictions: {result.predictions}")
    lines += [f"note: {note}" for note in result.notes]
    return lines


def _headline_frame(result: AuditResult, group: Any) -> pd.DataFrame:
    frame = result.headline.drop(columns="key")
    for end in ("highest_group", "lowest_group"):
        frame[end] = [group(g) for g in frame[end]]
    return frame


def _summary_frame(result: AuditResult) -> pd.DataFrame:
    facts = {"kind": result.kind, "target": result.target, "positive": result.positive,
             "negative": result.negative, "predictions": result.predictions,
             "sensitive": "|".join(result.sensitive), "min_support": result.min_support,
             "confidence": result.confidence, **result.summary}
    return pd.DataFrame({"measure": list(facts), "value": pd.Series(list(facts.values()),
                                                                    dtype=object)})


def _by_group_flat(result: AuditResult) -> pd.DataFrame:
    """``by_group`` with one column per sensitive column in front."""
    frame = result.by_group.reset_index(drop=True)
    index = result.by_group.index
    values = [g if isinstance(g, tuple) else (g,) for g in index]
    groups = pd.DataFrame(values, columns=list(result.sensitive))
    return pd.concat([groups, frame], axis=1)


def _interval_text(row: pd.Series, rate: str) -> str:
    value = row[rate]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    low, high = row.get(f"{rate}_ci_low"), row.get(f"{rate}_ci_high")
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def print_audit(result: AuditResult, *, format: str = "table") -> None:
    """Print an :class:`AuditResult` on stdout.

    Parameters
    ----------
    result : AuditResult
    format : {"table", "json", "csv"}, default "table"
        Any case. ``table``: the positive value and how predictions were read,
        the headline measures, the main per-group rates with their intervals,
        and notes. ``json``: :meth:`AuditResult.to_dict`. ``csv``: ``#`` lines
        with the same facts, then three tables separated by blank lines:
        headline, per group (every column), summary.

    Raises
    ------
    InvalidInputError
        If ``format`` is not table, json or csv.
    """
    format = check_format(format)
    if format == "json":
        print(json.dumps(result.to_dict(), indent=2, default=str))  # dates and such as text
        return
    if format == "csv":
        out = io.StringIO()
        for line in _preamble(result):
            out.write(f"# {line}\n")
        from fairpool.metrics import GroupReport

        def flat(group: Any) -> str:
            return "" if no_group(group) else GroupReport.group_key(group)

        out.write(_headline_frame(result, flat).to_csv(index=False))
        out.write("\n")
        out.write(_by_group_flat(result).to_csv(index=False))
        out.write("\n")
        out.write(_summary_frame(result).to_csv(index=False))
        print(out.getvalue(), end="")
        return

    from rich.markup import escape

    console = _console()
    for line in _preamble(result):
        console.print(escape(line), highlight=False)
    headline = _headline_frame(result, lambda g: _group_text(result, g))
    shown = pd.DataFrame({
        "measure": headline["measure"],
        "value": headline["value"],
        "rate": [_READABLE.get(r, r) for r in headline["rate"]],
        "highest group (rate)": [
            "" if g == "" else f"{g} ({r:.3f})"
            for g, r in zip(headline["highest_group"], headline["highest_rate"], strict=True)
        ],
        "lowest group (rate)": [
            "" if g == "" else f"{g} ({r:.3f})"
            for g, r in zip(headline["lowest_group"], headline["lowest_rate"], strict=True)
        ],
        "flag": headline["flag"],
    })
    console.print(_rich_table(shown, "Headline", right={"value"}))
    flat = _by_group_flat(result).astype(object)
    table = flat[list(result.sensitive) + ["count"]].copy()
    table["share"] = [f"{v:.3f}" for v in flat["share"]]
    level = f"{result.confidence:.0%}"
    for rate in _TABLE_RATES:
        if rate in flat.columns:
            name = _READABLE[rate] + (f" [{level} CI]" if f"{rate}_ci_low" in flat else "")
            table[name] = [_interval_text(row, rate) for _, row in flat.iterrows()]
    table[f"small (< {result.min_support})"] = flat["small"]
    console.print(_rich_table(table, "Per group", right=set(table.columns[len(result.sensitive):])))
    console.print("every rate and interval bound: --format json or --format csv",
                  highlight=False, style="dim")
