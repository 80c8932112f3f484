"""The ``fairpool`` command.

Every command turns a :class:`~fairpool.errors.FairpoolError` (and an unreadable
file) into one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
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
)


def fails_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a CLI command so that user errors print one line and exit with status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
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
    target: Annotated[str, typer.Option("--target", help="column holding the true label")],
    sensitive: Annotated[
        list[str], typer.Option("--sensitive", help="sensitive column (repeat for intersections)")
    ],
    pred: Annotated[
        str | None, typer.Option("--pred", help="column holding a model's predictions")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """Audit a table: representation and base rates per group, or a model's predictions."""
    from fairpool.audit import audit_file, print_audit

    result = audit_file(file, target=target, sensitive=sensitive, pred=pred)
    print_audit(result, format=format)


def main() -> None:
    """Entry point of the ``fairpool`` console script."""
    app(prog_name="fairpool")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
