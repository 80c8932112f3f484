"""The HTML report of a labelling session: ``fairpool report DIR`` for a session directory.

The page says what ``fairpool session status`` says -- the strategy and learner in
force, the budget line, the open batches, the rounds with accuracy, F1 and the
demographic parity and equalized odds differences and their trend, what the metrics are
measured on, and the groups' shares of the pool and of the labels bought -- plus one
figure of the per-round metrics against the number of labels. Every number is read off
the :class:`~fairpool.sessions.SessionStatus` and written with the status's own
``format_*`` functions, so the page and the terminal tables cannot disagree.

The page is built like the results report (:mod:`~fairpool.bench._report`) from the
pieces in :mod:`~fairpool.bench._html`: one file, the figure embedded as a base64 PNG,
no script, every string from the session escaped; the figure is the learning-curve
figure of :mod:`~fairpool.bench._plots` with the session as its one curve.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from fairpool.bench._html import embed_figure, esc, html_page, html_table, metric_headers
from fairpool.bench._plots import plot_learning_curves
from fairpool.bench._store import DEFAULT_DB_NAME
from fairpool.errors import InvalidInputError
from fairpool.sessions import (
    DB_NAME,
    Session,
    SessionStatus,
    format_metric,
    format_share,
    format_time,
    format_trend,
)

__all__ = ["is_session_directory", "render_session_report", "write_session_report"]

#: The round columns that are not metrics (every other column of ``status.rounds`` is).
_ROUND_KEYS = ("round", "teach", "n_labelled")


def is_session_directory(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding a labelling session's store.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    bool
        True when ``path/session.sqlite`` exists (the session may still be unreadable:
        an interrupted ``init`` or another store schema, which opening reports).
    """
    path = Path(path)
    return path.is_dir() and (path / DB_NAME).is_file()


def _metrics(status: SessionStatus) -> list[str]:
    return [c for c in status.rounds.columns if c not in _ROUND_KEYS]


def _batches_html(status: SessionStatus) -> str:
    if not len(status.open_batches):
        return "<p>No open batches: every row a query offered is labelled or released.</p>"
    table = status.open_batches.astype(object).copy()
    table["created"] = [format_time(t) for t in status.open_batches["created"]]
    return html_table(table, numeric=["batch", "round", "rows", "labelled", "open"],
                      caption="Rows of a batch not labelled yet stay reserved (created: UTC)")


def _rounds_html(status: SessionStatus) -> str:
    metrics = _metrics(status)
    rounds = status.rounds
    table = pd.DataFrame({
        "round": rounds["round"].astype(str),
        "teach": rounds["teach"].astype(str),
        "labelled": rounds["n_labelled"].astype(str),
        **{m: [format_metric(v) for v in rounds[m]] for m in metrics},
    })
    classes: dict[tuple[int, str], str] = {}
    if len(rounds) > 1:
        trend = {"round": "trend", "teach": "", "labelled": ""}
        for metric in metrics:
            text, better = format_trend(metric, status.trend[metric])
            trend[metric] = text
            if better is not None:
                classes[(len(table), metric)] = "better" if better else "worse"
        table = pd.concat([table, pd.DataFrame([trend])], ignore_index=True)
    renamed, titles = metric_headers(table)
    header = dict(zip(table.columns, renamed.columns, strict=True))
    return html_table(renamed, numeric=list(renamed.columns), titles=titles,
                      caption=f"Measured on {status.evaluation}",
                      cell_classes={(i, header[m]): c for (i, m), c in classes.items()})


def _shares_html(status: SessionStatus) -> str:
    shares = status.label_shares
    table = pd.DataFrame({
        "group": shares["group"].astype(str),
        "pool rows": shares["pool_rows"].astype(str),
        "pool share": [format_share(v) for v in shares["pool_share"]],
        "bought": shares["bought"].astype(str),
        "bought share": [format_share(v) for v in shares["bought_share"]],
    })
    return html_table(table, numeric=["pool rows", "pool share", "bought", "bought share"])


def _curves_figure(status: SessionStatus) -> str:
    """The per-round metrics against the labels: the runner's learning-curve figure."""
    rounds = status.rounds.assign(
        grid="session", dataset_label=Path(status.directory).name or status.directory,
        learner_label=status.learner, strategy_label=status.strategy, seed=0)
    figure = plot_learning_curves(rounds, metrics=_metrics(status))
    return embed_figure(figure, "Per-round metrics of the session against the labels")


def render_session_report(status: SessionStatus, *, title: str | None = None) -> str:
    """The HTML text of a session's report.

    Parameters
    ----------
    status : SessionStatus
        The session's status (``Session.status()``); every number shown comes from it.
    title : str, optional
        Heading; default: ``Labelling session <directory name>``.

    Returns
    -------
    str
        A complete HTML document.
    """
    if title is None:
        title = f"Labelling session {Path(status.directory).name or status.directory}"
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">fairpool report of the session {esc(status.directory)} · '
        f"{len(status.rounds)} rounds · generated "
        f"{esc(dt.datetime.now().isoformat(timespec='seconds'))}</p>",
        f"<p>{esc(status.strategy_line())}</p>",
        f"<p>{esc(status.budget_line())}</p>",
        *(f'<p class="note"><strong>Note:</strong> {esc(line)}</p>' for line in status.warnings),
        "<h2>Open batches</h2>",
        _batches_html(status),
        "<h2>Rounds</h2>",
        '<p class="note">Round 0 is the model of the initial labelled rows, then one round '
        "per teach. DP, EO: demographic parity and equalized odds differences (lower is "
        "fairer); trend: change over the last round (green an improvement, red a "
        "worsening). The figure draws the same values against the number of labelled "
        "rows.</p>",
        _rounds_html(status),
        _curves_figure(status),
        "<h2>Groups: pool and labels bought</h2>",
        '<p class="note">Each group\'s share of the pool and of the labels bought so far '
        "(the initial labelled rows are not counted).</p>",
        _shares_html(status),
    ]
    return html_page(title, "\n".join(parts))


def write_session_report(
    directory: str | Path, out: str | Path | None = None, *, title: str | None = None
) -> Path:
    """Write the HTML report of the labelling session in ``directory``.

    Parameters
    ----------
    directory : str or Path
        The session directory.
    out : str or Path, optional
        The HTML file (default: ``report.html`` in the session directory).
    title : str, optional
        Heading.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InvalidInputError
        ``directory`` holds no session (nor is it a results database).
    SessionError
        The session cannot be opened (an interrupted ``init``, another store schema).
    """
    directory = Path(directory)
    if not is_session_directory(directory):
        hint = (f"; the results database in it is {directory / DEFAULT_DB_NAME}"
                if (directory / DEFAULT_DB_NAME).is_file() else "")
        raise InvalidInputError(
            f"{directory} is neither a labelling session (no {DB_NAME} in it) nor a results "
            f"database (a DuckDB file){hint}")
    with Session.open(directory) as session:
        status = session.status()
    out = Path(out) if out is not None else directory / "report.html"
    text = render_session_report(status, title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
