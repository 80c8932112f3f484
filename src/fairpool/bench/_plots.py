"""Figures of stored runs (matplotlib, drawn off-screen with the Agg canvas).

* :func:`plot_tradeoff` -- F1 against disparity at the final budget, error bars over
  seeds (PANDA's Figure 1).
* :func:`plot_learning_curves` -- each metric against the number of labels, mean and
  a ±1 sd band over seeds (PANDA's Figure 2).
* :func:`plot_group_makeup` -- which groups each strategy chose to label (stacked bars).

Every function builds a :class:`matplotlib.figure.Figure` without pyplot, so no
global backend is switched and nothing opens a window.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fairpool.bench._summary import present_metrics, summarise
from fairpool.errors import InvalidInputError

__all__ = [
    "DISPARITIES",
    "plot_tradeoff",
    "plot_learning_curves",
    "plot_group_makeup",
    "figure_png",
    "figure_svg",
    "group_makeup",
]

#: Disparity metrics drawn against F1 in the trade-off figure.
DISPARITIES: tuple[str, ...] = ("demographic_parity", "equalized_odds", "error_rate_balance")

_BLOCK = ["grid", "dataset_label", "learner_label"]
_NICE = {
    "f1": "F1",
    "accuracy": "accuracy",
    "demographic_parity": "demographic parity difference",
    "equalized_odds": "equalized odds difference",
    "error_rate_balance": "error-rate balance",
    "ot_distance": "OT distance between groups",
}


def _text(value: object) -> str:
    """A label safe for matplotlib: ``$`` would otherwise start mathtext."""
    return str(value).replace("$", r"\$")


def _blocks(frame: pd.DataFrame) -> list[tuple[tuple[str, str, str], pd.DataFrame]]:
    return [(tuple(str(v) for v in key), part)
            for key, part in frame.groupby(_BLOCK, sort=True)]


def _block_title(key: tuple[str, str, str], n_grids: int) -> str:
    grid, dataset, learner = key
    title = f"{dataset} · {learner}"
    return _text(f"{grid}: {title}" if n_grids > 1 else title)


def _colours(labels: Sequence[str]) -> dict[str, tuple[float, ...]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {label: cmap(i % cmap.N) for i, label in enumerate(sorted(labels))}


def _empty(message: str) -> Figure:
    fig = Figure(figsize=(6, 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, _text(message), ha="center", va="center")
    return fig


def _check(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"{what} needs the columns {missing}")


def plot_tradeoff(
    final: pd.DataFrame,
    *,
    score: str = "f1",
    disparities: Sequence[str] = DISPARITIES,
) -> Figure:
    """Score against each disparity at the final budget, mean ± sd over seeds.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per run at its last round.
    score : str
        Performance metric on the y axis.
    disparities : sequence of str
        Disparity metrics, one column of panels each (those absent are skipped).

    Returns
    -------
    matplotlib.figure.Figure
        One row of panels per grid, dataset and learner.
    """
    _check(final, [*_BLOCK, "strategy_label", "seed", score], "the trade-off plot")
    disparities = present_metrics(final, disparities)
    if final.empty or not disparities:
        return _empty("no final-budget results with a disparity metric")
    blocks = _blocks(final)
    colours = _colours(final["strategy_label"].unique().tolist())
    n_grids = final["grid"].nunique()
    fig = Figure(figsize=(4.2 * len(disparities), 3.4 * len(blocks)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_2d(fig.subplots(len(blocks), len(disparities), squeeze=False))
    for r, (key, part) in enumerate(blocks):
        summary = summarise(part, [score, *disparities])
        for c, disparity in enumerate(disparities):
            ax = axes[r, c]
            for _, row in summary.iterrows():
                label = str(row["strategy_label"])
                ax.errorbar(
                    row[f"{disparity}_mean"], row[f"{score}_mean"],
                    xerr=np.nan_to_num(row[f"{disparity}_sd"]),
                    yerr=np.nan_to_num(row[f"{score}_sd"]),
                    fmt="o", capsize=3, color=colours[label], label=_text(label),
                )
            ax.set_xlabel(_NICE.get(disparity, disparity) + "  (lower is fairer)")
            ax.set_ylabel(_NICE.get(score, score))
            ax.set_title(_block_title(key, n_grids), fontsize=10)
            ax.grid(alpha=0.3)
        axes[r, -1].legend(fontsize=8, loc="best")
    return fig


def plot_learning_curves(
    rounds: pd.DataFrame, *, metrics: Sequence[str] = ("f1", "demographic_parity")
) -> Figure:
    """Each metric against the number of labels: mean over seeds and a ±1 sd band.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Every History row with its run's description (``ResultsStore.rounds()``).
    metrics : sequence of str
        Metrics to draw, one column of panels each (those absent are skipped).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(rounds, [*_BLOCK, "strategy_label", "seed", "n_labelled"], "the learning curves")
    metrics = present_metrics(rounds, metrics)
    if rounds.empty or not metrics:
        return _empty("no rounds with the requested metrics")
    blocks = _blocks(rounds)
    colours = _colours(rounds["strategy_label"].unique().tolist())
    n_grids = rounds["grid"].nunique()
    # At most three panels a row; a block with more metrics wraps onto further rows.
    ncols = min(3, len(metrics))
    rows_per_block = -(-len(metrics) // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * rows_per_block * len(blocks)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows_per_block * len(blocks), ncols, squeeze=False)
    for b, (key, part) in enumerate(blocks):
        used = []
        for m, metric in enumerate(metrics):
            ax = axes[b * rows_per_block + m // ncols, m % ncols]
            used.append(ax)
            for label, curve in part.groupby("strategy_label", sort=True):
                stats = curve.groupby("n_labelled")[metric].agg(["mean", "std"]).sort_index()
                x = stats.index.to_numpy(dtype=float)
                mean = stats["mean"].to_numpy(dtype=float)
                sd = np.nan_to_num(stats["std"].to_numpy(dtype=float))
                colour = colours[str(label)]
                ax.plot(x, mean, marker=".", color=colour, label=_text(label))
                ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.18, linewidth=0)
            ax.set_xlabel("labelled examples")
            ax.set_ylabel(_NICE.get(metric, metric))
            ax.set_title(_block_title(key, n_grids), fontsize=10)
            ax.grid(alpha=0.3)
        used[0].legend(fontsize=8, loc="best")
        for m in range(len(metrics), rows_per_block * ncols):
            axes[b * rows_per_block + m // ncols, m % ncols].set_axis_off()
    return fig


def group_makeup(rounds: pd.DataFrame, *, include_initial: bool = False) -> pd.DataFrame:
    """Share of each group among the examples each strategy chose, averaged over seeds.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Every History row, with ``picked_<group>`` count columns.
    include_initial : bool
        Count round 0 (the initial labelled set, which no strategy chose).

    Returns
    -------
    pandas.DataFrame
        Index: grid, dataset, learner, strategy; one column per group (shares sum to 1).
    """
    _check(rounds, [*_BLOCK, "strategy_label", "seed", "round"], "the group make-up")
    group_cols = [c for c in rounds.columns if c.startswith("picked_")]
    if not include_initial:
        rounds = rounds[rounds["round"] > 0]
    if rounds.empty or not group_cols:
        return pd.DataFrame()
    per_run = rounds.groupby([*_BLOCK, "strategy_label", "seed"])[group_cols].sum(min_count=1)
    totals = per_run.sum(axis=1).replace(0, np.nan)
    shares = per_run.div(totals, axis=0)
    makeup = shares.groupby(level=[0, 1, 2, 3]).mean()
    makeup = makeup.dropna(axis=1, how="all")
    makeup.columns = [c[len("picked_"):] for c in makeup.columns]
    return makeup


def plot_group_makeup(rounds: pd.DataFrame, *, include_initial: bool = False) -> Figure:
    """Stacked bars: the group make-up of what each strategy selected.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Every History row, with ``picked_<group>`` count columns.
    include_initial : bool
        Count round 0 (the initial labelled set).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per grid, dataset and learner.
    """
    makeup = group_makeup(rounds, include_initial=include_initial)
    if makeup.empty:
        return _empty("no per-group selection counts (picked_<group> columns) stored")
    keys = sorted({k[:3] for k in makeup.index})
    n_grids = len({k[0] for k in keys})
    fig = Figure(figsize=(7.5, 0.6 + 0.45 * len(makeup) + 0.9 * len(keys)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    heights = [len(makeup.xs(key, level=[0, 1, 2])) for key in keys]
    axes = fig.subplots(len(keys), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, key in zip(axes, keys, strict=True):
        part = makeup.xs(key, level=[0, 1, 2]).dropna(axis=1, how="all").fillna(0.0)
        groups = list(part.columns)
        colours = _colours(groups)
        left = np.zeros(len(part))
        y = np.arange(len(part))
        for group in sorted(groups):
            share = part[group].to_numpy(dtype=float)
            ax.barh(y, share, left=left, color=colours[group], label=_text(group))
            left += share
        ax.set_yticks(y, [_text(s) for s in part.index])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the examples selected")
        ax.set_title(_block_title(key, n_grids), fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="group")
    return fig


def figure_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_svg(fig: Figure) -> str:
    """Render a figure to SVG text."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()
