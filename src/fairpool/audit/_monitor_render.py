"""Print a :class:`~fairpool.audit.MonitorResult` as rich tables, JSON or CSV on stdout.

rich draws the tables (through the audit's own table helper); the layout of the
readings -- per period, then per period and group -- is written here.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from fairpool.audit._monitor import MonitorResult
from fairpool.audit._render import _console, _rich_table, check_format

__all__ = ["print_monitor"]


def _interval(value: float, low: float, high: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _preamble(result: MonitorResult) -> list[str]:
    periods = result.periods
    lines = [
        f"Monitoring: {int(periods['rows'].sum())} rows in {len(periods)} periods, groups of "
        + " x ".join(repr(c) for c in result.sensitive),
        f"target {result.target!r}: positive value {result.positive!r}; every rate counts "
        f"{result.positive!r}",
    ]
    if result.predictions is not None:
        lines.append(f"predictions: {result.predictions}")
    return lines + [f"note: {n}" for n in result.notes]


def print_monitor(result: MonitorResult, *, format: str = "table") -> None:
    """Print a :class:`MonitorResult` on stdout.

    Parameters
    ----------
    result : MonitorResult
    format : {"table", "json", "csv"}, default "table"
        ``table``: the facts, then one row per period (accuracy, DP difference,
        disparate impact, equalized odds, each with its interval; the change
        tests' p-values; flags), then each period's selection rate, TPR and FPR
        per group. ``json``: :meth:`MonitorResult.to_dict`. ``csv``: ``#`` lines,
        the periods table (every column), a blank line, the per-group table.

    Raises
    ------
    InvalidInputError
        If ``format`` is not table, json or csv.
    """
    format = check_format(format)
    if format == "json":
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return
    if format == "csv":
        lines = [f"# {line}" for line in _preamble(result)]
        print("\n".join(lines))
        print(result.periods.to_csv(index=False))
        print(result.by_group.to_csv(index=False), end="")
        return
    from rich.markup import escape

    console = _console()
    for line in _preamble(result):
        console.print(escape(line), highlight=False)
    t = result.periods
    level = f"{result.confidence:.0%}"

    def column(name: str) -> list[str]:
        return [_interval(v, lo, hi) for v, lo, hi in
                zip(t[name], t[f"{name}_ci_low"], t[f"{name}_ci_high"], strict=True)]

    def p_text(p: float) -> str:
        return "" if math.isnan(p) else f"{p:.3g}"

    shown = pd.DataFrame({
        "period": t["period"], "rows": t["rows"], "groups": t["groups"],
        "base rate": ["" if math.isnan(v) else f"{v:.3f}" for v in t["base_rate"]],
        f"accuracy [{level} CI]": column("accuracy"),
        f"DP difference [{level} CI]": column("demographic_parity_difference"),
        "disparate impact": column("disparate_impact_ratio"),
        "equalized odds": column("equalized_odds_difference"),
        "DP change p": [p_text(p) for p in t["dp_change_p"]],
        "EO change p": [p_text(p) for p in t["eo_change_p"]],
        "flag": t["flag"],
    })
    console.print(_rich_table(shown, f"Per period (reference {result.reference})",
                              right={"rows", "groups", "base rate", "DP change p",
                                     "EO change p"}))
    g = result.by_group
    per_group = g[["period", *result.sensitive, "count"]].copy()
    for rate, name in (("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR")):
        per_group[f"{name} [{level} CI]"] = [
            _interval(v, lo, hi) for v, lo, hi in
            zip(g[rate], g[f"{rate}_ci_low"], g[f"{rate}_ci_high"], strict=True)]
    console.print(_rich_table(per_group, "Per period and group"))
    console.print("every column (change sizes, statistics, bootstrap bounds): --format json or "
                  "--format csv", highlight=False, style="dim")
