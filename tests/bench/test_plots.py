"""Figures: the numbers drawn are the summaries, and odd labels do not break rendering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpool.bench import (
    figure_png,
    figure_svg,
    group_makeup,
    plot_group_makeup,
    plot_learning_curves,
    plot_tradeoff,
)
from fairpool.errors import InvalidInputError


def _rounds():
    rows = []
    for strategy, shift in (("random", 0.0), ("$fair$ <b>", 0.1)):
        for seed in (0, 1):
            for r in range(3):
                rows.append({
                    "grid": "g", "dataset_label": "adult", "learner_label": "logreg",
                    "strategy_label": strategy, "seed": seed, "round": r,
                    "n_labelled": 10 + 10 * r, "f1": 0.5 + shift + 0.1 * r + 0.01 * seed,
                    "demographic_parity": 0.3 - shift + 0.02 * seed,
                    "equalized_odds": 0.2 + 0.01 * r,
                    "picked_Female": 0 if r == 0 else 3 + seed,
                    "picked_Male": 0 if r == 0 else 7 - seed,
                })
    return pd.DataFrame(rows)


def test_tradeoff_points_are_the_final_means_with_sd_bars():
    rounds = _rounds()
    final = rounds[rounds["round"] == 2]
    fig = plot_tradeoff(final, disparities=["demographic_parity", "equalized_odds"])
    axes = fig.get_axes()
    assert len(axes) == 2
    ax = axes[0]
    points = {}
    for container in ax.containers:
        line = container.lines[0]
        points[container.get_label()] = (line.get_xdata()[0], line.get_ydata()[0])
    sub = final[final["strategy_label"] == "random"]
    assert points["random"] == pytest.approx((sub["demographic_parity"].mean(), sub["f1"].mean()))
    assert set(points) == {"random", r"\$fair\$ <b>"}  # '$' escaped for mathtext
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_learning_curves_draw_the_mean_over_seeds():
    rounds = _rounds()
    fig = plot_learning_curves(rounds, metrics=["f1", "demographic_parity", "ot_distance"])
    axes = fig.get_axes()
    assert len(axes) == 2  # ot_distance absent: skipped
    line = next(line for line in axes[0].get_lines() if line.get_label() == "random")
    expected = rounds[rounds["strategy_label"] == "random"].groupby("n_labelled")["f1"].mean()
    np.testing.assert_allclose(line.get_xdata(), expected.index)
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    assert "<svg" in figure_svg(fig)


def test_group_makeup_is_the_share_of_picks_per_group_averaged_over_seeds():
    makeup = group_makeup(_rounds())
    # random, seed 0: 3+3 of 20 picks female; seed 1: 4+4 of 20 -> mean (0.3 + 0.4) / 2
    row = makeup.loc[("g", "adult", "logreg", "random")]
    assert row["Female"] == pytest.approx(0.35) and row["Male"] == pytest.approx(0.65)
    assert np.allclose(makeup.sum(axis=1), 1.0)
    fig = plot_group_makeup(_rounds())
    bars = fig.get_axes()[0].patches
    assert len(bars) == 4  # 2 strategies × 2 groups
    figure_png(fig)


def test_empty_inputs_give_a_figure_that_says_so():
    rounds = _rounds()
    fig = plot_group_makeup(rounds.drop(columns=["picked_Female", "picked_Male"]))
    assert "no per-group selection counts" in fig.get_axes()[0].texts[0].get_text()
    assert plot_tradeoff(rounds.iloc[:0]).get_axes()[0].texts


def test_plots_name_missing_columns():
    with pytest.raises(InvalidInputError, match="strategy_label"):
        plot_tradeoff(_rounds().drop(columns="strategy_label"))
