"""The strategy x learner Pareto plot: the front against a brute-force definition."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import fairpool as fp


def _brute_front(score, disparity):
    out = []
    for i in range(len(score)):
        if not (np.isfinite(score[i]) and np.isfinite(disparity[i])):
            continue
        beaten = any(
            score[j] >= score[i] and disparity[j] <= disparity[i]
            and (score[j] > score[i] or disparity[j] < disparity[i])
            for j in range(len(score))
            if np.isfinite(score[j]) and np.isfinite(disparity[j])
        )
        if not beaten:
            out.append(i)
    return sorted(out, key=lambda i: (disparity[i], i))


@pytest.mark.parametrize("seed", range(30))
def test_front_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 25))
    # rounded values make ties, where domination needs a strict win on one axis
    score = np.round(rng.uniform(size=n), 1)
    disparity = np.round(rng.uniform(size=n), 1)
    if seed % 3 == 0:
        score[rng.integers(n)] = np.nan
    front = fp.bench.pareto_front(score, disparity)
    assert sorted(front.tolist()) == sorted(_brute_front(score, disparity))
    assert np.all(np.diff(disparity[front]) >= 0)


def _final():
    rows = []
    for (strategy, learner, seed), (f1, dp) in zip(
        itertools.product(["random", "entropy"], ["logreg", "reweighing", "thresholds"],
                          [0, 1]),
        np.random.default_rng(0).uniform(size=(12, 2)), strict=True,
    ):
        rows.append({"grid": "g", "dataset_label": "adult", "learner_label": learner,
                     "strategy_label": strategy, "seed": seed, "f1": f1,
                     "demographic_parity": dp})
    return pd.DataFrame(rows)


def test_plot_draws_every_pair_and_the_front_of_the_means():
    final = _final()
    fig = fp.bench.plot_pareto(final)
    (ax,) = fig.axes
    assert len(ax.collections) == 6  # 2 strategies x 3 learners
    means = final.groupby(["strategy_label", "learner_label"])[
        ["f1", "demographic_parity"]].mean().reset_index()
    front = _brute_front(means["f1"].to_numpy(), means["demographic_parity"].to_numpy())
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "Pareto front"]
    np.testing.assert_allclose(line.get_xdata(), means["demographic_parity"].to_numpy()[front])
    np.testing.assert_allclose(line.get_ydata(), means["f1"].to_numpy()[front])


def test_plot_without_the_disparity_says_so():
    fig = fp.bench.plot_pareto(_final().drop(columns="demographic_parity"))
    assert "demographic_parity" in " ".join(t.get_text() for t in fig.axes[0].texts)
