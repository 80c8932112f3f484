"""run(): the simulated campaign, checked by rebuilding its rounds independently."""

from __future__ import annotations

import dataclasses

import numpy as np
import ot
import pytest
from fairlearn.metrics import demographic_parity_difference as fairlearn_dp
from fairlearn.metrics import equalized_odds_difference as fairlearn_eo
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import StandardScaler

import fairpool as fp
from fairpool.active import TIMING_COLUMNS, History, run
from fairpool.errors import (
    BudgetError,
    FairpoolError,
    InvalidInputError,
    NonBinaryLabelError,
    SingleGroupError,
    UnknownNameError,
)


@pytest.fixture(scope="module")
def setup(dataset_factory, split_factory):
    ds = dataset_factory(320, seed=4)
    parts = split_factory(ds, n_test=80, n_validation=0, n_initial=30, seed=4)
    del parts["validation"]
    return ds, parts


def _frame(history: History):
    return history.frame.drop(columns=list(TIMING_COLUMNS))


def test_rounds_budget_and_picks(setup):
    ds, parts = setup
    hist = run(ds, "entropy", "logreg", budget=70, batch_size=30, seed=0, split=parts)
    frame = hist.frame
    assert frame["round"].tolist() == [0, 1, 2, 3]
    assert frame["n_labelled"].tolist() == [30, 60, 90, 100]  # last round smaller
    picks = [np.asarray(p) for p in frame["picked"]]
    assert [len(p) for p in picks] == [0, 30, 30, 10]
    everything = np.concatenate(picks)
    pool = np.setdiff1d(parts["pool"], parts["initial"])
    assert np.unique(everything).size == 70 and np.isin(everything, pool).all()
    for p, (_, row) in zip(picks, frame.iterrows(), strict=True):
        counts = np.bincount(ds.groups[p.astype(int)], minlength=2)
        assert [row["picked_female"], row["picked_male"]] == counts.tolist()
    assert (frame["seconds_fit"] > 0).all() and frame["seconds_select"].iloc[0] == 0.0
    assert hist.config["budget"] == 70 and hist.config["strategy"] == "entropy"
    assert hist.config["n_initial"] == 30 and hist.final["round"] == 3


def test_recorded_metrics_match_an_independent_rebuild(setup):
    ds, parts = setup
    hist = run(ds, "margin", "logreg", budget=60, batch_size=20, seed=0, split=parts)
    test, d0 = parts["test"], parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    labelled = d0
    for _, row in hist.frame.iterrows():
        labelled = np.concatenate([labelled, np.asarray(row["picked"], dtype=np.int64)])
        scaler = StandardScaler().fit(ds.X[labelled])
        model = LogisticRegression(max_iter=1000).fit(
            scaler.transform(ds.X[labelled]), ds.y[labelled]
        )
        pred = model.predict(scaler.transform(ds.X[test]))
        y, g = ds.y[test], ds.groups[test]
        assert row["n_labelled"] == len(labelled)
        assert row["f1"] == pytest.approx(f1_score(y, pred), abs=1e-12)
        assert row["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
        assert row["demographic_parity"] == pytest.approx(
            fairlearn_dp(y, pred, sensitive_features=g)
        )
        assert row["equalized_odds"] == pytest.approx(fairlearn_eo(y, pred, sensitive_features=g))
        assert row["demographic_parity_to_overall"] == pytest.approx(
            fairlearn_dp(y, pred, sensitive_features=g, method="to_overall")
        )
        assert row["equalized_odds_to_overall"] == pytest.approx(
            fairlearn_eo(y, pred, sensitive_features=g, method="to_overall")
        )
        # Error-rate balance (PANDA's Table 1): FPR and FNR gaps between the groups.
        fpr = [np.mean(pred[(g == k) & (y == 0)]) for k in (0, 1)]
        tpr = [np.mean(pred[(g == k) & (y == 1)]) for k in (0, 1)]
        assert row["error_rate_balance"] == pytest.approx(
            max(abs(fpr[0] - fpr[1]), abs(tpr[0] - tpr[1]))
        )
        # Misclassification-rate parity (error_rate_difference).
        errors = [np.mean(pred[g == k] != y[g == k]) for k in (0, 1)]
        assert row["error_rate_difference"] == pytest.approx(abs(errors[0] - errors[1]))
        # OT: labelled vs pool in the pool's standardised space (pool < 500 rows: exact).
        mean, std = ds.X[pool].mean(axis=0), ds.X[pool].std(axis=0)
        a, b = (ds.X[labelled] - mean) / std, (ds.X[pool] - mean) / std
        cost = ot.dist(a.astype(np.float64), b.astype(np.float64), metric="euclidean")
        expected = ot.emd2(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), cost)
        assert row["ot_distance"] == pytest.approx(expected, rel=1e-5)


def test_same_seed_same_history_other_seed_differs(setup):
    ds, parts = setup
    kwargs = dict(budget=40, batch_size=20, split=parts, metrics=["f1", "demographic_parity"])
    a = run(ds, "random", "logreg", seed=3, **kwargs)
    b = run(ds, "random", "logreg", seed=3, **kwargs)
    c = run(ds, "random", "logreg", seed=4, **kwargs)
    assert _frame(a).equals(_frame(b))
    assert a.frame["picked"].tolist() != c.frame["picked"].tolist()
    assert list(a.frame.columns[:4]) == ["round", "n_labelled", "f1", "demographic_parity"]


def test_strategy_info_is_recorded_with_a_prefix(setup):
    ds, parts = setup
    hist = run(ds, "group_random", budget=20, batch_size=10, split=parts, metrics=["accuracy"])
    targets = hist.frame["strategy_target_group"]
    assert targets.isna().iloc[0] and set(targets.iloc[1:]) <= {"female", "male"}
    for _, row in hist.frame.iloc[1:].iterrows():
        assert row[f"picked_{row['strategy_target_group']}"] == 10


def test_initial_set_choices(setup):
    ds, parts = setup
    no_initial = {k: v for k, v in parts.items() if k != "initial"}
    drawn = run(ds, "random", budget=10, batch_size=10, split=no_initial, metrics=["f1"])
    assert drawn.config["n_initial"] == 10  # batch_size rows by default
    override = run(ds, "random", budget=10, batch_size=10, split=parts, initial=40, metrics=["f1"])
    assert override.frame["n_labelled"].iloc[0] == 40
    chosen = parts["pool"][:12]
    explicit = run(
        ds, "random", budget=10, batch_size=5, split=parts, initial=chosen, metrics=["f1"]
    )
    assert explicit.frame["n_labelled"].iloc[0] == 12
    picked = np.concatenate([np.asarray(p, dtype=int) for p in explicit.frame["picked"]])
    assert not np.isin(picked, chosen).any()
    # The drawn initial set keeps the pool's group x label make-up (to within one row).
    from fairpool.active._simulation import _initial_rows

    d0, rest = _initial_rows(ds, no_initial, 100, 10, seed=0)
    pool = no_initial["pool"]
    assert len(d0) == 100 and len(rest) == len(pool) - 100 and np.isin(d0, pool).all()
    strata = ds.groups * 2 + ds.y
    expected = np.bincount(strata[pool], minlength=4) * 100 / len(pool)
    assert np.all(np.abs(np.bincount(strata[d0], minlength=4) - expected) < 1)


def test_extra_metric_functions(setup):
    ds, parts = setup

    def positives(y_true, y_pred, *, sensitive_features):
        return float(np.sum(y_pred))

    hist = run(
        ds, "random", budget=10, batch_size=10, split=parts, metrics={"positives": positives}
    )
    assert "positives" in hist.frame and "f1" in hist.frame
    assert hist.frame["positives"].between(0, len(parts["test"])).all()
    assert "positives" in hist.metric_columns


def test_split_given_as_a_dataset_split(setup):
    ds, parts = setup
    from fairpool.datasets import DatasetSplit

    pool = np.setdiff1d(parts["pool"], parts["initial"])
    split = DatasetSplit(ds, {"pool": pool, "test": parts["test"], "initial": parts["initial"]})
    a = run(ds, "entropy", budget=20, batch_size=10, split=split, metrics=["f1"])
    b = run(ds, "entropy", budget=20, batch_size=10, split=parts, metrics=["f1"])
    assert _frame(a).equals(_frame(b))


def test_learners_and_strategies_by_object(setup):
    ds, parts = setup
    hist = run(
        ds,
        fp.active.make_strategy("least_confident"),
        LogisticRegression(C=0.5, max_iter=500),
        budget=10,
        batch_size=10,
        split=parts,
        metrics=["accuracy"],
    )
    assert hist.config["learner"] == "LogisticRegression"
    assert hist.config["strategy"] == "least_confident"


# -- bad input -------------------------------------------------------------------


def test_budget_and_batch_errors(setup):
    ds, parts = setup
    n_pool = len(np.setdiff1d(parts["pool"], parts["initial"]))
    with pytest.raises(BudgetError, match="larger than the pool"):
        run(ds, budget=n_pool + 1, batch_size=10, split=parts)
    with pytest.raises(BudgetError, match="batch_size must be a positive integer"):
        run(ds, budget=10, batch_size=0, split=parts)
    with pytest.raises(BudgetError, match="larger than the budget"):
        run(ds, budget=10, batch_size=11, split=parts)
    with pytest.raises(BudgetError, match="budget must be"):
        run(ds, budget=-5, batch_size=1, split=parts)


def test_name_errors_list_what_exists(setup):
    ds, parts = setup
    with pytest.raises(UnknownNameError, match="available: .*entropy"):
        run(ds, "uncertain", budget=10, batch_size=10, split=parts)
    with pytest.raises(UnknownNameError, match="available: .*logreg"):
        run(ds, "entropy", "forest", budget=10, batch_size=10, split=parts)
    with pytest.raises(InvalidInputError, match="unknown metric"):
        run(ds, budget=10, batch_size=10, split=parts, metrics=["auc"])


def test_group_strategy_on_single_group_data(setup):
    ds, parts = setup
    one = dataclasses.replace(ds, groups=np.zeros(ds.n_samples, dtype=np.int64))
    with pytest.raises(SingleGroupError, match="group_random"):
        run(one, "group_random", budget=10, batch_size=10, split=parts)
    # A plain strategy still runs; group metrics are undefined and recorded as NaN.
    hist = run(
        one, "entropy", budget=10, batch_size=10, split=parts, metrics=["f1", "demographic_parity"]
    )
    assert hist.frame["demographic_parity"].isna().all() and hist.frame["f1"].notna().all()


def test_one_class_initial_set(setup):
    ds, parts = setup
    negatives = parts["pool"][ds.y[parts["pool"]] == 0][:10]
    with pytest.raises(FairpoolError, match="single class"):
        run(ds, budget=10, batch_size=10, split=parts, initial=negatives)


def test_malformed_inputs(setup):
    ds, parts = setup
    with pytest.raises(NonBinaryLabelError, match="binary"):
        run(dataclasses.replace(ds, y=ds.y * 2), budget=10, batch_size=10, split=parts)
    with pytest.raises(InvalidInputError, match="no 'test' part"):
        run(ds, budget=10, batch_size=10, split={"pool": parts["pool"]})
    with pytest.raises(InvalidInputError, match="overlap"):
        run(ds, budget=10, batch_size=10, split={"pool": parts["pool"], "test": parts["pool"][:5]})
    with pytest.raises(InvalidInputError, match="initial rows overlap the test"):
        run(ds, budget=10, batch_size=10, split=parts, initial=parts["test"][:10])
    with pytest.raises(InvalidInputError, match="Dataset"):
        run(ds.X, budget=10, batch_size=10, split=parts)


# -- real data -------------------------------------------------------------------


def test_adult_panda_split_small_budget():
    ds = fp.datasets.load("adult")
    hist = run(ds, "entropy", "logreg", budget=100, batch_size=50, seed=0, split="panda")
    final = hist.final
    assert hist.config["n_initial"] == 100 and final["n_labelled"] == 200
    # Adult's base rate is ~24% positives: a fitted logistic model beats the majority rule.
    assert 0.78 < final["accuracy"] < 0.9 and 0.4 < final["f1"] < 0.75
    assert 0 <= final["demographic_parity"] < 0.4


def test_compas_falcon_split_group_random():
    ds = fp.datasets.load("compas")
    hist = run(ds, "group_random", "xgboost", budget=60, batch_size=30, seed=0, split="falcon")
    assert hist.frame["n_labelled"].tolist() == [294, 324, 354]
    assert hist.frame["strategy_target_group"].iloc[1:].isin(ds.group_names).all()
    assert 0.55 < hist.final["accuracy"] < 0.75
