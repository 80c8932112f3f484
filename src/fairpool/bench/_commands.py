"""What ``fairpool run``, ``fairpool results`` and ``fairpool report`` do.

The Typer functions in :mod:`fairpool.cli` only parse options; the work lives
here so it can be called and tested without a command line.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from fairpool.bench._config import check_datasets, load_config
from fairpool.bench._grid import expand_grid
from fairpool.bench._progress import make_progress
from fairpool.bench._report import write_report
from fairpool.bench._runner import default_database, run_experiment
from fairpool.bench._store import ResultsStore
from fairpool.bench._summary import present_metrics, print_summary, summarise

__all__ = ["check_command_output", "run_and_summarise", "print_results"]

#: Exit status of an interrupted run (the shell's convention for SIGINT).
EXIT_INTERRUPTED = 130


def check_command_output(config: str | None) -> str:
    """Validate a config and its datasets; return the line ``fairpool run --check`` prints.

    Parameters
    ----------
    config : str or None
        A TOML file or bundled config name (``None``: the default).

    Returns
    -------
    str
    """
    parsed = load_config(config)
    check_datasets(parsed)
    cells = expand_grid(parsed)
    grids = ", ".join(f"{g.label} ({len(g.datasets)}×{len(g.learners)}×{len(g.strategies)}"
                      f"×{len(g.seeds)})" for g in parsed.grids)
    return f"{parsed.path}: OK: {len(cells)} cells in {len(parsed.grids)} grids: {grids}"


def run_and_summarise(
    config: str | None,
    *,
    out: Path,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    report: bool = True,
    quiet: bool = False,
) -> int:
    """Run a config, print its final-budget summary and write the report.

    Parameters
    ----------
    config : str or None
        A TOML file or bundled config name (``None``: the default).
    out : Path
        Output folder (``fairpool.duckdb``, ``report.html``).
    executor : {"local", "ray"}
        Where cells run.
    workers : int, optional
        Worker processes.
    address : str, optional
        Ray cluster address.
    report : bool
        Write ``report.html``.
    quiet : bool
        No progress bar.

    Returns
    -------
    int
        Exit status: 0 if every cell is stored, 1 if some failed, 130 if interrupted.
    """
    err = Console(stderr=True)
    parsed = load_config(config)
    check_datasets(parsed)
    database = default_database(out)
    try:
        outcome = run_experiment(
            parsed, database=database, executor=executor, workers=workers, address=address,
            progress=make_progress(quiet=quiet, console=err),
        )
    except KeyboardInterrupt:
        with ResultsStore(database, read_only=True) as store:
            stored = len(store.finished_keys() & {c.key for c in expand_grid(parsed)})
        err.print(
            f"interrupted: {stored} of {len(expand_grid(parsed))} cells are stored in "
            f"{database}; run the same command again to finish the rest",
            markup=False, highlight=False,
        )
        return EXIT_INTERRUPTED
    keys = {c.key for c in expand_grid(parsed)}
    with ResultsStore(database, read_only=True) as store:
        final = store.final_rounds()
    final = final[final["cell_key"].isin(keys)] if len(final) else final
    metrics = present_metrics(final, parsed.metrics) if len(final) else []
    if len(final):
        print_summary(summarise(final, metrics), metrics,
                      title=f"{parsed.title}: final budget, mean ± sd over seeds")
    print(f"{outcome.completed} cells run, {outcome.skipped} already stored, "
          f"{len(outcome.failures)} failed, in {outcome.seconds:.1f}s; results: {database}")
    for cell, failure in outcome.failures:
        err.print(f"failed: {cell.describe()}: {failure.error}", markup=False, highlight=False)
    if outcome.failures:
        err.print(
            "failed cells are not stored; fix the cause and run again to retry them "
            f"(first traceback follows)\n{outcome.failures[0][1].traceback}",
            markup=False, highlight=False,
        )
    if report and outcome.skipped + outcome.completed:
        print(f"report: {write_report(database, Path(out) / 'report.html')}")
    return 1 if outcome.failures else 0


def print_results(database: Path, *, export: Path | None = None, table: str = "rounds") -> None:
    """Print the final-budget summary of a database; optionally export a table.

    Parameters
    ----------
    database : Path
        The results database.
    export : Path, optional
        A ``.parquet`` or ``.csv`` file to write.
    table : {"rounds", "final", "runs"}
        What to export.
    """
    with ResultsStore(database, read_only=True) as store:
        final = store.final_rounds()
        n_runs = store.count("runs")
        if export is not None:
            written = store.export(export, table=table)
    if len(final):
        metrics = present_metrics(final)
        print_summary(summarise(final, metrics), metrics,
                      title=f"{database}: final budget, mean ± sd over seeds ({n_runs} runs)")
    else:
        print(f"{database}: no finished runs")
    if export is not None:
        print(f"exported {table} to {written}")
