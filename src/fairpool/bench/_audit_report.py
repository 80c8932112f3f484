"""The HTML audit report: ``fairpool audit FILE ... --report audit.html``.

One self-contained page of a user's table (a CSV or Parquet file, or a DataFrame) that
holds what the audit commands print, in order:

1. the headline measures of :func:`fairpool.audit.audit_frame` (demographic parity,
   disparate impact with the four-fifths rule, equalized odds, equal opportunity, base
   rates), and its per-group rates with Wilson intervals;
2. with predictions, the subgroup table of :func:`fairpool.audit.subgroups` (every
   sensitive column and intersection, intervals, worst first, tested against the rest
   with a correction for the number of groups), and with ``max_depth`` the worst
   slices of :func:`fairpool.audit.worst_slices`;
3. when asked for (it retrains a model for every source, rate and seed), a small stress
   test of :func:`fairpool.audit.stress_test` and its plot;
4. when the ``shap`` library is installed, :func:`fairpool.audit.explain_by_group` of
   a logistic regression fitted on the table's own columns.

Every number comes from those functions, called here once, and is written with the
formatting below; the page is built from the runner's pieces in
:mod:`fairpool.bench._html` (one file, figures as base64 PNG, no script, a
Content-Security-Policy, every user string escaped), as the runner's and the labelling
session's reports are. It lives in ``bench`` because it sits above ``audit``, like the
other pages; the CLI calls it. Written here by hand: the choice of sections, the default
stress test, the logistic regression explained, and the HTML around the tables.

Why one module: computing the sections and writing them are two halves of one page
(each section's HTML reads the fields one computation fills), and each section is a
few lines around one function of ``fairpool.audit``; split, the page's order and its
notes would live in two places.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairpool.bench._html import embed_figure, esc, html_page, html_table
from fairpool.errors import FairpoolError, InvalidInputError

if TYPE_CHECKING:
    from fairpool.audit import AuditResult, GroupExplanation, SubgroupAudit

__all__ = ["AUDIT_STRESS_DEFAULTS", "AuditReport", "audit_report", "render_audit_report",
           "write_audit_report"]

#: The default stress test of the report: two sources of bias, six rates, two seeds.
AUDIT_STRESS_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "sources": ("sampling", "historical"),
    "rates": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    "seeds": (0, 1),
}

#: Per-group rates of the audit shown with their interval, in order, and their headers.
_AUDIT_RATES = {"base_rate": "base rate", "selection_rate": "selection rate", "tpr": "TPR",
                "fpr": "FPR"}
#: Subgroup rates shown besides the ranking rate (every rate is in the JSON and CSV output).
_SUBGROUP_RATES = ("selection_rate", "accuracy", "fpr", "fnr")
_STRESS_SHOWN = ("accuracy", "f1", "demographic_parity", "equalized_odds")
#: Share of the rows a stress test holds out, clean, to score each model.
_STRESS_TEST_SIZE = 0.3
#: What each source of bias does to the group, for the page.
_STRESS_READINGS = {
    "sampling": "that share of the group's training rows dropped",
    "measurement": "noise of one standard deviation on that share of its training rows' "
                   "features",
    "historical": "that share of its positive training labels flipped to negative",
    "prediction": "that share of its test predictions flipped (no retraining)",
}


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit page shows, computed once.

    Attributes
    ----------
    source : str
        Where the rows came from (the file's path, or ``"DataFrame"``).
    audit : fairpool.audit.AuditResult
        The headline and the per-group rates (:func:`fairpool.audit.audit_frame`).
    subgroups : fairpool.audit.SubgroupAudit or None
        The subgroup table and, with ``max_depth``, the worst slices (None without
        predictions).
    stress : pandas.DataFrame or None
        :func:`fairpool.audit.stress_test`'s table (None unless asked for).
    stress_group : str or None
        The group that received the injected bias.
    explanation : fairpool.audit.GroupExplanation or None
        SHAP values of the logistic regression, per group (None when skipped).
    model_rows : int or None
        Rows the logistic regressions learned from (rows with a missing sensitive or
        feature value are left out of the model sections).
    features : int or None
        Feature columns of those models after encoding.
    skipped : dict of str to str
        Why a section is empty, by section (``"subgroups"``, ``"stress"``,
        ``"explanations"``).
    seconds : dict of str to float
        Wall-clock seconds of each part.
    top : int
        Features shown in the explanation tables and plot.
    """

    source: str
    audit: AuditResult
    subgroups: SubgroupAudit | None = None
    stress: pd.DataFrame | None = None
    stress_group: str | None = None
    explanation: GroupExplanation | None = None
    model_rows: int | None = None
    features: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    top: int = 10


def _model_data(frame: pd.DataFrame, audit: Any, pred: str | None) -> Any:
    """The table as a fairpool Dataset for the models: sensitive columns as features."""
    from fairpool.datasets import from_frame

    sensitive = list(audit.sensitive)
    rows = frame.dropna(subset=sensitive)
    with warnings.catch_warnings():  # one group is refused by the sections themselves
        warnings.filterwarnings("ignore", message=".*single group", category=UserWarning)
        return from_frame(rows, target=audit.target, sensitive=sensitive,
                          sensitive_as_feature=True, positive=audit.positive,
                          drop=[pred] if pred is not None else None, missing="drop")


def _smallest_group(dataset: Any) -> str:
    counts = np.bincount(dataset.groups, minlength=len(dataset.group_names))
    return str(dataset.group_names[int(np.argmin(counts))])


def _explain(dataset: Any) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fairpool.audit import explain_by_group

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(dataset.X.astype(np.float64), dataset.y)
    return explain_by_group(model, dataset)


def audit_report(
    data: pd.DataFrame | str | Path,
    *,
    target: str,
    sensitive: str | Sequence[str],
    pred: str | None = None,
    sep: str | None = None,
    pos_label: Any = None,
    threshold: float | None = None,
    missing: str = "error",
    min_support: int = 30,
    confidence: float = 0.95,
    max_depth: int | None = None,
    slice_by: Sequence[str] = (),
    n_bins: int | None = None,
    rank_by: str = "error_rate",
    ci: str = "wilson",
    n_boot: int = 1000,
    random_state: int = 0,
    correction: str = "holm",
    stress: bool = False,
    stress_group: str | None = None,
    stress_sources: Sequence[str] = AUDIT_STRESS_DEFAULTS["sources"],
    stress_rates: Sequence[float] = AUDIT_STRESS_DEFAULTS["rates"],
    stress_seeds: Sequence[int] = AUDIT_STRESS_DEFAULTS["seeds"],
    explain: bool = True,
    top: int = 10,
) -> AuditReport:
    """Compute every section of the audit page of a table.

    Parameters
    ----------
    data : pandas.DataFrame, or str or Path of a CSV or Parquet file
        The table, one row per decision.
    target, sensitive, pred, pos_label, threshold, missing, min_support, confidence
        As for :func:`fairpool.audit.audit_frame`.
    sep : str, optional
        The CSV delimiter of a file (detected when not given).
    max_depth : int, optional
        Also search the worst slices of up to this many predicates
        (:func:`fairpool.audit.worst_slices`, SliceLine); needs ``pred``.
    slice_by : sequence of str
        More columns for the slice search (numeric ones binned).
    n_bins, rank_by, ci, n_boot, random_state, correction
        As for :func:`fairpool.audit.subgroups` (``alpha`` is ``1 - confidence``).
    stress : bool, default False
        Run the stress test (:func:`fairpool.audit.stress_test`): a logistic
        regression retrained for every source, rate and seed, so it takes seconds
        to minutes on a table of tens of thousands of rows.
    stress_group : str, optional
        The group that receives the bias (default: the smallest group). Intersections
        are named ``"value_a|value_b"``.
    stress_sources, stress_rates, stress_seeds : sequences
        The default test: sampling and historical bias, rates 0 to 0.5 by 0.1, seeds
        0 and 1.
    explain : bool, default True
        Explain a logistic regression fitted on the table (the sensitive columns
        among its features, the predictions column not) with
        :func:`fairpool.audit.explain_by_group`; skipped with a note when ``shap``
        is not installed, or when the table cannot be encoded or explained (one
        group, a column of dates): the note gives the error.
    top : int, default 10
        Features shown in the explanation section.

    Returns
    -------
    AuditReport

    Raises
    ------
    InvalidInputError
        ``max_depth`` without ``pred``, a bad ``top``; and whatever
        :func:`fairpool.audit.audit_frame`, :func:`fairpool.audit.subgroup_audit`,
        :func:`fairpool.audit.stress_test` and :func:`fairpool.audit.explain_by_group`
        raise for bad input.
    UnknownColumnError
        A named column is not in the table, or ``stress_group`` is not a group.
    FileNotFoundError
        ``data`` names no file.

    Notes
    -----
    The measures' sources are those of the functions called: fairlearn's definitions
    of the disparities, Wilson (1927) intervals, Fisher's exact test with Holm's
    correction, SliceLine (Sagadeeva & Boehm 2021), the guide's sources of bias, and
    SHAP (Lundberg & Lee 2017).
    """
    from fairpool.audit import audit_frame, stress_test, subgroup_audit
    from fairpool.datasets import read_table

    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidInputError(f"top must be a positive integer, got {top!r}")
    if max_depth is not None and pred is None:
        raise InvalidInputError("the worst slices audit predictions: name the prediction "
                                "column with --pred (pred= in Python)")
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if isinstance(data, pd.DataFrame):
        frame, source = data, "DataFrame"
    else:
        frame, source = read_table(Path(data), sep=sep), str(data)
    audit = audit_frame(frame, target=target, sensitive=sensitive, pred=pred,
                        pos_label=pos_label, threshold=threshold, missing=missing,
                        min_support=min_support, confidence=confidence)
    seconds["audit"] = time.perf_counter() - start
    skipped: dict[str, str] = {}
    groups = None
    if pred is None:
        skipped["subgroups"] = ("the subgroup table audits a model's predictions: name "
                                "them with --pred (pred= in Python)")
    else:
        start = time.perf_counter()
        groups = subgroup_audit(
            frame, target=target, sensitive=sensitive, pred=pred, pos_label=pos_label,
            threshold=threshold, missing=missing, max_depth=max_depth, slice_by=slice_by,
            n_bins=n_bins, min_support=min_support, alpha=round(1 - confidence, 12),
            rank_by=rank_by, ci=ci, n_boot=n_boot, random_state=random_state,
            correction=correction)
        seconds["subgroups"] = time.perf_counter() - start

    dataset, unusable = None, None
    if stress or explain:
        try:
            dataset = _model_data(frame, audit, pred)
        except FairpoolError as exc:  # asked-for stress test: the error is the answer
            if stress:
                raise
            unusable = exc
    table, group = None, None
    if stress:
        start = time.perf_counter()
        group = stress_group if stress_group is not None else _smallest_group(dataset)
        table = stress_test(dataset, source=list(stress_sources), group=group,
                            rates=list(stress_rates), seeds=list(stress_seeds), model="logreg",
                            test_size=_STRESS_TEST_SIZE)
        seconds["stress"] = time.perf_counter() - start
    else:
        skipped["stress"] = ("not run: it retrains a model for every source, rate and seed; "
                             "ask for it with --stress (stress=True in Python)")
    explanation = None
    if not explain:
        skipped["explanations"] = "not asked for (--no-explain, explain=False in Python)"
    elif importlib.util.find_spec("shap") is None:
        skipped["explanations"] = ("the shap library is not installed: pip install "
                                   "'fairpool[explain]' (or shap) to add this section")
    elif unusable is not None:
        skipped["explanations"] = f"skipped: the table cannot be encoded for a model ({unusable})"
    else:
        start = time.perf_counter()
        try:  # on by default, so a table it cannot explain keeps the rest of the page
            explanation = _explain(dataset)
        except FairpoolError as exc:
            skipped["explanations"] = f"skipped: {exc}"
        seconds["explanations"] = time.perf_counter() - start
    return AuditReport(
        source=source, audit=audit, subgroups=groups, stress=table, stress_group=group,
        explanation=explanation,
        model_rows=None if dataset is None else int(dataset.n_samples),
        features=None if dataset is None else len(dataset.feature_names),
        skipped=skipped, seconds=seconds, top=top)


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    return f"{float(value):.{digits}f}"


def _interval(value: Any, low: Any, high: Any) -> str:
    if _number(value) == "":
        return ""
    if _number(low) == "":
        return _number(value)
    return f"{_number(value)} [{_number(low)}, {_number(high)}]"


def _group_text(audit: Any, group: Any) -> str:
    """A group for a person: ``sex=F, race=a`` for intersections, the value otherwise."""
    if group is None or (isinstance(group, float) and np.isnan(group)):
        return ""
    if len(audit.sensitive) == 1:
        return str(group)
    return ", ".join(f"{k}={v}" for k, v in audit.group_values(group).items())


def _facts(report: AuditReport) -> str:
    audit = report.audit
    what = "Prediction audit" if audit.kind == "predictions" else "Data audit"
    negative = "" if audit.negative is None else f", negative value {audit.negative!r}"
    lines = [
        f"{what}: {audit.summary['n']} rows, {audit.summary['n_groups']} groups of "
        f"{' x '.join(repr(c) for c in audit.sensitive)}.",
        f"Target {audit.target!r}: positive value {audit.positive!r}{negative}; every rate "
        f"counts {audit.positive!r}.",
    ]
    if audit.predictions is not None:
        lines.append(f"Predictions: {audit.predictions}.")
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    notes = "".join(f'<p class="note"><strong>Note:</strong> {esc(n)}</p>'
                    for n in audit.notes)
    return f"<ul>{items}</ul>{notes}"


def _headline_html(report: AuditReport) -> str:
    audit = report.audit
    rows = []
    for row in audit.headline.to_dict(orient="records"):
        ends = {}
        for end in ("highest", "lowest"):
            name = _group_text(audit, row[f"{end}_group"])
            ends[end] = f"{name} ({_number(row[f'{end}_rate'])})" if name else ""
        rows.append({"measure": row["measure"], "value": _number(row["value"], 4),
                     "rate": _AUDIT_RATES.get(row["rate"], row["rate"].replace("_", " ")),
                     "highest group (rate)": ends["highest"],
                     "lowest group (rate)": ends["lowest"], "flag": row["flag"]})
    return html_table(pd.DataFrame(rows), numeric=["value"], long=["flag"])


def _by_group_html(report: AuditReport) -> str:
    audit = report.audit
    flat = audit.by_group.reset_index(drop=True)
    values = [g if isinstance(g, tuple) else (g,) for g in audit.by_group.index]
    table = pd.DataFrame(values, columns=list(audit.sensitive)).astype(str)
    table["count"] = flat["count"].astype(int).astype(str)
    table["share"] = [_number(v) for v in flat["share"]]
    level = f"{audit.confidence:.0%}"
    for rate, header in _AUDIT_RATES.items():
        if rate in flat.columns:
            table[f"{header} [{level} CI]"] = [
                _interval(v, lo, hi) for v, lo, hi in zip(
                    flat[rate], flat[f"{rate}_ci_low"], flat[f"{rate}_ci_high"], strict=True)]
    if "accuracy" in flat.columns:
        table["accuracy"] = [_number(v) for v in flat["accuracy"]]
    table[f"small (< {audit.min_support})"] = ["yes" if s else "" for s in flat["small"]]
    return html_table(table, numeric=list(table.columns[len(audit.sensitive):]))


def _bins_note(bins: dict[str, Any]) -> str:
    return "".join(f'<p class="note">{esc(c)} cut at quantiles: '
                   f"{esc(', '.join(f'{e:.4g}' for e in edges))}</p>"
                   for c, edges in bins.items())


def _subgroups_html(report: AuditReport) -> str:
    result = report.subgroups
    table = result.subgroups
    a = table.attrs
    rate = a["rank_by"]
    interval = ("Wilson" if a["ci"] == "wilson"
                else f"bootstrap percentile ({a['n_boot']} resamples, seed {a['random_state']})")
    reading = (
        f"{a['n']} rows; every sensitive column and every intersection of them (a blank "
        f"column is not part of the grouping); {a['confidence']:.0%} {interval} "
        f"intervals; ranked by {rate} ({a['worse']} is worse), worst first; gap: the "
        f"group's {rate} minus that of the rest of the rows; {a['test']}, {a['correction']} "
        f"correction over the {a['n_tested']} groups tested at alpha {a['alpha']:g}; "
        f"groups under {a['min_support']} rows are flagged small and not ranked. Every "
        "rate (precision, recall, error rate ...) and bound: --subgroups --format json.")
    shown = pd.DataFrame({"grouping": table["grouping"].astype(str)})
    for column in a["sensitive"]:
        shown[column] = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                         for v in table[column]]
    shown["support"] = table["support"].astype(int).astype(str)
    for name in dict.fromkeys((rate, *_SUBGROUP_RATES)):
        shown[f"{name} [{a['confidence']:.0%} CI]"] = [
            _interval(v, lo, hi) for v, lo, hi in zip(
                table[name], table[f"{name}_ci_low"], table[f"{name}_ci_high"], strict=True)]
    shown[f"gap ({rate})"] = [_number(v, 4) for v in table["gap"]]
    shown["p adjusted"] = [_number(v, 4) for v in table["p_adjusted"]]
    shown["significant"] = ["yes" if s else "" for s in table["significant"]]
    shown["rank"] = ["" if pd.isna(r) else str(int(r)) for r in table["rank"]]
    shown["small"] = ["yes" if s else "" for s in table["small"]]
    return (f'<p class="note">{esc(reading)}</p>{_bins_note(a["bins"])}'
            + html_table(shown, numeric=list(shown.columns[1 + len(a["sensitive"]):])))


def _slices_html(report: AuditReport) -> str:
    slices = report.subgroups.slices
    a = slices.attrs
    reading = (f"SliceLine (alpha {a['alpha']:g}) on {a['metric']} over {a['n']} rows: "
               f"slices of up to {a['max_depth']} predicates with at least "
               f"{a['min_support']} rows; {a['evaluated']} of {a['lattice']} slices scored. "
               "A blank column is not part of the slice.")
    if not len(slices):
        return f'<p class="note">{esc(reading)}</p><p>No slice scores above zero.</p>'
    predicates = list(slices.columns[:-7])
    shown = pd.DataFrame({c: ["" if pd.isna(v) else str(v) for v in slices[c]]
                          for c in predicates})
    for column in slices.columns[-7:]:
        values = slices[column]
        shown[column] = ([str(int(v)) for v in values] if column in ("depth", "support",
                                                                     "errors")
                         else [_number(v, 4) for v in values])
    return (f'<p class="note">{esc(reading)}</p>{_bins_note(a["bins"])}'
            + html_table(shown, numeric=list(slices.columns[-7:])))


def _figure(fig: Any, alt: str) -> str:
    import matplotlib.pyplot as plt

    try:
        return embed_figure(fig, alt)
    finally:
        plt.close(fig)


def _stress_html(report: AuditReport) -> str:
    from fairpool.audit import plot_stress_test

    table = report.stress
    seeds = table["seed"].nunique()
    readings = "; ".join(f"{s}: {_STRESS_READINGS[s]}" for s in dict.fromkeys(table["source"]))
    reading = (
        f"The bias goes into the group {report.stress_group!r} of the training rows "
        f"({1 - _STRESS_TEST_SIZE:.0%} of the {report.model_rows} rows, split by group and "
        "label for each seed); a logistic regression is retrained at each rate and scored "
        f"on the untouched {_STRESS_TEST_SIZE:.0%} of test rows. {readings}. Lines: mean "
        f"over {seeds} seed(s); band: one standard deviation. Took "
        f"{report.seconds.get('stress', 0.0):.1f} s; fairpool stress runs more sources, "
        "rates, seeds, models and collection strategies.")
    means = (table.groupby(["source", "rate"], sort=False)[["n_affected", *_STRESS_SHOWN]]
             .mean().reset_index())
    shown = pd.DataFrame({
        "source": means["source"].astype(str),
        "rate": [f"{r:.2f}" for r in means["rate"]],
        "rows affected": [f"{v:.1f}" for v in means["n_affected"]],
        **{m: [_number(v, 4) for v in means[m]] for m in _STRESS_SHOWN},
    })
    figure = _figure(plot_stress_test(table),
                     f"Accuracy, F1, DP and EO differences against the rate of bias injected "
                     f"into {report.stress_group}")
    return (f'<p class="note">{esc(reading)}</p>{figure}'
            + html_table(shown, numeric=list(shown.columns[1:]),
                         caption=f"Mean over {seeds} seed(s), test rows"))


def _explanations_html(report: AuditReport) -> str:
    ex = report.explanation
    top = report.top
    importance = ex.importance
    order = importance["all"].sort_values(ascending=False).index[:top]
    reading = (
        f"A logistic regression (standardised features) fitted on {report.model_rows} rows "
        f"and {report.features} encoded columns of the table: every column but the target"
        f"{' and the predictions' if report.audit.predictions is not None else ''}, the "
        "sensitive columns included. It is not the model whose predictions are audited; it "
        "shows what the data lets a model lean on. SHAP values: shap's LinearExplainer "
        f"({ex.output}), mean |SHAP| per feature in each group. Sensitive columns: "
        f"{', '.join(ex.sensitive_columns) or 'none'}; proxies (association screen, eta^2 "
        f"at least 0.3): {', '.join(ex.proxies) or 'none'}. Took "
        f"{report.seconds.get('explanations', 0.0):.1f} s.")
    kinds = ["sensitive" if f in ex.sensitive_columns else "proxy" if f in ex.proxies else ""
             for f in order]
    top_table = pd.DataFrame({"feature": [str(f) for f in order], "kind": kinds})
    for column in importance.columns:
        top_table[str(column)] = [_number(importance.at[f, column], 4) for f in order]
    shares = ex.shares
    share_table = pd.DataFrame({"group": [str(g) for g in shares.index]})
    for column in shares.columns:
        share_table[f"share on {column}"] = [_number(v) for v in shares[column]]
    figure = _figure(ex.plot(top=top), "Mean |SHAP| per feature in each group")
    return (f'<p class="note">{esc(reading)}</p>'
            + html_table(share_table, numeric=list(share_table.columns[1:]),
                         caption="Share of the attribution on the sensitive columns, their "
                                 "proxies and the rest")
            + html_table(top_table, numeric=list(top_table.columns[2:]),
                         caption=f"Top {len(order)} features by mean |SHAP| over all rows")
            + figure)


def _skipped(report: AuditReport, section: str) -> str:
    return f'<p class="note">{esc(report.skipped[section])}.</p>'


def render_audit_report(report: AuditReport, *, title: str | None = None) -> str:
    """The HTML text of an audit's page.

    Parameters
    ----------
    report : AuditReport
        From :func:`audit_report`; every number shown comes from it.
    title : str, optional
        Heading; default ``Audit of <file name>``.

    Returns
    -------
    str
        A complete HTML document (no script, no external resource).
    """
    from fairpool import __version__

    if title is None:
        title = f"Audit of {Path(report.source).name or report.source}"
    audit = report.audit
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">fairpool {esc(__version__)} audit of {esc(report.source)} · '
        f"generated {esc(dt.datetime.now().isoformat(timespec='seconds'))}</p>",
        _facts(report),
        "<h2>Headline</h2>",
        '<p class="note">Each measure compares the groups with the highest and the lowest '
        "rate. Differences: 0 is parity; the disparate impact ratio fails the four-fifths "
        f"rule below 0.8; a flag says when the {audit.confidence:.0%} Wilson intervals of "
        "the two groups overlap (the gap may be noise) or a group is small.</p>",
        _headline_html(report),
        "<h2>Per group</h2>",
        f'<p class="note">Base rate: share of recorded positives; selection rate: share of '
        f"predicted positives; TPR and FPR: true and false positive rates; "
        f"{audit.confidence:.0%} Wilson intervals in brackets.</p>",
        _by_group_html(report),
        "<h2>Subgroups</h2>",
        _subgroups_html(report) if report.subgroups is not None
        and report.subgroups.subgroups is not None else _skipped(report, "subgroups"),
    ]
    if report.subgroups is not None and report.subgroups.slices is not None:
        parts += ["<h2>Worst slices</h2>", _slices_html(report)]
    parts += [
        "<h2>Stress tests</h2>",
        _stress_html(report) if report.stress is not None else _skipped(report, "stress"),
        "<h2>Explanations per group</h2>",
        _explanations_html(report) if report.explanation is not None
        else _skipped(report, "explanations"),
    ]
    return html_page(title, "\n".join(parts))


def write_audit_report(report: AuditReport, out: str | Path, *,
                       title: str | None = None) -> Path:
    """Write an audit's page to ``out`` (an HTML file).

    Parameters
    ----------
    report : AuditReport
        From :func:`audit_report`.
    out : str or Path
        The HTML file; its folder is created.
    title : str, optional
        Heading.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    out = Path(out)
    text = render_audit_report(report, title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
