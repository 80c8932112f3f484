"""Audit a user's table: the data itself, or a model's predictions on it.

This is what ``fairpool audit`` runs. The table goes through
:func:`fairpool.datasets.from_frame`, the same encoding path every other part of
fairpool uses for user data, so the groups and labels an audit reports are the
ones a later active-learning run would see.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairpool.errors import InvalidInputError, MissingValueError, UnknownColumnError

__all__ = ["AuditResult", "audit_frame", "audit_file", "read_table", "print_audit", "render_frame"]

OutputFormat = Literal["table", "json", "csv"]
_FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class AuditResult:
    """What an audit found.

    Attributes
    ----------
    kind : {"data", "predictions"}
        ``"data"`` audits representation and base rates; ``"predictions"`` a model.
    by_group : pandas.DataFrame
        One row per (possibly intersectional) group.
    summary : dict
        Overall figures and the gaps between groups.
    """

    kind: Literal["data", "predictions"]
    by_group: pd.DataFrame
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of the whole result."""
        return {
            "kind": self.kind,
            "summary": {k: _jsonable(v) for k, v in self.summary.items()},
            "by_group": json.loads(self.by_group.reset_index().to_json(orient="records")),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    InvalidInputError
        If the file cannot be parsed as CSV or Parquet.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        kind = "Parquet" if ".parquet" in suffixes else "CSV"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"cannot read {path} as {kind}: {first}") from None


def audit_frame(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None = None,
) -> AuditResult:
    """Audit a table's labels, or a model's predictions, per sensitive group.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    target : str
        Column holding the true (recorded) label.
    sensitive : str or list of str
        Sensitive column(s); several give intersectional groups.
    pred : str, optional
        Column holding a model's predicted labels. Without it the data is audited
        (representation and base rate per group); with it, the predictions.

    Returns
    -------
    AuditResult
    """
    from fairpool.datasets import from_frame
    from fairpool.metrics import data_report, group_report

    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    for col in [target, *sensitive, *([pred] if pred is not None else [])]:
        if col not in df.columns:
            raise UnknownColumnError(
                f"column {col!r} not in the table; columns are: {', '.join(map(str, df.columns))}"
            )
    # Only the label and the groups matter to an audit: leaving the other columns
    # out keeps a missing value in an unrelated feature from blocking it.
    ds = from_frame(df[[target, *dict.fromkeys(sensitive)]], target=target, sensitive=sensitive)
    groups = pd.Series(
        np.asarray(ds.group_names, dtype=object)[ds.groups], name="|".join(sensitive)
    )
    if pred is None:
        report = data_report(ds.y, sensitive_features=groups)
        return AuditResult("data", report.by_group, dict(report.summary))
    y_pred = _encode_predictions(df[pred], positive=ds.info.get("positive_label"), column=pred)
    report = group_report(ds.y, y_pred, sensitive_features=groups)
    summary = {f"overall_{k}": v for k, v in report.overall.items()}
    summary.update({f"difference_{k}": v for k, v in report.difference().items()})
    summary.update({f"ratio_{k}": v for k, v in report.ratio().items()})
    return AuditResult("predictions", report.by_group, summary)


def _encode_predictions(values: pd.Series, *, positive: Any, column: str) -> np.ndarray:
    """Map a prediction column to 0/1 with the target's positive value."""
    if values.isna().any():
        raise MissingValueError(
            f"column {column!r} has {int(values.isna().sum())} missing predictions"
        )
    if positive is not None and values.dtype.kind not in "biuf":
        return (values.astype(str) == str(positive)).to_numpy(dtype=np.int64)
    arr = values.to_numpy()
    uniques = set(np.unique(arr).tolist())
    if not uniques <= {0, 1}:  # True == 1 and False == 0 in a set
        raise InvalidInputError(
            f"column {column!r} must hold binary predictions (0/1 or the target's values), "
            f"got {sorted(map(str, uniques))[:5]}"
        )
    return arr.astype(np.int64)


def audit_file(
    path: str | Path,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None = None,
) -> AuditResult:
    """Read a CSV or Parquet file and audit it; see :func:`audit_frame`."""
    return audit_frame(read_table(path), target=target, sensitive=sensitive, pred=pred)


def render_frame(frame: pd.DataFrame, *, format: str = "table", title: str = "") -> None:
    """Print a DataFrame as a rich table, JSON records or CSV on stdout."""
    _check_format(format)
    if format == "json":
        print(frame.reset_index(drop=True).to_json(orient="records", indent=2))
    elif format == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=title or None)
        for col in frame.columns:
            table.add_column(escape(str(col)))
        # A user's column names and group values are data, never rich markup.
        for row in frame.itertuples(index=False):
            table.add_row(*(escape(_fmt(v)) for v in row))
        # Off a terminal (pipes, CI logs) rich would wrap to 80 columns and cut cells.
        console = Console() if sys.stdout.isatty() else Console(width=200)
        console.print(table)


def print_audit(result: AuditResult, *, format: str = "table") -> None:
    """Print an :class:`AuditResult` as rich tables, JSON or CSV on stdout."""
    _check_format(format)
    if format == "json":
        print(json.dumps(result.to_dict(), indent=2))
        return
    by_group = result.by_group.reset_index()
    if format == "csv":
        print(by_group.to_csv(index=False), end="")
        return
    title = "Data audit" if result.kind == "data" else "Prediction audit"
    render_frame(by_group, format="table", title=f"{title}: per group")
    summary = pd.DataFrame(
        {"measure": list(result.summary), "value": pd.Series(result.summary.values(), dtype=object)}
    )
    render_frame(summary, format="table", title=f"{title}: summary")


def _check_format(format: str) -> None:
    if format not in _FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(_FORMATS)}, got {format!r}")


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "nan" if np.isnan(value) else f"{value:.4g}"
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)
