"""Where a session stands: budget, open batches, the metrics of every round, label shares.

:func:`read_status` reads it from the store into a :class:`SessionStatus`;
:func:`print_status` draws it as rich tables (``fairpool session status``). The trend of a
metric is its change over the last round; for the disparities (demographic parity and
equalized odds differences) a fall is the improvement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.sessions._model import METRIC_NAMES, metrics_from_json

__all__ = ["SessionStatus", "format_metric", "format_share", "format_time", "format_trend",
           "print_status", "read_status"]

#: Metrics where lower is better (the trend arrow shows a fall as good).
_LOWER_IS_BETTER = {"demographic_parity", "equalized_odds"}


@dataclass
class SessionStatus:
    """A session's state at one moment.

    Attributes
    ----------
    directory : str
    strategy : str
        The strategy in force (with ``strategy_options``).
    learner : str
    budget : int
        Labels to buy in all.
    used : int
        Labels bought (taught and not undone).
    reserved : int
        Rows waiting in open batches (they count against the budget).
    left : int
        ``budget - used - reserved``.
    n_pool, n_initial, available : int
        Pool rows, initial labelled rows, pool rows a query may still offer.
    open_batches : pandas.DataFrame
        ``batch, round, strategy, rows, labelled, open, created`` of every batch with
        unlabelled reserved rows.
    rounds : pandas.DataFrame
        One row per round (0 = the initial labelled rows, then one per teach):
        ``round, teach, n_labelled`` and the metrics ``accuracy, f1,
        demographic_parity, equalized_odds``.
    trend : dict of str to float
        Each metric's change over the last round (NaN with one round).
    evaluation : str
        What the metrics are measured on.
    label_shares : pandas.DataFrame
        Per group: ``pool_rows, pool_share, bought, bought_share``.
    pending_rounds : int
        Teaches whose round is still to be recomputed.
    """

    directory: str
    strategy: str
    strategy_options: dict[str, Any]
    learner: str
    budget: int
    used: int
    reserved: int
    left: int
    n_pool: int
    n_initial: int
    available: int
    open_batches: pd.DataFrame
    rounds: pd.DataFrame
    trend: dict[str, float]
    evaluation: str
    label_shares: pd.DataFrame
    pending_rounds: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists of records for the tables), JSON-serialisable."""
        out = {k: v for k, v in self.__dict__.items() if not isinstance(v, pd.DataFrame)}
        for name in ("open_batches", "rounds", "label_shares"):
            frame = getattr(self, name)
            out[name] = json.loads(frame.to_json(orient="records"))
        out["trend"] = {k: (None if v != v else v) for k, v in self.trend.items()}
        return out

    def strategy_line(self) -> str:
        """``strategy entropy (k=v), learner logreg``: what a query uses now."""
        options = ", ".join(f"{k}={v}" for k, v in self.strategy_options.items())
        return (f"strategy {self.strategy}{f' ({options})' if options else ''}, "
                f"learner {self.learner}")

    def budget_line(self) -> str:
        """The budget spent, reserved and left, and the pool's rows, in one sentence."""
        return (f"budget {self.budget}: {self.used} bought, {self.reserved} reserved in open "
                f"batches, {self.left} left; pool {self.n_pool} rows ({self.available} "
                f"available); {self.n_initial} initial labelled rows")


def read_status(store: Any, config: Mapping[str, Any], directory: Path, *,
                pool_groups: np.ndarray) -> SessionStatus:
    """Read a session's status from its store (inside one read transaction).

    Parameters
    ----------
    store : SessionStore
    config : mapping
        The session's config.
    directory : Path
    pool_groups : ndarray of int
        The group code of every pool row.

    Returns
    -------
    SessionStatus
    """
    n_pool = int(config["n_pool"])
    budget = int(config["budget"] or n_pool)
    name, options = store.all(
        "SELECT name, options FROM strategies ORDER BY strategy_id DESC LIMIT 1")[0]
    used = int(store.one("SELECT count(*) FROM labels WHERE undone_at IS NULL"))
    batches = pd.DataFrame(store.all(
        "SELECT b.batch_id, b.round, b.strategy, b.n_rows, "
        "sum(CASE WHEN l.label_id IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN l.label_id IS NULL AND br.released_at IS NULL THEN 1 ELSE 0 END), "
        "b.created FROM batches b JOIN batch_rows br ON br.batch_id = b.batch_id "
        "LEFT JOIN labels l ON l.batch_id = br.batch_id AND l.rank = br.rank "
        "AND l.undone_at IS NULL GROUP BY b.batch_id ORDER BY b.batch_id"),
        columns=["batch", "round", "strategy", "rows", "labelled", "open", "created"])
    reserved = int(batches["open"].sum()) if len(batches) else 0
    open_batches = batches[batches["open"] > 0].reset_index(drop=True)

    rounds_raw = store.all(
        "SELECT r.teach_id, r.n_labelled, r.metrics, r.evaluation FROM rounds r "
        "LEFT JOIN teaches t ON t.teach_id = r.teach_id "
        "WHERE r.teach_id = 0 OR t.undone_at IS NULL ORDER BY r.teach_id")
    records = []
    for k, (teach_id, n_labelled, text, _evaluation) in enumerate(rounds_raw):
        values = metrics_from_json(text)
        records.append({"round": k, "teach": int(teach_id), "n_labelled": int(n_labelled),
                        **{m: values.get(m, float("nan")) for m in METRIC_NAMES}})
    rounds = pd.DataFrame(records, columns=["round", "teach", "n_labelled", *METRIC_NAMES])
    trend = {m: (float(rounds[m].iloc[-1] - rounds[m].iloc[-2]) if len(rounds) > 1
                 else float("nan")) for m in METRIC_NAMES}
    evaluation = _describe_evaluation(rounds_raw[-1][3] if rounds_raw else "", config)
    pending = int(store.one(
        "SELECT count(*) FROM teaches t LEFT JOIN rounds r ON r.teach_id = t.teach_id "
        "WHERE r.teach_id IS NULL AND t.undone_at IS NULL"))

    positions = np.array([p for (p,) in store.all(
        "SELECT br.pool_position FROM labels l JOIN batch_rows br ON br.batch_id = l.batch_id "
        "AND br.rank = l.rank WHERE l.undone_at IS NULL")], dtype=np.int64)
    names = list(config["group_names"])
    pool_counts = np.bincount(pool_groups, minlength=len(names))
    bought = np.bincount(pool_groups[positions], minlength=len(names))
    shares = pd.DataFrame({
        "group": names,
        "pool_rows": pool_counts,
        "pool_share": pool_counts / max(int(pool_counts.sum()), 1),
        "bought": bought,
        "bought_share": bought / bought.sum() if bought.sum() else np.full(len(names), np.nan),
    })
    warnings = []
    if len(names) < 2:
        warnings.append(f"one group only ({names[0]!r}): the disparities are undefined")
    if pending:
        warnings.append(f"{pending} round(s) still to recompute (a command was interrupted)")
    return SessionStatus(
        directory=str(directory),
        strategy=name,
        strategy_options=json.loads(options),
        learner=str(config["learner"]),
        budget=budget,
        used=used,
        reserved=reserved,
        left=budget - used - reserved,
        n_pool=n_pool,
        n_initial=int(config["n_labelled"]),
        available=n_pool - used - reserved,
        open_batches=open_batches,
        rounds=rounds,
        trend=trend,
        evaluation=evaluation,
        label_shares=shares,
        pending_rounds=pending,
        warnings=warnings,
    )


def _describe_evaluation(evaluation: str, config: Mapping[str, Any]) -> str:
    if evaluation == "validation":
        return "the validation table"
    if evaluation.startswith("cv"):
        k = evaluation[2:].split()[0]
        return (f"{k}-fold out-of-fold predictions on the {config['n_labelled']} initial "
                "labelled rows, no validation table given")
    return "nothing: too few initial labelled rows per class for cross-validation"


def format_metric(value: float) -> str:
    """A round metric as the status shows it: three decimals, ``—`` when undefined."""
    return "—" if value != value else f"{value:.3f}"


def format_share(value: float) -> str:
    """A group's share as the status shows it: a percentage, ``—`` when undefined."""
    return "—" if value != value else f"{value:.1%}"


def format_time(stamp: object) -> str:
    """A stored UTC time stamp as the status shows it: to the second, a space for ``T``."""
    return str(stamp)[:19].replace("T", " ")


def format_trend(metric: str, delta: float) -> tuple[str, bool | None]:
    """A metric's trend as the status shows it, and whether it is an improvement.

    Parameters
    ----------
    metric : str
        The metric's name (a fall of a disparity is an improvement).
    delta : float
        Its change over the last round (``SessionStatus.trend``).

    Returns
    -------
    text : str
        ``↑ +0.012``, ``↓ -0.012``, ``= 0.000`` (a change under 0.0005) or ``—`` (NaN).
    better : bool or None
        True for an improvement, False for a worsening, None for neither.
    """
    if delta != delta:
        return "—", None
    if abs(delta) < 5e-4:
        return "= 0.000", None
    better = (delta < 0) if metric in _LOWER_IS_BETTER else (delta > 0)
    arrow = "↑" if delta > 0 else "↓"
    return f"{arrow} {delta:+.3f}", better


def _trend(metric: str, delta: float) -> str:
    text, better = format_trend(metric, delta)
    if better is None:
        return text
    colour = "green" if better else "red"
    return f"[{colour}]{text}[/{colour}]"


def print_status(status: SessionStatus, console: Any = None) -> None:
    """Draw the status as rich tables on ``console`` (default: standard output)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(f"[bold]session[/bold] {status.directory}: {status.strategy_line()}")
    console.print(status.budget_line())
    if len(status.open_batches):
        table = Table(title="Open batches")
        for col in ("batch", "round", "strategy", "rows", "labelled", "open", "created"):
            table.add_column(col, justify="right" if col not in ("strategy", "created") else "left")
        for row in status.open_batches.itertuples(index=False):
            values = [str(v) for v in row]
            values[-1] = format_time(values[-1])  # to the second, UTC
            table.add_row(*values)
        console.print(table)
    else:
        console.print("no open batches")
    table = Table(title=f"Rounds (measured on {status.evaluation})",
                  caption="DP, EO: demographic parity and equalized odds differences "
                          "(lower is fairer); trend: change over the last round")
    for col in ("round", "teach", "labelled", "accuracy", "F1", "DP", "EO"):
        table.add_column(col, justify="right")
    for row in status.rounds.itertuples(index=False):
        table.add_row(str(row.round), str(row.teach), str(row.n_labelled),
                      *(format_metric(getattr(row, m)) for m in METRIC_NAMES))
    if len(status.rounds) > 1:
        table.add_row("trend", "", "", *(_trend(m, status.trend[m]) for m in METRIC_NAMES))
    console.print(table)
    table = Table(title="Groups: pool and labels bought")
    for col in ("group", "pool rows", "pool share", "bought", "bought share"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for row in status.label_shares.itertuples(index=False):
        table.add_row(str(row.group), str(row.pool_rows), format_share(row.pool_share),
                      str(row.bought), format_share(row.bought_share))
    console.print(table)
    for line in status.warnings:
        console.print(f"[yellow]note:[/yellow] {line}")
