"""Counterfactuals: gcm agreement, the analytic answer, the discrete coupling, real data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.causal import SENSITIVE, CausalGraph, CounterfactualModel, fit_counterfactual_model
from fairpool.errors import InvalidInputError, LengthMismatchError, SingleGroupError


@pytest.fixture(scope="module")
def linear_toy():
    """A -> X1 -> X2, A -> X2, A -> X3 (admissible) -> X2, additive Gaussian noise."""
    rng = np.random.default_rng(0)
    n = 400
    a = rng.integers(0, 2, n)
    x3 = 1.0 * a + rng.normal(size=n)
    x1 = 2.0 * a + rng.normal(size=n)
    x2 = 3.0 * x1 - 1.0 * a + 0.5 * x3 + rng.normal(size=n)
    X = np.column_stack([a, x1, x2, x3]).astype(np.float64)
    graph = CausalGraph(
        edges=((SENSITIVE, "x1"), ("x1", "x2"), (SENSITIVE, "x2"), (SENSITIVE, "x3"),
               ("x3", "x2")),
        admissible={"x3"},
    )
    model = CounterfactualModel(graph).fit(
        X, a, feature_names=["a", "x1", "x2", "x3"], sensitive_columns=["a"]
    )
    return X, a, model


def test_linear_additive_noise_counterfactual_equals_the_analytic_one(linear_toy):
    X, a, model = linear_toy
    a_, x1, x2, x3 = X.T
    # Analytic counterfactual under the fitted linear SCM (least squares by numpy):
    # x1' = x1 + b1 (a' - a); x2' = x2 + c1 (x1' - x1) + c_a (a' - a); x3 fixed.
    design1 = np.column_stack([np.ones_like(a_), a_])
    b1 = np.linalg.lstsq(design1, x1, rcond=None)[0][1]
    design2 = np.column_stack([np.ones_like(a_), a_, x1, x3])
    c = np.linalg.lstsq(design2, x2, rcond=None)[0]
    cf = model.counterfactual(X, a, target=1)
    delta = 1.0 - a_
    expected_x1 = x1 + b1 * delta
    expected_x2 = x2 + c[2] * (expected_x1 - x1) + c[1] * delta
    np.testing.assert_allclose(cf[:, 0], 1.0)
    np.testing.assert_allclose(cf[:, 1], expected_x1, atol=1e-9)
    np.testing.assert_allclose(cf[:, 2], expected_x2, atol=1e-9)
    np.testing.assert_array_equal(cf[:, 3], x3)  # admissible: held fixed
    # The estimates are close to the true SCM's coefficients (2, 3, -1).
    assert abs(b1 - 2.0) < 0.3 and abs(c[2] - 3.0) < 0.1 and abs(c[1] + 1.0) < 0.3


def test_counterfactuals_equal_dowhy_gcm_counterfactual_samples(linear_toy):
    from dowhy import gcm

    X, a, model = linear_toy
    frame = pd.DataFrame(X, columns=["a", "x1", "x2", "x3"])
    scm = gcm.InvertibleStructuralCausalModel(
        nx.DiGraph([("a", "x1"), ("x1", "x2"), ("a", "x2"), ("a", "x3"), ("x3", "x2")])
    )
    scm.set_causal_mechanism("a", gcm.EmpiricalDistribution())
    for node in ("x1", "x2", "x3"):
        scm.set_causal_mechanism(node, gcm.AdditiveNoiseModel(gcm.ml.create_linear_regressor()))
    gcm.fit(scm, frame, return_evaluation_summary=False)
    factual_x3 = iter(X[:, 3])  # gcm applies interventions row by row, in order
    reference = gcm.counterfactual_samples(
        scm, {"a": lambda _: 0.0, "x3": lambda _: next(factual_x3)}, observed_data=frame
    )[["a", "x1", "x2", "x3"]].to_numpy()
    np.testing.assert_allclose(model.counterfactual(X, a, target=0), reference, atol=1e-9)


def test_same_group_target_returns_the_row_unchanged(linear_toy):
    X, a, model = linear_toy
    cf = model.counterfactual(X, a, target=1)
    np.testing.assert_array_equal(cf[a == 1], X[a == 1])


def _discrete_toy(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    freq = np.array([[0.7, 0.2, 0.1], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    dosage = (freq[g].cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1).astype(float)
    X = np.column_stack([np.eye(3)[g], dosage])
    names = ["anc=0", "anc=1", "anc=2", "rs1"]
    graph = CausalGraph(edges=((SENSITIVE, "rs1"),))
    model = CounterfactualModel(graph, random_state=5).fit(
        X, g, feature_names=names, sensitive_columns=names[:3]
    )
    return X, g, freq, model


def test_discrete_coupling_moves_a_group_to_the_target_distribution():
    X, g, freq, model = _discrete_toy()
    cf = model.counterfactual(X, g, target=2)
    moved = cf[g == 0, 3].astype(int)
    share = np.bincount(moved, minlength=3) / moved.size
    np.testing.assert_allclose(share, freq[2], atol=0.015)
    assert set(np.unique(cf[:, 3])) <= {0.0, 1.0, 2.0}  # stays on the support
    np.testing.assert_array_equal(cf[:, :3], np.tile([0.0, 0.0, 1.0], (len(g), 1)))


def test_discrete_coupling_is_rank_preserving_and_reproducible():
    X, g, _, model = _discrete_toy(n=3000)
    cf = model.counterfactual(X, g, target=1)
    rows = g == 0
    # Monotone: a higher factual dosage never maps to a lower counterfactual one.
    assert _monotone_by_level(X[rows, 3], cf[rows, 3])
    np.testing.assert_array_equal(cf, model.counterfactual(X, g, target=1))


def _monotone_by_level(factual, counterfactual):
    levels = np.unique(factual)
    highs = [counterfactual[factual == v].max() for v in levels]
    lows = [counterfactual[factual == v].min() for v in levels]
    return all(h <= lo for h, lo in zip(highs[:-1], lows[1:], strict=True))


def test_discrete_child_with_continuous_parent_uses_gcm_classifier():
    rng = np.random.default_rng(1)
    n = 600
    g = rng.integers(0, 2, n)
    z = rng.normal(size=n) + g  # continuous, a descendant
    c = (z + rng.normal(scale=0.5, size=n) > 0.5).astype(float)  # discrete child of z
    X = np.column_stack([z, c])
    graph = CausalGraph(edges=((SENSITIVE, "z"), ("z", "c")))
    model = CounterfactualModel(graph).fit(X, g, feature_names=["z", "c"])
    assert model.kind_of("z") == "continuous" and model.kind_of("c") == "discrete"
    cf = model.counterfactual(X, g, target=1)
    moved = g == 0
    assert cf[moved, 0].mean() > X[moved, 0].mean() + 0.5
    assert cf[moved, 1].mean() > X[moved, 1].mean()


def test_genomes_counterfactuals_fix_admissible_snps_and_set_ancestry():
    ds = fp.datasets.load("genomes1000", n_samples=300, seed=0)
    model = fit_counterfactual_model(ds)
    target = ds.group_names.index("EUR")
    cf = model.counterfactual(ds.X, ds.groups, target)
    causal = [ds.feature_index(c) for c in ds.info["causal_features"]]
    ancestry = [ds.feature_index(c) for c in ds.info["sensitive_columns"]]
    np.testing.assert_array_equal(cf[:, causal], ds.X[:, causal])
    expected = np.zeros(len(ancestry))
    expected[ds.info["sensitive_columns"].index("superpopulation=EUR")] = 1.0
    np.testing.assert_array_equal(cf[:, ancestry], np.tile(expected, (ds.n_samples, 1)))
    other = np.setdiff1d(np.arange(ds.n_features), causal + ancestry)
    moved = ds.groups != target
    assert (cf[np.ix_(moved, other)] != ds.X[np.ix_(moved, other)]).mean() > 0.2
    # Only a fraction of the causal SNPs known: the rest are regenerated too.
    partial = fit_counterfactual_model(ds, known_causal_fraction=0.5, seed=1)
    assert len(partial.graph.admissible) == len(causal) // 2


def test_varying_sensitive_column_is_regenerated_as_a_child_of_the_group():
    ds = fp.datasets.load("german")
    model = fit_counterfactual_model(ds)
    age = ds.feature_index("age")
    cf = model.counterfactual(ds.X, ds.groups, target=1)
    young = ds.groups == 0
    assert model.sensitive_fixed_columns_.size == 0
    assert cf[young, age].mean() > ds.X[young, age].mean() + 5


def test_all_counterfactuals_marks_the_valid_pairs(linear_toy):
    X, a, model = linear_toy
    cf, valid = model.all_counterfactuals(X, a)
    assert cf.shape == (2, *X.shape)
    np.testing.assert_array_equal(valid[0], a != 0)
    np.testing.assert_array_equal(valid[1], a != 1)


def test_bad_input_raises_fairpool_errors(linear_toy):
    X, a, model = linear_toy
    graph = model.graph
    with pytest.raises(SingleGroupError):
        CounterfactualModel(graph).fit(X, np.zeros(len(X), int), feature_names=list("abcd"))
    with pytest.raises(LengthMismatchError):
        CounterfactualModel(graph).fit(X, a[:-1], feature_names=list("abcd"))
    with pytest.raises(LengthMismatchError):
        CounterfactualModel(graph).fit(X, a, feature_names=list("abc"))
    with pytest.raises(InvalidInputError, match="graph"):
        CounterfactualModel("not a graph")
    with pytest.raises(InvalidInputError, match="not fitted"):
        CounterfactualModel(graph).counterfactual(X, a, 0)
    with pytest.raises(InvalidInputError, match="target group"):
        model.counterfactual(X, a, target=5)
    with pytest.raises(InvalidInputError, match="shape"):
        model.counterfactual(X[:, :2], a, target=0)


def test_unseen_discrete_values_are_abducted_as_the_nearest_seen_value():
    X, g, _, model = _discrete_toy(n=2000)
    rows = np.array([[1.0, 0.0, 0.0, 3.0], [0.0, 1.0, 0.0, 1.2]])  # 3 and 1.2 never seen
    as_seen = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 0.0, 1.0]])
    groups = np.array([0, 1])
    np.testing.assert_array_equal(
        model.counterfactual(rows, groups, target=2)[:, :3],
        model.counterfactual(as_seen, groups, target=2)[:, :3],
    )
    np.testing.assert_array_equal(
        model.counterfactual(rows, groups, target=2)[:, 3],
        model.counterfactual(as_seen, groups, target=2)[:, 3],
    )
