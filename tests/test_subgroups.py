"""fairpool.audit.subgroups against independent references.

Rates against fairlearn's MetricFrame (per column and per intersection), Wilson
intervals against statsmodels' proportion_confint on counts taken with pandas,
bootstrap intervals against a plain loop that resamples rows, p-values against
SciPy's Fisher test on pandas counts and the correction against statsmodels'
multipletests; then every bad input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from scipy.stats import fisher_exact
from sklearn.metrics import accuracy_score, precision_score, recall_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from fairpool.audit import SUBGROUP_METRICS, fisher_two_sided, subgroups
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    SingleGroupError,
    UnknownColumnError,
    UnknownNameError,
)

COLUMNS = ["sex", "race", "region"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 4000
    df = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n),
        "race": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "region": rng.choice([1, 2], n),
    })
    df["y"] = (rng.random(n) < 0.4 + 0.1 * (df["race"] == "c")).astype(int)
    flip = rng.random(n) < 0.15 + 0.15 * ((df["sex"] == "F") & (df["race"] == "c"))
    df["p"] = np.where(flip, 1 - df["y"], df["y"])
    return df


def _row(result: pd.DataFrame, subset: tuple[str, ...], key: tuple) -> pd.Series:
    mask = result["grouping"] == " & ".join(subset)
    for column, value in zip(subset, key, strict=True):
        mask &= result[column] == str(value)
    assert mask.sum() == 1, (subset, key)
    return result[mask].iloc[0]


def test_rates_equal_fairlearn_metricframe_per_column_and_intersection(table) -> None:
    result = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS], min_support=1)
    metrics = {
        "base_rate": lambda y, p: float(np.mean(y)),
        "selection_rate": selection_rate,
        "accuracy": accuracy_score,
        "precision": precision_score,
        "recall": recall_score,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "error_rate": lambda y, p: 1 - accuracy_score(y, p),
        "count": lambda y, p: len(y),
    }
    checked = 0
    assert len(result) == 2 + 3 + 2 + 6 + 4 + 6 + 12  # every grouping of up to 3 columns
    for subset in [("sex",), ("race",), ("race", "region"), tuple(COLUMNS)]:
        frame = MetricFrame(metrics=metrics, y_true=table["y"], y_pred=table["p"],
                            sensitive_features=table[list(subset)])
        for key, expected in frame.by_group.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            got = _row(result, subset, key)
            assert got["support"] == expected["count"]
            assert got["share"] == pytest.approx(expected["count"] / len(table))
            for metric in SUBGROUP_METRICS:
                assert got[metric] == pytest.approx(expected[metric], abs=1e-12), metric
            checked += 1
    assert checked == 2 + 3 + 6 + 12
    overall = result.attrs["overall"]
    assert overall["error_rate"] == pytest.approx(np.mean(table["y"] != table["p"]))


def _counts(df: pd.DataFrame, metric: str) -> tuple[int, int]:
    """Successes and trials of a rate, counted with pandas from its definition."""
    y, p = df["y"], df["p"]
    defs = {
        "base_rate": (y == 1, slice(None)),
        "selection_rate": (p == 1, slice(None)),
        "accuracy": (y == p, slice(None)),
        "error_rate": (y != p, slice(None)),
        "precision": (y == 1, p == 1),
        "recall": (p == 1, y == 1),
        "fpr": (p == 1, y == 0),
        "fnr": (p == 0, y == 1),
    }
    hit, rows = defs[metric]
    return int(hit[rows].sum()), int(len(df[rows]) if not isinstance(rows, slice) else len(df))


def test_wilson_intervals_equal_statsmodels_proportion_confint(table) -> None:
    result = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS], alpha=0.1,
                       min_support=1)
    assert result.attrs["confidence"] == pytest.approx(0.9)
    for subset in [("sex",), ("race", "region"), tuple(COLUMNS)]:
        for key, part in table.groupby(list(subset)):
            got = _row(result, subset, key if isinstance(key, tuple) else (key,))
            for metric in SUBGROUP_METRICS:
                k, n = _counts(part, metric)
                low, high = proportion_confint(k, n, alpha=0.1, method="wilson")
                assert got[f"{metric}_ci_low"] == pytest.approx(low, abs=1e-12)
                assert got[f"{metric}_ci_high"] == pytest.approx(high, abs=1e-12)


def _loop_bootstrap(df: pd.DataFrame, column: str, n_boot: int, seed: int) -> pd.DataFrame:
    """The reference: resample rows with replacement in a Python loop, rates per group."""
    rng = np.random.default_rng(seed)
    codes, names = pd.factorize(df[column], sort=True)
    y, p = df["y"].to_numpy(), df["p"].to_numpy()
    k = len(names)
    out = {"error_rate": [], "fpr": [], "precision": []}
    for _ in range(n_boot):
        i = rng.integers(0, len(df), len(df))
        g, yy, pp = codes[i], y[i], p[i]
        rows = np.bincount(g, minlength=k)
        out["error_rate"].append(np.bincount(g, weights=yy != pp, minlength=k) / rows)
        neg = np.bincount(g, weights=yy == 0, minlength=k)
        out["fpr"].append(np.bincount(g, weights=(yy == 0) & (pp == 1), minlength=k) / neg)
        pos_pred = np.bincount(g, weights=pp == 1, minlength=k)
        out["precision"].append(np.bincount(g, weights=(yy == 1) & (pp == 1), minlength=k)
                                / pos_pred)
    rows = []
    for metric, reps in out.items():
        low, high = np.percentile(np.array(reps), [2.5, 97.5], axis=0)
        for name, lo, hi in zip(names, low, high, strict=True):
            rows.append({"group": str(name), "metric": metric, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def test_bootstrap_intervals_agree_with_a_loop_bootstrap_and_are_seeded(table) -> None:
    df = table.iloc[:1500]
    result = subgroups(df["y"], df["p"], sensitive_features=df[["race"]], ci="bootstrap",
                       n_boot=4000, random_state=11, min_support=1)
    reference = _loop_bootstrap(df, "race", n_boot=4000, seed=5)
    for ref in reference.itertuples():
        got = _row(result, ("race",), (ref.group,))
        # Monte Carlo error of a 2.5 % quantile with 4000 resamples is well under 0.01 here
        assert got[f"{ref.metric}_ci_low"] == pytest.approx(ref.low, abs=0.012)
        assert got[f"{ref.metric}_ci_high"] == pytest.approx(ref.high, abs=0.012)
        assert got[f"{ref.metric}_ci_low"] < got[ref.metric] < got[f"{ref.metric}_ci_high"]
    again = subgroups(df["y"], df["p"], sensitive_features=df[["race"]], ci="bootstrap",
                      n_boot=4000, random_state=11, min_support=1)
    pd.testing.assert_frame_equal(result, again)
    other = subgroups(df["y"], df["p"], sensitive_features=df[["race"]], ci="bootstrap",
                      n_boot=4000, random_state=12, min_support=1)
    assert not np.allclose(other["fpr_ci_low"], result["fpr_ci_low"])
    assert result.attrs["n_boot"] == 4000 and result.attrs["random_state"] == 11


def test_bootstrap_of_intersections_covers_every_grouping(table) -> None:
    result = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS],
                       ci="bootstrap", n_boot=300, random_state=0, min_support=1)
    for metric in SUBGROUP_METRICS:
        low, value, high = (result[f"{metric}_ci_low"], result[metric],
                            result[f"{metric}_ci_high"])
        assert (low <= value + 1e-12).all() and (value <= high + 1e-12).all()


@pytest.mark.parametrize("correction", ["holm", "fdr_bh", "bonferroni", "hommel"])
def test_p_values_are_fisher_group_vs_rest_and_corrected_like_multipletests(
        table, correction) -> None:
    result = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS],
                       rank_by="fpr", correction=correction, min_support=150)
    tested = result[result["p_value"].notna()]
    assert len(tested) == result.attrs["n_tested"] == int((~result["small"]).sum())
    assert result.loc[result["small"], "p_value"].isna().all()
    for row in tested.itertuples():
        subset = row.grouping.split(" & ")
        mask = np.ones(len(table), dtype=bool)
        for column in subset:
            mask &= table[column].astype(str).to_numpy() == getattr(row, column)
        negatives = table["y"].to_numpy() == 0
        fp = (table["p"].to_numpy() == 1) & negatives
        g = [int((fp & mask).sum()), int((negatives & mask).sum() - (fp & mask).sum())]
        r = [int((fp & ~mask).sum()), int((negatives & ~mask).sum() - (fp & ~mask).sum())]
        assert row.p_value == pytest.approx(fisher_exact([g, r]).pvalue, rel=1e-12)
        assert row.rest == pytest.approx(r[0] / sum(r))
        assert row.gap == pytest.approx(row.fpr - r[0] / sum(r))
    reject, adjusted, _, _ = multipletests(tested["p_value"], alpha=0.05, method=correction)
    np.testing.assert_allclose(tested["p_adjusted"], adjusted, rtol=1e-12)
    np.testing.assert_array_equal(tested["significant"], reject)


def test_vectorised_fisher_equals_scipy_table_by_table() -> None:
    rng = np.random.default_rng(0)
    tables = [rng.integers(0, rng.choice([3, 10, 60, 5000]), (2, 2)) for _ in range(300)]
    tables += [np.array(t) for t in ([[0, 0], [1, 2]], [[5, 5], [5, 5]], [[1, 0], [0, 1]],
                                      [[10, 0], [0, 10]], [[3, 1], [1, 3]], [[0, 4], [7, 0]])]
    expected = [fisher_exact(t).pvalue for t in tables]
    np.testing.assert_allclose(fisher_two_sided(np.array(tables)), expected, rtol=1e-12,
                               atol=0)


def test_ranking_puts_the_worst_large_group_first_and_flags_small_ones(table) -> None:
    result = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS],
                       min_support=200, rank_by="accuracy")
    ranked = result[result["rank"].notna()]
    assert (ranked["support"] >= 200).all()
    assert list(ranked["rank"]) == sorted(ranked["rank"])
    assert ranked.iloc[0]["accuracy"] == ranked["accuracy"].min()  # lower accuracy is worse
    small = result[result["small"]]
    assert len(small) > 0 and small["rank"].isna().all() and (small["support"] < 200).all()
    # the injected disadvantage (F, race c) is the worst intersection and significant
    worst = ranked[ranked["grouping"] == "sex & race"].iloc[0]
    assert (worst["sex"], worst["race"]) == ("F", "c") and worst["significant"]


def test_metrics_subset_max_order_and_binning(table) -> None:
    df = table.assign(age=np.random.default_rng(0).integers(18, 90, len(table)))
    result = subgroups(df["y"], df["p"], sensitive_features=df[["sex", "age"]],
                       metrics=["fnr"], rank_by="fpr", max_order=1, n_bins=3, min_support=1)
    assert set(result["grouping"]) == {"sex", "age"}
    assert "fnr" in result and "fpr" in result and "accuracy" not in result
    edges = result.attrs["bins"]["age"]
    _, expected = pd.qcut(df["age"], 3, retbins=True)
    np.testing.assert_allclose(edges, expected)
    age = result[result["grouping"] == "age"]
    assert age["support"].sum() == len(df) and len(age) == 3


def test_data_argument_and_polars_input_give_the_same_table(table) -> None:
    pl = pytest.importorskip("polars")
    expected = subgroups(table["y"], table["p"], sensitive_features=table[COLUMNS])
    by_name = subgroups("y", "p", sensitive_features=COLUMNS, data=table)
    pd.testing.assert_frame_equal(by_name, expected)
    frame = pl.from_pandas(table)
    from_polars = subgroups(frame["y"], frame["p"], sensitive_features=frame.select(COLUMNS))
    pd.testing.assert_frame_equal(from_polars, expected)
    as_dict = subgroups(table["y"].to_numpy(), table["p"].to_list(),
                        sensitive_features={c: table[c].to_numpy() for c in COLUMNS})
    pd.testing.assert_frame_equal(as_dict, expected)


def test_a_group_without_positives_has_undefined_recall_and_is_not_tested() -> None:
    y = np.array([0] * 40 + [0, 1] * 20 + [1, 0] * 20)
    p = np.array([1, 0] * 20 + [1, 1] * 20 + [0, 0] * 20)
    sex = ["F"] * 40 + ["M"] * 40 + ["X"] * 40
    result = subgroups(y, p, sensitive_features=[sex], rank_by="recall")
    f = result[result["sensitive_feature_0"] == "F"].iloc[0]
    assert np.isnan(f["recall"]) and np.isnan(f["recall_ci_low"]) and np.isnan(f["fnr"])
    assert np.isnan(f["p_value"]) and pd.isna(f["rank"]) and not f["significant"]
    assert f["fpr"] == pytest.approx(0.5) and result.attrs["n_tested"] == 2
    assert result.iloc[0]["sensitive_feature_0"] == "X"  # recall 0: the worst


def test_bad_inputs_raise_fairpool_errors_naming_the_fault(table) -> None:
    y, p, sf = table["y"], table["p"], table[COLUMNS]
    with pytest.raises(MissingValueError, match="missing value"):
        subgroups(y, p, sensitive_features=sf.assign(sex=sf["sex"].where(sf.index != 7)))
    with pytest.raises(SingleGroupError, match="single group"):
        subgroups(y, p, sensitive_features={"sex": ["F"] * len(y)})
    with pytest.raises(UnknownColumnError, match="'height'"):
        subgroups("y", "p", sensitive_features=["sex", "height"], data=table)
    with pytest.raises(LengthMismatchError, match="same number of rows"):
        subgroups(y[:-1], p, sensitive_features=sf)
    with pytest.raises(LengthMismatchError, match="differ in length"):
        subgroups(y, p, sensitive_features={"a": [1, 2], "b": [1]})
    with pytest.raises(EmptyInputError):
        subgroups([], [], sensitive_features={"sex": []})
    with pytest.raises(NonBinaryLabelError):
        subgroups(y + 1, p, sensitive_features=sf)
    with pytest.raises(UnknownNameError, match="rank_by"):
        subgroups(y, p, sensitive_features=sf, rank_by="f1")
    with pytest.raises(UnknownNameError, match="correction"):
        subgroups(y, p, sensitive_features=sf, correction="magic")
    with pytest.raises(UnknownNameError, match="ci"):
        subgroups(y, p, sensitive_features=sf, ci="normal")
    with pytest.raises(UnknownNameError, match="metric"):
        subgroups(y, p, sensitive_features=sf, metrics=["auc"])
    for bad in ({"n_boot": 0}, {"min_support": 0}, {"alpha": 1.5}, {"max_order": 0},
                {"n_bins": 1}):
        with pytest.raises(InvalidInputError):
            subgroups(y, p, sensitive_features=sf, **bad)


def test_percentile_interval_equals_numpy_nanquantile() -> None:
    from fairpool.audit._intervals import percentile_interval

    rng = np.random.default_rng(0)
    replicates = rng.random((401, 50))
    replicates[rng.random(replicates.shape) < 0.3] = np.nan
    replicates[:, 5] = np.nan  # never defined
    replicates[:-1, 7] = np.nan  # defined once
    low, high = percentile_interval(replicates, 0.9)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanquantile(replicates, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(low, expected[0], rtol=1e-12)
    np.testing.assert_allclose(high, expected[1], rtol=1e-12)
