"""Monitoring and interop figures of docs/monitoring.md, regenerated from the bundled data.

Three parts, each written under benchmarks/results/monitoring/:

1. ``monitoring_compas.json`` / ``monitoring_compas_periods.csv``: the worked example.
   Bundled COMPAS rows of African-American and Caucasian defendants are written as a
   user's CSV (screening date, race, two-year recidivism, "high risk" = decile score
   >= 5) and monitored per quarter through the command line, exactly as a user runs it:
   ``fairpool audit compas.csv --target two_year_recid --sensitive race --pred high_risk
   --by-period quarter --time-column compas_screening_date --format json``.
2. ``monitoring_change_test.csv``: the change test's size (no change in disparity) and
   power (a planted change) on simulated periods, ``--reps`` replicates per scenario,
   beside a naive test of the change in ``|DP difference|`` (the same z test on the
   absolute gap), whose size is not nominal when the true gap is near zero and the
   periods differ in size; and the normal-theory power of a z test as a reference.
3. ``monitoring_interop.csv``: the largest absolute difference between fairpool's
   numbers on COMPAS and fairlearn's MetricFrame, AIF360's ClassificationMetric (when
   installed) and the round trips through Aequitas' crosstab and TFMA-style JSON
   (``monitoring_compas_tfma.json``: the audit of all rows as MetricsForSlice JSON).

Run:  .venv/bin/python benchmarks/monitoring.py [--reps 4000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from fairpool.audit import (
    aequitas_crosstab,
    audit_frame,
    disparity_change_test,
    from_aequitas_crosstab,
    from_metric_frame,
    read_tfma_json,
    to_metric_frame,
    to_tfma_json,
)
from fairpool.datasets import raw_table
from fairpool.metrics import group_report

#: This run's folder (benchmarks/doc_figures.py quotes its files with provenance.json).
RESULTS = Path(__file__).resolve().parent / "results" / "monitoring"


def compas_table() -> pd.DataFrame:
    t = raw_table("compas")
    t = t[t["race"].isin(["African-American", "Caucasian"])]
    return pd.DataFrame({
        "compas_screening_date": t["compas_screening_date"].to_numpy(),
        "race": t["race"].to_numpy(),
        "two_year_recid": t["two_year_recid"].to_numpy(),
        "high_risk": (t["decile_score"] >= 5).astype(int).to_numpy(),
    })


def worked_example() -> dict:
    from typer.testing import CliRunner

    from fairpool.cli import app

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "compas.csv"
        compas_table().to_csv(path, index=False)
        args = ["audit", str(path), "--target", "two_year_recid", "--sensitive", "race",
                "--pred", "high_risk", "--by-period", "quarter", "--time-column",
                "compas_screening_date", "--format", "json"]
        start = time.perf_counter()
        out = CliRunner().invoke(app, args)
        seconds = time.perf_counter() - start
    if out.exit_code != 0:
        sys.exit(f"fairpool audit failed: {out.output}")
    result = json.loads(out.stdout)
    result["seconds"] = round(seconds, 2)
    (RESULTS / "monitoring_compas.json").write_text(json.dumps(result, indent=2))
    periods = pd.DataFrame(result["periods"])
    keep = ["period", "rows", "groups", "base_rate", "accuracy", "demographic_parity_difference",
            "demographic_parity_difference_ci_low", "demographic_parity_difference_ci_high",
            "disparate_impact_ratio", "equalized_odds_difference", "dp_change", "dp_change_p",
            "dp_changed", "eo_change", "eo_change_p", "eo_changed", "flag"]
    periods[keep].to_csv(RESULTS / "monitoring_compas_periods.csv", index=False)
    return result


def naive_abs_test(x_t, n_t, x_r, n_r) -> np.ndarray:
    """p-value of a z test on the change in |p_0 - p_1| (two groups), delta-method variance."""
    p_t, p_r = x_t / n_t, x_r / n_r
    var = (p_t * (1 - p_t) / n_t).sum(-1) + (p_r * (1 - p_r) / n_r).sum(-1)
    change = np.abs(p_t[..., 0] - p_t[..., 1]) - np.abs(p_r[..., 0] - p_r[..., 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = change / np.sqrt(var)
    return 2 * norm.sf(np.abs(z))


SCENARIOS = [
    # name, reference rates, period rates, reference rows, period rows
    ("no change, 2 groups, unequal sizes", [0.3, 0.5], [0.3, 0.5], [400, 200], [150, 300]),
    ("no change, 3 groups, common shift +0.1", [0.2, 0.35, 0.5], [0.3, 0.45, 0.6],
     [300, 100, 200], [250, 80, 400]),
    ("no change, 2 small groups (20, 15)", [0.2, 0.6], [0.2, 0.6], [20, 15], [20, 15]),
    ("no change, no gap, period 10x smaller", [0.4, 0.4], [0.4, 0.4], [1000, 1000],
     [100, 100]),
    ("planted change 0.2 -> 0.1, 500 per group", [0.3, 0.5], [0.4, 0.5], [500, 500],
     [500, 500]),
    ("planted change, 3 groups, one moves 0.1", [0.3, 0.4, 0.5], [0.4, 0.4, 0.5],
     [300, 300, 300], [300, 300, 300]),
]


def change_test_table(reps: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for name, rates_r, rates_t, n_r, n_t in SCENARIOS:
        n_r, n_t = np.array(n_r), np.array(n_t)
        x_r = rng.binomial(n_r, rates_r, size=(reps, n_r.size)).astype(float)
        x_t = rng.binomial(n_t, rates_t, size=(reps, n_t.size)).astype(float)
        _, _, p = disparity_change_test(x_t, np.broadcast_to(n_t, x_t.shape), x_r,
                                        np.broadcast_to(n_r, x_r.shape))
        row = {"scenario": name, "groups": n_r.size, "reps": reps,
               "contrast_test_rejects": float((p < 0.05).mean())}
        if n_r.size == 2:
            row["naive_abs_dp_test_rejects"] = float(
                (naive_abs_test(x_t, n_t, x_r, n_r) < 0.05).mean())
            gap_t, gap_r = rates_t[0] - rates_t[1], rates_r[0] - rates_r[1]
            var = sum(q * (1 - q) / n for q, n in zip([*rates_t, *rates_r],
                                                      [*n_t, *n_r], strict=True))
            shift = (gap_t - gap_r) / np.sqrt(var)
            z = norm.ppf(0.975)
            row["normal_theory"] = float(norm.cdf(shift - z) + norm.cdf(-shift - z))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(RESULTS / "monitoring_change_test.csv", index=False)
    return table


def interop_table() -> pd.DataFrame:
    t = compas_table()
    y, yp, race = t["two_year_recid"].to_numpy(), t["high_risk"].to_numpy(), t["race"]
    audit = audit_frame(t, target="two_year_recid", sensitive="race", pred="high_risk")
    report = group_report(y, yp, sensitive_features=race)
    rows = []

    def add(toolkit: str, what: str, ours: float, theirs: float) -> None:
        rows.append({"toolkit": toolkit, "quantity": what, "fairpool": ours,
                     "reference": theirs, "abs_difference": abs(ours - theirs)})

    def gap(toolkit: str, what: str, difference: float) -> None:
        rows.append({"toolkit": toolkit, "quantity": what, "fairpool": np.nan,
                     "reference": np.nan, "abs_difference": difference})

    from fairlearn import metrics as flm

    ref = flm.MetricFrame(metrics={"selection_rate": flm.selection_rate,
                                   "tpr": flm.true_positive_rate,
                                   "fpr": flm.false_positive_rate},
                          y_true=y, y_pred=yp, sensitive_features=race)
    mine = to_metric_frame(y, yp, sensitive_features=race)
    for col in ("selection_rate", "tpr", "fpr"):
        gap("fairlearn MetricFrame", f"{col} per group (largest difference)",
            float((mine.by_group[col] - ref.by_group[col]).abs().max()))
    back = from_metric_frame(mine)
    gap("fairlearn round trip", "every rate of every group (largest difference)",
        float((back.by_group - report.by_group).abs().max().max()))
    try:
        from fairpool.audit import aif360_metric

        metric = aif360_metric(t, target="two_year_recid", sensitive="race", pred="high_risk",
                               privileged="Caucasian")
        head = audit.headline.set_index("key")["value"]
        add("AIF360 ClassificationMetric", "|statistical_parity_difference| vs DP difference",
            float(head["demographic_parity_difference"]),
            abs(metric.statistical_parity_difference()))
        add("AIF360 ClassificationMetric", "equal_opportunity_difference vs TPR gap",
            float(head["equal_opportunity_difference"]),
            abs(metric.equal_opportunity_difference()))
        di = metric.disparate_impact()  # unprivileged / privileged; fairpool's is min / max
        add("AIF360 ClassificationMetric", "min(disparate_impact, 1 / it) vs DI ratio",
            float(head["disparate_impact_ratio"]), min(di, 1 / di))
    except ImportError:
        print("aif360 not installed: its rows are left out")
    crosstab = aequitas_crosstab(t, target="two_year_recid", sensitive="race", pred="high_risk")
    rebuilt = from_aequitas_crosstab(crosstab)["race"].by_group
    gap("Aequitas crosstab round trip", "every rate of every group (largest difference)",
        float(np.abs(rebuilt.to_numpy(float) - report.by_group.to_numpy(float)).max()))
    _, read = read_tfma_json(to_tfma_json(audit, RESULTS / "monitoring_compas_tfma.json"))
    cols = [c for c in audit.by_group.columns if c != "small"]
    gap("TFMA JSON round trip", "rates and interval bounds (largest difference)",
        float(np.abs(read[cols].to_numpy(float) - audit.by_group[cols].to_numpy(float)).max()))
    table = pd.DataFrame(rows)
    table.to_csv(RESULTS / "monitoring_interop.csv", index=False)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = worked_example()
    periods = pd.DataFrame(result["periods"])
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        shown = ["period", "rows", "base_rate", "demographic_parity_difference", "dp_change_p",
                 "eo_change_p", "flag"]
        print(periods[shown].to_string(index=False))
        print(f"command time: {result['seconds']} s")
        print(change_test_table(args.reps).to_string(index=False))
        print(interop_table().to_string(index=False))


if __name__ == "__main__":
    main()
