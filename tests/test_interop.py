"""fairpool.audit's conversions to and from fairlearn, AIF360, Aequitas and TFMA-style JSON.

References: fairlearn's own metric functions in a MetricFrame, AIF360's
ClassificationMetric, Aequitas' documented crosstab definitions recomputed by a plain
loop over rows, and the round trips (out and back gives the same numbers).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from fairpool.audit import (
    AEQUITAS_COLUMNS,
    aequitas_crosstab,
    audit_frame,
    from_aequitas_crosstab,
    from_metric_frame,
    read_tfma_json,
    to_aequitas_frame,
    to_metric_frame,
    to_tfma_json,
)
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    UnknownColumnError,
    UnknownNameError,
)
from fairpool.metrics import group_report


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    """Bundled COMPAS rows as a user's table: text target, three races, two sexes."""
    from fairpool.datasets import raw_table

    t = raw_table("compas")
    t = t[t["race"].isin(["African-American", "Caucasian", "Hispanic"])]
    return pd.DataFrame({
        "race": t["race"].to_numpy(), "sex": t["sex"].to_numpy(),
        "age": t["age"].to_numpy(), "priors": t["priors_count"].to_numpy(),
        "recid": np.where(t["two_year_recid"] == 1, "yes", "no"),
        "risk": np.where(t["decile_score"] >= 5, "yes", "no"),
        "score": t["decile_score"].to_numpy() / 10,
    }).reset_index(drop=True)


def binary(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (df["recid"] == "yes").astype(int).to_numpy(), (df["risk"] == "yes").astype(
        int).to_numpy()


# ------------------------------------------------------------ fairlearn


def test_metric_frame_matches_fairlearns_own_functions(compas):
    y, yp = binary(compas)
    frame = to_metric_frame(y, yp, sensitive_features=compas[["race", "sex"]])
    reference = flm.MetricFrame(
        metrics={"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate,
                 "fpr": flm.false_positive_rate, "fnr": flm.false_negative_rate,
                 "accuracy": accuracy_score, "precision": precision_score,
                 "recall": recall_score, "f1": f1_score, "count": flm.count},
        y_true=y, y_pred=yp, sensitive_features=compas[["race", "sex"]])
    cols = list(reference.by_group.columns)
    pd.testing.assert_frame_equal(frame.by_group[cols].astype(float),
                                  reference.by_group[cols].astype(float))
    assert frame.difference()["selection_rate"] == pytest.approx(
        flm.demographic_parity_difference(y, yp, sensitive_features=compas[["race", "sex"]]))


def test_metric_frame_round_trip_is_fairpools_report(compas):
    y, yp = binary(compas)
    report = group_report(y, yp, sensitive_features=compas[["race", "sex"]])
    back = from_metric_frame(to_metric_frame(y, yp, sensitive_features=compas[["race", "sex"]]))
    pd.testing.assert_frame_equal(back.by_group, report.by_group, check_names=True)
    pd.testing.assert_series_equal(back.difference(), report.difference())
    for rate in report.rates:
        assert back.overall[rate] == pytest.approx(report.overall[rate])


def test_from_metric_frame_reads_fairlearn_names_and_weights(compas):
    y, yp = binary(compas)
    w = np.random.default_rng(0).random(len(y))
    frame = flm.MetricFrame(metrics={"true_positive_rate": flm.true_positive_rate,
                                     "accuracy_score": accuracy_score},
                            y_true=y, y_pred=yp, sensitive_features=compas["race"],
                            sample_params={"true_positive_rate": {"sample_weight": w},
                                           "accuracy_score": {"sample_weight": w}})
    report = from_metric_frame(frame)
    assert list(report.by_group.columns) == ["tpr", "accuracy"]
    ours = group_report(y, yp, sensitive_features=compas["race"], sample_weight=w)
    np.testing.assert_allclose(report.by_group["tpr"], ours.by_group["tpr"])
    weighted = to_metric_frame(y, yp, sensitive_features=compas["race"], sample_weight=w)
    np.testing.assert_allclose(weighted.by_group["accuracy"], ours.by_group["accuracy"])


def test_metric_frame_bad_inputs(compas):
    y, yp = binary(compas)
    with pytest.raises(UnknownNameError, match="'auc'"):
        to_metric_frame(y, yp, sensitive_features=compas["race"], rates=("auc",))
    with pytest.raises(LengthMismatchError, match="y_pred has 3"):
        to_metric_frame(y, yp[:3], sensitive_features=compas["race"])
    with pytest.raises(MissingValueError, match="y_true"):
        to_metric_frame(np.where(np.arange(len(y)) == 4, np.nan, y), yp,
                        sensitive_features=compas["race"])
    with pytest.raises(NonBinaryLabelError):
        to_metric_frame(y * 2, yp, sensitive_features=compas["race"])
    with pytest.raises(EmptyInputError):
        to_metric_frame([], [], sensitive_features=[])
    with pytest.raises(InvalidInputError, match="MetricFrame"):
        from_metric_frame(compas)
    unnamed = flm.MetricFrame(metrics=flm.selection_rate, y_true=y, y_pred=yp,
                              sensitive_features=compas["race"])
    assert list(from_metric_frame(unnamed).by_group.columns) == ["selection_rate"]
    controlled = flm.MetricFrame(metrics={"sr": flm.selection_rate}, y_true=y, y_pred=yp,
                                 sensitive_features=compas["race"],
                                 control_features=compas["sex"])
    with pytest.raises(InvalidInputError, match="control_features"):
        from_metric_frame(controlled)


# ------------------------------------------------------------ AIF360


def test_aif360_numbers_match_the_audit(compas):
    pytest.importorskip("aif360")
    from fairpool.audit import aif360_metric

    two = compas[compas["race"] != "Hispanic"]
    metric = aif360_metric(two, target="recid", sensitive="race", pred="risk",
                           privileged="Caucasian")
    audit = audit_frame(two, target="recid", sensitive="race", pred="risk")
    rates = audit.by_group
    aa, ca = rates.loc["African-American"], rates.loc["Caucasian"]
    assert metric.statistical_parity_difference() == pytest.approx(
        aa["selection_rate"] - ca["selection_rate"])
    assert metric.disparate_impact() == pytest.approx(aa["selection_rate"] / ca["selection_rate"])
    assert metric.equal_opportunity_difference() == pytest.approx(aa["tpr"] - ca["tpr"])
    assert metric.average_odds_difference() == pytest.approx(
        ((aa["fpr"] - ca["fpr"]) + (aa["tpr"] - ca["tpr"])) / 2)
    assert metric.accuracy() == pytest.approx(audit.summary["overall_accuracy"])
    head = audit.headline.set_index("key")["value"]
    assert abs(metric.statistical_parity_difference()) == pytest.approx(
        head["demographic_parity_difference"])
    assert metric.selection_rate(privileged=True) == pytest.approx(ca["selection_rate"])


def test_aif360_several_unprivileged_values(compas):
    pytest.importorskip("aif360")
    from fairpool.audit import aif360_metric

    metric = aif360_metric(compas, target="recid", sensitive="race", pred="risk",
                           privileged="Caucasian")
    y, yp = binary(compas)
    others = (compas["race"] != "Caucasian").to_numpy()
    assert metric.selection_rate(privileged=False) == pytest.approx(yp[others].mean())


def test_aif360_round_trip(compas):
    pytest.importorskip("aif360")
    import logging

    from fairpool.audit import from_aif360, to_aif360

    before = logging.getLogger().level
    dataset, classified = to_aif360(compas, target="recid", sensitive=["race", "sex"],
                                    pred="risk")
    assert logging.getLogger().level == before  # the quiet import restores the root logger
    assert dataset.favorable_label == 1.0
    assert dataset.features.shape == (len(compas), 5)  # age, priors, score, race, sex
    back = from_aif360(dataset, classified, pred="risk")
    for col in ("race", "sex", "recid", "risk"):
        assert back[col].tolist() == compas[col].tolist(), col
    np.testing.assert_allclose(back["age"], compas["age"])
    again = audit_frame(back, target="recid", sensitive="race", pred="risk")
    first = audit_frame(compas, target="recid", sensitive="race", pred="risk")
    pd.testing.assert_frame_equal(again.by_group, first.by_group)


def test_aif360_bad_inputs(compas):
    pytest.importorskip("aif360")
    from fairpool.audit import aif360_metric, to_aif360

    with pytest.raises(UnknownColumnError, match="'nope'"):
        to_aif360(compas, target="recid", sensitive="nope")
    with pytest.raises(InvalidInputError, match="not numeric"):
        to_aif360(compas, target="recid", sensitive="race", features=["sex"])
    with pytest.raises(InvalidInputError, match="'Martian'"):
        aif360_metric(compas, target="recid", sensitive="race", pred="risk", privileged="Martian")
    one = compas[compas["race"] == "Caucasian"]
    with pytest.raises(InvalidInputError, match="no unprivileged group"):
        aif360_metric(one, target="recid", sensitive="race", pred="risk", privileged="Caucasian")
    holes = compas.assign(race=compas["race"].where(compas.index != 3))
    with pytest.raises(InvalidInputError, match="missing"):
        to_aif360(holes, target="recid", sensitive="race")


# ------------------------------------------------------------ Aequitas


def test_aequitas_crosstab_follows_the_documented_definitions(compas):
    table = aequitas_crosstab(compas, target="recid", sensitive=["race", "sex"], pred="risk")
    assert tuple(table.columns) == AEQUITAS_COLUMNS
    y, yp = binary(compas)
    k = int(yp.sum())
    assert (table["k"] == k).all() and (table["total_entities"] == len(y)).all()
    assert (table["score_threshold"] == "binary 0/1").all()
    for _, row in table.iterrows():
        mask = (compas[row["attribute_name"]] == row["attribute_value"]).to_numpy()
        tp = sum(1 for a, b in zip(y[mask], yp[mask], strict=True) if a == 1 and b == 1)
        fp = sum(1 for a, b in zip(y[mask], yp[mask], strict=True) if a == 0 and b == 1)
        tn = sum(1 for a, b in zip(y[mask], yp[mask], strict=True) if a == 0 and b == 0)
        fn = sum(1 for a, b in zip(y[mask], yp[mask], strict=True) if a == 1 and b == 0)
        assert (row["tp"], row["fp"], row["tn"], row["fn"]) == (tp, fp, tn, fn)
        assert row["pp"] == tp + fp and row["pn"] == tn + fn
        assert row["ppr"] == pytest.approx((tp + fp) / k)
        assert row["pprev"] == pytest.approx((tp + fp) / mask.sum())
        assert row["prev"] == pytest.approx((tp + fn) / mask.sum())
        assert row["fdr"] == pytest.approx(fp / (tp + fp))
        assert row["for"] == pytest.approx(fn / (tn + fn))
        assert row["npv"] == pytest.approx(tn / (tn + fn))
        assert row["tnr"] == pytest.approx(tn / (tn + fp))
        assert row["tpr"] == pytest.approx(tp / (tp + fn))
    assert set(table["attribute_name"]) == {"race", "sex"}
    assert table.groupby("attribute_name")["ppr"].sum().to_numpy() == pytest.approx([1, 1])


def test_aequitas_round_trip_and_threshold(compas):
    table = aequitas_crosstab(compas, target="recid", sensitive=["race", "sex"], pred="score",
                              threshold=0.5)
    assert (table["score_threshold"] == "0.5_val").all()
    reports = from_aequitas_crosstab(table)
    y = (compas["recid"] == "yes").astype(int)
    yp = (compas["score"] >= 0.5).astype(int)
    for column in ("race", "sex"):
        expected = group_report(y, yp, sensitive_features=compas[column])
        got = reports[column].by_group
        pd.testing.assert_frame_equal(got, expected.by_group.rename_axis(column),
                                      check_index_type=False)
    frame = to_aequitas_frame(compas, target="recid", sensitive="race", pred="risk")
    assert list(frame.columns) == ["score", "label_value", "race"]
    assert frame["score"].tolist() == binary(compas)[1].tolist()


def test_aequitas_bad_inputs(compas):
    with pytest.raises(UnknownColumnError, match="'tp'"):
        from_aequitas_crosstab(pd.DataFrame({"attribute_name": ["a"], "attribute_value": ["x"]}))
    table = aequitas_crosstab(compas, target="recid", sensitive="race", pred="risk")
    two = pd.concat([table, table.assign(model_id=1)])
    with pytest.raises(InvalidInputError, match="model_id"):
        from_aequitas_crosstab(two)
    with pytest.raises(UnknownColumnError, match="'nope'"):
        aequitas_crosstab(compas, target="recid", sensitive="nope", pred="risk")
    holes = compas.assign(recid=compas["recid"].where(compas.index != 2))
    with pytest.raises(InvalidInputError, match="missing"):
        aequitas_crosstab(holes, target="recid", sensitive="race", pred="risk")


# ------------------------------------------------------------ TFMA-style JSON


def test_tfma_json_round_trip_of_an_audit(compas, tmp_path):
    audit = audit_frame(compas, target="recid", sensitive=["race", "sex"], pred="risk")
    path = tmp_path / "slices.json"
    text = to_tfma_json(audit, path)
    messages = json.loads(path.read_text())
    assert text == path.read_text()
    assert messages[0]["slice_key"] == {}
    assert messages[0]["metrics"]["example_count"] == {"double_value": len(compas)}
    first = messages[1]["slice_key"]["single_slice_keys"]
    assert [k["column"] for k in first] == ["race", "sex"]
    assert set(messages[1]["metrics"]["selection_rate"]["bounded_value"]) == {
        "lower_bound", "upper_bound", "value"}
    overall, by_group = read_tfma_json(path)
    assert overall["count"] == len(compas)
    assert overall["accuracy"] == pytest.approx(audit.summary["overall_accuracy"])
    numeric = [c for c in audit.by_group.columns if c != "small"]
    pd.testing.assert_frame_equal(by_group[numeric], audit.by_group[numeric],
                                  check_dtype=False)
    assert list(by_group.index.names) == ["race", "sex"]


def test_tfma_json_round_trip_of_a_report_with_numbers_and_nan():
    report = group_report([1, 0, 1, 1, 0, 0], [1, 1, 0, 1, 0, 0],
                          sensitive_features=pd.Series([3, 3, 5, 5, 7, 7], name="band"))
    text = to_tfma_json(report)
    assert '"NaN"' in text  # band 7 has no positives: its TPR is undefined
    key = json.loads(text)[1]["slice_key"]["single_slice_keys"][0]
    assert key == {"column": "band", "bytes_value": "Mw=="}  # base64 of "3"
    overall, by_group = read_tfma_json(text)
    pd.testing.assert_frame_equal(by_group, report.by_group, check_dtype=False)
    assert overall["count"] == 6


def test_tfma_json_reads_integer_and_float_slice_keys():
    messages = [
        {"slice_key": {"single_slice_keys": [{"column": "age", "int64_value": "30"},
                                              {"column": "w", "float_value": 0.5}]},
         "metrics": {"accuracy": {"double_value": 0.75}, "example_count": {"double_value": 4}}},
    ]
    _, by_group = read_tfma_json(json.dumps(messages))
    assert by_group.index.tolist() == [(30, 0.5)]
    assert by_group.loc[(30, 0.5), "accuracy"] == 0.75


def test_tfma_json_bad_inputs(tmp_path):
    with pytest.raises(InvalidInputError, match="not JSON"):
        read_tfma_json("[1, 2")
    with pytest.raises(InvalidInputError, match="array of MetricsForSlice"):
        read_tfma_json("[1, 2]")
    mixed = json.dumps([
        {"slice_key": {"single_slice_keys": [{"column": "a", "int64_value": "1"}]},
         "metrics": {}},
        {"slice_key": {"single_slice_keys": [{"column": "b", "int64_value": "1"}]},
         "metrics": {}},
    ])
    with pytest.raises(InvalidInputError, match="different key columns"):
        read_tfma_json(mixed)
    with pytest.raises(InvalidInputError, match="AuditResult or GroupReport"):
        to_tfma_json({"a": 1})  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        read_tfma_json(tmp_path / "absent.json")
