"""fairpool.audit.monitor and `fairpool audit --by-period`: the audit per period, a change test.

References: fairlearn's MetricFrame and disparity functions for each period's numbers,
statsmodels (OLS with HC0 covariance, a Wald test of the group x period interaction)
for the change statistic, statsmodels' multipletests for Holm, a row-resampling loop
for the bootstrap; the test's size and power on simulated data.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from typer.testing import CliRunner

from fairpool.audit import disparity_change_test, monitor, monitor_file
from fairpool.audit._change import Cells, bootstrap_disparities
from fairpool.audit._change import holm_adjusted as holm
from fairpool.audit._change import scalar_interval as percentile_interval
from fairpool.cli import app
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
    UnknownNameError,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    """Bundled COMPAS rows of two groups, with the screening date and a high-risk prediction."""
    from fairpool.datasets import raw_table

    t = raw_table("compas")
    t = t[t["race"].isin(["African-American", "Caucasian"])]
    return pd.DataFrame({
        "date": t["compas_screening_date"].to_numpy(),
        "race": t["race"].to_numpy(), "sex": t["sex"].to_numpy(),
        "recid": t["two_year_recid"].to_numpy(),
        "high_risk": (t["decile_score"] >= 5).astype(int).to_numpy(),
    })


def simulated(rates: list[dict[str, float]], n: int = 600, seed: int = 0) -> pd.DataFrame:
    """One month per entry of ``rates`` (group -> selection rate), labels at random."""
    rng = np.random.default_rng(seed)
    parts = []
    for month, per_group in enumerate(rates):
        for group, rate in per_group.items():
            parts.append(pd.DataFrame({
                "when": pd.Timestamp(2024, month + 1, 1) + pd.to_timedelta(
                    rng.integers(0, 27, n), unit="D"),
                "g": group, "y": rng.integers(0, 2, n), "yhat": (rng.random(n) < rate).astype(int),
            }))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------ numbers per period


def test_each_period_matches_fairlearn(compas):
    result = monitor(compas, target="recid", sensitive="race", pred="high_risk",
                     time_column="date", period="quarter", n_boot=200)
    quarters = pd.to_datetime(compas["date"]).dt.to_period("Q").astype(str)
    assert list(result.periods["period"]) == sorted(quarters.unique())
    for _, row in result.periods.iterrows():
        part = compas[quarters == row["period"]]
        y, yp, s = part["recid"], part["high_risk"], part["race"]
        assert row["rows"] == len(part)
        assert row["demographic_parity_difference"] == pytest.approx(
            flm.demographic_parity_difference(y, yp, sensitive_features=s))
        assert row["disparate_impact_ratio"] == pytest.approx(
            flm.demographic_parity_ratio(y, yp, sensitive_features=s))
        assert row["accuracy"] == pytest.approx((y == yp).mean())
        frame = flm.MetricFrame(metrics={"sr": flm.selection_rate}, y_true=y, y_pred=yp,
                                sensitive_features=s)
        mine = result.by_group[result.by_group["period"] == row["period"]].set_index("race")
        for group, value in frame.by_group["sr"].items():
            assert mine.at[group, "selection_rate"] == pytest.approx(value)
        if (y == 0).sum() and all(part.groupby("race")["recid"].nunique() == 2):
            assert row["equalized_odds_difference"] == pytest.approx(
                flm.equalized_odds_difference(y, yp, sensitive_features=s))
        low, high = (row["demographic_parity_difference_ci_low"],
                     row["demographic_parity_difference_ci_high"])
        assert low <= row["demographic_parity_difference"] <= high


def test_dict_and_list_of_periods_give_the_same_numbers(compas):
    quarters = pd.to_datetime(compas["date"]).dt.to_period("Q").astype(str)
    frames = {q: compas[quarters == q] for q in sorted(quarters.unique())[:3]}
    by_dict = monitor(frames, target="recid", sensitive="race", pred="high_risk", n_boot=100)
    by_list = monitor(list(frames.values()), target="recid", sensitive="race",
                      pred="high_risk", n_boot=100)
    assert list(by_dict.periods["period"]) == list(frames)
    assert list(by_list.periods["period"]) == ["0", "1", "2"]
    cols = ["demographic_parity_difference", "dp_change_p", "eo_change_p"]
    np.testing.assert_allclose(by_dict.periods[cols].to_numpy(dtype=float),
                               by_list.periods[cols].to_numpy(dtype=float))


def test_change_statistic_matches_statsmodels_wald():
    """Agresti-Caffo Wald = OLS on cells with one added success and failure, HC0 covariance."""
    import statsmodels.formula.api as smf

    x_t, n_t = np.array([40, 70, 20]), np.array([100, 150, 60])
    x_r, n_r = np.array([35, 90, 30]), np.array([120, 160, 50])
    stat, df, p = disparity_change_test(x_t, n_t, x_r, n_r)
    rows = []
    for period, (xs, ns) in enumerate(((x_r, n_r), (x_t, n_t))):
        for g, (x, n) in enumerate(zip(xs, ns, strict=True)):
            ones = x + 1  # one added success and one added failure
            rows.append(pd.DataFrame({"y": [1] * ones + [0] * (n + 2 - ones), "g": g,
                                      "t": period}))
    data = pd.concat(rows, ignore_index=True)
    fit = smf.ols("y ~ C(g) * C(t)", data).fit(cov_type="HC0")
    names = [n for n in fit.params.index if ":" in n]
    wald = fit.wald_test(np.array([[float(n == m) for n in fit.params.index] for m in names]),
                         scalar=True, use_f=False)
    assert df == 2
    assert stat == pytest.approx(float(wald.statistic), rel=1e-9)
    assert p == pytest.approx(float(wald.pvalue), rel=1e-7)


def test_size_on_no_change_data_is_nominal():
    """Simulated periods with the same gaps (and a common shift): about alpha rejected."""
    rng = np.random.default_rng(11)
    reps = 4000
    for rates_r, rates_t, n_r, n_t in (
        ([0.3, 0.5], [0.3, 0.5], [400, 200], [150, 300]),
        ([0.2, 0.35, 0.5], [0.3, 0.45, 0.6], [300, 100, 200], [250, 80, 400]),  # common shift
    ):
        x_r = rng.binomial(n_r, rates_r, size=(reps, len(n_r)))
        x_t = rng.binomial(n_t, rates_t, size=(reps, len(n_t)))
        _, _, p = disparity_change_test(x_t, np.broadcast_to(n_t, x_t.shape), x_r,
                                        np.broadcast_to(n_r, x_r.shape))
        rejected = (p < 0.05).mean()
        # 4000 replicates: a binomial standard error of 0.0034 at 0.05
        assert 0.038 <= rejected <= 0.062, rejected


def test_power_on_a_planted_shift():
    rng = np.random.default_rng(12)
    reps, n = 2000, np.array([500, 500])
    x_r = rng.binomial(n, [0.3, 0.5], size=(reps, 2))
    x_t = rng.binomial(n, [0.4, 0.5], size=(reps, 2))  # DP difference 0.2 -> 0.1
    _, _, p = disparity_change_test(x_t, np.broadcast_to(n, x_t.shape), x_r,
                                    np.broadcast_to(n, x_r.shape))
    from scipy.stats import norm

    # normal-theory power of a two-sided z test of the change in the gap
    se = np.sqrt(sum(q * (1 - q) / 500 for q in (0.3, 0.5, 0.4, 0.5)))
    z = norm.ppf(0.975)
    expected = norm.cdf(0.1 / se - z) + norm.cdf(-0.1 / se - z)
    assert (p < 0.05).mean() == pytest.approx(expected, abs=0.04)
    assert (p < 0.05).mean() > 0.55  # far above the 5 % of no change


def test_monitor_flags_the_period_with_a_planted_shift():
    same = {"a": 0.3, "b": 0.5}
    table = simulated([same, same, {"a": 0.5, "b": 0.5}, same], n=600, seed=3)
    result = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when")
    flagged = result.periods.set_index("period")["dp_changed"]
    assert list(flagged.index) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert list(flagged) == [False, False, True, False]
    assert "demographic parity moved" in result.periods.set_index("period").at["2024-03", "flag"]
    assert result.periods.at[0, "flag"].startswith("reference")


def test_bootstrap_matches_a_row_resampling_loop():
    rng = np.random.default_rng(5)
    g = np.repeat([0, 1], [150, 90])
    y = rng.integers(0, 2, g.size)
    yp = (rng.random(g.size) < np.where(g == 0, 0.6, 0.35)).astype(int)
    frame = pd.DataFrame({"g": g, "y": y, "yp": yp})
    cells = Cells(*(np.array([frame[(frame.g == k) & cond].shape[0] for k in (0, 1)], float)
                    for cond in (frame.y == 1, frame.y == 0,
                                 (frame.y == 1) & (frame.yp == 1),
                                 (frame.y == 0) & (frame.yp == 1))))
    fast = bootstrap_disparities(cells, 4000, np.random.default_rng(0))
    slow = []
    strata = [np.flatnonzero((g == k) & (y == v)) for k in (0, 1) for v in (0, 1)]
    for _ in range(4000):
        picked = np.concatenate([rng.choice(s, s.size) for s in strata])
        rates = np.bincount(g[picked], yp[picked]) / np.bincount(g[picked])
        slow.append(rates.max() - rates.min())
    fast_ci = percentile_interval(fast["demographic_parity_difference"], 0.95)
    slow_ci = percentile_interval(np.array(slow), 0.95)
    np.testing.assert_allclose(fast_ci, slow_ci, atol=0.015)


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2])
    expected = multipletests(p[~np.isnan(p)], method="holm")[1]
    np.testing.assert_allclose(holm(p)[~np.isnan(p)], expected)
    assert np.isnan(holm(p)[2])


def test_holm_correction_in_monitor_is_never_looser():
    same = {"a": 0.3, "b": 0.5}
    table = simulated([same, {"a": 0.4, "b": 0.5}, same, same], n=300, seed=9)
    raw = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when", n_boot=50)
    held = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                   n_boot=50, correction="holm")
    assert (held.periods["dp_changed"] <= raw.periods["dp_changed"]).all()


# ------------------------------------------------------------ flags and bad inputs


def test_empty_small_and_one_group_periods_are_flagged():
    table = simulated([{"a": 0.3, "b": 0.5}, {"a": 0.3}, {}, {"a": 0.3, "b": 0.5}], n=40)
    result = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                     n_boot=50, min_rows=100)
    by = result.periods.set_index("period")
    assert list(by.index) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert "fewer than 100 rows" in by.at["2024-01", "flag"]
    assert "one group" in by.at["2024-02", "flag"]
    assert np.isnan(by.at["2024-02", "dp_change_p"])
    assert by.at["2024-03", "rows"] == 0 and "no rows" in by.at["2024-03", "flag"]
    assert np.isnan(by.at["2024-03", "demographic_parity_difference"])
    assert not np.isnan(by.at["2024-04", "dp_change_p"])
    assert "group(s) under 30 rows" not in by.at["2024-04", "flag"]


def test_reference_by_label_and_its_errors():
    table = simulated([{"a": 0.3, "b": 0.5}, {"a": 0.3}, {"a": 0.3, "b": 0.5}], n=50)
    result = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                     reference="2024-03", n_boot=20)
    assert result.reference == "2024-03"
    with pytest.raises(UnknownNameError, match="2025-01.*periods are: 2024-01"):
        monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                reference="2025-01")
    with pytest.raises(InvalidInputError, match="1 group"):
        monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                reference="2024-02")


def test_bad_inputs_name_what_is_wrong():
    table = simulated([{"a": 0.3, "b": 0.5}], n=30)
    kw = {"target": "y", "sensitive": "g", "pred": "yhat"}
    with pytest.raises(UnknownColumnError, match="'stamp'"):
        monitor(table, time_column="stamp", **kw)
    with pytest.raises(UnknownColumnError, match="'nope'"):
        monitor(table, time_column="when", target="y", sensitive="nope", pred="yhat")
    with pytest.raises(InvalidInputError, match="time_column"):
        monitor(table, **kw)
    with pytest.raises(InvalidInputError, match="period must be one of"):
        monitor(table, time_column="when", period="fortnight", **kw)
    bad = table.assign(when=table["when"].astype(str))
    bad.loc[3, "when"] = "yesterday"
    with pytest.raises(InvalidInputError, match="1 value.*'yesterday'.*row index 3"):
        monitor(bad, time_column="when", **kw)
    holes = table.assign(when=table["when"].astype(object))
    holes.loc[5, "when"] = None
    with pytest.raises(MissingValueError, match="time column 'when'.*row index 5"):
        monitor(holes, time_column="when", **kw)
    with pytest.raises(InvalidInputError, match="numbers, not timestamps"):
        monitor(table.assign(when=np.arange(len(table))), time_column="when", **kw)
    nan_target = table.assign(y=table["y"].astype(float))
    nan_target.loc[7, "y"] = np.nan
    with pytest.raises(MissingValueError, match="target column 'y'"):
        monitor(nan_target, time_column="when", **kw)
    with pytest.raises(EmptyInputError):
        monitor(table.iloc[:0], time_column="when", **kw)
    with pytest.raises(EmptyInputError):
        monitor({}, **kw)
    with pytest.raises(EmptyInputError, match="every period is empty"):
        monitor({"a": table.iloc[:0]}, **kw)
    with pytest.raises(InvalidInputError, match="not a pandas DataFrame"):
        monitor({"a": [1, 2]}, **kw)
    with pytest.raises(InvalidInputError, match="correction"):
        monitor(table, time_column="when", correction="bonferroni", **kw)
    with pytest.raises(InvalidInputError, match="alpha"):
        monitor(table, time_column="when", alpha=1.5, **kw)
    with pytest.raises(InvalidInputError, match="at least two groups"):
        disparity_change_test([1], [2], [1], [2])


def test_period_label_in_errors_of_a_period():
    table = simulated([{"a": 0.3, "b": 0.5}, {"a": 0.3, "b": 0.5}], n=30)
    first, second = (table[table["when"].dt.month == m] for m in (1, 2))
    second = second.assign(g=second["g"].astype(object))
    second.iloc[0, second.columns.get_loc("g")] = None
    with pytest.raises(MissingValueError, match="^period feb: sensitive"):
        monitor({"jan": first, "feb": second}, target="y", sensitive="g", pred="yhat")


def test_timezones_and_weeks():
    times = pd.Series(["2024-03-03T23:30:00-02:00", "2024-03-04T00:30:00+00:00"] * 20)
    table = pd.DataFrame({"t": times, "g": ["a", "b"] * 20, "y": [0, 1, 1, 0] * 10,
                          "p": [1, 0, 0, 1] * 10})
    result = monitor(table, target="y", sensitive="g", pred="p", time_column="t", period="week")
    # 23:30 at -02:00 is 01:30 UTC on Monday 4 March: both rows fall in the same week
    assert list(result.periods["rows"]) == [40]


# ------------------------------------------------------------ the command line


def test_cli_by_period_table_json_csv(tmp_path, compas):
    path = tmp_path / "compas.csv"
    compas.to_csv(path, index=False)
    args = ["audit", str(path), "--target", "recid", "--sensitive", "race", "--pred",
            "high_risk", "--by-period", "quarter"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "Per period (reference 2013Q1)" in table.stdout
    assert "time column 'date' detected" in table.stdout
    api = monitor_file(path, target="recid", sensitive="race", pred="high_risk",
                       period="quarter")
    out = runner.invoke(app, [*args, "--format", "json"])
    data = json.loads(out.stdout)
    assert [p["period"] for p in data["periods"]] == list(api.periods["period"])
    assert data["periods"][1]["dp_change_p"] == pytest.approx(api.periods.at[1, "dp_change_p"])
    assert data["by_group"][0]["group"] == {"race": "African-American"}
    out = runner.invoke(app, [*args, "--format", "csv", "--time-column", "date"])
    body = "\n".join(x for x in out.stdout.splitlines() if not x.startswith("#"))
    periods, groups = (pd.read_csv(io.StringIO(s)) for s in body.strip().split("\n\n"))
    np.testing.assert_allclose(periods["demographic_parity_difference"],
                               api.periods["demographic_parity_difference"])
    assert len(groups) == len(api.by_group)


def test_cli_by_period_parquet_and_reference(tmp_path):
    table = simulated([{"a": 0.3, "b": 0.5}] * 3, n=60)
    path = tmp_path / "t.parquet"
    table.to_parquet(path)
    out = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", "g",
                              "--pred", "yhat", "--by-period", "Month", "--reference", "2024-02",
                              "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["reference"] == "2024-02"


@pytest.mark.parametrize(("extra", "needle"), [
    (["--by-period", "month", "--time-column", "missing_col"], "'missing_col'"),
    (["--by-period", "month"], "several columns hold timestamps"),
    (["--by-period", "fortnight", "--time-column", "a"], "period must be one of"),
    (["--time-column", "a"], "--time-column goes with --by-period"),
])
def test_cli_by_period_errors_are_one_line(tmp_path, extra, needle):
    table = simulated([{"a": 0.3, "b": 0.5}], n=30)
    table["a"] = table["when"].astype(str)
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    out = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", "g",
                              "--pred", "yhat", *extra])
    assert out.exit_code == 2, out.output
    assert out.stdout == ""
    assert out.stderr.startswith("fairpool: error: ") and needle in out.stderr, out.stderr


def test_cli_by_period_needs_predictions(tmp_path):
    path = tmp_path / "t.csv"
    simulated([{"a": 0.3, "b": 0.5}], n=30).to_csv(path, index=False)
    out = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", "g",
                              "--by-period", "month"])
    assert out.exit_code == 2 and "--pred" in out.stderr


def test_a_period_with_one_label_is_flagged_and_base_rates_shown():
    table = simulated([{"a": 0.3, "b": 0.5}] * 2, n=80, seed=4)
    table.loc[table["when"].dt.month == 2, "y"] = 1  # the second month holds positives only
    result = monitor(table, target="y", sensitive="g", pred="yhat", time_column="when",
                     n_boot=50)
    by = result.periods.set_index("period")
    assert "no rows with y = 0: FPR undefined" in by.at["2024-02", "flag"]
    assert by.at["2024-02", "base_rate"] == 1.0
    first = table[table["when"].dt.month == 1]
    assert by.at["2024-01", "base_rate"] == pytest.approx(first["y"].mean())
    assert not np.isnan(by.at["2024-02", "eo_change_p"])  # the TPR block alone
    assert by.at["2024-02", "eo_change_df"] == 1


def test_intersections_scores_and_a_text_target():
    rng = np.random.default_rng(8)
    n = 1200
    table = pd.DataFrame({
        "when": pd.Timestamp(2024, 1, 1) + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
        "sex": rng.choice(["F", "M"], n), "race": rng.choice(["a|b", "c"], n),
        "decision": rng.choice(["approved", "denied"], n), "score": rng.random(n),
    })
    result = monitor(table, target="decision", sensitive=["sex", "race"], pred="score",
                     time_column="when", pos_label="approved", threshold=0.6, n_boot=50)
    assert result.positive == "approved"
    assert "score" in result.predictions and "0.6" in result.predictions
    assert result.periods["groups"].tolist() == [4, 4]
    months = table["when"].dt.to_period("M").astype(str)
    for period, part in table.groupby(months):
        y = part["decision"] == "approved"
        yp = part["score"] >= 0.6
        sf = part[["sex", "race"]]
        row = result.periods.set_index("period").loc[period]
        assert row["demographic_parity_difference"] == pytest.approx(
            flm.demographic_parity_difference(y, yp, sensitive_features=sf))
        assert period == result.reference or row["dp_change_df"] == 3
    group = result.to_dict()["by_group"][0]["group"]
    assert set(group) == {"sex", "race"}
