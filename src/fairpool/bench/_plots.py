"""Figures of stored runs (matplotlib, drawn off-screen with the Agg canvas).

* :func:`plot_tradeoff` -- F1 against disparity at the final budget, error bars over
  seeds (PANDA's Figure 1).
* :func:`plot_learning_curves` -- each metric against the number of labels, mean and
  a ±1 sd band over seeds (PANDA's Figure 2).
* :func:`plot_group_makeup` -- which groups each strategy chose to label (stacked bars).

Every function builds a :class:`matplotlib.figure.Figure` without pyplot, so no
global backend is switched and nothing opens a window. Each grid, dataset and learner
(a *block*) is a subfigure whose title names it once; panel titles and axis labels are
readable metric names with their direction (:data:`METRIC_LABELS`); legends sit
outside the axes, right of each block, so they never cover a point or a curve.
Strategies whose stored values are equal (:func:`identical_strategies`, e.g. entropy
and margin sampling on binary labels) are drawn once, labelled ``a = b (identical)``,
rather than one hiding the other.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fairpool.bench._summary import METRIC_DISPLAY, present_metrics, summarise
from fairpool.errors import InvalidInputError

__all__ = [
    "DISPARITIES",
    "plot_tradeoff",
    "plot_pareto",
    "pareto_front",
    "plot_learning_curves",
    "plot_group_makeup",
    "figure_png",
    "figure_svg",
    "group_makeup",
    "identical_strategies",
    "identical_label",
    "metric_label",
    "METRIC_LABELS",
]

#: Disparity metrics drawn against F1 in the trade-off figure.
DISPARITIES: tuple[str, ...] = ("demographic_parity", "equalized_odds", "error_rate_balance")

_BLOCK = ["grid", "dataset_label", "learner_label"]

#: Readable name of each stored metric, with the direction that is better.
METRIC_LABELS: dict[str, str] = {k: v[2] for k, v in METRIC_DISPLAY.items()}
_TITLE_WIDTH = 40  # characters a line of a panel title or axis label


def _text(value: object) -> str:
    """A label safe for matplotlib: ``$`` would otherwise start mathtext."""
    return str(value).replace("$", r"\$")


def metric_label(metric: str) -> str:
    """The readable name of ``metric`` with its direction (the name itself if unknown)."""
    return METRIC_LABELS.get(metric, metric)


def _wrapped(text: str) -> str:
    return _text(textwrap.fill(text, _TITLE_WIDTH))


def identical_strategies(
    frame: pd.DataFrame, metrics: Sequence[str]
) -> list[tuple[tuple[str, str, str], tuple[str, ...]]]:
    """Strategies of one block whose stored values are exactly equal.

    Two strategies of the same grid, dataset and learner are identical when they ran
    the same seeds and rounds and stored the same value of every metric of
    ``metrics`` (and the same number of labels) in each, NaN equal to NaN -- their
    curves, or points, would lie on top of each other. Entropy and margin sampling on
    binary labels are the common case: both rank the pool by how close the top class
    probability is to 1/2.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rounds (or final rounds) with ``grid``, ``dataset_label``, ``learner_label``,
        ``strategy_label``, ``seed`` and, where present, ``round`` and ``n_labelled``.
    metrics : sequence of str
        Metrics compared (those absent from ``frame`` are skipped).

    Returns
    -------
    list of (block, labels)
        Each block key (grid, dataset, learner) with a sorted tuple of two or more
        strategy labels that are identical, in block order; empty when none of
        ``metrics`` is in ``frame``.
    """
    _check(frame, [*_BLOCK, "strategy_label", "seed"], "the identical-curve check")
    compared = [m for m in metrics if m in frame.columns]
    if not compared:
        return []  # nothing drawn to compare: no claim of identity
    keys = ["seed", *(c for c in ("round", "n_labelled") if c in frame.columns)]
    values = [*keys, *compared]
    found = []
    for key, part in _blocks(frame):
        tables: dict[str, np.ndarray] = {}
        for label, runs in part.groupby("strategy_label", sort=True):
            table = runs.sort_values(keys)[values].to_numpy(dtype=float)
            tables[str(label)] = table
        left = sorted(tables)
        while left:
            first, rest = left[0], left[1:]
            same = [other for other in rest
                    if tables[other].shape == tables[first].shape
                    and np.array_equal(tables[other], tables[first], equal_nan=True)]
            if same:
                found.append((key, (first, *same)))
            left = [label for label in rest if label not in same]
    return found


def identical_label(labels: Sequence[str]) -> str:
    """The legend entry of a group of identical strategies: ``a = b (identical)``."""
    return " = ".join(str(label) for label in labels) + " (identical)"


def _merged(
    key: tuple[str, str, str],
    labels: Sequence[str],
    groups: list[tuple[tuple[str, str, str], tuple[str, ...]]],
) -> list[tuple[str, str]]:
    """(strategy drawn, legend label) of a block: each identical group once."""
    leader: dict[str, str] = {}
    for block, members in groups:
        if block == key:
            for member in members:
                leader[member] = members[0]
    out = []
    for label in labels:
        label = str(label)
        if leader.get(label, label) != label:
            continue  # drawn with its group's first strategy
        members = [m for m, lead in leader.items() if lead == label]
        out.append((label, identical_label(sorted(members)) if members else label))
    return out


def _blocks(frame: pd.DataFrame) -> list[tuple[tuple[str, str, str], pd.DataFrame]]:
    return [(tuple(str(v) for v in key), part)
            for key, part in frame.groupby(_BLOCK, sort=True)]


def _block_title(key: tuple[str, str, str], n_grids: int) -> str:
    grid, dataset, learner = key
    title = f"{dataset} · {learner}"
    return _text(f"{grid}: {title}" if n_grids > 1 else title)


def _block_figures(fig: Figure, n: int) -> list:
    """One subfigure a block, stacked: its title and legend stay with its panels."""
    return list(fig.subfigures(n, 1, squeeze=False)[:, 0]) if n > 1 else [fig]


def _legend_outside(sub: object, axes: Sequence[object]) -> None:
    """One legend for a block, right of its panels (outside every axes)."""
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        sub.legend(handles, labels, loc="outside right upper", fontsize=8,
                   title="strategy", title_fontsize=8)


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
    identical = identical_strategies(final, [score, *disparities])
    n_grids = final["grid"].nunique()
    fig = Figure(figsize=(3.4 * len(disparities) + 1.8, 3.3 * len(blocks)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    for sub, (key, part) in zip(_block_figures(fig, len(blocks)), blocks, strict=True):
        sub.suptitle(_block_title(key, n_grids), fontsize=11)
        axes = sub.subplots(1, len(disparities), squeeze=False)[0]
        summary = summarise(part, [score, *disparities]).set_index("strategy_label")
        drawn = _merged(key, summary.index.tolist(), identical)
        for ax, disparity in zip(axes, disparities, strict=True):
            for label, legend in drawn:
                row = summary.loc[label]
                ax.errorbar(
                    row[f"{disparity}_mean"], row[f"{score}_mean"],
                    xerr=np.nan_to_num(row[f"{disparity}_sd"]),
                    yerr=np.nan_to_num(row[f"{score}_sd"]),
                    fmt="o", capsize=3, color=colours[label], label=_text(legend),
                )
            ax.set_xlabel(_wrapped(metric_label(disparity)))
            ax.set_ylabel(_wrapped(metric_label(score)))
            ax.grid(alpha=0.3)
        _legend_outside(sub, axes)
    return fig


def pareto_front(score: Sequence[float], disparity: Sequence[float]) -> np.ndarray:
    """Positions of the points no other point beats on both axes (higher score, lower
    disparity), ordered by disparity.

    A point is dominated when another has a score at least as high and a disparity at
    least as low, and is strictly better on one; NaN points are never on the front.

    Parameters
    ----------
    score, disparity : sequence of float, shape (n,)

    Returns
    -------
    ndarray of int
        The non-dominated positions, by increasing disparity.
    """
    s = np.asarray(score, dtype=np.float64)
    d = np.asarray(disparity, dtype=np.float64)
    ok = np.isfinite(s) & np.isfinite(d)
    # (n, n) comparisons: a grid has tens of points, not thousands
    at_least = (s[None, :] >= s[:, None]) & (d[None, :] <= d[:, None])
    better = (s[None, :] > s[:, None]) | (d[None, :] < d[:, None])
    dominated = (at_least & better & ok[None, :]).any(axis=1)
    front = np.flatnonzero(ok & ~dominated)
    return front[np.argsort(d[front], kind="stable")]


def plot_pareto(
    final: pd.DataFrame, *, score: str = "f1", disparity: str = "demographic_parity"
) -> Figure:
    """Score against one disparity for every strategy x learner pair, with the Pareto front.

    The picture of a grid that crosses collection strategies with mitigations (learners
    such as ``reweighing`` or ``thresholds``): colour is the strategy, the marker the
    learner, each point the mean over seeds at the final budget; the line joins the
    pairs no other pair beats on both axes.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per run at its last round.
    score, disparity : str
        The metric on the y axis (higher is better) and on the x axis (lower is fairer).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per grid and dataset.
    """
    _check(final, ["grid", "dataset_label", "learner_label", "strategy_label", "seed", score],
           "the Pareto plot")
    if final.empty or disparity not in final.columns:
        return _empty(f"no final-budget results with {disparity}")
    markers = "osD^vP*Xhp<>"
    learners = sorted(final["learner_label"].astype(str).unique())
    marker = {name: markers[i % len(markers)] for i, name in enumerate(learners)}
    colours = _colours(final["strategy_label"].astype(str).unique().tolist())
    panels = list(final.groupby(["grid", "dataset_label"], sort=True))
    n_grids = final["grid"].nunique()
    fig = Figure(figsize=(7.5, 4.2 * len(panels)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, ((grid, dataset), part) in zip(axes, panels, strict=True):
        means = part.groupby(["strategy_label", "learner_label"], sort=True)[
            [score, disparity]].mean().reset_index()
        for row in means.itertuples(index=False):
            ax.scatter(getattr(row, disparity), getattr(row, score), s=36,
                       color=colours[str(row.strategy_label)],
                       marker=marker[str(row.learner_label)])
        front = pareto_front(means[score].to_numpy(), means[disparity].to_numpy())
        ax.plot(means[disparity].to_numpy()[front], means[score].to_numpy()[front],
                color="0.4", lw=1, ls="--", zorder=0, label="Pareto front")
        ax.set_title(_text(f"{grid}: {dataset}" if n_grids > 1 else str(dataset)), fontsize=10)
        ax.set_xlabel(_wrapped(metric_label(disparity)))
        ax.set_ylabel(_wrapped(metric_label(score)))
        ax.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", color=c, label=_text(name))
               for name, c in sorted(colours.items())]
    handles += [Line2D([], [], ls="", marker=m, color="0.3", label=_text(name))
                for name, m in marker.items()]
    handles.append(Line2D([], [], ls="--", color="0.4", label="Pareto front"))
    fig.legend(handles=handles, loc="outside right upper", fontsize=8,
               title="strategy (colour) · learner (marker)", title_fontsize=8)
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
    identical = identical_strategies(rounds, metrics)
    n_grids = rounds["grid"].nunique()
    # At most three panels a row; a block with more metrics wraps onto further rows.
    ncols = min(3, len(metrics))
    rows_per_block = -(-len(metrics) // ncols)
    fig = Figure(figsize=(3.4 * ncols + 1.8, (2.9 * rows_per_block + 0.4) * len(blocks)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    for sub, (key, part) in zip(_block_figures(fig, len(blocks)), blocks, strict=True):
        sub.suptitle(_block_title(key, n_grids), fontsize=11)
        axes = sub.subplots(rows_per_block, ncols, squeeze=False).ravel()
        strategies = sorted(part["strategy_label"].astype(str).unique())
        drawn = _merged(key, strategies, identical)
        for ax, metric in zip(axes, metrics, strict=False):
            for label, legend in drawn:
                curve = part[part["strategy_label"].astype(str) == label]
                stats = curve.groupby("n_labelled")[metric].agg(["mean", "std"]).sort_index()
                x = stats.index.to_numpy(dtype=float)
                mean = stats["mean"].to_numpy(dtype=float)
                sd = np.nan_to_num(stats["std"].to_numpy(dtype=float))
                colour = colours[label]
                ax.plot(x, mean, marker=".", color=colour, label=_text(legend))
                ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.18, linewidth=0)
            ax.set_title(_wrapped(metric_label(metric)), fontsize=10)
            ax.set_xlabel("labelled examples")
            ax.grid(alpha=0.3)
        for ax in axes[len(metrics):]:
            ax.set_axis_off()
        _legend_outside(sub, axes)
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
    """Render a figure to PNG bytes, cropped to what is drawn (titles and legends kept)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()


def figure_svg(fig: Figure) -> str:
    """Render a figure to SVG text, cropped to what is drawn (titles and legends kept)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()
