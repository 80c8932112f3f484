"""The ``fairpool`` command.

Every command turns a :class:`~fairpool.errors.FairpoolError` (and an unreadable
file) into one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from fairpool.errors import FairpoolError

app = typer.Typer(
    name="fairpool",
    help="Fairness-aware active learning: which examples to label next, and the audit around it.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich panels in this typer label every flag `<bool>` and wrap
    # badly below 100 columns.
    rich_markup_mode=None,
    context_settings={"max_content_width": 100},
)


def fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a CLI command so that user errors print one line and exit with status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- silence the flush at exit
            raise typer.Exit(code=0) from None
        except (FairpoolError, OSError) as exc:
            typer.echo(f"fairpool: error: {exc}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


@app.command("datasets")
@fails_cleanly
def datasets_command(
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """List the bundled datasets: rows, features, sensitive options, source, licence."""
    from fairpool.audit import render_frame
    from fairpool.datasets import catalog

    render_frame(catalog(), format=format, title="Bundled datasets")


@app.command("audit")
@fails_cleanly
def audit_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file to audit")],
    target: Annotated[
        str, typer.Option("--target", metavar="COL", help="column holding the true label")
    ],
    sensitive: Annotated[
        list[str], typer.Option("--sensitive", metavar="COL",
                                help="sensitive column (repeat for intersections)")
    ],
    pred: Annotated[
        str | None,
        typer.Option("--pred", metavar="COL",
                     help="column holding a model's predictions (or scores)"),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option("--positive", metavar="VALUE",
                     help="the target value that is positive (needed unless 0/1, true/false, "
                          "yes/no)"),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", metavar="T",
                     help="read --pred as scores: a score >= T predicts the positive value"),
    ] = None,
    sep: Annotated[
        str | None,
        typer.Option("--sep", metavar="CHAR", help="CSV delimiter (default: detected)"),
    ] = None,
    missing: Annotated[
        str,
        typer.Option("--missing", metavar="error|drop|group",
                     help="rows with a missing sensitive value: refuse, drop, or own group"),
    ] = "error",
    min_support: Annotated[
        int,
        typer.Option("--min-support", metavar="N", help="flag groups with fewer rows as small"),
    ] = 30,
    confidence: Annotated[
        float,
        typer.Option("--confidence", metavar="LEVEL", help="level of the Wilson intervals"),
    ] = 0.95,
    format: Annotated[
        str, typer.Option("--format", metavar="table|json|csv", help="output format")
    ] = "table",
) -> None:
    """Audit a table: representation and base rates per group, or a model's predictions."""
    from fairpool.audit import audit_file, check_format, print_audit

    format = check_format(format)  # before reading a large file
    result = audit_file(
        file, target=target, sensitive=sensitive, pred=pred, sep=sep, pos_label=positive,
        threshold=threshold, missing=missing.strip().lower(), min_support=min_support,
        confidence=confidence,
    )
    print_audit(result, format=format)


@app.command("run")
@fails_cleanly
def run_command(
    config: Annotated[
        str | None,
        typer.Argument(help="experiment TOML file, or a bundled config name (default: default)"),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="folder for fairpool.duckdb and report.html")
    ] = Path("results"),
    executor: Annotated[
        str, typer.Option("--executor", "--backend", help="where cells run: local or ray")
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="worker processes (default: CPU cores; 1 = in-process)"),
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster to join (with --executor ray)")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="validate the config (and load its data), run nothing")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="write report.html after the run")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Run an experiment grid; finished cells are stored and skipped when run again."""
    from fairpool.bench import check_command_output, run_and_summarise

    if check:
        typer.echo(check_command_output(config))
        return
    code = run_and_summarise(
        config, out=out, executor=executor, workers=workers, address=address,
        report=report, quiet=quiet,
    )
    if code:
        raise typer.Exit(code=code)


@app.command("results")
@fails_cleanly
def results_command(
    database: Annotated[
        Path, typer.Argument(help="results database (default: results/fairpool.duckdb)")
    ] = Path("results/fairpool.duckdb"),
    export: Annotated[
        Path | None, typer.Option("--export", help="write a table to FILE.parquet or FILE.csv")
    ] = None,
    table: Annotated[
        str, typer.Option("--table", help="what --export writes: rounds, final or runs")
    ] = "rounds",
) -> None:
    """Print the final-budget summary (mean ± sd over seeds) of a results database."""
    from fairpool.bench import print_results

    print_results(database, export=export, table=table)


@app.command("report")
@fails_cleanly
def report_command(
    database: Annotated[
        Path, typer.Argument(help="results database (default: results/fairpool.duckdb)")
    ] = Path("results/fairpool.duckdb"),
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: report.html beside the DB)")
    ] = None,
) -> None:
    """Write one self-contained HTML report (figures, tables, config, versions)."""
    from fairpool.bench import write_report

    typer.echo(f"report: {write_report(database, out)}")


def _one_line(obj: Any) -> str:
    """The first line of ``obj``'s docstring (empty when it has none)."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip().replace("``", "").replace("*", "") if doc else ""


def _print_names(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, summary in rows:
        typer.echo(f"{name.ljust(width)}  {summary}".rstrip())


@app.command("strategies")
@fails_cleanly
def strategies_command() -> None:
    """List the query strategies, one line each (name and what it does)."""
    from fairpool.active import available_strategies, strategy_class

    _print_names([(n, _one_line(strategy_class(n))) for n in available_strategies()])


@app.command("learners")
@fails_cleanly
def learners_command() -> None:
    """List the learners the loop builds by name, one line each."""
    from fairpool.learners import available_learners, learner_factory

    _print_names([(n, _one_line(learner_factory(n))) for n in available_learners()])


def _version(value: bool) -> None:
    if value:
        from fairpool import __version__

        typer.echo(f"fairpool {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Fairness-aware active learning: which examples to label next, and the audit around it."""


def main() -> None:
    """Entry point of the ``fairpool`` console script."""
    app(prog_name="fairpool")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
