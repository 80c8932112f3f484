"""`fairpool mitigate`: plain vs mitigated model on a user's table (issue 13)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

import fairpool as fp
import fairpool.audit
from fairpool.cli import app


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def adult_csv(tmp_path_factory):
    frame = fp.datasets.raw_table("adult").sample(3000, random_state=0).reset_index(drop=True)
    path = tmp_path_factory.mktemp("mitigate") / "adult.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def german_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("mitigate") / "german.csv"
    fp.datasets.raw_table("german").to_csv(path, index=False)
    return path


def _json_rows(path, *args):
    result = _invoke("mitigate", path, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _independent(path, target, sensitive, positive, method, seed=0, test_size=0.3):
    """Refit both models on a split rebuilt here, and score them with fp.metrics."""
    frame = fp.datasets.read_table(path)
    encoder = fp.datasets.TableEncoder(target=target, sensitive=sensitive, positive=positive)
    data = encoder.fit(frame).transform(frame, ids=False)
    y, g = np.asarray(data.y, dtype=np.int64), np.asarray(data.groups)
    n_test = round(len(y) * test_size)
    train, test = fp.datasets.stratified_partition(
        g * 2 + y, [len(y) - n_test, n_test], np.random.default_rng(seed))
    scaler = StandardScaler().fit(data.X[train])
    out = {}
    for key, learner in (("plain", fp.learners.make_learner("logreg", random_state=seed)),
                         ("mitigated", fp.learners.make_learner(method, estimator="logreg",
                                                                random_state=seed))):
        if key == "plain":
            learner.fit(scaler.transform(data.X[train]), y[train])
            pred = learner.predict(scaler.transform(data.X[test]))
        else:
            learner.fit(scaler.transform(data.X[train]), y[train], sensitive_features=g[train])
            pred = fp.active.model_output(learner, "predict", scaler.transform(data.X[test]),
                                          g[test])
        yt, gt = y[test], g[test]
        out[(key, "accuracy")] = accuracy_score(yt, pred)
        out[(key, "F1")] = f1_score(yt, pred)
        out[(key, "demographic parity difference")] = fp.metrics.demographic_parity_difference(
            yt, pred, sensitive_features=gt)
        out[(key, "equalized odds difference")] = fp.metrics.equalized_odds_difference(
            yt, pred, sensitive_features=gt)
        out[(key, "disparate impact ratio")] = fp.metrics.disparate_impact_ratio(
            yt, pred, sensitive_features=gt)
        names = np.asarray(encoder.group_names_, dtype=object)[gt]
        for rate, label in (("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR")):
            by = fp.metrics.rate_by_group(yt, pred, sensitive_features=names, rate=rate)
            for group, value in by.items():
                out[(key, label, group)] = value
    return out


@pytest.mark.parametrize(("which", "target", "sensitive", "positive", "method"), [
    ("adult", "income", "sex", ">50K", "reweighing"),
    ("german", "credit", "sex", "1", "thresholds"),
])
def test_printed_numbers_equal_fp_metrics_on_the_same_split(
        adult_csv, german_csv, which, target, sensitive, positive, method):
    path = adult_csv if which == "adult" else german_csv
    shown = _json_rows(path, "--target", target, "--sensitive", sensitive, "--method", method,
                       "--positive", positive)
    assert shown["method"] == method and shown["n_test"] == round(
        len(fp.datasets.read_table(path)) * 0.3)
    expected = _independent(path, target, sensitive, int(positive) if which == "german"
                            else positive, method)
    assert len(shown["rows"]) == 5 + 3 * 2
    for row in shown["rows"]:
        for key in ("plain", "mitigated"):
            ref = expected[(key, row["measure"], row["group"]) if row["group"]
                           else (key, row["measure"])]
            assert row[key] == pytest.approx(ref, abs=1e-12), (row, key)
        assert row["change"] == pytest.approx(row["mitigated"] - row["plain"], abs=1e-12)


def test_reweighing_lowers_demographic_parity_on_adult(adult_csv):
    report = fairpool.audit.mitigation_report(
        adult_csv, target="income", sensitive="sex", method="reweighing", positive=">50K")
    dp = report.table.set_index("measure").loc["demographic parity difference"]
    assert dp["mitigated"] < dp["plain"]


def test_table_format_shows_every_measure(german_csv):
    result = _invoke("mitigate", german_csv, "--target", "credit", "--sensitive", "sex",
                     "--method", "reweighing")
    assert result.exit_code == 0, result.output
    for text in ("accuracy", "demographic parity difference", "disparate impact ratio",
                 "selection rate", "TPR", "FPR", "female", "male", "plain", "mitigated"):
        assert text in result.stdout


def test_csv_format_parses(german_csv):
    import io

    result = _invoke("mitigate", german_csv, "--target", "credit", "--sensitive", "sex",
                     "--method", "reweighing", "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout), comment="#")
    assert list(frame.columns) == ["measure", "group", "plain", "mitigated", "change"]


def test_out_round_trip_predicts_the_same(german_csv, tmp_path):
    out = tmp_path / "model.skops"
    result = _invoke("mitigate", german_csv, "--target", "credit", "--sensitive", "sex",
                     "--method", "reweighing", "--out", out)
    assert result.exit_code == 0, result.output
    types = skops.io.get_untrusted_types(file=out)
    assert all(t.split(".")[0] in ("sklearn", "fairpool", "numpy", "builtins") for t in types)
    saved = skops.io.load(out, trusted=types)
    encoder = fp.datasets.TableEncoder.from_dict(json.loads(saved["encoder"]))
    frame = fp.datasets.read_table(german_csv)
    data = encoder.transform(frame, ids=False)
    loaded = saved["model"].predict(saved["scaler"].transform(data.X))
    report = fairpool.audit.mitigation_report(german_csv, target="credit", sensitive="sex",
                                              method="reweighing")
    fresh = report.model.predict(report.scaler.transform(data.X))
    np.testing.assert_array_equal(loaded, fresh)
    assert saved["method"] == "reweighing"


def _error(path, *args):
    result = _invoke("mitigate", path, *args)
    assert result.exit_code == 2, result.output
    return result.stderr


def test_bad_inputs_exit_2_with_a_clear_message(german_csv, tmp_path):
    base = ("--target", "credit", "--sensitive", "sex")
    assert "'nope'" in _error(german_csv, "--target", "credit", "--sensitive", "nope",
                              "--method", "reweighing")
    message = _error(german_csv, *base, "--method", "magic")
    assert "magic" in message and "reweighing" in message and "voting" in message
    assert "purpose" in _error(german_csv, "--target", "purpose", "--sensitive", "sex",
                               "--method", "reweighing")
    frame = fp.datasets.read_table(german_csv)
    one = tmp_path / "one.csv"
    frame.assign(sex="female").to_csv(one, index=False)
    assert "one group" in _error(one, *base, "--method", "reweighing")
    nan = tmp_path / "nan.csv"
    frame.assign(sex=frame["sex"].astype(object).where(frame.index > 3)).to_csv(nan, index=False)
    assert "sex" in _error(nan, *base, "--method", "reweighing")
    assert "unknown_opt" in _error(german_csv, *base, "--method", "reweighing",
                                   "--option", "unknown_opt=1")


def test_out_saves_the_torch_and_threshold_mitigations_too(german_csv, tmp_path):
    out = tmp_path / "t.skops"
    result = _invoke("mitigate", german_csv, "--target", "credit", "--sensitive", "sex",
                     "--method", "thresholds", "--out", out)
    assert result.exit_code == 0, result.output
    types = skops.io.get_untrusted_types(file=out)
    assert all(t.split(".")[0] in ("sklearn", "fairpool", "numpy", "builtins") for t in types)
    saved = skops.io.load(out, trusted=types)
    assert type(saved["model"]).__name__ == "GroupThresholdClassifier"
