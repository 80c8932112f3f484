"""fp.audit.stress_test: injected counts, retrained metrics against plain scikit-learn and
fairlearn, the campaign arm against fp.active.run, the plot, and bad inputs (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import StandardScaler

import fairpool as fp
from fairpool.errors import (
    BudgetError,
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    NonBinaryLabelError,
    SingleGroupError,
    UnknownColumnError,
)


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    logit = 1.2 * x1 - 0.8 * x2 + 0.7 * (sex == "M")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "flag": rng.integers(0, 2, n), "sex": sex, "y": y})


@pytest.fixture(scope="module")
def ds():
    return fp.datasets.from_frame(_frame(), target="y", sensitive="sex")


MODEL = LogisticRegression(max_iter=1000)
RATES = (0.0, 0.2, 0.45)


def _split(ds, seed):
    return fp.audit.mitigation_split(ds.groups, ds.y, test_size=0.3, seed=seed)


def _reference_fit(train_X, train_y, test_X):
    scaler = StandardScaler().fit(train_X.astype(np.float64))
    model = LogisticRegression(max_iter=1000).fit(scaler.transform(train_X), train_y)
    return model.predict(scaler.transform(test_X.astype(np.float64)))


@pytest.fixture(scope="module")
def table(ds):
    return fp.audit.stress_test(ds, source=["sampling", "measurement", "historical", "prediction"],
                                group="F", rates=RATES, seeds=[0, 1], model=MODEL)


def test_one_row_per_source_rate_seed_with_the_documented_columns(table, ds):
    assert len(table) == 4 * len(RATES) * 2
    assert set(table["strategy"]) == {"none"}
    for column in ("source", "rate", "seed", "strategy", "n_affected", "accuracy", "f1",
                   "demographic_parity", "equalized_odds", "tpr[F]", "selection_rate[M]"):
        assert column in table.columns


@pytest.mark.parametrize("seed", [0, 1])
def test_injected_counts_are_exact(table, ds, seed):
    train, test = _split(ds, seed)
    f = ds.group_names.index("F")
    in_train = int(np.sum(ds.groups[train] == f))
    positives = int(np.sum((ds.groups[train] == f) & (ds.y[train] == 1)))
    in_test = int(np.sum(ds.groups[test] == f))
    for rate in RATES:
        rows = table[(table["seed"] == seed) & (table["rate"] == rate)].set_index("source")
        # sampling drops round(rate * group rows) training rows, and only those
        assert rows.loc["sampling", "n_affected"] == round(rate * in_train)
        assert rows.loc["sampling", "n_train"] == len(train) - round(rate * in_train)
        assert rows.loc["measurement", "n_affected"] == round(rate * in_train)
        assert rows.loc["historical", "n_eligible"] == positives
        assert rows.loc["historical", "n_affected"] == round(rate * positives)
        assert rows.loc["prediction", "n_affected"] == round(rate * in_test)


@pytest.mark.parametrize("source,kind,options", [
    ("historical", "label_flip", {}),
    ("sampling", "undersample", {}),
    ("measurement", "feature_noise", {"scale": 1.0}),
])
def test_retrained_metrics_equal_a_plain_sklearn_fit_on_the_same_corrupted_rows(
        table, ds, source, kind, options):
    seed, rate = 1, 0.45
    train, test = _split(ds, seed)
    biased = fp.datasets.inject_bias(ds.subset(train), kind=kind, group="F", rate=rate,
                                     seed=seed, **options)
    changed = {"label_flip": lambda: int(np.sum(biased.y != ds.y[train])),
               "undersample": lambda: len(train) - biased.n_samples,
               "feature_noise": lambda: int(np.sum(np.any(biased.X != ds.X[train], axis=1)))}
    f = ds.group_names.index("F")
    eligible = (ds.groups[train] == f) & ((ds.y[train] == 1) if kind == "label_flip" else True)
    assert changed[kind]() == round(rate * int(np.sum(eligible)))  # counted by hand
    pred = _reference_fit(biased.X, biased.y, ds.X[test])
    y, g = ds.y[test], np.asarray(ds.group_names)[ds.groups[test]]
    row = table[(table["source"] == source) & (table["seed"] == seed)
                & (table["rate"] == rate)].iloc[0]
    assert row["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert row["f1"] == pytest.approx(f1_score(y, pred), abs=1e-12)
    assert row["demographic_parity"] == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=g), abs=1e-12)
    assert row["equalized_odds"] == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=g), abs=1e-12)
    for name in ("F", "M"):
        mask = g == name
        assert row[f"tpr[{name}]"] == pytest.approx(np.mean(pred[mask & (y == 1)] == 1))
        assert row[f"fpr[{name}]"] == pytest.approx(np.mean(pred[mask & (y == 0)] == 1))
        assert row[f"selection_rate[{name}]"] == pytest.approx(np.mean(pred[mask]))
        assert row[f"accuracy[{name}]"] == pytest.approx(np.mean(pred[mask] == y[mask]))


def test_prediction_flips_follow_the_documented_draw_and_do_not_retrain(table, ds):
    seed, rate = 0, 0.2
    train, test = _split(ds, seed)
    clean = _reference_fit(ds.X[train], ds.y[train], ds.X[test])
    f = ds.group_names.index("F")
    eligible = np.flatnonzero(ds.groups[test] == f)
    n = round(rate * eligible.size)
    rows = np.random.default_rng(seed).choice(eligible, size=n, replace=False)
    flipped = clean.copy()
    flipped[rows] = 1 - flipped[rows]
    assert int(np.sum(flipped != clean)) == n
    row = table[(table["source"] == "prediction") & (table["seed"] == seed)
                & (table["rate"] == rate)].iloc[0]
    assert row["accuracy"] == pytest.approx(accuracy_score(ds.y[test], flipped), abs=1e-12)
    assert row["n_train"] == len(train)
    # other groups' predictions untouched: the men's rates equal the clean model's
    clean_row = table[(table["source"] == "prediction") & (table["seed"] == seed)
                      & (table["rate"] == 0.0)].iloc[0]
    assert row["tpr[M]"] == clean_row["tpr[M]"]


def test_none_by_name_is_the_plain_fit(ds, table):
    again = fp.audit.stress_test(ds, source="historical", group="F", rates=[0.2], seeds=[0],
                                 model=MODEL, strategy="none")
    row = table[(table["source"] == "historical") & (table["seed"] == 0)
                & (table["rate"] == 0.2)].iloc[0]
    assert again["strategy"].tolist() == ["none"]
    assert again["accuracy"].iloc[0] == row["accuracy"]


def test_rate_zero_is_the_clean_model_for_every_source(table):
    zero = table[table["rate"] == 0.0]
    for _, part in zero.groupby("seed"):
        assert part["accuracy"].nunique() == 1 and part["n_affected"].eq(0).all()


def test_a_campaign_arm_equals_fp_active_run_on_the_biased_pool(ds):
    from dataclasses import replace

    seed, rate = 0, 0.3
    got = fp.audit.stress_test(ds, source="sampling", group="F", rates=[rate], seeds=[seed],
                               strategy="entropy", budget=60, batch_size=20).iloc[0]
    train, test = _split(ds, seed)
    biased = fp.datasets.inject_bias(ds.subset(train), kind="undersample", group="F",
                                     rate=rate, seed=seed)
    combined = replace(biased, X=np.vstack([biased.X, ds.X[test]]),
                       y=np.concatenate([biased.y, ds.y[test]]),
                       groups=np.concatenate([biased.groups, ds.groups[test]]), y_true=None)
    parts = {"pool": np.arange(biased.n_samples),
             "test": np.arange(biased.n_samples, combined.n_samples)}
    history = fp.active.run(combined, "entropy", "logreg", budget=60, batch_size=20, seed=seed,
                            split=parts, metrics=["accuracy", "demographic_parity"])
    assert got["strategy"] == "entropy"
    assert got["n_train"] == 20 + 60  # the initial batch and the budget
    assert got["accuracy"] == pytest.approx(history.final["accuracy"], abs=1e-12)
    assert got["demographic_parity"] == pytest.approx(history.final["demographic_parity"],
                                                      abs=1e-12)


def test_a_table_path_and_a_polars_frame_give_the_same_numbers(ds, tmp_path):
    pl = pytest.importorskip("polars")
    frame = _frame()
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    common = {"source": "historical", "group": "F", "rates": [0.3], "seeds": [2],
              "model": MODEL}
    a = fp.audit.stress_test(ds, **common)
    b = fp.audit.stress_test(path, target="y", sensitive="sex", **common)
    c = fp.audit.stress_test(pl.from_pandas(frame), target="y", sensitive="sex", **common)
    cols = ["accuracy", "f1", "demographic_parity", "n_affected"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    pd.testing.assert_frame_equal(a[cols], c[cols])


def test_plot_draws_mean_and_sd_over_seeds(table):
    import matplotlib

    matplotlib.use("Agg")
    fig = fp.audit.plot_stress_test(table, metrics=("accuracy", "tpr[F]"))
    assert len(fig.axes) == 4 * 2
    ax = fig.axes[0]  # sampling: accuracy
    expected = table[table["source"] == "sampling"].groupby("rate")["accuracy"].mean()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected.to_numpy())
    with pytest.raises(UnknownColumnError, match="nope"):
        fp.audit.plot_stress_test(table, metrics=("nope",))
    with pytest.raises(EmptyInputError):
        fp.audit.plot_stress_test(table.iloc[:0])


@pytest.mark.parametrize("kwargs,error,match", [
    ({"group": "X"}, UnknownColumnError, "'X' is not a group"),
    ({"rates": [1.0]}, InvalidInputError, r"\[0, 1\)"),
    ({"rates": [-0.1]}, InvalidInputError, r"\[0, 1\)"),
    ({"rates": [float("nan")]}, InvalidInputError, r"\[0, 1\)"),
    ({"rates": []}, EmptyInputError, "rates"),
    ({"seeds": [-1]}, InvalidInputError, "seed"),
    ({"source": "weather"}, InvalidInputError, "unknown source 'weather'"),
    ({"strategy": "psychic"}, InvalidInputError, "unknown strategy 'psychic'"),
    ({"model": object()}, InvalidInputError, "model must be"),
    ({"columns": ["x1"]}, InvalidInputError, "columns= applies"),
    ({"direction": "both"}, InvalidInputError, "direction= applies"),
    ({"strategy": "entropy", "budget": 10**6}, BudgetError, "budget"),
])
def test_bad_arguments_raise_fairpool_errors(ds, kwargs, error, match):
    args = {"source": "prediction", "group": "F", "rates": [0.1], "seeds": [0], **kwargs}
    with pytest.raises(error, match=match):
        fp.audit.stress_test(ds, **args)


def test_bad_data_raise_fairpool_errors(ds):
    frame = _frame()
    args = {"source": "historical", "group": "F", "rates": [0.1], "seeds": [0]}
    with pytest.raises(SingleGroupError, match="one group"):
        fp.audit.stress_test(frame.assign(sex="F"), target="y", sensitive="sex", **args)
    with pytest.raises(MissingValueError):
        fp.audit.stress_test(frame.assign(x1=np.where(np.arange(len(frame)) == 3, np.nan,
                                                      frame["x1"])),
                             target="y", sensitive="sex", **args)
    with pytest.raises(UnknownColumnError):
        fp.audit.stress_test(frame, target="y", sensitive="gender", **args)
    with pytest.raises(NonBinaryLabelError):
        fp.audit.stress_test(frame.assign(y=np.arange(len(frame)) % 3), target="y",
                             sensitive="sex", **args)
    with pytest.raises(InvalidInputError, match="target="):
        fp.audit.stress_test(frame, **args)
    with pytest.raises(InvalidInputError, match="apply to a table"):
        fp.audit.stress_test(ds, target="y", **args)
