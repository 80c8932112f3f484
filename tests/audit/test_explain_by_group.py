"""fp.audit.explain_by_group: SHAP values against their closed forms, per-group summaries
against brute force, proxy shares on a copied column, bad inputs (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
    UnknownColumnError,
)

pytest.importorskip("shap")

from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(0)
    n = 400
    g = rng.integers(0, 2, n)
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n) + 0.5 * g, g.astype(float)])
    y = (X[:, 0] + X[:, 1] + 1.5 * X[:, 2] + rng.normal(size=n) > 0.8).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "copy"])
    return frame, y, np.where(g == 1, "M", "F")


def test_linear_values_are_the_closed_form(rows):
    frame, y, g = rows
    X = frame.to_numpy()
    model = LogisticRegression().fit(X, y)
    ex = fp.audit.explain_by_group(model, frame, groups=g)
    np.testing.assert_allclose(ex.values, model.coef_[0] * (X - X.mean(axis=0)), atol=1e-10)
    assert ex.expected_value == pytest.approx(model.intercept_[0] + model.coef_[0] @ X.mean(0))
    np.testing.assert_allclose(ex.values.sum(1) + ex.expected_value, model.decision_function(X),
                               atol=1e-10)
    assert ex.explainer == "linear" and ex.output == "log-odds"


def test_pipeline_with_a_scaler_explains_the_scaled_columns(rows):
    frame, y, g = rows
    X = frame.to_numpy()
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    Z = pipe[0].transform(X)
    ex = fp.audit.explain_by_group(pipe, frame, groups=g)
    np.testing.assert_allclose(ex.values, pipe[-1].coef_[0] * (Z - Z.mean(0)), atol=1e-10)


def test_tree_values_add_up_to_the_prediction_minus_the_expected_value(rows):
    frame, y, g = rows
    X = frame.to_numpy()
    forest = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    ex = fp.audit.explain_by_group(forest, frame, groups=g)
    np.testing.assert_allclose(ex.values.sum(1), forest.predict_proba(X)[:, 1] - ex.expected_value,
                               atol=1e-10)
    assert ex.output == "probability" and ex.explainer == "tree"


def test_xgboost_values_add_up_to_the_margin(rows):
    import xgboost

    frame, y, g = rows
    X = frame.to_numpy()
    booster = xgboost.XGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
    ex = fp.audit.explain_by_group(booster, frame, groups=g)
    margin = booster.predict(X, output_margin=True)
    np.testing.assert_allclose(ex.values.sum(1) + ex.expected_value, margin, atol=1e-4)


def test_importance_and_shares_equal_brute_force(rows):
    frame, y, g = rows
    model = LogisticRegression().fit(frame.to_numpy(), y)
    ex = fp.audit.explain_by_group(model, frame, groups=g)
    for name in ("F", "M"):
        expected = np.abs(ex.values[g == name]).mean(0)
        np.testing.assert_allclose(ex.importance[name].to_numpy(), expected)
    # the copy of the group is found as a proxy (eta^2 = 1) and its share is its importance
    assert ex.proxies == ("copy",) and ex.sensitive_columns == ()
    for name in ("F", "M", "all"):
        column = ex.importance[name]
        assert ex.shares.loc[name, "proxies"] == pytest.approx(column["copy"] / column.sum())
        assert ex.shares.loc[name, "sensitive"] == 0.0
    # named as the sensitive attribute's own column, it moves to "sensitive"
    own = fp.audit.explain_by_group(model, frame, groups=g, sensitive_columns=["copy"])
    assert own.proxies == ()
    assert own.shares.loc["all", "sensitive"] == pytest.approx(ex.shares.loc["all", "proxies"])


def test_a_model_that_ignores_the_copy_puts_no_attribution_on_it(rows):
    frame, y, g = rows
    model = LogisticRegression().fit(frame[["a", "b"]].to_numpy(), y)
    ex = fp.audit.explain_by_group(model, frame[["a", "b"]], groups=g, proxies=["b"])
    assert ex.shares.loc["all", "proxies"] == pytest.approx(
        ex.importance.loc["b", "all"] / ex.importance["all"].sum())
    assert ex.shares.loc["all", "sensitive"] == 0.0


def test_a_bundled_dataset_uses_its_graph_and_its_sensitive_columns():
    ds = fp.datasets.subsample(fp.datasets.load("adult"), 1500, seed=0)
    model = LogisticRegression(max_iter=2000).fit(ds.X, ds.y)
    ex = fp.audit.explain_by_group(model, ds)
    assert ex.sensitive_columns == ("sex=Female", "sex=Male")
    assert set(ex.proxies) == set(fp.causal.graph_proxies(ds))
    assert "relationship=Husband" in ex.proxies and "education_num" not in ex.proxies
    assert list(ex.shares.index) == ["Female", "Male", "all"]
    np.testing.assert_allclose(ex.shares.sum(axis=1), 1.0)


def test_an_active_learner_is_explained_through_its_scaler(rows):
    frame, y, g = rows
    X = frame.to_numpy()
    al = fp.active.ActiveLearner("random", "logreg", seed=0).fit(X, y, (g == "M").astype(int))
    ex = fp.audit.explain_by_group(al, frame, groups=g)
    Z = al.transform(X)
    # the learner's scaler works in float32
    np.testing.assert_allclose(ex.values, al.model_.coef_[0] * (Z - Z.mean(0)), atol=1e-6)


def test_plot_draws_one_panel_per_group(rows):
    import matplotlib

    matplotlib.use("Agg")
    frame, y, g = rows
    ex = fp.audit.explain_by_group(LogisticRegression().fit(frame.to_numpy(), y), frame, groups=g)
    fig = ex.plot(top=2)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].patches) == 2
    with pytest.raises(InvalidInputError, match="top"):
        ex.plot(top=0)


def test_unsupported_models_name_the_type_and_the_slow_alternative(rows):
    frame, y, g = rows
    knn = KNeighborsClassifier().fit(frame.to_numpy(), y)
    with pytest.raises(InvalidInputError, match="KNeighborsClassifier.*KernelExplainer"):
        fp.audit.explain_by_group(knn, frame, groups=g)
    with pytest.raises(InvalidInputError, match="not fitted"):
        fp.audit.explain_by_group(LogisticRegression(), frame, groups=g)
    three = np.arange(len(y)) % 3
    with pytest.raises(InvalidInputError, match="binary"):
        fp.audit.explain_by_group(LogisticRegression().fit(frame.to_numpy(), three), frame,
                                  groups=g)


def test_bad_inputs_raise_fairpool_errors(rows):
    frame, y, g = rows
    model = LogisticRegression().fit(frame.to_numpy(), y)
    with pytest.raises(SingleGroupError):
        fp.audit.explain_by_group(model, frame, groups=np.full(len(g), "F"))
    with pytest.raises(MissingValueError):
        fp.audit.explain_by_group(model, frame.assign(a=np.r_[np.nan, frame["a"][1:]]), groups=g)
    with pytest.raises(MissingValueError):
        fp.audit.explain_by_group(model, frame, groups=np.r_[[None], g[1:]])
    with pytest.raises(LengthMismatchError):
        fp.audit.explain_by_group(model, frame, groups=g[:-1])
    with pytest.raises(EmptyInputError):
        fp.audit.explain_by_group(model, frame.iloc[:0], groups=g[:0])
    with pytest.raises(UnknownColumnError, match="'sex'"):
        fp.audit.explain_by_group(model, frame, groups=g, sensitive_columns=["sex"])
    with pytest.raises(UnknownColumnError, match="'zip'"):
        fp.audit.explain_by_group(model, frame, groups=g, proxies=["zip"])
    with pytest.raises(InvalidInputError, match="needs a fairpool Dataset"):
        fp.audit.explain_by_group(model, frame, groups=g, proxies="graph")
    with pytest.raises(InvalidInputError, match="groups= is needed"):
        fp.audit.explain_by_group(model, frame)
