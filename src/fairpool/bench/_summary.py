"""Final-budget summaries of stored runs: mean ± sd over seeds, and the FACA-GEN table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fairpool.bench._config import METRICS
from fairpool.errors import InvalidInputError

__all__ = [
    "GROUP_COLUMNS",
    "FACAGEN_METRICS",
    "summarise",
    "format_summary",
    "facagen_table",
    "present_metrics",
    "print_table",
    "print_summary",
    "SHORT_METRIC_NAMES",
    "METRIC_DISPLAY",
]

#: Columns that identify one line of a summary: seeds are averaged within it.
GROUP_COLUMNS: tuple[str, ...] = ("grid", "dataset_label", "learner_label", "strategy_label")

#: Metrics of the FACA-GEN comparison table.
FACAGEN_METRICS: tuple[str, ...] = (
    "accuracy", "f1", "demographic_parity", "equalized_odds", "ot_distance",
)

#: How each metric is shown, in one place: (terminal column, report table header,
#: figure label with the metric's direction).
METRIC_DISPLAY: dict[str, tuple[str, str, str]] = {
    "f1": ("F1", "F1 ↑", "F1 (higher is better)"),
    "accuracy": ("acc", "accuracy ↑", "accuracy (higher is better)"),
    "demographic_parity": ("DP", "DP gap, max−min ↓",
                           "demographic parity gap, max − min over groups (lower is fairer)"),
    "demographic_parity_to_overall": (
        "DPo", "DP gap, vs overall ↓",
        "demographic parity, largest |group − overall| (PANDA's; lower is fairer)"),
    "equalized_odds": ("EO", "EO gap, max−min ↓",
                       "equalized odds gap, max − min over groups (lower is fairer)"),
    "equalized_odds_to_overall": (
        "EOo", "EO gap, vs overall ↓",
        "equalized odds, largest |group − overall| per label (PANDA's; lower is fairer)"),
    "equal_opportunity": ("EOpp", "EOpp gap, max−min ↓",
                          "equal opportunity gap, max − min over groups (lower is fairer)"),
    "error_rate_balance": ("ERB", "ERB gap, FPR/FNR max−min ↓",
                           "error-rate balance: FPR/FNR gap between groups (lower is fairer)"),
    "error_rate_difference": ("ERR", "error-rate gap, max−min ↓",
                              "misclassification-rate gap between groups (lower is fairer)"),
    "ot_distance": ("OT", "OT ↓",
                    "OT distance, labelled set to pool (lower is more representative)"),
}

#: Column headers of the terminal summary (its legend line spells them out).
SHORT_METRIC_NAMES: dict[str, str] = {k: v[0] for k, v in METRIC_DISPLAY.items()}

_HEADERS = {"grid": "grid", "dataset_label": "dataset", "learner_label": "learner",
            "strategy_label": "strategy"}


def present_metrics(frame: pd.DataFrame, metrics: Sequence[str] = METRICS) -> list[str]:
    """The metrics of ``metrics`` that ``frame`` has with at least one value."""
    return [m for m in metrics if m in frame.columns and frame[m].notna().any()]


def summarise(final: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Mean and sample standard deviation over seeds of each metric at the final budget.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per run at its last round (``ResultsStore.final_rounds()``).
    metrics : sequence of str
        Metrics to summarise; those absent from ``final`` are left out.

    Returns
    -------
    pandas.DataFrame
        One row per grid, dataset, learner and strategy with ``seeds`` (runs
        averaged), ``n_labelled`` and ``<metric>_mean``, ``<metric>_sd`` columns.
    """
    missing = [c for c in GROUP_COLUMNS if c not in final.columns]
    if missing:
        raise InvalidInputError(f"final-round table lacks the columns {missing}")
    metrics = present_metrics(final, metrics)
    if final.empty:
        return pd.DataFrame(columns=[*GROUP_COLUMNS, "seeds", "n_labelled"])
    grouped = final.groupby(list(GROUP_COLUMNS), sort=True, dropna=False)
    out = grouped.agg(seeds=("seed", "nunique"), n_labelled=("n_labelled", "mean"))
    for metric in metrics:
        out[f"{metric}_mean"] = grouped[metric].mean()
        out[f"{metric}_sd"] = grouped[metric].std(ddof=1)
    return out.reset_index()


def _mean_sd(mean: float, sd: float, digits: int) -> str:
    if pd.isna(mean):
        return "–"
    if pd.isna(sd):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def format_summary(
    summary: pd.DataFrame, metrics: Sequence[str] = METRICS, *, digits: int = 3
) -> pd.DataFrame:
    """A summary as display strings ``mean ± sd``, with readable column names.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarise`.
    metrics : sequence of str
        Metrics to show, in order (those not in ``summary`` are skipped).
    digits : int
        Decimals.

    Returns
    -------
    pandas.DataFrame
        All-string table.
    """
    out = pd.DataFrame({_HEADERS[c]: summary[c].astype(str) for c in GROUP_COLUMNS})
    out["seeds"] = summary["seeds"].astype(int).astype(str)
    out["labels"] = summary["n_labelled"].round().astype(int).astype(str)
    for metric in metrics:
        if f"{metric}_mean" in summary.columns:
            out[metric] = [
                _mean_sd(m, s, digits)
                for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_sd"], strict=True)
            ]
    if out["grid"].nunique() <= 1:
        out = out.drop(columns="grid")
    return out.reset_index(drop=True)


def facagen_table(final: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """The FACA-GEN comparison: every strategy run next to FACA-GEN, at the final budget.

    For each grid, dataset and learner where a ``facagen`` strategy ran, one row per
    strategy with accuracy, F1, DP, EO and the optimal-transport distance between the
    labelled set and the pool in feature space (mean ± sd over seeds), plus the relative
    change of DP and EO against the ``random`` baseline of the same block when it ran.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per run at its last round.
    digits : int
        Decimals.

    Returns
    -------
    pandas.DataFrame
        All-string table; empty when no ``facagen`` run is stored.
    """
    if final.empty or "strategy" not in final.columns:
        return pd.DataFrame()
    block = ["grid", "dataset_label", "learner_label"]
    with_facagen = final.groupby(block)["strategy"].transform(lambda s: (s == "facagen").any())
    rows = final[with_facagen.astype(bool)]
    if rows.empty:
        return pd.DataFrame()
    metrics = present_metrics(rows, FACAGEN_METRICS)
    summary = summarise(rows, metrics)
    table = format_summary(summary, metrics, digits=digits)
    strategy_of = rows.drop_duplicates("strategy_label").set_index("strategy_label")["strategy"]
    for metric, title in (("demographic_parity", "DP vs random"),
                          ("equalized_odds", "EO vs random")):
        if metric not in metrics:
            continue
        change = []
        for _, row in summary.iterrows():
            same = summary[(summary[block] == row[block]).all(axis=1)]
            base = same[same["strategy_label"].map(strategy_of) == "random"]
            ref = base[f"{metric}_mean"].iloc[0] if len(base) else np.nan
            value = row[f"{metric}_mean"]
            change.append(
                "–" if pd.isna(ref) or ref == 0 or pd.isna(value)
                else f"{100 * (value - ref) / ref:+.0f}%"
            )
        table[title] = change
    return table


def print_table(frame: pd.DataFrame, *, title: str = "", console: object | None = None) -> None:
    """Print an all-string table with rich, every cell shown literally (no markup).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    title : str
        Caption above the table.
    console : rich.console.Console, optional
        Where to print (default: stdout).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # a file or a pipe: no reason to squeeze into 80 columns
            console = Console(width=max(console.width, 200))
    table = Table(title=escape(title) if title else None)
    for col in frame.columns:
        table.add_column(escape(str(col)), overflow="fold")
    for row in frame.itertuples(index=False, name=None):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)


def print_summary(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    *,
    title: str = "",
    digits: int = 3,
    console: object | None = None,
) -> None:
    """Print a :func:`summarise` result readably in a 100-column terminal.

    One table per grid; what is the same on every line of a grid (dataset, learner,
    seeds, labels) goes into that table's title; metric headers are short
    (:data:`SHORT_METRIC_NAMES`, spelt out in a legend line below) and values are
    ``mean±sd``. The same numbers as :func:`format_summary`, laid out for a terminal.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarise`.
    metrics : sequence of str
        Metrics to show, in order.
    title : str
        Printed first.
    digits : int
        Decimals.
    console : rich.console.Console, optional
        Where to print (default: stdout, 100 columns when not a terminal).
    """
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=100)
    if title:
        console.print(title, markup=False, highlight=False)
    shown = [m for m in metrics if f"{m}_mean" in summary.columns]
    for grid, part in summary.groupby("grid", sort=False):
        part = part.reset_index(drop=True)
        fixed = {
            "dataset": part["dataset_label"], "learner": part["learner_label"],
            "seeds": part["seeds"].astype(int),
            "labels": part["n_labelled"].round().astype(int),
        }
        constant = {k: v.iloc[0] for k, v in fixed.items() if v.nunique() == 1}
        caption = ", ".join([str(grid)] + [
            f"{v} {k}" if k in ("seeds", "labels") else str(v) for k, v in constant.items()
        ])
        table = Table(title=escape(caption), box=box.SIMPLE_HEAD, pad_edge=False,
                      title_justify="left", collapse_padding=True, padding=(0, 1))
        varying = [k for k in fixed if k not in constant]
        table.add_column("strategy")
        for key in varying:
            table.add_column(key)
        for metric in shown:
            # never cut a number: a wider table folds instead (rich's default shortens it)
            table.add_column(SHORT_METRIC_NAMES.get(metric, metric), justify="right",
                             overflow="fold", min_width=2 * digits + 5)
        for i in range(len(part)):
            cells = [str(part.loc[i, "strategy_label"])]
            cells += [str(fixed[k].iloc[i]) for k in varying]
            for metric in shown:
                mean, sd = part.loc[i, f"{metric}_mean"], part.loc[i, f"{metric}_sd"]
                cells.append(_mean_sd(mean, sd, digits).replace(" ± ", "±"))
            table.add_row(*(escape(c) for c in cells))
        console.print(table)
    legend = [f"{SHORT_METRIC_NAMES[m]} = {m}" for m in shown if m in SHORT_METRIC_NAMES]
    if legend:
        console.print("; ".join(legend) + "; mean±sd over seeds at the final budget.",
                      markup=False, highlight=False)
