"""benchmarks/medl.py's fairlearn row for regression and its tuned weights.

The bounded-group-loss reduction is checked against fairlearn called directly on a tiny
input (the same base learner, bound and seeds give the same randomised predictions),
and its bound against the unconstrained MLP's training MSE computed here; ``TUNED``
against the ``chosen`` rows that benchmarks/medl_tune.py wrote.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.reductions import BoundedGroupLoss, ExponentiatedGradient, SquareLoss
from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

_BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_BENCHMARKS))
import medl  # noqa: E402  (the benchmark script, from benchmarks/)

sys.path.remove(str(_BENCHMARKS))


def _tiny():
    rng = np.random.default_rng(0)
    n = 90
    group = np.repeat(["a", "b", "c"], n // 3)
    X = rng.normal(size=(n, 3))
    noise = np.where(group == "c", 2.0, 0.5)  # group c is harder to fit
    y = 3.0 * X[:, 0] - X[:, 1] + noise * rng.normal(size=n) + 10.0
    return X, y, pd.Series(group)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bounded_group_loss_row_is_fairlearns_reduction() -> None:
    X, y, group = _tiny()
    model = medl.BoundedGroupLossReduction((6,), max_iter=4, base_iter=30, random_state=3)
    model.fit(X, y, sensitive_features=group)

    def base():
        return TransformedTargetRegressor(
            regressor=MLPRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=3),
            transformer=StandardScaler())

    plain = base().fit(X, y)
    bound = float(np.mean((y - plain.predict(X)) ** 2))
    assert model.upper_bound_ == pytest.approx(bound, rel=1e-12)
    direct = ExponentiatedGradient(
        base(), BoundedGroupLoss(SquareLoss(y.min(), y.max()), upper_bound=bound), max_iter=4)
    direct.fit(X, y, sensitive_features=group)
    np.testing.assert_allclose(model.predict(X), direct.predict(X, random_state=3))
    np.testing.assert_allclose(model.reduction_.weights_.to_numpy(),
                               direct.weights_.to_numpy())


def test_regression_tables_get_a_reduction_row() -> None:
    for name in ("hsb82", "star"):
        assert isinstance(medl._models(name, 0)["reduction"], medl.BoundedGroupLossReduction)
    assert "reduction" in medl._models("adult", 0)


@pytest.mark.parametrize("name", ["adult", "hsb82", "star"])
def test_tuned_weights_are_the_tuning_runs_choice(name) -> None:
    path = medl.RESULTS / f"medl_tuning_{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} not generated (benchmarks/medl_tune.py)")
    table = pd.read_csv(path)
    chosen = table[table["chosen"]]
    assert len(chosen) == 1
    row = chosen.iloc[0]
    assert medl.TUNED[name] == {k: float(row[k]) for k in medl.TUNED[name]}
    models = medl._models(name, 0)
    assert models["fair_medl"].fairness_weight == row["fairness_weight"]
    for label in ("fe_adversary", "medl", "fair_medl"):
        assert models[label].cluster_adversary_weight == row["cluster_adversary_weight"]
    assert models["plain_mlp"].cluster_adversary_weight == 0.0


def test_conditional_mean_spread_by_brute_force() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=400)
    groups = rng.choice(["a", "b", "c"], 400)
    pred = y + (groups == "a") * 0.5 + rng.normal(scale=0.1, size=400)
    got = medl.conditional_mean_spread(y, pred, groups, bins=4)
    frame = pd.DataFrame({"y": y, "pred": pred, "g": groups})
    frame["bin"] = pd.qcut(frame["y"], 4, labels=False)
    total, weight = 0.0, 0
    for _, part in frame.groupby("bin"):
        means = part.groupby("g")["pred"].mean()
        total += np.std(means.to_numpy()) * len(part)
        weight += len(part)
    assert got == pytest.approx(total / weight, rel=1e-10)
    # a prediction that depends on y alone has no spread
    assert medl.conditional_mean_spread(np.repeat([1.0, 2.0], 50), np.repeat([1.0, 2.0], 50),
                                        np.tile(["a", "b"], 50), bins=2) == 0.0


def test_docs_quote_the_results_files() -> None:
    """docs/medl.md's tables are ``benchmarks/medl.py --markdown``'s, from the results."""
    names = ("medl.csv", "medl_cuts.csv", "medl_runs.csv")
    if not all((medl.RESULTS / n).exists() for n in names):
        pytest.skip("benchmarks/results/medl*.csv not generated")
    summary, cuts, runs = (pd.read_csv(medl.RESULTS / n) for n in names)
    page = (_BENCHMARKS.parent / "docs" / "medl.md").read_text(encoding="utf-8")
    for table in medl.markdown(summary, cuts, runs).split("\n\n"):
        assert table in page, table.splitlines()[0]
