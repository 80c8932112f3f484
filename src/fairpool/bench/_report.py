"""The HTML report of a results database: one self-contained file.

Figures are embedded as base64 PNG, tables are plain HTML, and there is no
script at all. Every string that comes from a user (config text, dataset options,
strategy labels, group names, error messages) goes through :func:`html.escape`,
and a Content-Security-Policy forbids scripts in case one ever slipped through.

The page fits a 1000-px-wide window: each table sits in a container that scrolls
sideways if it must, the summary is one table per grid, dataset and learner with
short metric headers (spelt out with their direction below each table and in the
glossary), values that are the same on every line go into the table's caption, and
long option text wraps. The pieces every fairpool page shares (style, escaping,
tables, embedded figures) are in :mod:`~fairpool.bench._html`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fairpool.bench._config import METRICS
from fairpool.bench._html import (
    METRIC_HEADERS,
    embed_figure,
    esc,
    html_page,
    html_table,
    metric_headers,
)
from fairpool.bench._plots import (
    DISPARITIES,
    identical_label,
    identical_strategies,
    metric_label,
    plot_group_makeup,
    plot_learning_curves,
    plot_pareto,
    plot_tradeoff,
)
from fairpool.bench._store import ResultsStore
from fairpool.bench._summary import (
    FACAGEN_METRICS,
    facagen_table,
    format_summary,
    present_metrics,
    summarise,
)

__all__ = ["render_report", "write_report", "GLOSSARY"]

#: The glossary section: (term, definition), in fairpool's definitions (docs/metrics.md,
#: docs/active-learning.md). Plain text; escaped when rendered.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("labels (labelled examples)",
     "The label count: how many examples are labelled after a round, the initial "
     "labelled set plus every label bought so far. It is the x axis of the learning "
     "curves; the tables give it at the final budget (mean over seeds)."),
    ("F1, accuracy (higher is better)",
     "Of the model trained on the labelled examples, on the test split, positive "
     "class 1."),
    ("demographic parity gap, DP, max−min (lower is fairer)",
     "The largest difference between groups of the selection rate P(ŷ=1 | A=a): how "
     "much more often the model predicts the positive class for one group than for "
     "another (max minus min over groups, test split; fairlearn's default). 0 means "
     "every group is predicted positive equally often."),
    ("demographic parity, DP vs overall (lower is fairer)",
     "The largest distance of a group's selection rate P(ŷ=1 | A=a) from the rate "
     "over all rows P(ŷ=1): PANDA's Table 1 definition, and the quantity fairlearn's "
     "DemographicParity constraint bounds."),
    ("equalized odds gap, EO, max−min (lower is fairer)",
     "The larger of two differences between groups: of the true-positive rate "
     "P(ŷ=1 | Y=1, A=a) and of the false-positive rate P(ŷ=1 | Y=0, A=a) (max minus "
     "min over groups, worst case of the two). 0 means the model is equally often "
     "right on positives and equally often wrong on negatives in every group."),
    ("equalized odds, EO vs overall (lower is fairer)",
     "The largest distance of a group's P(ŷ=1 | Y=y, A=a) from P(ŷ=1 | Y=y) over all "
     "rows of the same label y: PANDA's Table 1 definition."),
    ("error-rate balance gap, ERB, FPR/FNR max−min (lower is fairer)",
     "PANDA's Table 1 definition: the largest difference between two groups of "
     "P(ŷ=1 | Y=y, A=a), for y = 0 (false-positive rates) or y = 1 (true-positive, "
     "hence false-negative, rates). Numerically the same as the equalized odds gap "
     "(max−min)."),
    ("error-rate gap, ERR, max−min (lower is fairer)",
     "The largest difference between groups of the misclassification rate "
     "P(ŷ≠Y | A=a), all errors together (fairlearn's ErrorRateParity quantity)."),
    ("OT distance (lower is more representative)",
     "The optimal-transport (Wasserstein-1, exact, Euclidean) distance between the "
     "features of the labelled examples and those of the pool they were drawn from, "
     "both standardised by the pool's mean and standard deviation, each side a "
     "seeded sample of at most 500 rows. It measures how far the labelled set has "
     "drifted from the population, not a gap between groups; it usually falls as "
     "labels are added."),
    ("mean ± sd",
     "Mean and sample standard deviation over seeds (one run per seed); – where a "
     "metric is undefined (e.g. one group in the test split)."),
    ("identical",
     "Strategies of one grid, dataset and learner that stored exactly the same value "
     "of every metric shown in every round and seed. Their curves and points would "
     "lie on top of each other, so each group is drawn once and named "
     "“a = b (identical)”. Entropy and margin sampling are identical on binary "
     "labels: both rank the pool by how close the top class probability is to 1/2."),
)


def _constant_columns(
    frame: pd.DataFrame, candidates: Sequence[str]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """``frame`` without the candidate columns that hold one value, and those values."""
    constant = [(c, str(frame[c].iloc[0])) for c in candidates
                if c in frame.columns and len(frame) and frame[c].astype(str).nunique() == 1]
    return frame.drop(columns=[c for c, _ in constant]), constant


def _caption(constant: Sequence[tuple[str, str]], *, plain: Sequence[str] = ()) -> str:
    """``grid · dataset · learner · 3 seeds · 300 labels``: a caption of constant columns.

    Columns in ``plain`` show their value alone, ``seeds`` and ``labels`` after their
    number, any other as ``column: value``; empty values (and ``{}``) are left out.
    """
    words = []
    for column, value in constant:
        if value in ("", "{}"):
            continue
        if column in plain:
            words.append(value)
        elif column in ("seeds", "labels"):
            words.append(f"{value} {column}")
        else:
            words.append(f"{column}: {value}")
    return " · ".join(words)


def _metric_key(metrics: Sequence[str]) -> str:
    """The line under a table that spells out its short metric headers."""
    parts = [f"{METRIC_HEADERS[m]} = {metric_label(m)}" for m in metrics if m in METRIC_HEADERS]
    return (f'<p class="note">{esc("; ".join(parts))}. ↑ higher is better, ↓ lower is '
            "better; see the glossary.</p>") if parts else ""


def _summary_tables(final: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """One table per grid, dataset and learner; what is the same on every line in its caption."""
    summary = summarise(final, metrics)
    tables = []
    for _, part in summary.groupby(["grid", "dataset_label", "learner_label"], sort=True):
        table = format_summary(part.reset_index(drop=True), metrics)
        if "grid" not in table.columns:  # format_summary drops a grid column of one value
            table.insert(0, "grid", part["grid"].astype(str).to_numpy())
        table, constant = _constant_columns(table, ["grid", "dataset", "learner", "seeds",
                                                    "labels"])
        table, titles = metric_headers(table)
        numeric = [*titles, "seeds", "labels"]
        tables.append(html_table(table, numeric=numeric, titles=titles,
                                 caption=_caption(constant, plain=("grid", "dataset",
                                                                   "learner"))))
    return tables


def _facagen_html(final: pd.DataFrame) -> str:
    table = facagen_table(final)
    if table.empty:
        return ""
    table, constant = _constant_columns(table, ["grid", "dataset", "learner", "seeds",
                                                "labels"])
    table, titles = metric_headers(table)
    numeric = [c for c in table.columns if c not in ("grid", "dataset", "learner", "strategy")]
    return html_table(table, numeric=numeric, titles=titles,
                      caption=_caption(constant, plain=("grid", "dataset", "learner")))


def _glossary() -> str:
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in GLOSSARY)
    return f'<dl class="glossary">{items}</dl>'


def _identical_note(groups: Sequence[tuple[tuple[str, str, str], tuple[str, ...]]],
                    n_grids: int, what: str) -> str:
    """A caption naming each group of identical strategies (empty when there is none)."""
    if not groups:
        return ""
    named = []
    for (grid, dataset, learner), labels in groups:
        block = f"{dataset} · {learner}" if n_grids <= 1 else f"{grid}: {dataset} · {learner}"
        named.append(f"{identical_label(labels)} on {block}")
    return (f'<p class="note"><strong>Identical {esc(what)}:</strong> '
            f"{esc('; '.join(named))}. These strategies stored exactly the same values of "
            f"every metric shown, in every round and seed, so each group is drawn once "
            f"under one legend entry.</p>")


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
    for column in _RUNS_LONG:
        table[column] = table[column].map(_spaced_json)
    return table.sort_values(["grid", "dataset", "learner", "strategy", "seed"])


def _spaced_json(text: object) -> str:
    """Stored compact JSON with a space after each comma and colon, so it wraps there."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    try:
        return json.dumps(json.loads(str(text)), ensure_ascii=False, separators=(", ", ": "))
    except ValueError:
        return str(text)


_RUNS_LONG = ("dataset options", "split options", "strategy parameters")


def _runs_tables(runs: pd.DataFrame) -> list[str]:
    """One table of runs per grid; the columns with one value go into its caption."""
    tables = []
    for grid, part in _runs_table(runs).groupby("grid", sort=True):
        table, constant = _constant_columns(
            part.drop(columns="grid"),
            ["dataset", "dataset options", "subsample", "split", "split options", "learner",
             "strategy parameters", "budget", "batch"])
        same = _caption(constant)
        caption = f"{grid} · same in every run: {same}" if same else str(grid)
        tables.append(html_table(table, numeric=["seed", "budget", "batch", "seconds"],
                                 long=_RUNS_LONG, caption=caption))
    return tables


def _versions_table(runs: pd.DataFrame) -> pd.DataFrame:
    seen: dict[str, set[str]] = {}
    for text in runs["versions"].dropna():
        for name, version in json.loads(text).items():
            seen.setdefault(name, set()).add(str(version))
    return pd.DataFrame(
        {"package": list(seen), "version": [", ".join(sorted(v)) for v in seen.values()]}
    )


def _pareto_html(final: pd.DataFrame) -> list[str]:
    """The strategy x learner Pareto plot, when a grid crosses several learners."""
    if "demographic_parity" not in final.columns or "f1" not in final.columns:
        return []
    if final.groupby(["grid", "dataset_label"])["learner_label"].nunique().max() < 2:
        return []
    return [
        "<h2>Collect differently, train differently, or both?</h2>",
        '<p class="note">Every strategy (colour) with every learner (marker: a plain model '
        "or a mitigation) at the final budget, mean over seeds: F1 against the demographic "
        "parity gap. The dashed line joins the pairs no other pair beats on both.</p>",
        embed_figure(plot_pareto(final), "Pareto plot of strategy x learner pairs"),
    ]


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
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">fairpool report of {esc(store.path)} · {len(runs)} runs · '
        f"generated {esc(dt.datetime.now().isoformat(timespec='seconds'))}</p>",
    ]
    if runs.empty:
        parts.append("<p>The database holds no finished runs yet.</p>")
    else:
        n_grids = final["grid"].nunique()
        disparities = present_metrics(final, DISPARITIES)
        parts += [
            "<h2>Summary at the final budget</h2>",
            '<p class="note">Mean ± sample standard deviation over seeds of each metric '
            "after the last round, one table per grid, dataset and learner. The gaps "
            "(demographic parity, equalized odds, error-rate balance) are differences "
            "between groups: lower is fairer.</p>",
            *_summary_tables(final, metrics),
            _metric_key(metrics),
            "<h2>Glossary</h2>",
            _glossary(),
            "<h2>F1 against disparity</h2>",
            '<p class="note">Each point is a strategy at the final budget; bars are ±1 sd '
            "over seeds (cf. PANDA, Figure 1). Up and to the left is better.</p>",
            _identical_note(identical_strategies(final, ["f1", *disparities]), n_grids,
                            "points"),
            embed_figure(plot_tradeoff(final), "F1 against disparity at the final budget"),
            *_pareto_html(final),
            "<h2>Learning curves</h2>",
            '<p class="note">Mean over seeds with a ±1 sd band, against the number of '
            "labelled examples (cf. PANDA, Figure 2).</p>",
            _identical_note(identical_strategies(rounds, metrics), n_grids, "curves"),
            embed_figure(plot_learning_curves(rounds, metrics=metrics),
                    "Learning curves of each metric"),
        ]
        faca = _facagen_html(final)
        if faca:
            parts += [
                "<h2>FACA-GEN table</h2>",
                '<p class="note">Every strategy run beside FACA-GEN, at the final budget; '
                "the last columns give the relative change of the DP and EO gaps against "
                "random sampling.</p>",
                faca,
                _metric_key(present_metrics(final, FACAGEN_METRICS)),
            ]
        parts += [
            "<h2>Group make-up of the selected examples</h2>",
            '<p class="note">Share of each group among the examples each strategy chose '
            "(initial labelled set excluded), averaged over seeds.</p>",
            embed_figure(plot_group_makeup(rounds), "Group make-up of the selected examples"),
            "<h2>Runs</h2>",
            *_runs_tables(runs),
            "<h2>Package versions</h2>",
            html_table(_versions_table(runs)),
        ]
    parts.append("<h2>Configuration</h2>")
    for _, config in configs.iterrows():
        parts.append(
            f"<h3>{esc(config['title'])} <span class=\"meta\">({esc(config['path'])}, "
            f"hash {esc(config['config_hash'])})</span></h3>"
            f"<pre>{esc(config['source'])}</pre>"
        )
    return html_page(title, "\n".join(parts))


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
