"""Per-group rates against fairlearn's MetricFrame / scikit-learn and a brute-force loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import HealthCheck, given, settings

import fairpool.metrics as fpm
from fairpool.errors import InvalidInputError

from .problems import Problem, brute_by_group, group_key, problems, reference_fairlearn_metrics

flm = reference_fairlearn_metrics()

TOL = 1e-12
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FAIRLEARN_FUNCTIONS = {
    "selection_rate": flm.selection_rate,
    "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "error_rate": skm.zero_one_loss,
    "accuracy": skm.accuracy_score,
    "precision": skm.precision_score,
    "recall": skm.recall_score,
    "f1": skm.f1_score,
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(both_labels_per_group=False))
def test_group_rates_equal_metricframe_by_group(problem: Problem) -> None:
    ours = fpm.group_rates(problem.y_true, problem.y_pred,
                           sensitive_features=problem.sensitive_features,
                           sample_weight=problem.sample_weight)
    params = {"sample_weight": problem.sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = flm.MetricFrame(
            metrics={**FAIRLEARN_FUNCTIONS, "count": flm.count},
            y_true=problem.y_true, y_pred=problem.y_pred,
            sensitive_features=problem.sensitive_features,
            sample_params={k: params for k in FAIRLEARN_FUNCTIONS},
        )
    theirs = frame.by_group.dropna(how="all")  # fairlearn lists empty intersections as NaN
    assert len(theirs) == len(ours)
    assert ours["count"].tolist() == theirs["count"].astype(int).tolist()
    for rate in fpm.RATE_NAMES:
        mine, ref = ours[rate].to_numpy(), theirs[rate].to_numpy(dtype=float)
        defined = ~np.isnan(mine)
        np.testing.assert_allclose(mine[defined], ref[defined], rtol=0, atol=TOL, err_msg=rate)
        # where fairpool says undefined, scikit-learn substitutes 0 (with or without a warning)
        assert (ref[~defined] == 0).all(), rate


@FAST
@given(problem=problems(both_labels_per_group=False))
def test_group_rates_equal_brute_force_including_undefined(problem: Problem) -> None:
    ours = fpm.group_rates(problem.y_true, problem.y_pred,
                           sensitive_features=problem.sensitive_features,
                           sample_weight=problem.sample_weight)
    expected = brute_by_group(problem)
    # intersections are a MultiIndex of value tuples; compare by their flat keys
    ours = ours.set_axis([fpm.group_key(g) for g in ours.index])
    assert sorted(ours.index) == sorted(expected)
    for name, row in ours.iterrows():
        for rate in fpm.RATE_NAMES:
            want = expected[name][rate]
            if np.isnan(want):
                assert np.isnan(row[rate]), (name, rate)
            else:
                assert abs(row[rate] - want) <= TOL, (name, rate)
    keys = group_key(problem)
    assert ours["count"].to_dict() == {k: int((keys == k).sum()) for k in ours.index}


@FAST
@given(problem=problems())
def test_selection_rate_equals_fairlearn(problem: Problem) -> None:
    ours = fpm.selection_rate(problem.y_true, problem.y_pred, sample_weight=problem.sample_weight)
    theirs = flm.selection_rate(problem.y_true, problem.y_pred,
                                sample_weight=problem.sample_weight)
    assert abs(ours - theirs) <= TOL


def test_rate_by_group_and_confusion_rates() -> None:
    y, p, g = [1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 1], ["a", "a", "a", "b", "b", "b"]
    tpr = fpm.rate_by_group(y, p, sensitive_features=g, rate="tpr")
    assert tpr.name == "tpr" and tpr.to_dict() == {"a": 0.5, "b": 1.0}
    with pytest.raises(InvalidInputError, match="rate must be one of"):
        fpm.rate_by_group(y, p, sensitive_features=g, rate="auc")
    table = fpm.confusion_by_group(y, p, fpm.encode_groups(g)[0], n_groups=2)
    rates = fpm.rates_from_confusion(table)
    overall = fpm.rates_from_confusion(table.sum(axis=0))
    assert rates["fpr"].tolist() == [0.0, 1.0]
    assert float(overall["f1"]) == skm.f1_score(y, p)
    with pytest.raises(InvalidInputError, match="shape \\(..., 2, 2\\)"):
        fpm.rates_from_confusion(np.zeros((3, 2)))


def test_undefined_rates_are_nan_not_zero() -> None:
    # group b: no positives (TPR, FNR undefined), no predicted positives (precision undefined)
    frame = fpm.group_rates([1, 0, 0, 0], [1, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    assert np.isnan(frame.loc["b", ["tpr", "fnr", "recall", "precision", "f1"]]).all()
    assert frame.loc["b", "fpr"] == 0.0 and frame.loc["b", "accuracy"] == 1.0
