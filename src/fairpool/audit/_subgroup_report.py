"""``fairpool audit FILE ... --subgroups / --max-depth K``: subgroups and worst slices of a table.

The glue between a user's table and :func:`fairpool.audit.subgroups` /
:func:`fairpool.audit.worst_slices`: the columns, target coding, predictions and
missing sensitive values are read exactly as :func:`fairpool.audit.audit_frame`
reads them (its checks are called, not copied), then the two analyses run and
print as a rich table, JSON or CSV.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fairpool.audit._audit import _check_columns, _sensitive_frame
from fairpool.audit._labels import encode_predictions, encode_target
from fairpool.audit._render import _console, _rich_table, check_format
from fairpool.audit._slices import worst_slices
from fairpool.audit._subgroups import subgroups
from fairpool.datasets import read_table
from fairpool.errors import EmptyInputError, InvalidInputError

__all__ = ["SubgroupAudit", "print_subgroup_audit", "subgroup_audit", "subgroup_audit_file"]


@dataclass(frozen=True)
class SubgroupAudit:
    """The subgroup table and the worst slices of a table's predictions.

    Attributes
    ----------
    subgroups : pandas.DataFrame or None
        :func:`fairpool.audit.subgroups`'s table (None when not asked for).
    slices : pandas.DataFrame or None
        :func:`fairpool.audit.worst_slices`'s table (None when not asked for).
    target : str
    positive : object
        The target value counted as positive.
    predictions : str
        How the predictions were read.
    notes : tuple of str
        Rows dropped or grouped for missing sensitive values.
    """

    subgroups: pd.DataFrame | None
    slices: pd.DataFrame | None
    target: str
    positive: Any
    predictions: str
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: the facts, each table's records and its settings."""

        def records(frame: pd.DataFrame | None) -> Any:
            if frame is None:
                return None
            return json.loads(frame.to_json(orient="records", double_precision=15))

        def settings(frame: pd.DataFrame | None) -> Any:
            return None if frame is None else json.loads(json.dumps(frame.attrs, default=str))

        return {"target": self.target, "positive": _plain(self.positive),
                "predictions": self.predictions, "notes": list(self.notes),
                "subgroups": records(self.subgroups),
                "subgroup_settings": settings(self.subgroups),
                "worst_slices": records(self.slices),
                "slice_settings": settings(self.slices)}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def subgroup_audit(
    df: pd.DataFrame,
    *,
    target: str,
    sensitive: str | list[str],
    pred: str | None,
    pos_label: Any = None,
    threshold: float | None = None,
    missing: str = "error",
    show_subgroups: bool = True,
    max_depth: int | None = None,
    slice_by: list[str] | tuple[str, ...] = (),
    n_bins: int | None = None,
    k: int = 10,
    **options: Any,
) -> SubgroupAudit:
    """Subgroup table and/or worst slices of a table's predictions.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    target, sensitive, pred, pos_label, threshold, missing
        As for :func:`fairpool.audit.audit_frame`; ``pred`` is required.
    show_subgroups : bool, default True
        Run :func:`fairpool.audit.subgroups` on the sensitive columns.
    max_depth : int, optional
        Run :func:`fairpool.audit.worst_slices` with slices of up to this many
        predicates over the sensitive and ``slice_by`` columns.
    slice_by : sequence of str
        More columns for the slice search (numeric ones are binned).
    n_bins : int, optional
        Quantile bins of numeric columns: for the subgroups when given (default: none),
        for the slices (default: 4).
    k : int, default 10
        Slices to show.
    **options
        ``min_support``, ``rank_by``, ``ci``, ``n_boot``, ``random_state``,
        ``correction``, ``alpha`` of :func:`fairpool.audit.subgroups`;
        ``min_support`` and ``rank_by`` (the slice metric) also reach
        :func:`fairpool.audit.worst_slices`.

    Returns
    -------
    SubgroupAudit

    Raises
    ------
    InvalidInputError
        If ``pred`` is None, or neither analysis is asked for; and whatever
        :func:`fairpool.audit.audit_frame`, :func:`fairpool.audit.subgroups` and
        :func:`fairpool.audit.worst_slices` raise.
    UnknownColumnError
        If a named column is not in the table.
    """
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if pred is None:
        raise InvalidInputError("--subgroups and --max-depth audit predictions: name the "
                                "prediction column with --pred (pred= in Python)")
    if not show_subgroups and max_depth is None:
        raise InvalidInputError("ask for the subgroup table (--subgroups) or the worst slices "
                                "(--max-depth K), or both")
    extra = [c for c in slice_by if c not in sensitive]
    _check_columns(df, target, sensitive + extra, pred)
    if len(df) == 0:
        raise EmptyInputError("the table has no rows")
    groups, keep, notes = _sensitive_frame(df, sensitive, missing)
    rows = df.loc[keep] if not keep.all() else df
    labels = encode_target(rows[target], pos_label)
    y_pred, how = encode_predictions(rows[pred], labels, target=target, threshold=threshold)
    table = None
    if show_subgroups:
        table = subgroups(labels.y, y_pred, sensitive_features=groups, n_bins=n_bins, **options)
    slices = None
    if max_depth is not None:
        features = pd.concat([groups, rows[extra]], axis=1) if extra else groups
        slices = worst_slices(
            labels.y, y_pred, features=features.reset_index(drop=True),
            metric=options.get("rank_by", "error_rate"), max_depth=max_depth, k=k,
            min_support=options.get("min_support", 30),
            n_bins=4 if n_bins is None else n_bins)
    return SubgroupAudit(table, slices, target, labels.positive, how, tuple(notes))


def subgroup_audit_file(path: str | Path, *, sep: str | None = None,
                        **options: Any) -> SubgroupAudit:
    """Read a CSV or Parquet file and run :func:`subgroup_audit` on it.

    Parameters
    ----------
    path : str or Path
        The file (see :func:`fairpool.datasets.read_table`).
    sep : str, optional
        The CSV delimiter; detected when not given.
    **options
        The arguments of :func:`subgroup_audit`.

    Returns
    -------
    SubgroupAudit

    Raises
    ------
    FileNotFoundError, InvalidInputError
        From :func:`read_table`; and whatever :func:`subgroup_audit` raises.
    """
    return subgroup_audit(read_table(path, sep=sep), **options)


def _preamble(result: SubgroupAudit) -> list[str]:
    lines = [f"target {result.target!r}: positive value {result.positive!r}",
             f"predictions: {result.predictions}"]
    if result.subgroups is not None:
        a = result.subgroups.attrs
        interval = ("Wilson" if a["ci"] == "wilson"
                    else f"bootstrap percentile ({a['n_boot']} resamples, seed "
                         f"{a['random_state']})")
        lines.append(
            f"subgroups: {a['n']} rows; ranked by {a['rank_by']} ({a['worse']} is worse); "
            f"{a['confidence']:.0%} {interval} intervals; {a['test']}, {a['correction']} "
            f"correction over {a['n_tested']} groups at alpha {a['alpha']:g}; groups under "
            f"{a['min_support']} rows flagged small, not ranked")
    if result.slices is not None:
        a = result.slices.attrs
        lines.append(
            f"worst slices: SliceLine (alpha {a['alpha']:g}) on {a['metric']} over "
            f"{a['n']} rows, up to {a['max_depth']} predicates, at least {a['min_support']} "
            f"rows; {a['evaluated']} of {a['lattice']} slices scored")
    for column, edges in {**(result.subgroups.attrs["bins"] if result.subgroups is not None
                             else {}),
                          **(result.slices.attrs["bins"] if result.slices is not None
                             else {})}.items():
        lines.append(f"{column!r} cut at quantiles: {', '.join(f'{e:.4g}' for e in edges)}")
    lines += [f"note: {note}" for note in result.notes]
    return lines


def _with_interval(frame: pd.DataFrame, rate: str) -> list[str]:
    return ["nan" if pd.isna(v) else f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
            for v, lo, hi in zip(frame[rate], frame[f"{rate}_ci_low"], frame[f"{rate}_ci_high"],
                                 strict=True)]


def print_subgroup_audit(result: SubgroupAudit, *, format: str = "table") -> None:
    """Print a :class:`SubgroupAudit` on stdout.

    Parameters
    ----------
    result : SubgroupAudit
    format : {"table", "json", "csv"}, default "table"
        ``table``: the reading (interval, test, correction, pruning) then the main
        columns of each table; ``json``: :meth:`SubgroupAudit.to_dict`; ``csv``:
        ``#`` lines, then the subgroup table and the slices (every column),
        separated by a blank line.

    Raises
    ------
    InvalidInputError
        If ``format`` is not table, json or csv.
    """
    format = check_format(format)
    if format == "json":
        print(json.dumps(result.to_dict(), indent=2))
        return
    if format == "csv":
        out = io.StringIO()
        for line in _preamble(result):
            out.write(f"# {line}\n")
        tables = [t for t in (result.subgroups, result.slices) if t is not None]
        out.write("\n".join(t.to_csv(index=False) for t in tables))
        print(out.getvalue(), end="")
        return
    from rich.markup import escape

    console = _console()
    for line in _preamble(result):
        console.print(escape(line), highlight=False)
    if result.subgroups is not None:
        table = result.subgroups
        a = table.attrs
        rate = a["rank_by"]
        shown = table[["grouping", *a["sensitive"], "support"]].astype(object)
        shown = shown.where(shown.notna(), "*")
        for name in dict.fromkeys((rate, "selection_rate", "fpr", "fnr")):
            if name in table.columns:
                shown[f"{name} [{a['confidence']:.0%} CI]"] = _with_interval(table, name)
        shown[f"gap to rest ({rate})"] = table["gap"]
        shown["p adjusted"] = table["p_adjusted"]
        shown["significant"] = table["significant"]
        shown["rank"] = ["" if pd.isna(r) else int(r) for r in table["rank"]]
        shown[f"small (< {a['min_support']})"] = table["small"]
        console.print(_rich_table(shown, "Subgroups, worst first"))
    if result.slices is not None:
        slices = result.slices.astype(object)
        columns = [c for c in slices.columns[: -7]]
        view = slices.copy()
        view[columns] = slices[columns].where(slices[columns].notna(), "*")
        console.print(_rich_table(view, "Worst slices (SliceLine)"))
    console.print("every rate and interval bound: --format json or --format csv",
                  highlight=False, style="dim")
