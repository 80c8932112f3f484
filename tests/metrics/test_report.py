"""GroupReport and DataReport: values against the metric functions and brute force; renderings."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from rich.table import Table

import fairpool.metrics as fpm
from fairpool.errors import InvalidInputError, NonBinaryLabelError


@pytest.fixture
def problem():
    rng = np.random.default_rng(5)
    n = 400
    sf = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n)})
    return rng.integers(0, 2, n), rng.integers(0, 2, n), sf, rng.uniform(0.5, 2.0, n)


def test_group_report_matches_the_metric_functions(problem) -> None:
    y, p, sf, w = problem
    report = fpm.group_report(y, p, sensitive_features=sf, sample_weight=w)
    rates = fpm.group_rates(y, p, sensitive_features=sf, sample_weight=w)
    # intersections are tuples (a MultiIndex); group_rates joins them with "|"
    assert list(report.by_group.index.names) == ["sex", "race"]
    assert list(report.by_group.index) == list(rates.index)  # the same tuples
    np.testing.assert_array_equal(report.by_group.to_numpy(), rates.to_numpy())
    assert report.to_frame().index.name == "sex|race"
    assert list(report.by_group.columns) == ["count", *fpm.RATE_NAMES]
    assert report.overall["count"] == len(y)
    assert abs(report.overall["selection_rate"] - np.average(p, weights=w)) <= 1e-12
    kwargs = {"sensitive_features": sf, "sample_weight": w}
    for method in ("between_groups", "to_overall"):
        diff, ratio = report.difference(method), report.ratio(method)
        assert abs(diff["selection_rate"] - fpm.demographic_parity_difference(
            y, p, method=method, **kwargs)) <= 1e-12
        assert abs(ratio["selection_rate"] - fpm.demographic_parity_ratio(
            y, p, method=method, **kwargs)) <= 1e-12
        assert abs(diff["tpr"] - fpm.equal_opportunity_difference(
            y, p, method=method, **kwargs)) <= 1e-12
        assert abs(max(diff["tpr"], diff["fpr"]) - fpm.equalized_odds_difference(
            y, p, method=method, **kwargs)) <= 1e-12
        assert abs(diff["error_rate"] - fpm.error_rate_difference(
            y, p, method=method, **kwargs)) <= 1e-12
    assert "count" not in report.difference().index
    with pytest.raises(InvalidInputError, match="method must be one of"):
        report.ratio("largest")


def test_group_report_is_quiet_about_undefined_rates() -> None:
    report = fpm.group_report([1, 0, 0, 0], [1, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    assert math.isnan(report.by_group.loc["b", "tpr"])
    assert math.isnan(report.difference()["tpr"])  # defined for one group only
    single = fpm.group_report([1, 0], [1, 1], sensitive_features=["a", "a"])
    assert math.isnan(single.difference()["selection_rate"])
    zeros = fpm.group_report([1, 0, 1, 0], [0, 0, 0, 0], sensitive_features=["a", "a", "b", "b"])
    assert zeros.ratio()["selection_rate"] == 1.0
    assert zeros.ratio("to_overall")["selection_rate"] == 1.0


def test_group_report_renderings(problem) -> None:
    y, p, sf, _ = problem
    report = fpm.group_report(y, p, sensitive_features=sf)
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["groups"] == ["|".join(g) for g in report.by_group.index]
    assert payload["group_values"] == [list(g) for g in report.by_group.index]
    assert payload["group_features"] == ["sex", "race"]
    assert payload["by_group"]["F|a"]["count"] == int(report.by_group.loc[("F", "a"), "count"])
    assert isinstance(payload["by_group"]["F|a"]["count"], int)
    assert payload["difference"]["tpr"] == pytest.approx(report.difference()["tpr"])
    assert set(payload) == {"groups", "group_label", "group_features", "group_values",
                            "overall", "by_group", "difference", "ratio"}

    markdown = report.to_markdown(digits=2)
    lines = markdown.splitlines()
    assert lines[0].startswith("| sex\\|race | count | selection_rate")
    assert len(lines) == 2 + len(report.by_group) + 3
    assert lines[2].startswith("| F\\|a | ")
    assert lines[-3].startswith(f"| overall | {len(y)} | ")
    assert lines[-2].startswith("| difference |  | ")

    table = report.__rich__()
    assert isinstance(table, Table)
    assert table.row_count == len(report.by_group) + 3
    console = Console(width=200, record=True)
    console.print(report)
    text = console.export_text()
    assert "F|a" in text and "difference" in text

    undefined = fpm.group_report([1, 0, 0, 0], [1, 1, 0, 0],
                                 sensitive_features=["a", "a", "b", "b"]).to_dict()
    assert undefined["by_group"]["b"]["tpr"] is None
    json.dumps(undefined, allow_nan=False)


def test_data_report_against_pandas(problem) -> None:
    y, _, sf, w = problem
    report = fpm.data_report(y, sensitive_features=sf)
    frame = sf.assign(y=y)
    frame["group"] = list(zip(frame["sex"], frame["race"], strict=True))
    expected = frame.groupby("group")["y"].agg(["size", "mean"])
    assert list(report.by_group.index) == list(expected.index)
    assert report.by_group["count"].tolist() == expected["size"].tolist()
    np.testing.assert_allclose(report.by_group["base_rate"], expected["mean"], atol=1e-12)
    np.testing.assert_allclose(report.by_group["share"], expected["size"] / len(y), atol=1e-12)
    gaps = report.gaps
    assert gaps["base_rate_difference"] == pytest.approx(
        expected["mean"].max() - expected["mean"].min(), abs=1e-12)
    assert gaps["base_rate_ratio"] == pytest.approx(
        expected["mean"].min() / expected["mean"].max(), abs=1e-12)
    assert gaps["share_ratio"] == pytest.approx(
        expected["size"].min() / expected["size"].max(), abs=1e-12)
    assert report.summary["n"] == len(y) and report.summary["n_groups"] == 6
    assert report.overall["base_rate"] == pytest.approx(y.mean(), abs=1e-12)

    weighted = fpm.data_report(y, sensitive_features=sf, sample_weight=w)
    for name, rows in frame.groupby("group").groups.items():
        assert weighted.by_group.loc[name, "base_rate"] == pytest.approx(
            np.average(y[rows], weights=w[rows]), abs=1e-12)
        assert weighted.by_group.loc[name, "share"] == pytest.approx(
            w[rows].sum() / w.sum(), abs=1e-12)
        assert weighted.by_group.loc[name, "count"] == len(rows)


def test_data_report_renderings_and_errors(problem) -> None:
    y, _, sf, _ = problem
    report = fpm.data_report(y, sensitive_features=sf)
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert set(payload) == {"groups", "group_label", "group_features", "group_values",
                            "overall", "by_group", "gaps"}
    assert payload["overall"]["count"] == len(y)
    markdown = report.to_markdown()
    assert "| overall | 400 | 1.000 |" in markdown and "- base_rate_difference: " in markdown
    assert isinstance(report.__rich__(), Table)
    with pytest.raises(NonBinaryLabelError, match="y_true"):
        fpm.data_report([0, 2], sensitive_features=["a", "b"])


# -- intersections stay tuples (issue 11, fault 5) ---------------------------------------------
COLLIDING = pd.DataFrame({"g1": ["a|b", "a|b", "a", "a"], "g2": ["c", "c", "b|c", "b|c"]})


def test_intersections_whose_joined_names_collide_stay_two_groups() -> None:
    from fairlearn.metrics import MetricFrame, demographic_parity_difference, selection_rate

    y, p = [1, 1, 0, 0], [1, 1, 0, 0]
    report = fpm.group_report(y, p, sensitive_features=COLLIDING)
    assert list(report.by_group.index) == [("a", "b|c"), ("a|b", "c")]
    assert report.difference()["selection_rate"] == 1.0
    frame = MetricFrame(metrics=selection_rate, y_true=y, y_pred=p, sensitive_features=COLLIDING)
    fairlearn_rates = frame.by_group.dropna()  # fairlearn lists every combination; two occur
    assert list(fairlearn_rates.index) == list(report.by_group.index)
    np.testing.assert_array_equal(fairlearn_rates.to_numpy(), report.by_group["selection_rate"])
    assert demographic_parity_difference(y, p, sensitive_features=COLLIDING) == 1.0
    assert fpm.demographic_parity_difference(y, p, sensitive_features=COLLIDING) == 1.0

    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["groups"] == ["a|b\\|c", "a\\|b|c"]  # escaped: two distinct keys
    assert set(payload["by_group"]) == set(payload["groups"])
    assert payload["group_values"] == [["a", "b|c"], ["a|b", "c"]]
    assert [payload["by_group"][k]["selection_rate"] for k in payload["groups"]] == [0.0, 1.0]
    assert len(report.to_frame().index.unique()) == len(report.to_frame())
    assert report.to_markdown().count("\n") == 2 + 2 + 3 - 1
    assert fpm.GroupReport.group_key(("a\\", "|")) == "a\\\\|\\|"  # backslashes are escaped too


def test_data_report_keeps_colliding_intersections_apart() -> None:
    report = fpm.data_report([1, 1, 0, 0], sensitive_features=COLLIDING)
    assert report.by_group["base_rate"].tolist() == [0.0, 1.0]
    assert report.gaps["base_rate_difference"] == 1.0
    assert len(report.to_dict()["by_group"]) == 2
    # the other 2-D forms of sensitive_features give the same tuples
    for sf in (COLLIDING.to_numpy(), [COLLIDING["g1"].tolist(), COLLIDING["g2"].tolist()],
               {"g1": COLLIDING["g1"], "g2": COLLIDING["g2"]}):
        other = fpm.data_report([1, 1, 0, 0], sensitive_features=sf)
        assert list(other.by_group.index) == [("a", "b|c"), ("a|b", "c")]


def test_intersection_index_follows_categorical_and_integer_columns() -> None:
    sf = pd.DataFrame({
        "sex": pd.Categorical(["M", "F", "M", "F"], categories=["M", "F"]),
        "age": [30, 30, 40, 40],
    })
    report = fpm.group_report([1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=sf)
    # category order first (M before F), as fairlearn and the disparity functions count them
    assert list(report.by_group.index) == [("M", "30"), ("M", "40"), ("F", "30"), ("F", "40")]
    assert report.by_group.loc[("M", "40"), "selection_rate"] == 0.0


# -- group_names: a Dataset's integer codes shown by name ---------------------------------------
def test_group_names_label_a_datasets_integer_codes() -> None:
    import fairpool as fp

    ds = fp.datasets.load("compas")
    y_pred = (ds.X[:, ds.feature_names.index("priors_count")] > 2).astype(int)
    report = fpm.group_report(ds.y, y_pred, sensitive_features=ds.groups,
                              group_names=ds.group_names)
    assert list(report.by_group.index) == list(ds.group_names)
    named = np.asarray(ds.group_names, dtype=object)[ds.groups]
    by_name = fpm.group_report(ds.y, y_pred, sensitive_features=named)
    pd.testing.assert_frame_equal(report.by_group, by_name.by_group, check_names=False)
    data = fpm.data_report(ds.y, sensitive_features=ds.groups, group_names=ds.group_names)
    assert list(data.to_dict()["by_group"]) == list(ds.group_names)
    assert data.by_group.loc["African-American", "base_rate"] == pytest.approx(
        ds.y[named == "African-American"].mean(), abs=1e-12)


def test_group_names_refuse_codes_they_do_not_cover() -> None:
    with pytest.raises(InvalidInputError, match="codes in \\[0, 2\\), found 2"):
        fpm.group_report([1, 0, 1], [1, 0, 0], sensitive_features=[0, 1, 2],
                         group_names=["a", "b"])
    with pytest.raises(InvalidInputError, match="repeats a name"):
        fpm.data_report([1, 0], sensitive_features=[0, 1], group_names=["a", "a"])
    with pytest.raises(InvalidInputError, match="sequence of names"):
        fpm.data_report([1, 0], sensitive_features=[0, 1], group_names="ab")
    with pytest.raises(InvalidInputError, match="integer group codes"):
        fpm.data_report([1, 0], sensitive_features=["x", "y"], group_names=["a", "b"])
    tuples = fpm.data_report([1, 0], sensitive_features=[0, 1],
                             group_names=[("F", "a|b"), ("F|a", "b")])
    assert list(tuples.to_dict()["by_group"]) == ["F|a\\|b", "F\\|a|b"]


def test_every_by_group_result_keeps_colliding_intersections_apart():
    # issue 11, fault 5, in the functions beside the report: ('a|b', 'c') and ('a', 'b|c')
    sf = pd.DataFrame({"g1": ["a|b", "a"], "g2": ["c", "b|c"]})
    rates = fpm.group_rates([1, 0], [1, 0], sensitive_features=sf)
    assert list(rates.index) == [("a", "b|c"), ("a|b", "c")]
    assert fpm.rate_by_group([1, 0], [1, 0], sensitive_features=sf,
                             rate="selection_rate").tolist() == [0.0, 1.0]
    _, names = fpm.encode_groups(sf)
    assert len(set(names)) == 2 and names == ("a|b\\|c", "a\\|b|c")
    assert fpm.demographic_parity_difference([1, 0], [1, 0], sensitive_features=sf) == 1.0
    errors = fpm.mean_squared_error_by_group([1.0, 0.0], [0.0, 0.0], sensitive_features=sf)
    assert list(errors.index) == [("a", "b|c"), ("a|b", "c")]
