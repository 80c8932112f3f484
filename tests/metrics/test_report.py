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
    pd.testing.assert_frame_equal(
        report.by_group, fpm.group_rates(y, p, sensitive_features=sf, sample_weight=w)
    )
    assert report.by_group.index.name == "sex|race"
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
    assert payload["groups"] == list(report.by_group.index)
    assert payload["by_group"]["F|a"]["count"] == int(report.by_group.loc["F|a", "count"])
    assert payload["difference"]["tpr"] == pytest.approx(report.difference()["tpr"])
    assert set(payload) == {"groups", "group_label", "overall", "by_group", "difference", "ratio"}

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
    frame["group"] = frame["sex"] + "|" + frame["race"]
    expected = frame.groupby("group")["y"].agg(["size", "mean"])
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
    assert set(payload) == {"groups", "group_label", "overall", "by_group", "gaps"}
    assert payload["overall"]["count"] == len(y)
    markdown = report.to_markdown()
    assert "| overall | 400 | 1.000 |" in markdown and "- base_rate_difference: " in markdown
    assert isinstance(report.__rich__(), Table)
    with pytest.raises(NonBinaryLabelError, match="y_true"):
        fpm.data_report([0, 2], sensitive_features=["a", "b"])
