"""The HTML report of a results database: one self-contained file.

Figures are embedded as base64 PNG, tables are plain HTML, and there is no
script at all. Every string that comes from a user (config text, dataset options,
strategy labels, group names, error messages) goes through :func:`html.escape`,
and a Content-Security-Policy forbids scripts in case one ever slipped through.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fairpool.bench._config import METRICS
from fairpool.bench._plots import (
    figure_png,
    plot_group_makeup,
    plot_learning_curves,
    plot_tradeoff,
)
from fairpool.bench._store import ResultsStore
from fairpool.bench._summary import facagen_table, format_summary, present_metrics, summarise

__all__ = ["render_report", "write_report", "html_table"]

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #1d2329; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
img { max-width: 100%; height: auto; border: 1px solid #eef0f2; }
.wide { overflow-x: auto; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 12px; }
.meta { color: #57606a; }
.note { color: #57606a; font-size: 13px; }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def html_table(frame: pd.DataFrame, *, numeric: Sequence[str] = ()) -> str:
    """An HTML table of ``frame`` with every header and cell escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (index not shown).
    numeric : sequence of str
        Columns to right-align.

    Returns
    -------
    str
    """
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="num">{_esc(v)}</td>' if col in numeric else f"<td>{_esc(v)}</td>"
            for col, v in zip(frame.columns, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _figure(fig: object, alt: str) -> str:
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    cols = {
        "grid": "grid", "dataset_label": "dataset", "dataset_options": "dataset options",
        "subsample": "subsample", "split": "split", "split_options": "split options",
        "learner_label": "learner", "strategy_label": "strategy",
        "strategy_params": "strategy parameters", "seed": "seed", "budget": "budget",
        "batch_size": "batch", "wall_seconds": "seconds", "finished_at": "finished",
    }
    table = runs[list(cols)].rename(columns=cols).copy()
    table["seconds"] = table["seconds"].map(lambda s: f"{s:.1f}")
    table["subsample"] = table["subsample"].map(lambda s: "" if pd.isna(s) else str(int(s)))
    table["finished"] = table["finished"].map(lambda t: str(t)[:19])
    return table.sort_values(["grid", "dataset", "learner", "strategy", "seed"])


def _versions_table(runs: pd.DataFrame) -> pd.DataFrame:
    seen: dict[str, set[str]] = {}
    for text in runs["versions"].dropna():
        for name, version in json.loads(text).items():
            seen.setdefault(name, set()).add(str(version))
    return pd.DataFrame(
        {"package": list(seen), "version": [", ".join(sorted(v)) for v in seen.values()]}
    )


def render_report(
    store: ResultsStore,
    *,
    metrics: Sequence[str] = METRICS,
    title: str | None = None,
) -> str:
    """The HTML text of the report of every run in ``store``.

    Parameters
    ----------
    store : ResultsStore
        The results database.
    metrics : sequence of str
        Metrics shown in tables and learning curves (those absent are skipped).
    title : str, optional
        Heading; default: the title of the most recent config.

    Returns
    -------
    str
        A complete HTML document.
    """
    runs = store.runs()
    configs = store.configs()
    rounds = store.rounds(decode_json=False)
    final = store.final_rounds()
    if title is None:
        title = str(configs["title"].iloc[-1]) if len(configs) else "fairpool results"
    metrics = present_metrics(final, metrics) if len(final) else []

    parts = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">fairpool report of {_esc(store.path)} · {len(runs)} runs · '
        f"generated {_esc(dt.datetime.now().isoformat(timespec='seconds'))}</p>",
    ]
    if runs.empty:
        parts.append("<p>The database holds no finished runs yet.</p>")
    else:
        summary = format_summary(summarise(final, metrics), metrics)
        parts += [
            "<h2>Summary at the final budget</h2>",
            '<p class="note">Mean ± sample standard deviation over seeds of each metric '
            "after the last round. Disparities (demographic parity, equalized odds, "
            "error-rate balance) are differences between groups: lower is fairer.</p>",
            html_table(summary, numeric=[*metrics, "seeds", "labels"]),
            "<h2>F1 against disparity</h2>",
            '<p class="note">Each point is a strategy at the final budget; bars are ±1 sd '
            "over seeds (cf. PANDA, Figure 1). Up and to the left is better.</p>",
            _figure(plot_tradeoff(final), "F1 against disparity at the final budget"),
            "<h2>Learning curves</h2>",
            '<p class="note">Mean over seeds with a ±1 sd band, against the number of '
            "labelled examples (cf. PANDA, Figure 2).</p>",
            _figure(plot_learning_curves(rounds, metrics=metrics),
                    "Learning curves of each metric"),
        ]
        faca = facagen_table(final)
        if not faca.empty:
            parts += [
                "<h2>FACA-GEN table</h2>",
                '<p class="note">Every strategy run beside FACA-GEN, at the final budget; '
                "the last columns give the change of DP and EO against random sampling."
                "</p>",
                html_table(faca),
            ]
        parts += [
            "<h2>Group make-up of the selected examples</h2>",
            '<p class="note">Share of each group among the examples each strategy chose '
            "(initial labelled set excluded), averaged over seeds.</p>",
            _figure(plot_group_makeup(rounds), "Group make-up of the selected examples"),
            "<h2>Runs</h2>",
            html_table(_runs_table(runs), numeric=["seed", "budget", "batch", "seconds"]),
            "<h2>Package versions</h2>",
            html_table(_versions_table(runs)),
        ]
    parts.append("<h2>Configuration</h2>")
    for _, config in configs.iterrows():
        parts.append(
            f"<h3>{_esc(config['title'])} <span class=\"meta\">({_esc(config['path'])}, "
            f"hash {_esc(config['config_hash'])})</span></h3>"
            f"<pre>{_esc(config['source'])}</pre>"
        )
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_report(
    database: str | Path,
    out: str | Path | None = None,
    *,
    metrics: Sequence[str] = METRICS,
    title: str | None = None,
) -> Path:
    """Write the HTML report of a results database.

    Parameters
    ----------
    database : str or Path
        The DuckDB results file.
    out : str or Path, optional
        The HTML file (default: ``report.html`` beside the database).
    metrics : sequence of str
        Metrics shown.
    title : str, optional
        Heading.

    Returns
    -------
    Path
        The file written.
    """
    database = Path(database)
    out = Path(out) if out is not None else database.with_name("report.html")
    with ResultsStore(database, read_only=True) as store:
        text = render_report(store, metrics=metrics, title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
