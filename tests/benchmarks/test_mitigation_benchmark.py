"""Smoke test of benchmarks/mitigation.py on German (sex), 400 rows, one seed.

The script's numbers are checked against the same estimators fitted directly on a
split made here (scikit-learn's stratified split on group x label, 30 % test) and
scored with scikit-learn's accuracy and F1 and ``fp.metrics``' disparities; its summary
against the per-seed rows, and its target lines against the summary.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fairpool as fp

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mitigation.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("mitigation_benchmark", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


script = _load_script()
METHODS = ["logreg", "reweighing", "thresholds", "fl_threshold_optimizer"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mitigation") / "mitigation.csv"
    code = script.main(["--seeds", "1", "--datasets", "german:sex", "--max-rows", "400",
                        "--threads", "1", "--methods", *METHODS, "--out", str(out),
                        "--quiet"])
    return code, out


def test_tiny_run_writes_summary_and_runs(tiny_run):
    code, out = tiny_run
    assert code == 0
    summary = pd.read_csv(out)
    runs = pd.read_csv(out.with_name("mitigation_runs.csv"))
    assert list(summary["method"]) == METHODS
    assert list(summary["source"]) == ["sklearn", "fairpool", "fairpool", "fairlearn"]
    assert (summary["seeds"] == 1).all() and (summary["train_rows"] == 280).all()
    for metric in ("accuracy", "f1", "dp", "eo"):
        np.testing.assert_allclose(summary[f"{metric}_mean"], runs[metric], atol=1e-4)
    assert runs.loc[runs["method"] == "logreg", "fit_ratio"].item() == pytest.approx(1.0)


def test_numbers_equal_direct_fits_scored_by_fp_metrics(tiny_run):
    _, out = tiny_run
    runs = pd.read_csv(out.with_name("mitigation_runs.csv")).set_index("method")
    ds = fp.datasets.load("german", sensitive="sex")
    X, y, g = ds.X.astype(float), ds.y.astype(int), ds.groups.astype(int)
    keep, _ = train_test_split(np.arange(len(y)), train_size=400, random_state=0,
                               stratify=g * 2 + y)
    X, y, g = X[keep], y[keep], g[keep]
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0,
                              stratify=g * 2 + y)
    X = StandardScaler().fit(X[tr]).transform(X)  # columns standardised on the train rows
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.linear_model import LogisticRegression

    predictions = {}
    for name in ("logreg", "reweighing", "thresholds"):
        model = fp.learners.make_learner(name, random_state=0)
        if name == "logreg":
            predictions[name] = model.fit(X[tr], y[tr]).predict(X[te])
        elif name == "thresholds":
            model.fit(X[tr], y[tr], sensitive_features=g[tr])
            predictions[name] = model.predict(X[te], sensitive_features=g[te])
        else:
            predictions[name] = model.fit(X[tr], y[tr], sensitive_features=g[tr]).predict(X[te])
    optimizer = ThresholdOptimizer(estimator=LogisticRegression(max_iter=1000),
                                   constraints="demographic_parity",
                                   predict_method="predict_proba")
    optimizer.fit(X[tr], y[tr], sensitive_features=g[tr])
    predictions["fl_threshold_optimizer"] = optimizer.predict(
        X[te], sensitive_features=g[te], random_state=0)
    for name, y_pred in predictions.items():
        row = runs.loc[name]
        assert row["accuracy"] == pytest.approx(accuracy_score(y[te], y_pred), abs=1e-4)
        assert row["f1"] == pytest.approx(f1_score(y[te], y_pred), abs=1e-4)
        assert row["dp"] == pytest.approx(fp.metrics.demographic_parity_difference(
            y[te], y_pred, sensitive_features=g[te]), abs=1e-4)
        assert row["eo"] == pytest.approx(fp.metrics.equalized_odds_difference(
            y[te], y_pred, sensitive_features=g[te]), abs=1e-4)


def test_target_lines_follow_the_summary():
    summary = pd.DataFrame({
        "dataset": ["adult (sex)"] * 4,
        "method": ["thresholds", "fl_threshold_optimizer", "adversarial", "plain_network"],
        "dp_mean": [0.02, 0.015, 0.04, 0.2],
        "accuracy_mean": [0.80, 0.804, 0.83, 0.86],
    })
    lines = script.targets(summary)
    assert [ok for ok, _ in lines] == [True, False]
    summary.loc[0, "accuracy_mean"] = 0.798
    assert [ok for ok, _ in script.targets(summary)] == [False, False]


def test_the_docs_table_is_the_committed_results_file():
    # docs/mitigation.md quotes benchmarks/results/mitigation.csv through markdown_table
    summary = pd.read_csv(_SCRIPT.parent / "results" / "mitigation.csv")
    page = (_SCRIPT.parents[1] / "docs" / "mitigation.md").read_text()
    assert script.markdown_table(summary) in page


def test_the_docs_pareto_front_is_the_committed_grid_results():
    spec = importlib.util.spec_from_file_location(
        "mitigation_grid_summary", _SCRIPT.parent / "mitigation_grid_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = pd.read_csv(_SCRIPT.parent / "results" / "mitigation_grid.csv")
    assert len(results) == 180  # 2 datasets x 5 strategies x 6 learners x 3 seeds
    table = module.pareto_table(results)
    assert table in (_SCRIPT.parents[1] / "docs" / "mitigation.md").read_text()
    # the front is what a brute-force dominance check over the pairs keeps
    means = results.groupby(["dataset", "strategy", "learner"])[
        ["f1", "demographic_parity"]].mean().reset_index()
    for dataset, part in means.groupby("dataset"):
        kept = {
            (r.strategy, r.learner) for r in part.itertuples()
            if not any((o.f1 >= r.f1 and o.demographic_parity <= r.demographic_parity)
                       and (o.f1 > r.f1 or o.demographic_parity < r.demographic_parity)
                       for o in part.itertuples())
        }
        shown = {tuple(line.split(" | ")[1:3]) for line in table.splitlines()[2:]
                 if line.startswith(f"| {dataset} |") and line.endswith("yes |")}
        assert shown == kept


def test_merge_replaces_only_the_rerun_methods():
    def rows(method, seeds, value, dataset="d"):
        return [{"dataset": dataset, "method": method, "source": "x", "train_rows": 10,
                 "seed": s, "accuracy": value, "f1": value, "dp": value, "eo": value,
                 "fit_s": 1.0, "fit_ratio": 1.0} for s in seeds]

    old = pd.DataFrame(rows("logreg", [0, 1], 0.5) + rows("a", [0, 1], 0.1)
                       + rows("b", [0, 1], 0.2) + rows("logreg", [0, 1], 0.6, "e"))
    new = pd.DataFrame(rows("logreg", [0, 1], 0.9) + rows("a", [0, 1], 0.7)
                       + rows("c", [0, 1], 0.8))
    merged = script.merge_runs(old, new, ["a", "c"])
    # the re-run method is replaced, the new one added, the rest (logreg too) kept as is
    expected = pd.DataFrame(rows("logreg", [0, 1], 0.5) + rows("a", [0, 1], 0.7)
                            + rows("b", [0, 1], 0.2) + rows("c", [0, 1], 0.8)
                            + rows("logreg", [0, 1], 0.6, "e"))
    pd.testing.assert_frame_equal(merged.reset_index(drop=True), expected)


def test_cut_export_keeps_the_columns_sorted_and_rounded():
    spec = importlib.util.spec_from_file_location(
        "mitigation_grid_summary_cut", _SCRIPT.parent / "mitigation_grid_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exported = pd.DataFrame({
        "grid": ["g", "g"], "dataset": ["b", "a"], "strategy": ["s", "s"],
        "learner": ["l", "l"], "seed": [0, 1], "n_labelled": [500.0, 500.0],
        "f1": [0.123456, 0.5], "accuracy": [0.9, 0.8], "demographic_parity": [0.1, 0.2],
        "equalized_odds": [0.3, 0.4], "picked": ["[1]", "[2]"]})
    cut = module.cut_export(exported)
    assert list(cut.columns) == module.COLUMNS
    assert list(cut["dataset"]) == ["a", "b"] and cut["f1"].tolist() == [0.5, 0.1235]
