"""The figures README.md and docs/ quote, written from the results files that runs left.

A page quotes measured numbers only inside a generated block::

    <!-- figures:panda-fig1 -->
    ...
    <!-- /figures:panda-fig1 -->

Each block is rendered here from files under ``benchmarks/results/<run>/`` (committed,
so every number on a page can be traced and checked without rerunning), and ends with
the command that made those files and the commit of the code that ran it, read from
the run's ``provenance.json``. Nothing in a block is typed by hand.

Usage::

    # after a run: copy its results into benchmarks/results/<run>/ with provenance
    .venv/bin/python benchmarks/doc_figures.py record panda --source results/panda \\
        --command "benchmarks/reproduce_panda.py --seeds 1 ..." [--commit SHA]
    .venv/bin/python benchmarks/doc_figures.py write     # rewrite every block
    .venv/bin/python benchmarks/doc_figures.py check     # exit 1 if a page is stale

``tests/benchmarks/test_doc_figures.py`` runs ``check``: a page whose numbers differ
from its results files fails the test suite. Hand-written (string formatting over
pandas); no library renders Markdown blocks from result tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: Which files of each run are kept under ``benchmarks/results/<run>/``.
RUN_FILES: dict[str, tuple[str, ...]] = {
    "make_run": ("final.csv",),
    "panda": ("final.csv", "curves.csv", "training.csv", "summary.md"),
    "panda_eb": ("final.csv", "training.csv"),
    "panda_rho": ("rho.csv", "training.csv"),
    "panda_repr": ("final.csv", "training.csv"),
    "panda_baselines": ("final.csv", "summary.csv", "summary.md"),
    # benchmarks/panda_training.py --out
    "speed_panda": ("panda_speed.csv", "panda_context.csv"),
    # benchmarks/metrics.py --out
    "metrics": ("metrics_speed.csv", "metrics_strings.csv", "versions.json"),
    # benchmarks/selection_scale.py --out
    "selection_scale": ("selection_scale.csv",),
    # benchmarks/fal_agreement.py --out
    "fal_agreement": ("fal_agreement.csv",),
    # benchmarks/fal_agreement.py --noise-floor --out
    "fal_noise_floor": ("fal_agreement.csv",),
    # benchmarks/fair_reduction_compas.py --out
    "fair_reduction": ("fair_reduction.csv",),
    # benchmarks/genomes1000_signature.py --out
    "genomes1000_signature": ("genomes1000_signature.csv",),
    # benchmarks/falcon_authors_setup.py (--out benchmarks/results/falcon_authors_setup)
    "falcon_authors_setup": ("falcon_authors_setup.csv", "falcon_authors_setup.md"),
    # fairpool run examples/fis.toml + exports + benchmarks/fis_summary.py (docs/reproduce-fis.md)
    "fis_table": ("fis_rounds.csv", "fis_runs.csv", "fis_table.md"),
    # benchmarks/reproduce_falcon.py --out
    "falcon_reproduction": ("runs.csv", "summary.csv", "summary.md"),
    # benchmarks/monitoring.py (writes benchmarks/results/monitoring/ itself)
    "monitoring": ("monitoring_change_test.csv", "monitoring_compas.json",
                   "monitoring_compas_periods.csv", "monitoring_compas_tfma.json",
                   "monitoring_interop.csv"),
    # benchmarks/subgroups.py (--out benchmarks/results/subgroups/subgroups.csv)
    "subgroups": ("subgroups.csv",),
    # benchmarks/stress_test.py (writes benchmarks/results/stress_test/ itself)
    "stress_test": ("stress_test.csv",),
    # benchmarks/explain_by_group.py (writes benchmarks/results/explain_by_group/ itself)
    "explain_by_group": ("explain_by_group.csv", "explain_timing.csv"),
    # benchmarks/strategies_adult.py --out
    "strategies_adult": ("strategies_adult.csv",),
    # benchmarks/reproduce_facagen.py --out benchmarks/results/facagen_terms
    "facagen_terms": ("runs.csv", "table.md"),
    # benchmarks/ot_distance.py --out
    "ot_distance": ("ot_accuracy.csv", "ot_timing.csv"),
    # benchmarks/newton_steps.py --out
    "newton_steps": ("newton_steps.csv",),
    # benchmarks/reproduce_facagen.py --methods entropy entropy+cc falcon fal_fast --out
    "facagen_peers": ("runs.csv", "table.md"),
    # benchmarks/audit_report.py (writes benchmarks/results/audit_report.csv)
    "audit_report": ("audit_report.csv",),
    # benchmarks/sessions.py --out
    "sessions": ("sessions_bench.json",),
}


# ---------------------------------------------------------------------------
# provenance and formatting
# ---------------------------------------------------------------------------
def provenance(run: str) -> dict[str, str]:
    """The ``provenance.json`` of ``run``: command, commit, date, note."""
    return json.loads((RESULTS / run / "provenance.json").read_text(encoding="utf-8"))


def made_by(*runs: str) -> str:
    """The closing line of a block: the command and commit behind each results folder."""
    parts = []
    for run in runs:
        p = provenance(run)
        parts.append(f"`{p['command']}` at commit `{p['commit'][:10]}` ({p['date']}; "
                     f"results: `benchmarks/results/{run}/`)")
    return "Made by " + "; ".join(parts) + "."


def mean_sd(values: pd.Series) -> str:
    """``0.123 ± 0.045`` (sample sd); just the mean for one value."""
    values = values.dropna()
    if len(values) < 2:
        return f"{values.mean():.3f}"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def _read(run: str, name: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / run / name)


def _load_script(name: str):  # noqa: ANN202 - a module
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# the blocks
# ---------------------------------------------------------------------------
def readme_make_run() -> str:
    """README: what the main job (``make run``) measured, per strategy, mean ± sd over seeds."""
    final = _read("make_run", "final.csv")
    lines = ["| grid | strategy | seeds | F1 | DP gap, max−min | DP, vs overall (PANDA) |",
             "|---|---|---|---|---|---|"]
    for (grid, strategy), part in final.groupby(["grid", "strategy_label"], sort=False):
        if strategy not in ("random", "falcon", "fairlearn", "panda", "facagen"):
            continue
        lines.append(f"| {grid} | {strategy} | {part['seed'].nunique()} | "
                     f"{mean_sd(part['f1'])} | {mean_sd(part['demographic_parity'])} | "
                     f"{mean_sd(part['demographic_parity_to_overall'])} |")
    parts = ["\n".join(lines), run_note("make_run"), made_by("make_run")]
    return "\n\n".join(p for p in parts if p)


def _panda_rows(final: pd.DataFrame, strategy: str) -> pd.DataFrame:
    return final[final["strategy"] == strategy]


def readme_panda() -> str:
    """README: PANDA against random, Fairlearn and Falcon (Table 1's DP), and meta-train DP."""
    final = _read("panda", "final.csv")
    training = _read("panda", "training.csv")
    dp = "demographic_parity_to_overall"
    cells = []
    for name in ("random", "panda", "fairlearn", "falcon"):
        rows = _panda_rows(final, name)
        if len(rows):
            cells.append(f"{name} DP {mean_sd(rows[dp])}, EB "
                         f"{mean_sd(rows['error_rate_balance'])} at F1 {mean_sd(rows['f1'])}")
    kept = training[training["kind"] == "demographic_parity"]
    seeds = sorted(final["seed"].unique().tolist())
    text = (f"Adult, B = 400, seed(s) {', '.join(map(str, seeds))}, DP = PANDA's Table 1 "
            f"max_a |P(ŷ=1 | a) − P(ŷ=1)|, EB = max over y and pairs of groups of "
            f"|P(ŷ=1 | a, y) − P(ŷ=1 | a', y)|: " + "; ".join(cells) + ". ")
    if len(kept):
        trained = ", ".join(f"{v:.3f}" for v in kept["train_disparity"])
        random = ", ".join(f"{v:.3f}" for v in kept["train_random_disparity"])
        iterations = ", ".join(str(int(e)) for e in kept["episodes"])
        text += (f"Meta-train DP of the kept policy (ρ = 0.04): {trained} after "
                 f"{iterations} iterations (random selection {random}).")
    return text + "\n\n" + made_by("panda")


def panda_fig1() -> str:
    """docs/reproduce-panda.md Figure 1's table: the script's own summary of final.csv."""
    script = _load_script("reproduce_panda")
    final = _read("panda", "final.csv")
    rows = script._table(final)
    extra = []
    eb_path = RESULTS / "panda_eb" / "final.csv"
    if eb_path.exists() and "panda_eb" not in set(final["strategy"]):
        eb = pd.read_csv(eb_path)
        eb = eb[eb["strategy"] == "panda_eb"]
        if len(eb):
            extra = script._table(eb)[2:]
    return "\n".join(rows + extra) + "\n\n" + made_by(
        "panda", *(["panda_eb"] if extra else []))


def panda_fig2() -> str:
    """docs/reproduce-panda.md Figure 2's table: F1 / DP (vs overall) against labels."""
    curves = _read("panda", "curves.csv")
    curves = curves[~curves["strategy"].isin(["panda", "panda_eb"])]
    points = sorted(curves["n_labelled"].unique().tolist())
    header = "| strategy | " + " | ".join(str(p) for p in points) + " |"
    lines = [header, "|---|" + "---|" * len(points)]
    for name, part in curves.groupby("strategy", sort=True):
        means = part.groupby("n_labelled")[["f1", "demographic_parity_to_overall"]].mean()
        cells = [f"{means.loc[p, 'f1']:.3f} / {means.loc[p, 'demographic_parity_to_overall']:.3f}"
                 if p in means.index else "–" for p in points]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return ("F1 / DP (vs overall, Table 1), mean over seeds, by labelled examples "
            "(D0 = 100):\n\n" + "\n".join(lines) + "\n\n" + made_by("panda"))


def panda_training() -> str:
    """docs/reproduce-panda.md: meta-training of each policy (train and test constraint)."""
    frames = [_read("panda", "training.csv")]
    runs = ["panda"]
    if (RESULTS / "panda_eb" / "training.csv").exists():
        frames.append(_read("panda_eb", "training.csv"))
        runs.append("panda_eb")
    training = pd.concat(frames, ignore_index=True)
    finals = pd.concat([_read(r, "final.csv") for r in runs], ignore_index=True)
    reading = {"demographic_parity": ("demographic_parity_to_overall", "panda"),
               "error_rate_balance": ("error_rate_balance", "panda_eb")}
    lines = ["| constraint (Table 1) | seed | s | iterations | stopped | meta-train value "
             "(random) | test value | test F1 |", "|---|---|---|---|---|---|---|---|"]
    for row in training.itertuples(index=False):
        column, strategy = reading[row.kind]
        test = finals[(finals["strategy"] == strategy) & (finals["seed"] == row.seed)]
        value = f"{test[column].iloc[0]:.3f}" if len(test) else "–"
        f1 = f"{test['f1'].iloc[0]:.3f}" if len(test) else "–"
        lines.append(f"| {row.kind} | {row.seed} | {row.seconds:.0f} | {row.episodes} | "
                     f"{row.stopped} | {row.train_disparity:.3f} "
                     f"({row.train_random_disparity:.3f}) | {value} | {f1} |")
    return "\n".join(lines) + "\n\n" + made_by(*runs)


def panda_rho() -> str:
    """docs/reproduce-panda.md: the rho sweep, meta-train against test DP per bound."""
    rho = _read("panda_rho", "rho.csv").sort_values("rho")
    lines = ["| ρ | meta-train DP (Table 1) | test DP (Table 1) | test F1 | iterations |",
             "|---|---|---|---|---|"]
    for row in rho.itertuples(index=False):
        lines.append(f"| {row.rho:g} | {row.train_disparity:.3f} | {row.test_disparity:.3f} | "
                     f"{row.test_f1:.3f} | {int(row.episodes)} |")
    return ("Seed 0, one policy per bound, all 400 labels in one forward pass:\n\n"
            + "\n".join(lines) + "\n\n" + made_by("panda_rho"))


def panda_repr() -> str:
    """docs/reproduce-panda.md §3.3: every method on PANDA's shared representation."""
    script = _load_script("reproduce_panda")
    final = _read("panda_repr", "final.csv")
    training = _read("panda_repr", "training.csv")
    policies = training[training["kind"] == "repr"]
    trained = "; ".join(
        f"seed {int(r.seed)}: {int(r.episodes)} iterations ({r.stopped}), meta-train DP "
        f"{r.train_disparity:.3f} (random selection {r.train_random_disparity:.3f})"
        for r in policies.itertuples(index=False))
    return ("\n".join(script._table(final)) + "\n\nThe DP policies on the representation: "
            + trained + ".\n\n" + made_by("panda_repr"))


def baselines_table() -> str:
    """docs/reproduce-panda-baselines.md: the script's summary.md, as it wrote it."""
    text = (RESULTS / "panda_baselines" / "summary.md").read_text(encoding="utf-8").strip()
    return text + "\n\n" + made_by("panda_baselines")


# ---------------------------------------------------------------------------
# speed benchmarks: timings are under whatever load the run met (its note says),
# so the blocks quote ratios measured in the same run beside the absolute times
# ---------------------------------------------------------------------------
def run_note(run: str) -> str:
    """``Conditions: <note>.`` from the run's provenance (empty when it has none)."""
    text = provenance(run).get("note", "").strip().rstrip(".")
    return f"Conditions: {text}." if text else ""


def _metrics_rows() -> list[dict]:
    speed = _read("metrics", "metrics_speed.csv")
    rows = speed.to_dict("records")
    for row in rows:  # the script's own renderer writes "-" for a size fairlearn skipped
        if pd.isna(row["fairlearn_s"]):
            row["fairlearn_s"] = None
    return rows


def _metrics_versions() -> dict:
    return json.loads((RESULTS / "metrics" / "versions.json").read_text(encoding="utf-8"))


def _speedups(speed: pd.DataFrame, n: int) -> pd.Series:
    part = speed[(speed["n"] == n) & speed["fairlearn_s"].notna()]
    return part["fairlearn_s"] / part["fairpool_s"]


def metrics_speed() -> str:
    """docs/metrics.md: fairpool against fairlearn by size and grouping, and memory."""
    script = _load_script("metrics")
    speed = _read("metrics", "metrics_speed.csv")
    v = _metrics_versions()
    timed = speed[speed["fairlearn_s"].notna()]
    largest = int(timed["n"].max())
    ratios = _speedups(speed, largest)
    at_largest = speed[speed["n"] == largest]
    one_col = at_largest[~at_largest["groups"].str.contains("cols")]
    two_col = at_largest[at_largest["groups"].str.contains("cols")]
    head = (f"numpy {v['numpy']}, pandas {v['pandas']}, fairlearn {v['fairlearn']}, Python "
            f"{v['python']}, {v['cpus']} CPUs, OMP_NUM_THREADS={v['omp_num_threads']}; best "
            f"of {v['repeats']} (one call when a call takes over 2 s); fairlearn timed up to "
            f"n = {v['fairlearn_max_n']:.0e}, fairpool up to n = {v['max_n']:.0e}.")
    summary = (f"At n = {largest:.0e} fairpool is {ratios.min():,.0f}–{ratios.max():,.0f}× "
               f"faster than fairlearn for DP and EO differences (target: ≥ 100×), and its "
               f"peak extra memory is at most {one_col['extra_ratio'].max():.3f}× the inputs "
               f"with one sensitive column")
    if len(two_col):
        summary += (f" ({two_col['extra_ratio'].max():.3f}× for the two-column "
                    f"intersection)")
    summary += " (target: < 3×)."
    parts = [head, script.render(_metrics_rows()), summary, run_note("metrics"),
             made_by("metrics")]
    return "\n\n".join(p for p in parts if p)


def metrics_strings() -> str:
    """docs/metrics.md: every binary group metric on string groups against the floor."""
    script = _load_script("metrics")
    strings = _read("metrics", "metrics_strings.csv")
    floor = strings[strings["metric"] == "floor"].iloc[0]
    timed = [(r.metric, r.seconds) for r in strings[strings["metric"] != "floor"]
             .itertuples(index=False)]
    worst = max(seconds for _, seconds in timed) / floor["seconds"]
    table = script.render_string_groups(int(floor["n"]), float(floor["seconds"]), timed)
    return (table + f"\n\nEvery metric is within {worst:.2f}x of the floor (target 1.5x).\n\n"
            + made_by("metrics"))


def readme_metrics() -> str:
    """README: the metrics speed bullet, from the same results as docs/metrics.md."""
    speed = _read("metrics", "metrics_speed.csv")
    timed = speed[speed["fairlearn_s"].notna()]
    largest = int(timed["n"].max())
    ratios = _speedups(speed, largest)
    dp2 = timed[(timed["n"] == largest) & (timed["groups"] == "2")
                & (timed["metric"] == "demographic_parity_difference")].iloc[0]
    at_largest = speed[speed["n"] == largest]
    text = (f"at n = {largest:.0e} rows, demographic-parity and equalized-odds differences "
            f"are **{ratios.min():,.0f}–{ratios.max():,.0f}× faster than fairlearn "
            f"{_metrics_versions()['fairlearn']}** (e.g. {dp2['fairpool_s'] * 1e3:.1f} ms vs "
            f"{dp2['fairlearn_s']:.1f} s for DP with 2 groups), equal to it to 1e-12 (the "
            f"script stops otherwise), with peak extra memory ≤ "
            f"{at_largest['extra_ratio'].max():.2f}× the input arrays")
    top = int(speed["n"].max())
    if top > largest:
        at_top = speed[speed["n"] == top]["fairpool_s"]
        text += f"; n = {top:.0e} rows in {at_top.min():.2f}–{at_top.max():.2f} s"
    return text + ".\n\n" + made_by("metrics")


def _selection() -> pd.DataFrame:
    return _read("selection_scale", "selection_scale.csv")


def selection_table() -> str:
    """docs/fal.md: one selection round's wall seconds by pool size, with growth ratios."""
    frame = _selection()
    train = frame[frame["strategy"] == "train logreg"].iloc[0]
    rounds = frame[frame["strategy"] != "train logreg"]
    table = rounds.pivot(index="pool_rows", columns="strategy", values="seconds")
    table = table[list(dict.fromkeys(rounds["strategy"]))].sort_index()
    header = "| pool rows | " + " | ".join(f"{c} s | growth" for c in table.columns) + " |"
    lines = [header, "|---" * (1 + 2 * len(table.columns)) + "|"]
    previous = None
    for rows, values in table.iterrows():
        cells = []
        for column in table.columns:
            cells.append(f"{values[column]:.3g}")
            cells.append("-" if previous is None else f"{values[column] / previous[column]:.1f}x")
        lines.append(f"| {rows:.0e} | " + " | ".join(cells) + " |")
        previous = values
    head = (f"One `select(state, k={train['k']})` per cell, wall seconds, best of "
            f"{train['repeats']} (fal_fast: {train['fal_repeats']}); {train['n_features']} "
            f"float32 features, {train['n_labelled']} labelled rows, reference "
            f"{train['n_reference']}; threads = {train['threads']}. Training the `logreg` "
            f"(best of {train['repeats']}): {train['seconds']:.3f} s.")
    parts = [head, "\n".join(lines), run_note("selection_scale"), made_by("selection_scale")]
    return "\n\n".join(p for p in parts if p)


def readme_selection() -> str:
    """README: one entropy round on the largest pool, and its growth with the pool."""
    frame = _selection()
    entropy = frame[frame["strategy"] == "entropy"].sort_values("pool_rows")
    largest = entropy.iloc[-1]
    rows, seconds = entropy["pool_rows"].to_numpy(), entropy["seconds"].to_numpy()
    grown = ", ".join(f"{seconds[i + 1] / seconds[i]:.1f}× from {rows[i]:.0e} to "
                      f"{rows[i + 1]:.0e} rows" for i in range(len(rows) - 1))
    return (f"one entropy round on a {largest['pool_rows']:.0e} × {largest['n_features']} "
            f"pool takes {largest['seconds']:.2f} s (target < 2 s); its time grew {grown} "
            f"(linear growth would be the ratio of the rows; fixed costs keep it below at "
            f"small pools).\n\n" + made_by("selection_scale"))


def _fal() -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, ...]]:
    script = _load_script("fal_agreement")
    frame = _read("fal_agreement", "fal_agreement.csv")
    steps = tuple(sorted(int(c[4:-2]) for c in frame.columns
                         if c.startswith("fast") and c.endswith("_s")))
    return frame, script.summarise(frame, steps), steps


def _default_steps() -> int:
    from fairpool.active import make_strategy

    return int(make_strategy("fal_fast").newton_steps)


def fal_table() -> str:
    """docs/fal.md: exact FAL against fal_fast, per dataset (agreement and CPU time)."""
    frame, table, steps = _fal()
    default = _default_steps()
    first = frame.iloc[0]
    columns = list(table["dataset"])
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("features (one-hot encoded)", [str(v) for v in table["features"]])
    row("queries", [str(v) for v in table["queries"]])
    row("exact `fal`, CPU s/query", [f"{v:.3g}" for v in table["fal s/query"]])
    for s in sorted(steps, key=lambda x: x != default):
        tag = f"{s} step{'s' if s > 1 else ''}" + (" (default)" if s == default else "")
        row(f"`fal_fast`, {tag}: same pick / fal's pick in top 3 / CPU s per query / "
            "speed-up", [f"{100 * a:.0f}% / {100 * t:.0f}% / {q:.3g} / {x:,.0f}x" for a, t, q, x in
                         zip(table[f"agree (steps={s})"], table[f"in top-3 (steps={s})"],
                             table[f"fal_fast s/query (steps={s})"],
                             table[f"speed-up (steps={s})"], strict=True)])
    seeds = frame.groupby("dataset")["seed"].nunique().max()
    rounds = frame.groupby(["dataset", "seed"])["round"].nunique().max()
    head = (f"Labelled {first['n_labelled']}, pool {first['n_pool']}, reference "
            f"{first['n_validation']}; {seeds} seeds × {rounds} rounds per dataset; k = 1, "
            "α = 0.6, demographic parity. Times are CPU seconds of one process "
            "(`time.process_time`, one thread), so the machine's load changes them less "
            "than wall times.")
    parts = [head, "\n".join(lines), run_note("fal_agreement"), made_by("fal_agreement")]
    return "\n\n".join(p for p in parts if p)


def readme_fal() -> str:
    """README: the FAL exact-vs-fast bullet."""
    frame, table, _ = _fal()
    s = _default_steps()
    table = table.set_index("dataset")
    names = [d for d in ("adult", "compas") if d in table.index] or list(table.index)
    label = {"adult": "Adult", "compas": "COMPAS"}
    agree = " and ".join(f"{100 * table.loc[d, f'agree (steps={s})']:.0f}%"
                         f"{' of queries' if i == 0 else ''} on {label.get(d, d)}"
                         for i, d in enumerate(names))
    faster = " and ".join(f"{table.loc[d, f'speed-up (steps={s})']:,.0f}×" for d in names)
    first = names[0]
    return (f"{int(table['queries'].iloc[0])} queries per dataset, pool "
            f"{frame['n_pool'].iloc[0]:,}: `fal_fast` picks the same example as exact FAL in "
            f"{agree}, at {faster} less CPU per query ({label.get(first, first)}: "
            f"{table.loc[first, f'fal_fast s/query (steps={s})']:.3f} s vs "
            f"{table.loc[first, 'fal s/query']:.1f} s).\n\n" + made_by("fal_agreement"))


def fal_noise_floor() -> str:
    """docs/fal.md: how often a default-tolerance exact FAL agrees with the tight one."""
    frame = _read("fal_noise_floor", "fal_agreement.csv")
    s = _default_steps()
    lines = ["| | " + " | ".join(frame["dataset"].unique()) + " |",
             "|---" * (frame["dataset"].nunique() + 1) + "|"]
    parts = [part for _, part in frame.groupby("dataset", sort=False)]
    lines.append("| queries | " + " | ".join(str(len(p)) for p in parts) + " |")
    lines.append("| exact FAL, default `logreg` (lbfgs, tol 1e-4): same pick as the tightly "
                 "solved FAL | " + " | ".join(f"{100 * p['default_tol_same'].mean():.0f}%"
                                              for p in parts) + " |")
    lines.append(f"| `fal_fast` ({s} steps): same pick as the tightly solved FAL | "
                 + " | ".join(f"{100 * p[f'fast{s}_same'].mean():.0f}%" for p in parts)
                 + " |")
    return "\n".join(lines) + "\n\n" + made_by("fal_noise_floor")


def panda_speed() -> str:
    """docs/reproduce-panda.md "Speed": meta-training and one selection's cost."""
    speed = _read("speed_panda", "panda_speed.csv").iloc[0]
    context = _read("speed_panda", "panda_context.csv")
    full, ctx = speed["forward_full_s"], speed["forward_context_s"]
    lines = [
        "| what | figure |", "|---|---|",
        f"| device, torch threads | {speed['device']}, {speed['threads']} |",
        f"| meta-training (seed {speed['seed']}, constraint {speed['constraint']}, ρ = "
        f"{speed['rho']}, patience {speed['patience']} evaluations) | "
        f"{speed['training_seconds']:.0f} s, {speed['episodes']} iterations, stopped: "
        f"{speed['stopped']} |",
        f"| final constraint on the held-out meta-train tasks | {speed['train_constraint']:.3f} "
        f"(random selection {speed['train_random_constraint']:.3f}), F1 "
        f"{speed['train_f1']:.3f} (random {speed['train_random_f1']:.3f}) |",
        f"| one forward pass over the {speed['pool_rows']:,}-row pool, full attention | "
        f"{full * 1e3:.0f} ms |",
        f"| the same with the attention context ({speed['context_rows']:,} rows) | "
        f"{ctx * 1e3:.0f} ms ({full / ctx:.1f}× faster) |",
        f"| whole PANDA `select` (standardise, fit h0, features, one forward pass) | "
        f"{speed['select_s'] * 1e3:.0f} ms |",
        f"| entropy sampling's `select` | {speed['entropy_select_s'] * 1e3:.1f} ms (PANDA is "
        f"{speed['select_over_entropy']:.0f}× slower) |",
        f"| logit correlation, full attention vs context | "
        f"{speed['logit_correlation_full_vs_context']:.5f} |",
    ]
    for label in ("context", "full"):
        part = context[context["attention"] == label]
        name = "attention context" if label == "context" else "full attention"
        lines.append(f"| test after B = 400, {name} ({len(part)} selection seeds) | DP vs "
                     f"overall {mean_sd(part['demographic_parity_to_overall'])}, DP max − min "
                     f"{mean_sd(part['demographic_parity'])}, F1 {mean_sd(part['f1'])} |")
    parts = ["\n".join(lines), run_note("speed_panda"), made_by("speed_panda")]
    return "\n\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------
# small reproductions behind README bullets
# ---------------------------------------------------------------------------
def _per_seed(values: pd.Series) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def fair_reduction() -> str:
    """docs/strategies-fair-baselines.md: test DP of the plain and the reduction models."""
    frame = _read("fair_reduction", "fair_reduction.csv").sort_values(["strategy", "seed"])
    seeds = sorted(frame["seed"].unique().tolist())
    lines = ["| strategy | test DP (max − min), per seed | mean ± sd | accuracy, mean ± sd |",
             "|---|---|---|---|"]
    for name in ("random", "fairlearn", "margin", "fairlearn_al"):
        part = frame[frame["strategy"] == name]
        lines.append(f"| {name} | {_per_seed(part['demographic_parity'])} | "
                     f"{mean_sd(part['demographic_parity'])} | {mean_sd(part['accuracy'])} |")
    head = (f"COMPAS (sex); 400 initial rows, one round of 50, 3,000 test rows; `logreg`; "
            f"seeds {seeds[0]}–{seeds[-1]}:")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("fair_reduction")


def readme_fair_reduction() -> str:
    """README: the COMPAS fairness-reduction bullet."""
    frame = _read("fair_reduction", "fair_reduction.csv")
    dp = frame.groupby("strategy")["demographic_parity"]
    acc = frame.groupby("strategy")["accuracy"].mean()
    return (f"`fairlearn` takes test DP from {mean_sd(dp.get_group('random'))} (random "
            f"picks, plain `logreg`) to {mean_sd(dp.get_group('fairlearn'))} after one batch "
            f"of 50 labels on 400, over {frame['seed'].nunique()} seeds, at accuracy "
            f"{acc['fairlearn']:.3f} against {acc['random']:.3f}.\n\n" + made_by("fair_reduction"))


def _signature() -> pd.DataFrame:
    return _read("genomes1000_signature", "genomes1000_signature.csv")


def genomes1000_signature() -> str:
    """docs/datasets.md: XGBoost on recorded labels, mean and range over seeds."""
    frame = _signature()
    rows = (("demographic-parity gap (max − min positive-prediction rate over the 5 "
             "groups)", "demographic_parity"),
            ("TPR against `y_true`, AFR and SAS pooled", "tpr_true_afr_sas"),
            ("TPR against `y_true`, AMR, EAS, EUR pooled", "tpr_true_others"),
            ("TPR against recorded `y`, AFR and SAS pooled", "tpr_recorded_afr_sas"),
            ("TPR against recorded `y`, AMR, EAS, EUR pooled", "tpr_recorded_others"))
    n = len(frame)
    lines = ["| quantity | mean | range over " + f"{n} seeds |", "|---|---|---|"]
    for label, column in rows:
        values = frame[column]
        lines.append(f"| {label} | {values.mean():.3f} | {values.min():.3f} – "
                     f"{values.max():.3f} |")
    for label, side in (("AFR, SAS", "afr_sas"), ("AMR, EAS, EUR", "others")):
        low, high = frame[f"tpr_true_min_{side}"], frame[f"tpr_true_max_{side}"]
        lines.append(f"| per-group TPR against `y_true`, {label}: lowest and highest "
                     f"group | {low.mean():.3f}, {high.mean():.3f} | {low.min():.3f} – "
                     f"{high.max():.3f} |")
    head = (f"Seeds {frame['seed'].min()}–{frame['seed'].max()}; {frame['n_train'].iloc[0]:,} "
            f"training and {frame['n_test'].iloc[0]} test rows:")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("genomes1000_signature")


def readme_genomes1000() -> str:
    """README: the genomes1000 sanity-signature bullet."""
    frame = _signature()
    return (f"({len(frame)} seeds): XGBoost on recorded labels has a DP gap of "
            f"{frame['demographic_parity'].mean():.3f} and a true-positive rate of "
            f"{frame['tpr_true_afr_sas'].mean():.2f} in AFR+SAS against "
            f"{frame['tpr_true_others'].mean():.2f} elsewhere.\n\n"
            + made_by("genomes1000_signature"))


def facagen_terms() -> str:
    """docs/reproduce-facagen.md: the script's table.md, its headings moved under the page's."""
    text = (RESULTS / "facagen_terms" / "table.md").read_text(encoding="utf-8")
    lines = [f"##{line}" if line.startswith("## ") else line
             for line in text.strip().splitlines() if not line.startswith("# ")]
    return "\n".join(lines).strip() + "\n\n" + made_by("facagen_terms")


def facagen_peers() -> str:
    """docs/reproduce-facagen.md: entropy, its consistency learner, Falcon and fal_fast on
    every data set, and FACA-GEN's variants on genomes1000 at all 2,504 samples."""
    text = (RESULTS / "facagen_peers" / "table.md").read_text(encoding="utf-8")
    lines, skip = [], False
    for line in text.strip().splitlines():
        if line.startswith("## "):  # keep the per-dataset tables and the seconds
            skip = "Table 1" in line  # the paper's table is facagen-terms' (999 samples)
            if not skip:
                lines.append("##" + line)
            continue
        if not skip and not line.startswith("# "):
            lines.append(line)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return body + "\n\n" + made_by("facagen_peers")


def readme_facagen() -> str:
    """README: FACA-GEN on genomes1000 (999 samples) against entropy and the seed model."""
    runs = _read("facagen_terms", "runs.csv")
    part = runs[runs["dataset"] == "genomes1000:999"]
    by = part.groupby("method")
    entropy = by.get_group("entropy")
    ucb, ucb_gp, cc = (by.get_group(m) for m in ("facagen_ucb", "facagen_ucb_gp",
                                                  "facagen_ucb+cc"))
    return (f"genomes1000, 999 samples, {entropy['seed'].nunique()} seeds, 10 rounds of 50: "
            f"DP {mean_sd(entropy['before_demographic_parity'])} before active learning, "
            f"{mean_sd(entropy['demographic_parity'])} after entropy sampling, "
            f"{mean_sd(ucb['demographic_parity'])} after FACA-GEN (UCB, expected-change "
            f"F) and {mean_sd(ucb_gp['demographic_parity'])} with the group-parity F; the "
            f"consistency learner (`+cc`) takes the counterfactual gap from "
            f"{entropy['cf_gap'].mean():.3f} (entropy) to {cc['cf_gap'].mean():.3f} and the "
            f"share of SHAP importance on the causal SNPs from "
            f"{entropy['causal_share'].mean():.3f} to {cc['causal_share'].mean():.3f}.\n\n"
            + made_by("facagen_terms"))


def falcon_authors() -> str:
    """docs/reproduce-falcon.md: the authors' Falcon beside fairpool's, the script's summary."""
    text = (RESULTS / "falcon_authors_setup" / "falcon_authors_setup.md").read_text(
        encoding="utf-8").strip()
    return text + "\n\n" + made_by("falcon_authors_setup")


def readme_falcon() -> str:
    """README: fairpool's Falcon (authors' learner settings) against the authors' code."""
    frame = _read("falcon_authors_setup", "falcon_authors_setup.csv")
    dp = frame.groupby("method", sort=False)["dp_final"]
    ours, theirs = "fairpool falcon, authors' learner", "authors' Falcon (λ = 1)"
    return (f"on the authors' own set-up ({frame['seed'].nunique()} seeds, the same rows), "
            f"fairpool's `falcon` with the authors' learner settings ends at DP "
            f"{mean_sd(dp.get_group(ours))} against their Falcon's "
            f"{mean_sd(dp.get_group(theirs))}.\n\n" + made_by("falcon_authors_setup"))


def fis_section(dataset: str) -> str:
    """docs/reproduce-fis.md: one dataset's section of fis_summary.py's table.md."""
    text = (RESULTS / "fis_table" / "fis_table.md").read_text(encoding="utf-8")
    sections = {}
    for chunk in text.split("### ")[1:]:
        name, _, body = chunk.partition("\n")
        sections[name.strip()] = body.strip()
    return sections[dataset] + "\n\n" + fis_against_random(dataset) + "\n\n" + made_by(
        "fis_table")


def _fis_final(dataset: str) -> pd.DataFrame:
    """The last round of every FIS-run campaign on ``dataset``, one row per (strategy, seed)."""
    rounds = _read("fis_table", "fis_rounds.csv")
    rounds = rounds[rounds["dataset"] == dataset]
    last = rounds.groupby("cell_key")["round"].transform("max")
    return rounds[rounds["round"] == last]


def fis_against_random(dataset: str) -> str:
    """docs/reproduce-fis.md: FIS's change against random sampling, from the rounds file."""
    final = _fis_final(dataset).groupby("strategy")[
        ["accuracy", "demographic_parity", "equalized_odds"]].mean()
    fis, rnd = final.loc["fis"], final.loc["random"]
    dp = 100 * (fis["demographic_parity"] / rnd["demographic_parity"] - 1)
    return (f"FIS against random sampling (means over seeds, last round): DP "
            f"{rnd['demographic_parity']:.3f} → {fis['demographic_parity']:.3f} ({dp:+.0f} %), "
            f"EO {rnd['equalized_odds']:.3f} → {fis['equalized_odds']:.3f}, accuracy "
            f"{100 * (fis['accuracy'] - rnd['accuracy']):+.1f} points.")


#: reproduce_falcon.py's method keys, as docs/reproduce-falcon.md names them.
FALCON_METHODS = {"random": "random", "entropy": "entropy", "falcon": "falcon, λ = 1",
                  "falcon_mix0.5": "falcon, λ = 0.5",
                  "falcon_no_postpone": "falcon, λ = 1, no postponement",
                  "fal_fast": "fal_fast (FAL-64, nested)", "dfa2l": "dfa2l"}


def falcon_reproduction(split: str) -> str:
    """docs/reproduce-falcon.md: one split's table (mean ± sd over seeds), best DP in bold."""
    runs = _read("falcon_reproduction", "runs.csv")
    runs = runs[runs["split"] == split]
    methods = [m for m in FALCON_METHODS if m in set(runs["method"])]
    best = min(methods, key=lambda m: runs.loc[runs["method"] == m, "dp_final"].mean())
    lines = ["| method | DP before | DP at B = 200 | score at B = 200 | accuracy before | "
             "accuracy at B | postponed |", "|---|---|---|---|---|---|---|"]
    for method in methods:
        part = runs[runs["method"] == method]
        name, dp, score = FALCON_METHODS[method], mean_sd(part["dp_final"]), mean_sd(
            1 - part["dp_final"])
        if method == best:
            name, dp, score = f"**{name}**", f"**{dp}**", f"**{score}**"
        rate = part["postpone_rate"]
        postponed = "–" if rate.isna().all() or (rate == 0).all() else (
            f"{rate.mean():.2f} ± {rate.std(ddof=1):.2f}")
        lines.append(f"| {name} | {mean_sd(part['dp_before'])} | {dp} | {score} | "
                     f"{mean_sd(part['accuracy_before'])} | {mean_sd(part['accuracy_final'])} "
                     f"| {postponed} |")
    falcon = runs[runs["method"] == "falcon"].sort_values("seed")
    per_seed = ", ".join(f"{v:.3f}" for v in falcon["dp_final"])
    seconds = runs.groupby("method")["seconds"].median()
    cost = ", ".join(f"{m} {seconds[m]:.1f} s" for m in methods)
    return ("\n".join(lines) + f"\n\nFalcon λ = 1 per seed: DP {per_seed}. Median wall time "
            f"per 200-round run: {cost}.\n\n" + made_by("falcon_reproduction"))


def readme_falcon_reproduction() -> str:
    """README: Falcon (λ = 1) on fairpool's 19 COMPAS features, both split make-ups."""
    runs = _read("falcon_reproduction", "runs.csv")

    def dp(split: str, method: str, column: str = "dp_final") -> pd.Series:
        return runs[(runs["split"] == split) & (runs["method"] == method)][column]

    paper = dp("paper", "falcon")
    return (f"on fairpool's 19 COMPAS features (sex, batch 1, B = 200, "
            f"{runs['seed'].nunique()} seeds), with the paper's split make-up Falcon takes "
            f"DP from {mean_sd(dp('paper', 'falcon', 'dp_before'))} to {mean_sd(paper)} "
            f"(fairness score {1 - paper.mean():.3f} against the paper's 0.861); on "
            f"fairpool's proportional `falcon` split from "
            f"{mean_sd(dp('falcon', 'falcon', 'dp_before'))} to "
            f"{mean_sd(dp('falcon', 'falcon'))}, random {mean_sd(dp('falcon', 'random'))}."
            "\n\n" + made_by("falcon_reproduction"))


def _cell3(value: float) -> str:
    return "--" if pd.isna(value) else f"{value:.3f}"


def monitoring_change_test() -> str:
    """docs/monitoring.md: size and power of the change test on simulated periods."""
    frame = _read("monitoring", "monitoring_change_test.csv")
    lines = ["| scenario | replicates | contrast test rejects | naive test on \\|DP\\| rejects "
             "| normal theory |", "|---|---|---|---|---|"]
    for row in frame.itertuples(index=False):
        lines.append(f"| {row.scenario} | {row.reps} | {_cell3(row.contrast_test_rejects)} | "
                     f"{_cell3(row.naive_abs_dp_test_rejects)} | {_cell3(row.normal_theory)} |")
    return "\n".join(lines) + "\n\n" + made_by("monitoring")


def _p(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.2g}"


def monitoring_periods() -> str:
    """docs/monitoring.md: the worked example, COMPAS per quarter."""
    frame = _read("monitoring", "monitoring_compas_periods.csv")
    result = json.loads((RESULTS / "monitoring" / "monitoring_compas.json").read_text(
        encoding="utf-8"))
    lines = ["| quarter | rows | base rate | DP difference [95 % CI] | DP change | p (DP) | "
             "p (EO) | flag |", "|---|---|---|---|---|---|---|---|"]
    for r in frame.itertuples(index=False):
        change = "" if pd.isna(r.dp_change) else f"{r.dp_change:+.3f}"
        flag = "" if pd.isna(r.flag) else r.flag
        lines.append(f"| {r.period} | {r.rows} | {r.base_rate:.3f} | "
                     f"{r.demographic_parity_difference:.3f} "
                     f"[{r.demographic_parity_difference_ci_low:.3f}, "
                     f"{r.demographic_parity_difference_ci_high:.3f}] | {change} | "
                     f"{_p(r.dp_change_p)} | {_p(r.eo_change_p)} | {flag} |")
    cost = (f"The command took {result['seconds']} s for {frame['rows'].sum()} rows, "
            f"{len(frame)} periods and {result['n_boot']} bootstrap replicates per period "
            "(`seconds` in the JSON).")
    parts = ["\n".join(lines), cost, run_note("monitoring"), made_by("monitoring")]
    return "\n\n".join(p for p in parts if p)


def monitoring_interop() -> str:
    """docs/monitoring.md: fairpool's numbers against other toolkits on COMPAS."""
    frame = _read("monitoring", "monitoring_interop.csv")
    lines = ["| toolkit | quantity | fairpool | theirs | absolute difference |",
             "|---|---|---|---|---|"]
    for r in frame.itertuples(index=False):
        ours = "" if pd.isna(r.fairpool) else f"{r.fairpool:.4f}"
        theirs = "" if pd.isna(r.reference) else f"{r.reference:.4f}"
        quantity = r.quantity.replace("|", "\\|")
        lines.append(f"| {r.toolkit} | {quantity} | {ours} | {theirs} | "
                     f"{r.abs_difference:.2g} |")
    return "\n".join(lines) + "\n\n" + made_by("monitoring")


def _g(value: float) -> str:
    """Three significant digits, without an exponent for large values."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def subgroups_speed() -> str:
    """docs/audit.md: subgroups and worst_slices against their references, same run."""
    frame = _read("subgroups", "subgroups.csv")
    lines = ["| task | n | fairpool s | reference | reference n | reference s | scaled | "
             "ratio |", "|---|---|---|---|---|---|---|---|"]
    for r in frame.itertuples(index=False):
        has_ref = not pd.isna(r.reference)
        cells = [r.task, f"{r.n:,}", _g(r.fairpool_s),
                 r.reference if has_ref else "", f"{int(r.reference_n):,}" if has_ref else "",
                 _g(r.reference_s) if has_ref else "",
                 r.reference_scaled if has_ref else "", _g(r.ratio) if has_ref else ""]
        lines.append("| " + " | ".join(cells) + " |")
    head = (f"Wall-clock seconds on {frame['cores'].iloc[0]} cores of a shared machine at a "
            f"1-minute load average of {frame['load_avg_1min'].iloc[0]:.0f} (every time is "
            "inflated; each reference ran in the same run under the same load); `ratio` is "
            "reference / fairpool:")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("subgroups")


def stress_summary() -> str:
    """docs/evaluation.md: each metric at rate 0 and at the largest rate, mean over seeds."""
    script = _load_script("stress_test")
    table = _read("stress_test", "stress_test.csv")
    summary = script.summary(table)
    lo, hi = (c for c in summary.columns if c.startswith("at "))
    metrics = list(dict.fromkeys(summary["metric"]))
    lines = ["| dataset | bias | strategy | " + " | ".join(metrics) + " |",
             "|---|---|---|" + "---|" * len(metrics)]
    for (name, source, strategy), part in summary.groupby(["dataset", "source", "strategy"],
                                                         sort=False):
        part = part.set_index("metric")
        cells = [f"{part.loc[m, lo]:.3f} → {part.loc[m, hi]:.3f}" for m in metrics]
        lines.append(f"| {name} | {source} | {strategy} | " + " | ".join(cells) + " |")
    head = (f"Mean over seeds {', '.join(map(str, sorted(table['seed'].unique())))}, "
            f"{lo} → {hi} (rate of the injected bias); `tpr[group]` is the TPR of the "
            "stressed group (Adult: Female, genomes1000: EUR) on clean test rows; strategy "
            "`none` is the plain fit on all training rows:")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("stress_test")


def explain_shares() -> str:
    """docs/evaluation.md: share of mean |SHAP| on the attribute and its proxies, per group."""
    shares = _read("explain_by_group", "explain_by_group.csv")
    lines = ["| dataset | model | group | sensitive columns | proxies | other | top feature |",
             "|---|---|---|---|---|---|---|"]
    for r in shares.itertuples(index=False):
        lines.append(f"| {r.dataset} | {r.model} | {r.group} | {r.sensitive:.3f} | "
                     f"{r.proxies:.3f} | {r.other:.3f} | `{r.top_feature}` |")
    return "\n".join(lines) + "\n\n" + made_by("explain_by_group")


def explain_timing() -> str:
    """docs/evaluation.md: the explainers' cost against shap's KernelExplainer, same run."""
    timing = _read("explain_by_group", "explain_timing.csv")
    lines = ["| dataset | model | explainer | rows | s | s per 1,000 rows | KernelExplainer s "
             "per 1,000 rows | ratio |", "|---|---|---|---|---|---|---|---|"]
    for r in timing.itertuples(index=False):
        lines.append(f"| {r.dataset} | {r.model} | {r.explainer} | {r.rows:,} | "
                     f"{_g(r.seconds)} | {_g(r.seconds_per_1000_rows)} | "
                     f"{_g(r.kernel_seconds_per_1000_rows)} | {_g(r.kernel_over_fairpool)} |")
    return "\n".join(lines) + "\n\n" + made_by("explain_by_group")


def strategies_adult() -> str:
    """docs/active-learning.md: the uncertainty and group baselines' final round on Adult."""
    frame = _read("strategies_adult", "strategies_adult.csv")
    groups = [c[len("picked_"):] for c in frame.columns if c.startswith("picked_")]
    lines = [f"| strategy | F1 | accuracy | DP | EO | picked {'/'.join(groups)} |",
             "|---|---|---|---|---|---|"]
    for row in frame.itertuples(index=False):
        picked = "/".join(str(getattr(row, f"picked_{g}")) for g in groups)
        lines.append(f"| {row.strategy} | {row.f1:.3f} | {row.accuracy:.3f} | "
                     f"{row.demographic_parity:.3f} | {row.equalized_odds:.3f} | {picked} |")
    head = (f"Seed {frame['seed'].iloc[0]}, final round ({frame['n_labelled'].iloc[0]} "
            "labelled); DP and EO are max − min over the groups:")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("strategies_adult")


def _seconds(value: float) -> str:
    return f"{value:.2g} s" if value < 10 else f"{value:.0f} s"


def ot_accuracy() -> str:
    """docs/metrics.md: the subsample and sliced OT estimates against the exact W1."""
    frame = _read("ot_distance", "ot_accuracy.csv")
    timing = _read("ot_distance", "ot_timing.csv")
    lines = ["| d | exact W1 | subsample relative error | subsample time | exact time | "
             "sliced (mean of seeds) |", "|---|---|---|---|---|---|"]
    for d, part in frame.groupby("d", sort=True):
        exact = part[part["method"] == "exact"].iloc[0]
        sub = part[part["method"] == "subsample"]
        error = 100 * (sub["value"] - exact["value"]) / exact["value"]
        sliced = part[part["method"] == "sliced"]
        lines.append(f"| {d} | {exact['value']:.3f} | {error.min():+.1f} % .. "
                     f"{error.max():+.1f} % | {_seconds(sub['seconds'].mean())} | "
                     f"{_seconds(exact['seconds'])} | {sliced['value'].mean():.3f} |")
    n = int(frame["n"].iloc[0])
    seeds = sorted(frame.loc[frame["method"] == "subsample", "seed"].unique())
    sliced_seeds = sorted(frame.loc[frame["method"] == "sliced", "seed"].unique())
    limit = timing[timing["case"].str.startswith("default exact limit")].iloc[0]
    head = (f"Two Gaussian samples of {n} points, the second shifted by 1 along an axis; "
            f"subsample with the defaults, seeds {seeds[0]}-{seeds[-1]} (time: mean per "
            f"call); sliced, seeds {sliced_seeds[0]}-{sliced_seeds[-1]}:")
    tail = (f"One exact solve at `\"auto\"`'s limit ({int(limit['n_a'])} × "
            f"{int(limit['n_b'])} points, {int(limit['d'])}-D): "
            f"{_seconds(limit['seconds'])} (best of the run's repeats).")
    parts = [head, "\n".join(lines), tail, run_note("ot_distance"), made_by("ot_distance")]
    return "\n\n".join(p for p in parts if p)


#: a label the model gives a probability below this is "surprising" in the Newton block
SURPRISING = 0.1


def newton_steps() -> str:
    """docs/fal.md: the Newton refit's relative error against a true refit, by steps."""
    frame = _read("newton_steps", "newton_steps.csv")
    surprising = frame[frame["p_label"] < SURPRISING]
    estimates = [("first-order influence function", "influence"),
                 ("one-step Newton (new row's curvature by Sherman-Morrison)", "newton_1x")]
    estimates += [(f"`fal_fast`, {k} step{'s' if k > 1 else ''}"
                   + (" (exact scalar solve)" if k == 1 else ""), f"steps_{k}")
                  for k in sorted(int(c[len("steps_"):]) for c in frame.columns
                                  if c.startswith("steps_"))]
    lines = ["| estimate | median relative error | largest on surprising labels |",
             "|---|---|---|"]
    for label, column in estimates:
        lines.append(f"| {label} | {100 * frame[column].median():.2g} % | "
                     f"{100 * surprising[column].max():.3g} % |")
    head = (f"Adult, {frame['n_labelled'].iloc[0]} labelled rows (seed "
            f"{frame['seed'].iloc[0]}), {frame['n_features'].iloc[0]} standardised features, "
            f"L2 logistic regression (C = 1); {frame['candidate'].nunique()} pool rows, each "
            f"added with label 0 and with label 1 ({len(frame)} pairs); relative error "
            f"‖Δ̂ − Δ‖ / ‖Δ‖ of the parameter change against a scikit-learn refit. "
            f"\"Surprising\": the model gives the label a probability below {SURPRISING} "
            f"({len(surprising)} pairs).")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + made_by("newton_steps")


def _parts(text: str) -> dict[str, float]:
    """``"audit 0.25, subgroups 0.76"`` -> {"audit": 0.25, "subgroups": 0.76}."""
    return {name: float(value) for name, value in
            (part.rsplit(" ", 1) for part in text.split(", "))}


def audit_report() -> str:
    """docs/audit.md: what ``fairpool audit --report`` costs against the plain audit."""
    table = _load_script("audit_report").markdown(_read("audit_report", "audit_report.csv"))
    frame = pd.read_csv(RESULTS / "audit_report" / "audit_report.csv", dtype=str)
    rows = {r["what"]: r for r in frame.to_dict("records")}
    plain = rows["report, no explanations"]
    default = rows["report (default: explanations)"]
    stress = rows["report --stress"]
    text = (f"Without explanations the page took {float(plain['seconds']):.2g} s wall, "
            f"{float(plain['ratio']):.1f}× the plain audit. The default page, with the SHAP "
            f"section, took {float(default['seconds']):.1f} s wall and "
            f"{float(default['CPU s']):.1f} s of CPU, of which "
            f"{_parts(default['parts (s)'])['explanations']:.1f} s fitting and explaining "
            f"the logistic regression. `--stress` added "
            f"{_parts(stress['parts (s)'])['stress']:.0f} s. Load average (1 min) "
            f"{default['load (1 min)']} on 2 cores: wall times are inflated, `CPU s` is the "
            f"fairer figure.")
    return table.strip("\n") + "\n\n" + text + "\n\n" + made_by("audit_report")


def sessions_speed() -> str:
    """docs/sessions.md: ``session query`` on a 10^6-row pool against the selection itself."""
    rows = json.loads((RESULTS / "sessions" / "sessions_bench.json").read_text(encoding="utf-8"))
    table = pd.DataFrame(rows)
    ratio = table["query_over_select_plus_read"]
    missed = table.loc[~table["within_target"].astype(bool), "strategy"].tolist()
    verdict = (f"{len(table) - len(missed)} of {len(table)} strategies within the target "
               "(`query_s` ≤ 2 × `select_s` + `read_pool_s`, `open_s` < 1 s)"
               + (f"; outside it: {', '.join(missed)}" if missed else ""))
    text = (f"`query` costs {ratio.min():.2f}–{ratio.max():.2f}× the selection plus the "
            f"read ({verdict}); `open` takes "
            f"{table['open_s'].max() * 1000:.1f} ms at most; `create` encoded and copied "
            f"the {int(table['pool_rows'].iloc[0]):,}-row pool once in "
            f"{table['create_s'].iloc[0]:.0f} s.")
    return ("Median of the run's repeats:\n\n```\n" + table.to_string(index=False)
            + "\n```\n\n" + text + "\n\n" + "\n\n".join(
                p for p in (run_note("sessions"), made_by("sessions")) if p))


def ot_round() -> str:
    """docs/active-learning.md: what the per-round ``ot_distance`` costs."""
    timing = _read("ot_distance", "ot_timing.csv")
    row = timing[timing["case"].str.startswith("active-learning round")].iloc[0]
    text = (f"One round's `ot_distance` (exact, {int(row['n_a'])} × {int(row['n_b'])} "
            f"rows of Adult's {int(row['d'])} standardised features) took "
            f"{_seconds(row['seconds'])} (best of the run's repeats).")
    parts = [text, run_note("ot_distance"), made_by("ot_distance")]
    return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Block:
    """One generated block: where it lives and how it is rendered."""

    name: str
    page: str
    render: Callable[[], str]
    runs: tuple[str, ...]


BLOCKS: tuple[Block, ...] = (
    Block("make-run", "README.md", readme_make_run, ("make_run",)),
    Block("panda-summary", "README.md", readme_panda, ("panda",)),
    Block("panda-fig1", "docs/reproduce-panda.md", panda_fig1, ("panda",)),
    Block("panda-fig2", "docs/reproduce-panda.md", panda_fig2, ("panda",)),
    Block("panda-training", "docs/reproduce-panda.md", panda_training, ("panda",)),
    Block("panda-rho", "docs/reproduce-panda.md", panda_rho, ("panda_rho",)),
    Block("panda-repr", "docs/reproduce-panda.md", panda_repr, ("panda_repr",)),
    Block("baselines", "docs/reproduce-panda-baselines.md", baselines_table,
          ("panda_baselines",)),
    Block("panda-speed", "docs/reproduce-panda.md", panda_speed, ("speed_panda",)),
    Block("metrics-summary", "README.md", readme_metrics, ("metrics",)),
    Block("metrics-speed", "docs/metrics.md", metrics_speed, ("metrics",)),
    Block("metrics-strings", "docs/metrics.md", metrics_strings, ("metrics",)),
    Block("selection-summary", "README.md", readme_selection, ("selection_scale",)),
    Block("selection-scale", "docs/fal.md", selection_table, ("selection_scale",)),
    Block("fal-summary", "README.md", readme_fal, ("fal_agreement",)),
    Block("fal-agreement", "docs/fal.md", fal_table, ("fal_agreement",)),
    Block("fal-noise-floor", "docs/fal.md", fal_noise_floor, ("fal_noise_floor",)),
    Block("fair-reduction-summary", "README.md", readme_fair_reduction, ("fair_reduction",)),
    Block("fair-reduction", "docs/strategies-fair-baselines.md", fair_reduction,
          ("fair_reduction",)),
    Block("genomes1000-summary", "README.md", readme_genomes1000, ("genomes1000_signature",)),
    Block("genomes1000-signature", "docs/datasets.md", genomes1000_signature,
          ("genomes1000_signature",)),
    Block("falcon-reproduction-summary", "README.md", readme_falcon_reproduction,
          ("falcon_reproduction",)),
    Block("falcon-summary", "README.md", readme_falcon, ("falcon_authors_setup",)),
    Block("falcon-authors", "docs/reproduce-falcon.md", falcon_authors,
          ("falcon_authors_setup",)),
    Block("fis-adult", "docs/reproduce-fis.md", lambda: fis_section("adult"), ("fis_table",)),
    Block("fis-compas", "docs/reproduce-fis.md", lambda: fis_section("compas"),
          ("fis_table",)),
    Block("falcon-paper-split", "docs/reproduce-falcon.md",
          lambda: falcon_reproduction("paper"), ("falcon_reproduction",)),
    Block("falcon-falcon-split", "docs/reproduce-falcon.md",
          lambda: falcon_reproduction("falcon"), ("falcon_reproduction",)),
    Block("monitoring-change-test", "docs/monitoring.md", monitoring_change_test,
          ("monitoring",)),
    Block("monitoring-periods", "docs/monitoring.md", monitoring_periods, ("monitoring",)),
    Block("monitoring-interop", "docs/monitoring.md", monitoring_interop, ("monitoring",)),
    Block("subgroups-speed", "docs/audit.md", subgroups_speed, ("subgroups",)),
    Block("stress-test", "docs/evaluation.md", stress_summary, ("stress_test",)),
    Block("explain-shares", "docs/evaluation.md", explain_shares, ("explain_by_group",)),
    Block("explain-timing", "docs/evaluation.md", explain_timing, ("explain_by_group",)),
    Block("strategies-adult", "docs/active-learning.md", strategies_adult,
          ("strategies_adult",)),
    Block("facagen-summary", "README.md", readme_facagen, ("facagen_terms",)),
    Block("facagen-terms", "docs/reproduce-facagen.md", facagen_terms, ("facagen_terms",)),
    Block("ot-accuracy", "docs/metrics.md", ot_accuracy, ("ot_distance",)),
    Block("ot-round", "docs/active-learning.md", ot_round, ("ot_distance",)),
    Block("audit-report", "docs/audit.md", audit_report, ("audit_report",)),
    Block("sessions-speed", "docs/sessions.md", sessions_speed, ("sessions",)),
    Block("newton-steps", "docs/fal.md", newton_steps, ("newton_steps",)),
    Block("facagen-peers", "docs/reproduce-facagen.md", facagen_peers, ("facagen_peers",)),
)


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- figures:{re.escape(name)} -->\n)(.*?)(<!-- /figures:"
                      rf"{re.escape(name)} -->)", re.S)


def rendered(page_text: str, block: Block) -> tuple[str, str]:
    """(the block's text on the page, the text its results give). Raises if absent."""
    match = _pattern(block.name).search(page_text)
    if match is None:
        raise LookupError(f"{block.page} has no <!-- figures:{block.name} --> block")
    return match.group(2), block.render().rstrip("\n") + "\n"


def write(blocks: tuple[Block, ...] = BLOCKS) -> list[str]:
    """Rewrite every block from its results; returns the pages changed."""
    changed = []
    for page in sorted({b.page for b in blocks}):
        path = ROOT / page
        text = path.read_text(encoding="utf-8")
        new = text
        for block in (b for b in blocks if b.page == page):
            _, fresh = rendered(new, block)
            new = _pattern(block.name).sub(lambda m, f=fresh: m.group(1) + f + m.group(3), new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


def check(blocks: tuple[Block, ...] = BLOCKS) -> list[str]:
    """The blocks whose page text differs from what their results give (empty: all fresh)."""
    stale = []
    for block in blocks:
        on_page, fresh = rendered((ROOT / block.page).read_text(encoding="utf-8"), block)
        if on_page != fresh:
            stale.append(f"{block.page} [{block.name}]")
    return stale


def record(run: str, source: Path, command: str, commit: str | None, note: str) -> Path:
    """Copy ``run``'s files from ``source`` into benchmarks/results/<run>/ with provenance."""
    if run not in RUN_FILES:
        raise SystemExit(f"error: unknown run {run!r}; known: {', '.join(RUN_FILES)}")
    dest = RESULTS / run
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES[run]:
        src, dst = source / name, dest / name
        # a script may have written straight into the run's folder: nothing to copy then
        if src.exists() and not (dst.exists() and src.samefile(dst)):
            shutil.copyfile(src, dst)
    # the full hash, also of an abbreviated --commit (a block quotes its first 10 digits)
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{commit or 'HEAD'}^{{commit}}"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    info = {"command": command, "commit": commit,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"), "note": note}
    (dest / "provenance.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return dest


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    rec = sub.add_parser("record", help="copy a run's results here with provenance")
    rec.add_argument("run", choices=sorted(RUN_FILES))
    rec.add_argument("--source", type=Path, required=True)
    rec.add_argument("--command", required=True, help="the command that made the results")
    rec.add_argument("--commit", help="the code's commit (default: HEAD)")
    rec.add_argument("--note", default="")
    for action, text in (("write", "rewrite the generated blocks"),
                         ("check", "exit 1 when a block differs from its results")):
        one = sub.add_parser(action, help=text)
        one.add_argument("blocks", nargs="*", help="block names (default: all)")
    args = parser.parse_args()
    chosen = BLOCKS
    if args.action != "record" and args.blocks:
        unknown = sorted(set(args.blocks) - {b.name for b in BLOCKS})
        if unknown:
            raise SystemExit(f"error: unknown block(s) {unknown}")
        chosen = tuple(b for b in BLOCKS if b.name in args.blocks)
    if args.action == "record":
        print(record(args.run, args.source, args.command, args.commit, args.note))
    elif args.action == "write":
        print("\n".join(write(chosen)) or "every page was already up to date")
    else:
        stale = check(chosen)
        if stale:
            print("stale (run `benchmarks/doc_figures.py write`):\n  " + "\n  ".join(stale))
            sys.exit(1)
        print(f"{len(chosen)} blocks match their results files")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
