"""The ``fairpool`` command.

Every command turns a :class:`~fairpool.errors.FairpoolError` (and an unreadable
file) into one line on stderr and a non-zero exit, never a traceback.

Why one module: each command is a thin typer wrapper (options, help text, exit codes)
over a function of its package (``audit``, ``sessions``, ``bench``, ``datasets``), which
holds the work; what is shared between commands (the error-to-exit decorator, the
``--format`` and ``--sensitive`` options, lazy imports that keep ``--help`` fast) lives
once here, and the whole command line reads as one page.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from fairpool.errors import FairpoolError, InvalidInputError

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
    raw: Annotated[
        str | None,
        typer.Option("--raw", metavar="NAME",
                     help="write this bundled dataset's raw table (adult, compas, german)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="where --raw writes (.csv or .parquet)"),
    ] = None,
) -> None:
    """List the bundled datasets, or write one as the raw table its files hold (--raw)."""
    from fairpool.audit import render_frame
    from fairpool.datasets import catalog, raw_table

    if raw is None:
        if out is not None:
            raise InvalidInputError("--out goes with --raw NAME (the dataset to write)")
        render_frame(catalog(), format=format, title="Bundled datasets")
        return
    if out is None:
        raise InvalidInputError(f"--raw {raw} needs --out FILE (.csv or .parquet)")
    table = raw_table(raw)
    if out.suffix.lower() in (".parquet", ".pq"):
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    typer.echo(f"wrote {len(table):,} rows x {table.shape[1]} columns of {raw!r} to {out}")


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
    by_period: Annotated[
        str | None,
        typer.Option("--by-period", metavar="day|week|month|quarter|year",
                     help="audit per period of a timestamp column, with a change test"),
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option("--time-column", metavar="COL",
                     help="timestamp column of --by-period (default: the one detected)"),
    ] = None,
    reference: Annotated[
        str, typer.Option("--reference", metavar="PERIOD",
                          help="period --by-period compares with: first, or a label (2013Q2)")
    ] = "first",
    alpha: Annotated[
        float, typer.Option("--alpha", metavar="A", help="level of the change test")
    ] = 0.05,
    subgroups: Annotated[
        bool, typer.Option("--subgroups", help="every group and intersection with intervals, "
                           "ranked worst first, tested against the rest (needs --pred)")
    ] = False,
    max_depth: Annotated[
        int | None, typer.Option("--max-depth", metavar="K",
                                 help="search the worst slices of up to K columns (SliceLine)")
    ] = None,
    slice_by: Annotated[
        list[str] | None, typer.Option("--slice-by", metavar="COL",
                                       help="another column for the slice search (repeat)")
    ] = None,
    rank_by: Annotated[
        str, typer.Option("--rank-by", metavar="RATE", help="rate that ranks groups and slices")
    ] = "error_rate",
    ci: Annotated[
        str, typer.Option("--ci", metavar="wilson|bootstrap", help="subgroup intervals")
    ] = "wilson",
    n_boot: Annotated[
        int, typer.Option("--n-boot", metavar="N", help="bootstrap resamples")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="bootstrap seed")] = 0,
    correction: Annotated[
        str, typer.Option("--correction", metavar="METHOD",
                          help="multiple-testing correction (statsmodels name, or none)")
    ] = "holm",
    bins: Annotated[
        int | None, typer.Option("--bins", metavar="N",
                                 help="quantile bins of numeric columns (slices: 4)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", metavar="FILE",
                                  help="also write one self-contained HTML page: headline, "
                                       "groups, subgroups, explanations (and --stress)")
    ] = None,
    stress: Annotated[
        bool, typer.Option("--stress", help="add a stress test to --report (sampling and "
                           "historical bias, rates 0-0.5, 2 seeds; retrains, so slower)")
    ] = False,
    stress_group: Annotated[
        str | None, typer.Option("--stress-group", metavar="NAME",
                                 help="group --stress biases (default: the smallest; "
                                      "intersections as a|b)")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain/--no-explain",
                           help="SHAP explanations per group in --report (needs shap)")
    ] = True,
) -> None:
    """Audit a table: representation and base rates per group, or a model's predictions."""
    from fairpool.audit import audit_file, check_format, print_audit

    format = check_format(format)  # before reading a large file
    if report is not None:
        _audit_report(file, report, format, subgroups=subgroups, max_depth=max_depth,
                      by_period=by_period or time_column, target=target, sensitive=sensitive,
                      pred=pred, sep=sep, pos_label=positive, threshold=threshold,
                      missing=missing.strip().lower(), min_support=min_support,
                      confidence=confidence, slice_by=slice_by or [], n_bins=bins,
                      rank_by=rank_by.strip().lower(), ci=ci.strip().lower(), n_boot=n_boot,
                      random_state=seed, correction=correction, stress=stress,
                      stress_group=stress_group, explain=explain)
        return
    if stress or stress_group is not None:
        raise InvalidInputError("--stress and --stress-group add a stress test to the page "
                                "of --report FILE; name the page (or run fairpool stress)")
    if by_period is not None or time_column is not None:
        _audit_by_period(file, target, sensitive, pred, sep, by_period, time_column, format,
                         reference=reference, alpha=alpha, pos_label=positive,
                         threshold=threshold, missing=missing.strip().lower(),
                         min_support=min_support, confidence=confidence)
        return
    if subgroups or max_depth is not None:
        from fairpool.audit import print_subgroup_audit, subgroup_audit_file

        print_subgroup_audit(subgroup_audit_file(
            file, sep=sep, target=target, sensitive=sensitive, pred=pred, pos_label=positive,
            threshold=threshold, missing=missing.strip().lower(), show_subgroups=subgroups,
            max_depth=max_depth, slice_by=slice_by or [], n_bins=bins,
            min_support=min_support, alpha=round(1 - confidence, 12),
            rank_by=rank_by.strip().lower(), ci=ci.strip().lower(), n_boot=n_boot,
            random_state=seed, correction=correction,
        ), format=format)
        return
    result = audit_file(
        file, target=target, sensitive=sensitive, pred=pred, sep=sep, pos_label=positive,
        threshold=threshold, missing=missing.strip().lower(), min_support=min_support,
        confidence=confidence,
    )
    print_audit(result, format=format)


def _audit_report(file: Path, out: Path, format: str, *, subgroups: bool,
                  max_depth: int | None, by_period: str | None, **options: Any) -> None:
    """``fairpool audit --report FILE``: print the audit, write the page of the same numbers."""
    from dataclasses import replace

    from fairpool.audit import print_audit, print_subgroup_audit
    from fairpool.bench import audit_report, write_audit_report

    if by_period is not None:
        raise InvalidInputError("--report writes the page of one audit; --by-period and "
                                "--time-column print the monitor instead: run them apart")
    if subgroups and options["pred"] is None:
        raise InvalidInputError("--subgroups and --max-depth audit predictions: name the "
                                "prediction column with --pred (pred= in Python)")
    result = audit_report(file, max_depth=max_depth, **options)
    if subgroups or max_depth is not None:
        print_subgroup_audit(replace(result.subgroups, subgroups=result.subgroups.subgroups
                                     if subgroups else None), format=format)
    else:
        print_audit(result.audit, format=format)
    written = write_audit_report(result, out)
    typer.echo(f"wrote the audit report to {written}", err=True)


def _audit_by_period(
    file: Path, target: str, sensitive: list[str], pred: str | None, sep: str | None,
    by_period: str | None, time_column: str | None, format: str, **options: Any,
) -> None:
    """``fairpool audit --by-period``: :func:`fairpool.audit.monitor_file`, printed."""
    from fairpool.audit import PERIODS, monitor_file, print_monitor

    if by_period is None:
        raise InvalidInputError("--time-column goes with --by-period "
                                f"{'|'.join(PERIODS)}")
    if pred is None:
        raise InvalidInputError("--by-period monitors a model's predictions: name them "
                                "with --pred COL")
    result = monitor_file(file, target=target, sensitive=sensitive, pred=pred, sep=sep,
                          time_column=time_column, period=by_period.strip().lower(),
                          **options)
    print_monitor(result, format=format)


@app.command("mitigate")
@fails_cleanly
def mitigate_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file with labels")],
    target: Annotated[
        str, typer.Option("--target", metavar="COL", help="column holding the binary label")
    ],
    sensitive: Annotated[
        list[str], typer.Option("--sensitive", metavar="COL",
                                help="sensitive column (repeat for intersections)")
    ],
    method: Annotated[
        str, typer.Option("--method", metavar="NAME",
                          help="reweighing, resampling, correlation_remover, penalty, "
                               "adversarial, reduction, thresholds or voting")
    ],
    model: Annotated[
        str, typer.Option("--model", metavar="NAME", help="the learner (fairpool learners)")
    ] = "logreg",
    positive: Annotated[
        str | None, typer.Option("--positive", metavar="VALUE",
                                 help="the positive target value (unless 0/1, true/false, yes/no)")
    ] = None,
    test_size: Annotated[
        float, typer.Option("--test-size", metavar="SHARE", help="share of rows held out")
    ] = 0.3,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="random seed")] = 0,
    option: Annotated[
        list[str] | None, typer.Option("--option", metavar="KEY=VALUE",
                                       help="option of the mitigation (repeatable)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE",
                                  help="save the mitigated model, scaler and encoder (skops)")
    ] = None,
    format: Annotated[
        str, typer.Option("--format", metavar="table|json|csv", help="output format")
    ] = "table",
) -> None:
    """Fit a model plain and mitigated; compare accuracy and fairness on held-out rows."""
    from fairpool.audit import check_format, mitigation_report, print_mitigation

    format = check_format(format)  # before fitting anything
    report = mitigation_report(
        file, target=target, sensitive=sensitive, method=method, model=model,
        positive=positive, test_size=test_size, seed=seed,
        options=_options_from(option, "--option"),
    )
    print_mitigation(report, format=format)
    if out is not None:
        report.save(out)
        typer.echo(f"saved the mitigated model to {out}", err=format != "table")


@app.command("stress")
@fails_cleanly
def stress_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file with labels")],
    target: Annotated[
        str, typer.Option("--target", metavar="COL", help="column holding the binary label")
    ],
    sensitive: Annotated[
        list[str], typer.Option("--sensitive", metavar="COL",
                                help="sensitive column (repeat for intersections)")
    ],
    group: Annotated[
        str, typer.Option("--group", metavar="NAME", help="the group that receives the bias")
    ],
    source: Annotated[
        list[str], typer.Option("--source", metavar="NAME",
                                help="sampling, measurement, historical or prediction "
                                     "(repeatable)")
    ],
    rates: Annotated[
        str, typer.Option("--rates", metavar="R,R,...",
                          help="shares of the group's rows affected, each in [0, 1)")
    ] = "0,0.1,0.2,0.3,0.4,0.5",
    seeds: Annotated[int, typer.Option("--seeds", metavar="N", help="seeds 0..N-1")] = 3,
    model: Annotated[
        str, typer.Option("--model", metavar="NAME", help="the learner (fairpool learners)")
    ] = "logreg",
    strategy: Annotated[
        list[str] | None, typer.Option("--strategy", metavar="NAME",
                                       help="also run an active-learning campaign with this "
                                            "strategy ('none': the plain fit; repeatable)")
    ] = None,
    budget: Annotated[
        int, typer.Option("--budget", metavar="N", help="labels a campaign buys")
    ] = 400,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", help="labels bought per round")
    ] = 50,
    positive: Annotated[
        str | None, typer.Option("--positive", metavar="VALUE",
                                 help="the positive target value (unless 0/1, true/false, yes/no)")
    ] = None,
    test_size: Annotated[
        float, typer.Option("--test-size", metavar="SHARE", help="share of rows held out")
    ] = 0.3,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="write the whole table (CSV)")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", metavar="FILE",
                                  help="save the plot of each metric against the rate (PNG)")
    ] = None,
    format: Annotated[
        str, typer.Option("--format", metavar="table|json|csv", help="output format")
    ] = "table",
) -> None:
    """Inject a source of bias into one group at rates; retrain and score on clean test rows."""
    from fairpool.audit import check_format, plot_stress_test, render_frame, stress_test
    from fairpool.datasets import read_table

    format = check_format(format)
    try:
        rate_values = [float(r) for r in rates.split(",") if r.strip()]
    except ValueError:
        raise InvalidInputError(
            f"--rates must be numbers separated by commas, got {rates!r}") from None
    if seeds < 1:
        raise InvalidInputError(f"--seeds must be at least 1, got {seeds}")
    strategies = [None if s == "none" else s for s in (strategy or ["none"])]
    table = stress_test(read_table(file), target=target, sensitive=sensitive, positive=positive,
                        source=source, group=group, rates=rate_values,
                        seeds=list(range(seeds)), model=model, strategy=strategies,
                        budget=budget, batch_size=batch_size, test_size=test_size)
    if out is not None:
        table.to_csv(out, index=False)
    if plot is not None:
        plot_stress_test(table, path=plot)
    shown = (table.groupby(["source", "strategy", "rate"], sort=False)
             [["n_affected", "accuracy", "f1", "demographic_parity", "equalized_odds"]]
             .mean().reset_index())
    render_frame(shown, format=format,
                 title=f"Bias injected into {group}: mean over {seeds} seed(s), clean test rows")
    for path, what in ((out, "table"), (plot, "plot")):
        if path is not None:
            typer.echo(f"wrote the {what} to {path}", err=True)


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
        Path, typer.Argument(help="results database or session directory")
    ] = Path("results/fairpool.duckdb"),
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: report.html beside DB/in DIR)")
    ] = None,
) -> None:
    """Write one self-contained HTML report of a results database or a labelling session."""
    from fairpool.bench import write_report, write_session_report

    write = write_session_report if database.is_dir() else write_report
    typer.echo(f"report: {write(database, out)}")


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


# -- fairpool session ... -------------------------------------------------------------
session_app = typer.Typer(
    name="session",
    help="A labelling campaign on your own data, kept in a directory (docs/sessions.md).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"max_content_width": 100},
)
app.add_typer(session_app, name="session")

#: Exit status of `fairpool session teach` when some rows of the file were refused.
TEACH_REFUSED_EXIT = 3


def _options_from(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as a dict; a value is read as JSON when it parses (numbers,
    true/false, lists), otherwise kept as text."""
    import json


    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{flag} takes KEY=VALUE, got {pair!r}")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def _metrics_line(metrics: dict[str, float] | None, evaluation: str) -> str:
    if not metrics:
        return ""
    shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if v == v)
    return f"round metrics ({evaluation}): {shown}" if shown else ""


@session_app.command("init")
@fails_cleanly
def session_init_command(
    directory: Annotated[Path, typer.Argument(help="new or empty directory for the session")],
    labelled: Annotated[
        Path, typer.Option("--labelled", metavar="FILE", help="labelled rows (CSV or Parquet)")
    ],
    pool: Annotated[
        Path, typer.Option("--pool", metavar="FILE", help="unlabelled rows (CSV or Parquet)")
    ],
    target: Annotated[str, typer.Option("--target", metavar="COL", help="the label column")],
    sensitive: Annotated[
        list[str], typer.Option("--sensitive", metavar="COL",
                                help="sensitive column (repeat for intersections)")
    ],
    id: Annotated[  # noqa: A002 - the option's name
        str | None, typer.Option("--id", metavar="COL",
                                 help="column identifying each row (default: a hash of the row)")
    ] = None,
    validation: Annotated[
        Path | None, typer.Option("--validation", metavar="FILE",
                                  help="labelled rows the round metrics are measured on")
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", metavar="NAME", help="query strategy (fairpool strategies)")
    ] = "entropy",
    learner: Annotated[
        str, typer.Option("--learner", metavar="NAME", help="learner (fairpool learners)")
    ] = "logreg",
    budget: Annotated[
        int | None, typer.Option("--budget", metavar="N",
                                 help="labels to buy in all (default: the pool's size)")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", help="rows per query")
    ] = 50,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="random seed")] = 0,
    positive: Annotated[
        str | None, typer.Option("--positive", metavar="VALUE",
                                 help="the positive target value (unless 0/1, true/false, yes/no)")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--drop", metavar="COL", help="column to leave out")
    ] = None,
    categorical: Annotated[
        list[str] | None, typer.Option("--categorical", metavar="COL",
                                       help="numeric column to one-hot encode")
    ] = None,
    strategy_option: Annotated[
        list[str] | None, typer.Option("--strategy-option", metavar="KEY=VALUE",
                                       help="option of the strategy (repeatable)")
    ] = None,
    learner_option: Annotated[
        list[str] | None, typer.Option("--learner-option", metavar="KEY=VALUE",
                                       help="option of the learner (repeatable)")
    ] = None,
) -> None:
    """Start a session from a labelled table and an unlabelled pool."""
    from fairpool.sessions import Session

    session = Session.create(
        directory, labelled=labelled, pool=pool, target=target, sensitive=sensitive, id=id,
        validation=validation, strategy=strategy, learner=learner, budget=budget,
        batch_size=batch_size, seed=seed, positive=positive,
        strategy_options=_options_from(strategy_option, "--strategy-option"),
        learner_options=_options_from(learner_option, "--learner-option"),
        drop=drop, categorical=categorical,
    )
    config = session.config
    typer.echo(
        f"session {directory}: {config['n_labelled']} labelled rows, {config['n_pool']} pool "
        f"rows, {len(config['feature_names'])} features, groups {config['group_names']}, "
        f"classes {config['classes']}; strategy {strategy}, learner {learner}, budget "
        f"{config['budget'] or config['n_pool']}"
    )
    typer.echo(f"next: fairpool session query {directory} --out batch.csv")


@session_app.command("query")
@fails_cleanly
def session_query_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    n: Annotated[
        int | None, typer.Option("--n", metavar="N", help="rows to pick (default: batch size)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="write the batch here "
                                  "(default: CSV on standard output)")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", metavar="csv|parquet|labelstudio",
                                 help="file format (default: from the --out name, else csv)")
    ] = None,
    release: Annotated[
        bool, typer.Option("--release", help="first free the unlabelled rows of open batches")
    ] = False,
) -> None:
    """Pick the next batch of pool rows to label (reserved until taught or released)."""
    import json

    from fairpool.sessions import Session

    fmt = (format or ("parquet" if out is not None and out.suffix.lower() in (".parquet", ".pq")
                      else "labelstudio" if out is not None and out.suffix.lower() == ".json"
                      else "csv")).lower()
    if fmt not in ("csv", "parquet", "labelstudio"):
        raise InvalidInputError(f"--format must be csv, parquet or labelstudio, got {format!r}")
    if fmt == "parquet" and out is None:
        raise InvalidInputError("--format parquet needs --out FILE")
    with Session.open(directory) as session:
        batch = session.query(n, release=release)
        batch_id = int(batch["batch"].iloc[0])
        if fmt == "labelstudio":
            text = json.dumps(session.label_studio_tasks(batch), indent=1, ensure_ascii=False)
            if out is None:
                typer.echo(text)
            else:
                out.write_text(text + "\n", encoding="utf-8")
                config = out.with_suffix(".labelconfig.xml")
                config.write_text(session.label_studio_config(), encoding="utf-8")
        elif fmt == "parquet":
            batch.to_parquet(out, index=False)
        elif out is None:
            typer.echo(batch.to_csv(index=False), nl=False)
        else:
            batch.to_csv(out, index=False)
    if out is not None:
        extra = f" (Label Studio labeling config: {config})" if fmt == "labelstudio" else ""
        typer.echo(f"batch {batch_id}: {len(batch)} row(s) written to {out}{extra}")
    else:
        typer.echo(f"batch {batch_id}: {len(batch)} row(s)", err=True)


@session_app.command("teach")
@fails_cleanly
def session_teach_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    file: Annotated[Path, typer.Argument(help="labels: CSV/Parquet (id and label columns) "
                                              "or a Label Studio JSON export")],
    annotator: Annotated[
        str | None, typer.Option("--annotator", metavar="NAME", help="recorded with the labels")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", metavar="COL",
                                 help="id column (default: the session's id column or id)")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option("--label-column", metavar="COL",
                                 help="label column (default: the target column or label)")
    ] = None,
) -> None:
    """Store the labels of a file, then refit. Exit 3 when some rows were refused."""
    from fairpool.sessions import Session

    with Session.open(directory) as session:
        report = session.teach(file, annotator=annotator, id_column=id_column,
                               label_column=label_column, refit=False)
        # Printed after the labels' transaction committed: an acknowledged label is stored.
        typer.echo(report.summary())
        for problem in report.refused:
            typer.echo(f"  refused {problem}")
        if report.teach_id is not None:
            session.catch_up()
            recorded = session.round_metrics(report.teach_id)
            if recorded is not None:
                line = _metrics_line(*recorded)
                if line:
                    typer.echo(line)
    if report.refused and not report.noop:
        raise typer.Exit(code=TEACH_REFUSED_EXIT)


@session_app.command("status")
@fails_cleanly
def session_status_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    format: Annotated[
        str, typer.Option("--format", metavar="table|json", help="output format")
    ] = "table",
) -> None:
    """Budget, open batches, per-round metrics with their trend, and the groups' label shares."""
    import json

    from fairpool.sessions import Session, print_status

    if format not in ("table", "json"):
        raise InvalidInputError(f"--format must be table or json, got {format!r}")
    with Session.open(directory) as session:
        status = session.status()
    if format == "json":
        typer.echo(json.dumps(status.to_dict(), indent=1))
    else:
        print_status(status)


@session_app.command("export")
@fails_cleanly
def session_export_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE",
                                  help="CSV or .parquet file (default: CSV on standard output)")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", metavar="csv|parquet", help="overrides the name")
    ] = None,
) -> None:
    """Every label (initial and taught) with its batch, round, source and annotator."""
    from fairpool.sessions import Session

    with Session.open(directory) as session:
        frame = session.export(out, format=format)
    if out is None:
        typer.echo(frame.to_csv(index=False), nl=False)
    else:
        typer.echo(f"{len(frame)} label(s) written to {out}")


@session_app.command("undo")
@fails_cleanly
def session_undo_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
) -> None:
    """Undo the last teach (its labels stop counting; nothing is deleted)."""
    from fairpool.sessions import Session

    with Session.open(directory) as session:
        typer.echo(session.undo())


@session_app.command("release")
@fails_cleanly
def session_release_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    batch: Annotated[
        int | None, typer.Option("--batch", metavar="N", help="only this batch (default: all)")
    ] = None,
) -> None:
    """Free the unlabelled rows of open batches so a query may offer them again."""
    from fairpool.sessions import Session

    with Session.open(directory) as session:
        n = session.release(batch)
    where = f"batch {batch}" if batch is not None else "the open batches"
    typer.echo(f"released {n} row(s) of {where}")


@session_app.command("strategy")
@fails_cleanly
def session_strategy_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    name: Annotated[str, typer.Argument(help="strategy for the next queries")],
    option: Annotated[
        list[str] | None, typer.Option("--option", metavar="KEY=VALUE",
                                       help="option of the strategy (repeatable)")
    ] = None,
) -> None:
    """Change the strategy from the next query on (recorded)."""
    from fairpool.sessions import Session

    options = _options_from(option, "--option")
    with Session.open(directory) as session:
        session.set_strategy(name, **options)
    typer.echo(f"strategy {name} from the next query on")


@session_app.command("sync")
@fails_cleanly
def session_sync_command(
    directory: Annotated[Path, typer.Argument(help="the session directory")],
    label_studio: Annotated[
        str, typer.Option("--label-studio", metavar="URL", help="the Label Studio server")
    ],
    api_key: Annotated[str, typer.Option("--api-key", metavar="KEY", help="access token")],
    project: Annotated[int, typer.Option("--project", metavar="ID", help="project id")],
) -> None:
    """Push open batches to a Label Studio project and teach its finished annotations."""
    from fairpool.sessions import Session

    with Session.open(directory) as session:
        report = session.sync(label_studio, api_key, project)
    typer.echo(str(report))
    if report.teach is not None and report.teach.refused:
        raise typer.Exit(code=TEACH_REFUSED_EXIT)


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
