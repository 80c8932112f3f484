"""Reproduce the baseline comparison of PANDA (Sharaf, Daumé III, Ni, FAccT 2022) with fairpool.

PANDA compares query strategies for a linear classifier on Adult (sensitive: sex)
with a label budget B = 400: random, entropy, margin, group-aware random, FAL
(α = 0.6), Fairlearn (random sampling, model trained under a demographic-parity
constraint) and Fairlearn+AL. This script runs those baselines, and the other fair
strategies fairpool has (``least_confident``, ``fal_fast``, ``dfa2l``, ``falcon``),
through the one loop ``fairpool.active.run`` on PANDA's split, over several seeds,
on Adult and COMPAS, and reports F1, demographic parity and error-rate balance at
the end of the budget (mean ± sd over seeds) with the learning curves.

Usage (``OMP_NUM_THREADS=1`` is set for every worker)::

    .venv/bin/python benchmarks/reproduce_panda_baselines.py               # the full run
    .venv/bin/python benchmarks/reproduce_panda_baselines.py --seeds 1 --budget 100 \\
        --datasets compas --strategies random entropy --out results/try

Outputs in ``--out``: ``runs/`` (each finished run, so an interrupted run resumes
where it stopped; ``--fresh`` recomputes everything), ``final.csv`` (one row per
dataset, strategy and seed: the numbers at the end of the budget), ``curves.csv``
(every round of every run), ``summary.csv`` and ``summary.md`` (mean ± sd over
seeds), and ``panda_baselines_<dataset>.png`` (F1 and demographic parity against
the number of labelled examples; ``--figures`` puts them elsewhere). The reading
of the paper, the choices and the measured tables are in
docs/reproduce-panda-baselines.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fairpool.bench import (
    METRIC_DISPLAY,
    Cell,
    CellOutcome,
    CellResult,
    execute_cell,
    figure_png,
    format_summary,
    load_cell_dataset,
    make_executor,
    print_table,
    run_cell,
    summarise,
)
from fairpool.errors import FairpoolError, InvalidInputError, UnknownNameError

__all__ = [
    "ISSUE_STRATEGIES",
    "METRICS",
    "DEFAULT_DATASETS",
    "DatasetSpec",
    "parse_dataset_spec",
    "strategy_options",
    "resolve_strategies",
    "build_cells",
    "run_panda_cell",
    "run_cells",
    "final_rounds",
    "markdown_table",
    "paired_differences",
    "identical_strategies",
    "plot_mean_curves",
    "write_outputs",
    "main",
]

#: The strategies of the comparison, in the order of the tables.
ISSUE_STRATEGIES: tuple[str, ...] = (
    "random",
    "entropy",
    "margin",
    "least_confident",
    "group_random",
    "fal",
    "fal_fast",
    "fairlearn",
    "fairlearn_al",
    "dfa2l",
    "falcon",
)
#: Metrics recorded every round (the optimal-transport distance is left out: it is
#: not part of PANDA's comparison and costs about 0.3 s a round).
METRICS: tuple[str, ...] = (
    "f1",
    "accuracy",
    "demographic_parity_to_overall",
    "demographic_parity",
    "equalized_odds_to_overall",
    "error_rate_balance",
    "error_rate_difference",
)
#: Metrics of the printed table: PANDA's Table 1 three (DP and EO against the overall
#: rate, EB between groups), then fairlearn's max - min DP and the misclassification-rate
#: gap (the reading of "error-rate balance" fairpool used before issue 16).
TABLE_METRICS: tuple[str, ...] = (
    "f1", "demographic_parity_to_overall", "equalized_odds_to_overall", "error_rate_balance",
    "demographic_parity", "error_rate_difference",
)
#: The demographic-parity reading of the ΔDP column and the curves: PANDA's (Table 1).
PAPER_DP = "demographic_parity_to_overall"
#: Datasets and sensitive attributes of the full run.
DEFAULT_DATASETS: tuple[str, ...] = ("adult:sex", "compas:race")
#: FAL's trade-off in PANDA's comparison.
FAL_ALPHA = 0.6
#: Pool rows the exact FAL scores per round (drawn at random each round): exact FAL
#: refits the model twice per scored row, 2 x 12,210 fits a round on Adult otherwise.
FAL_CANDIDATES = 200
#: PANDA's parity bound ρ, used as the Fairlearn reduction's constraint bound.
PARITY_BOUND = 0.04
#: Strategies that act on fairness (solid lines in the figures).
_FAIR_STRATEGIES = frozenset(
    {"group_random", "fal", "fal_fast", "fairlearn", "fairlearn_al", "dfa2l", "falcon", "panda"}
)
#: Rough relative cost of a run, to start the slow ones first and keep both workers busy.
_COST = {"fal": 10.0, "fal_fast": 8.0, "fairlearn": 4.0, "fairlearn_al": 4.0, "panda": 10.0}
_GRID = "panda_baselines"
_LEARNER = "logreg"
_MAX_WORKERS = 2


@dataclass(frozen=True)
class DatasetSpec:
    """A bundled dataset and its sensitive attribute, written ``name:attribute``.

    Parameters
    ----------
    name : str
        Name for ``fairpool.datasets.load``.
    sensitive : str or None
        The ``sensitive=`` option (None: the dataset's default).
    """

    name: str
    sensitive: str | None = None

    @property
    def label(self) -> str:
        """Display label, e.g. ``"adult (sex)"``."""
        return self.name if self.sensitive is None else f"{self.name} ({self.sensitive})"

    @property
    def options(self) -> dict[str, Any]:
        """Keyword options for ``fairpool.datasets.load``."""
        return {} if self.sensitive is None else {"sensitive": self.sensitive}


def parse_dataset_spec(text: str) -> DatasetSpec:
    """Read ``"name"`` or ``"name:attribute"`` into a :class:`DatasetSpec`.

    Parameters
    ----------
    text : str
        E.g. ``"adult:sex"``, ``"compas:race"``, ``"compas"``.

    Returns
    -------
    DatasetSpec

    Raises
    ------
    UnknownNameError
        If the dataset is not bundled with fairpool.
    InvalidInputError
        If the text is empty or has more than one ``:``.
    """
    from fairpool import datasets

    parts = str(text).split(":")
    if len(parts) > 2 or not parts[0] or (len(parts) == 2 and not parts[1]):
        raise InvalidInputError(
            f"--datasets entries must be 'name' or 'name:sensitive_attribute', got {text!r}"
        )
    if parts[0] not in datasets.available():
        raise UnknownNameError(
            f"--datasets: unknown dataset {parts[0]!r}; available: "
            f"{', '.join(datasets.available())}"
        )
    return DatasetSpec(parts[0], parts[1] if len(parts) == 2 else None)


def strategy_options(strategy: str, *, fal_candidates: int | None = FAL_CANDIDATES) -> dict:
    """The options each strategy runs with in this comparison.

    Parameters
    ----------
    strategy : str
        A registered strategy name.
    fal_candidates : int or None, default=FAL_CANDIDATES
        Pool rows the exact ``fal`` scores per round (None: the whole pool).

    Returns
    -------
    dict
        ``fal`` and ``fal_fast``: α = 0.6 and demographic parity (PANDA's FAL
        setting); ``fairlearn`` and ``fairlearn_al``: a demographic-parity
        constraint with bound 0.04 (PANDA's ρ); every other strategy its defaults.
    """
    if strategy == "fal":
        options: dict[str, Any] = {"alpha": FAL_ALPHA, "fairness": "demographic_parity"}
        if fal_candidates is not None:
            options["candidates"] = int(fal_candidates)
        return options
    if strategy == "fal_fast":
        return {"alpha": FAL_ALPHA, "fairness": "demographic_parity"}
    if strategy in ("fairlearn", "fairlearn_al"):
        return {"constraint": "demographic_parity", "eps": PARITY_BOUND}
    return {}


def resolve_strategies(
    requested: Sequence[str] | None, available: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The strategies to run and those of the comparison that are not registered.

    Parameters
    ----------
    requested : sequence of str or None
        Names asked for on the command line; None means :data:`ISSUE_STRATEGIES`.
    available : sequence of str
        ``fairpool.active.available_strategies()``.

    Returns
    -------
    run : list of str
        Names to run, in the order given (duplicates dropped).
    missing : list of str
        Names of :data:`ISSUE_STRATEGIES` skipped because they are not registered
        (only when ``requested`` is None).

    Raises
    ------
    UnknownNameError
        If an explicitly requested strategy is not registered.
    """
    if requested is None:
        return (
            [s for s in ISSUE_STRATEGIES if s in available],
            [s for s in ISSUE_STRATEGIES if s not in available],
        )
    unknown = [s for s in requested if s not in available]
    if unknown:
        raise UnknownNameError(
            f"--strategies: unknown {', '.join(map(repr, unknown))}; available: "
            f"{', '.join(available)}"
        )
    return list(dict.fromkeys(requested)), []


def _positive(value: Any, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{arg} must be a positive integer, got {value!r}")
    return int(value)


def build_cells(
    datasets: Sequence[DatasetSpec],
    strategies: Sequence[str],
    *,
    seeds: int,
    budget: int,
    batch_size: int,
    fal_candidates: int | None = FAL_CANDIDATES,
) -> list[Cell]:
    """One cell per dataset, strategy and seed, the slowest first.

    Parameters
    ----------
    datasets : sequence of DatasetSpec
    strategies : sequence of str
    seeds : int
        Seeds ``0 .. seeds - 1``.
    budget, batch_size : int
        Labels bought in all, and per round.
    fal_candidates : int or None
        See :func:`strategy_options`.

    Returns
    -------
    list of Cell

    Raises
    ------
    InvalidInputError
        Non-positive sizes, ``batch_size > budget``, no dataset or no strategy.
    """
    seeds = _positive(seeds, "--seeds")
    budget = _positive(budget, "--budget")
    batch_size = _positive(batch_size, "--batch-size")
    if fal_candidates is not None:
        _positive(fal_candidates, "--fal-candidates")
    if batch_size > budget:
        raise InvalidInputError(f"--batch-size={batch_size} is larger than --budget={budget}")
    if not datasets:
        raise InvalidInputError("--datasets: give at least one dataset")
    if not strategies:
        raise InvalidInputError("--strategies: give at least one strategy")
    cells = [
        Cell(
            grid=_GRID,
            dataset=spec.name,
            dataset_label=spec.label,
            dataset_options=spec.options,
            subsample=None,
            split="panda",
            split_options={},
            learner=_LEARNER,
            learner_label=_LEARNER,
            learner_options={},
            strategy=strategy,
            strategy_label=strategy,
            strategy_params=strategy_options(strategy, fal_candidates=fal_candidates),
            seed=seed,
            budget=budget,
            batch_size=batch_size,
        )
        for spec in datasets
        for strategy in strategies
        for seed in range(seeds)
    ]
    # Stable sort: within a cost the order of the tables is kept.
    return sorted(cells, key=lambda c: -_COST.get(c.strategy, 1.0))


def run_panda_cell(cell: Cell) -> CellResult:
    """Run one cell with ``fairpool.active.run`` on PANDA's split, one BLAS thread.

    Parameters
    ----------
    cell : Cell

    Returns
    -------
    CellResult
        The History rows (with :data:`METRICS`) plus ``cpu_seconds`` (CPU time of
        the whole run), and the History's config.
    """
    from threadpoolctl import threadpool_limits

    load_cell_dataset(cell)  # cached: loading is not part of the run's CPU time
    start = time.process_time()
    with threadpool_limits(limits=1):
        result = run_cell(cell, metrics=METRICS)
    # CPU time of this process: on a shared machine it is the cost of the run, while
    # the wall time also counts the other jobs' share of the cores.
    cpu_seconds = time.process_time() - start
    frame = result.frame.drop(columns=["picked"]).assign(cpu_seconds=cpu_seconds)
    return CellResult(frame=frame, config=result.config)


def _describe(cell: Cell) -> dict[str, Any]:
    return {
        "grid": cell.grid,
        "dataset": cell.dataset,
        "dataset_label": cell.dataset_label,
        "learner_label": cell.learner_label,
        "strategy": cell.strategy,
        "strategy_label": cell.strategy_label,
        "seed": cell.seed,
        "budget": cell.budget,
        "batch_size": cell.batch_size,
    }


def run_cells(
    cells: Sequence[Cell],
    *,
    workers: int = 1,
    cache: Path | None = None,
    verbose: bool = True,
) -> tuple[pd.DataFrame, list[tuple[Cell, str]]]:
    """Run the cells, in this process (``workers=1``) or in a pool of 2 processes.

    Parameters
    ----------
    cells : sequence of Cell
    workers : {1, 2}, default=1
        The machine's two cores are shared: at most two worker processes, each
        with one BLAS/OpenMP thread.
    cache : Path, optional
        Folder keeping each finished run as ``<cell key>.csv``. A run whose file
        is there is read back instead of run again (the key hashes everything
        that defines the run, not the code: delete the folder after changing a
        strategy). An interrupted run so loses only the runs in progress.
    verbose : bool, default=True
        Print one line per finished cell.

    Returns
    -------
    rounds : pandas.DataFrame
        Every round of every successful run, with the run's description columns
        ``seconds`` (the run's wall time) and ``cpu_seconds``.
    failures : list of (Cell, str)
        Cells that raised, with ``"ExceptionType: message"``.

    Raises
    ------
    InvalidInputError
        If ``workers`` is not 1 or 2.
    """
    if isinstance(workers, bool) or workers not in range(1, _MAX_WORKERS + 1):
        raise InvalidInputError(f"--workers must be 1 or 2, got {workers!r}")
    if workers > 1:
        # Inherited by the spawned workers before they import numpy.
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[name] = "1"
    by_key = {cell.key: cell for cell in cells}
    frames: list[pd.DataFrame] = []
    failures: list[tuple[Cell, str]] = []
    todo = list(cells)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        done_before = [c for c in cells if (cache / f"{c.key}.csv").exists()]
        frames = [pd.read_csv(cache / f"{c.key}.csv") for c in done_before]
        todo = [c for c in cells if c not in done_before]
        if verbose and done_before:
            print(f"{len(done_before)} runs read back from {cache}", flush=True)
    with make_executor("local", workers=workers) as executor:
        outcomes = executor.map_unordered(functools.partial(execute_cell, run_panda_cell), todo)
        for done, outcome in enumerate(outcomes, start=1):
            outcome: CellOutcome
            cell = by_key[outcome.key]
            if not outcome.ok:
                failures.append((cell, str(outcome.error)))
                if verbose:
                    print(f"[{done}/{len(todo)}] {cell.describe()} FAILED: {outcome.error}",
                          flush=True)
                continue
            description = _describe(cell)
            frame = outcome.result.frame.assign(**description, seconds=outcome.seconds)
            frame = frame[[*description, *(c for c in frame.columns if c not in description)]]
            frames.append(frame)
            if cache is not None:
                partial = cache / f"{cell.key}.csv.part"
                frame.to_csv(partial, index=False)
                partial.replace(cache / f"{cell.key}.csv")  # atomic: never a half file
            if verbose:
                last = frame.iloc[-1]
                print(
                    f"[{done}/{len(todo)}] {cell.describe()} {outcome.seconds:6.1f}s "
                    f"f1={last['f1']:.3f} dp_overall={last[PAPER_DP]:.3f} "
                    f"eb={last['error_rate_balance']:.3f}",
                    flush=True,
                )
    rounds = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return rounds, failures


def final_rounds(rounds: pd.DataFrame) -> pd.DataFrame:
    """The last round of each run: the numbers at the end of the budget.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Output of :func:`run_cells`.

    Returns
    -------
    pandas.DataFrame
        One row per dataset, strategy and seed, sorted.
    """
    keys = ["dataset_label", "strategy", "seed"]
    last = rounds.sort_values("round").groupby(keys, sort=False).tail(1)
    return last.sort_values(keys).reset_index(drop=True)


def markdown_table(frame: pd.DataFrame) -> str:
    """An all-string table as GitHub-flavoured Markdown.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    str
    """
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _ordered(frame: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(strategies)}
    return frame.sort_values(
        ["dataset", "strategy"], key=lambda s: s.map(order) if s.name == "strategy" else s
    ).reset_index(drop=True)


def paired_differences(
    final: pd.DataFrame, *, baseline: str = "random", metrics: Sequence[str] = TABLE_METRICS
) -> pd.DataFrame:
    """Each strategy minus the baseline, seed by seed (same split and initial set).

    Runs of one seed share the split and the initial labelled set, so the
    per-seed difference removes what the seeds have in common; how many seeds
    moved up says whether a mean difference is consistent.

    Parameters
    ----------
    final : pandas.DataFrame
        :func:`final_rounds`.
    baseline : str, default="random"
        The strategy subtracted.
    metrics : sequence of str
        Metrics compared.

    Returns
    -------
    pandas.DataFrame
        One row per dataset and strategy other than the baseline with ``pairs``
        (seeds run by both),
        ``<metric>_diff`` (mean difference) and ``<metric>_up`` (seeds where the
        strategy's value is larger). Empty when the baseline did not run.
    """
    keys = ["dataset_label", "seed"]
    base = final[final["strategy"] == baseline][[*keys, *metrics]]
    others = final[final["strategy"] != baseline]
    paired = others[[*keys, "strategy_label", *metrics]].merge(base, on=keys, suffixes=("", "_b"))
    for metric in metrics:
        paired[f"{metric}_diff"] = paired[metric] - paired[f"{metric}_b"]
        paired[f"{metric}_up"] = paired[f"{metric}_diff"] > 0
    grouped = paired.groupby(["dataset_label", "strategy_label"], sort=False)
    out = grouped.agg(pairs=("seed", "nunique"))
    for metric in metrics:
        out[f"{metric}_diff"] = grouped[f"{metric}_diff"].mean()
        out[f"{metric}_up"] = grouped[f"{metric}_up"].sum()
    return out.reset_index()


def identical_strategies(
    rounds: pd.DataFrame, strategies: Sequence[str], *, metrics: Sequence[str] = METRICS
) -> list[list[str]]:
    """Strategies whose runs are identical, round by round and seed by seed.

    For binary labels entropy, margin and least-confidence rank the pool the same
    way and pick the same rows; one line is drawn for such a set.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Rounds of one dataset (:func:`run_cells`).
    strategies : sequence of str
        Order of the strategies.
    metrics : sequence of str
        Columns compared.

    Returns
    -------
    list of list of str
        The strategies that ran, in sets of identical runs, in ``strategies`` order.
    """
    keys = ["seed", "round"]
    sets: list[list[str]] = []
    curves: list[pd.DataFrame] = []
    for name in [s for s in strategies if s in set(rounds["strategy"])]:
        curve = rounds[rounds["strategy"] == name].sort_values(keys)[[*keys, *metrics]]
        curve = curve.reset_index(drop=True)
        for members, reference in zip(sets, curves, strict=True):
            if reference.shape == curve.shape and reference.equals(curve):
                members.append(name)
                break
        else:
            sets.append([name])
            curves.append(curve)
    return sets


def plot_mean_curves(rounds: pd.DataFrame, *, strategies: Sequence[str]) -> Figure:
    """F1 and demographic parity against labelled examples, mean over seeds.

    One line per strategy (strategies with identical runs share one line, named
    ``a = b``); fair strategies are drawn solid, the others dashed. No bands: with
    eleven strategies they hide the means; the spread is in the tables.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Rounds of one dataset (:func:`run_cells`).
    strategies : sequence of str
        Order of the legend.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import colormaps

    sets = identical_strategies(rounds, strategies)
    fig = Figure(figsize=(10.5, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    colours = colormaps["tab10"]
    for i, members in enumerate(sets):
        part = rounds[rounds["strategy"] == members[0]]
        mean = part.groupby("n_labelled")[["f1", PAPER_DP]].mean().sort_index()
        style = "-" if members[0] in _FAIR_STRATEGIES else "--"
        for ax, metric in zip(axes, ("f1", PAPER_DP), strict=True):
            ax.plot(mean.index, mean[metric], style, marker=".", color=colours(i % 10),
                    label=" = ".join(members))
    dp_title = "demographic parity, max |group − overall| (PANDA's Table 1; test)"
    for ax, title in zip(axes, ("F1 (test)", dp_title), strict=True):
        ax.set_xlabel("labelled examples (100 initial + queried)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    label = str(rounds["dataset_label"].iloc[0])
    seeds = rounds["seed"].nunique()
    fig.suptitle(f"{label}: logistic regression, PANDA split, mean of {seeds} seeds",
                 fontsize=10)
    axes[1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def write_outputs(
    rounds: pd.DataFrame,
    out: Path,
    *,
    strategies: Sequence[str],
    figures: Path | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Write the CSVs, the Markdown summary and one figure per dataset; print the tables.

    Parameters
    ----------
    rounds : pandas.DataFrame
        Output of :func:`run_cells` (not empty).
    out : Path
        Folder for ``final.csv``, ``curves.csv``, ``summary.csv``, ``summary.md``.
    strategies : sequence of str
        Row order of the tables.
    figures : Path, optional
        Folder for ``panda_baselines_<dataset>.png`` (default: ``out``).
    verbose : bool, default=True
        Print the tables.

    Returns
    -------
    pandas.DataFrame
        The summary (:func:`fairpool.bench._summary.summarise`) with ``seconds``
        and ``cpu_seconds`` (mean wall and CPU time of a run) and the
        :func:`paired_differences` against ``random``.
    """
    out.mkdir(parents=True, exist_ok=True)
    figures = out if figures is None else figures
    figures.mkdir(parents=True, exist_ok=True)
    final = final_rounds(rounds)
    final.to_csv(out / "final.csv", index=False)
    rounds.to_csv(out / "curves.csv", index=False)

    summary = summarise(final, list(METRICS))
    timing = final.groupby(["dataset_label", "strategy_label"])[["seconds", "cpu_seconds"]]
    summary = summary.merge(timing.mean().reset_index(), on=["dataset_label", "strategy_label"])
    summary = summary.merge(
        paired_differences(final), on=["dataset_label", "strategy_label"], how="left"
    )
    summary["dataset"] = summary["dataset_label"]
    summary["strategy"] = summary["strategy_label"]
    summary = _ordered(summary, strategies).drop(columns=["dataset", "strategy"])
    summary.to_csv(out / "summary.csv", index=False)

    lines = []
    for dataset, part in summary.groupby("dataset_label", sort=False):
        table = format_summary(part.reset_index(drop=True), list(TABLE_METRICS))
        table = table.drop(columns=["dataset", "learner"])
        part = part.reset_index(drop=True)
        for metric, title in (("f1", "ΔF1 vs random"), (PAPER_DP, "ΔDP (vs overall) vs random")):
            if f"{metric}_diff" in part.columns:
                table[title] = [
                    "–" if pd.isna(d) or n == 0 else f"{d:+.3f} ({int(u)}/{int(n)} up)"
                    for d, u, n in zip(part[f"{metric}_diff"], part[f"{metric}_up"],
                                       part["pairs"], strict=True)
                ]
        # headers that name each disparity's reading ("DP gap, vs overall ↓", ...)
        table = table.rename(columns={m: METRIC_DISPLAY[m][1] for m in TABLE_METRICS})
        table["CPU s / run"] = [f"{v:.1f}" for v in part["cpu_seconds"]]
        table["wall s / run"] = [f"{v:.1f}" for v in part["seconds"]]
        title = f"{dataset}: logistic regression, PANDA split, mean ± sd over seeds"
        lines += [f"### {title}", "", markdown_table(table)]
        if verbose:
            print_table(table, title=title)
    (out / "summary.md").write_text("\n".join(lines), encoding="utf-8")

    for dataset, part in rounds.groupby("dataset", sort=False):
        fig = plot_mean_curves(part, strategies=strategies)
        (figures / f"panda_baselines_{dataset}.png").write_bytes(figure_png(fig, dpi=80))
    return summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="PANDA's baseline comparison (Adult, COMPAS) with fairpool's strategies.",
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--budget", type=int, default=400, help="labels bought (default 400)")
    parser.add_argument("--batch-size", type=int, default=50, help="labels per round (50)")
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS),
                        help="name or name:sensitive (default adult:sex compas:race)")
    parser.add_argument("--strategies", nargs="+", default=None,
                        help="strategy names (default: every strategy of the comparison)")
    parser.add_argument("--fal-candidates", type=int, default=FAL_CANDIDATES,
                        help=f"pool rows exact FAL scores per round (default {FAL_CANDIDATES})")
    parser.add_argument("--workers", type=int, default=2, help="processes, 1 or 2 (default 2)")
    parser.add_argument("--out", type=Path, default=Path("results/panda_baselines"),
                        help="output folder (default results/panda_baselines)")
    parser.add_argument("--figures", type=Path, default=None,
                        help="folder for the PNG figures (default: --out)")
    parser.add_argument("--fresh", action="store_true",
                        help="recompute every run (default: reuse the runs kept in OUT/runs)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison from command-line arguments.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 1 if some runs failed (the others are still written); 2 on
        bad arguments.
    """
    args = _parser().parse_args(argv)
    verbose = not args.quiet
    try:
        from fairpool import active

        specs = [parse_dataset_spec(text) for text in args.datasets]
        strategies, missing = resolve_strategies(args.strategies, active.available_strategies())
        cells = build_cells(
            specs,
            strategies,
            seeds=args.seeds,
            budget=args.budget,
            batch_size=args.batch_size,
            fal_candidates=args.fal_candidates,
        )
        if missing and verbose:
            print(f"not registered, skipped: {', '.join(missing)}", flush=True)
        start = time.perf_counter()
        cache = args.out / "runs"
        if args.fresh and cache.exists():
            for stale in cache.glob("*.csv"):
                stale.unlink()
        rounds, failures = run_cells(cells, workers=args.workers, cache=cache, verbose=verbose)
    except FairpoolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rounds.empty:
        write_outputs(rounds, args.out, strategies=strategies, figures=args.figures,
                      verbose=verbose)
    if verbose:
        print(f"{len(cells)} runs in {time.perf_counter() - start:.0f} s "
              f"({args.workers} worker(s)); outputs in {args.out}", flush=True)
    for cell, error in failures:
        print(f"failed: {cell.describe()}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
