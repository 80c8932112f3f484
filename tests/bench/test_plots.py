"""Figures: the numbers drawn are the summaries, and odd labels do not break rendering."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import FigureBase
from matplotlib.image import imread
from matplotlib.legend import Legend

from fairpool.bench import (
    METRICS,
    figure_png,
    figure_svg,
    group_makeup,
    plot_group_makeup,
    plot_learning_curves,
    plot_tradeoff,
)
from fairpool.bench._plots import (
    METRIC_LABELS,
    identical_label,
    identical_strategies,
    metric_label,
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


def _twin_rounds(perturb: float = 0.0):
    """_rounds() plus "twin", a copy of "random" (one value moved by ``perturb``)."""
    rounds = _rounds()
    twin = rounds[rounds["strategy_label"] == "random"].copy()
    twin["strategy_label"] = "twin"
    twin.iloc[-1, twin.columns.get_loc("f1")] += perturb
    return pd.concat([rounds, twin], ignore_index=True)


def _legend_texts(fig):
    return [[t.get_text() for t in legend.get_texts()] for legend in fig.findobj(Legend)]


def test_metric_names_are_readable_labels_with_their_direction():
    assert metric_label("demographic_parity") == (
        "demographic parity gap, max − min over groups (lower is fairer)")
    assert "PANDA's" in metric_label("demographic_parity_to_overall")
    assert metric_label("f1") == "F1 (higher is better)"
    assert metric_label("ot_distance").startswith("OT distance, labelled set to pool")
    assert metric_label("made_up") == "made_up"
    assert set(METRIC_LABELS) >= set(METRICS)
    rounds = _rounds()
    curves = plot_learning_curves(rounds, metrics=["f1", "demographic_parity"])
    dp_label = "demographic parity gap, max − min over groups (lower is fairer)"
    # long labels wrap at 40 characters
    assert [ax.get_title().replace("\n", " ") for ax in curves.get_axes()] == [
        "F1 (higher is better)", dp_label]
    trade = plot_tradeoff(rounds[rounds["round"] == 2], disparities=["demographic_parity"])
    ax = trade.get_axes()[0]
    assert ax.get_xlabel().replace("\n", " ") == dp_label
    assert ax.get_ylabel() == "F1 (higher is better)"


def a_text(artist) -> bool:
    """A visible, non-empty text artist."""
    return artist.get_visible() and bool(getattr(artist, "get_text", lambda: "")())


@pytest.mark.parametrize("kind", ["tradeoff", "curves"])
def test_legends_sit_outside_every_axes_and_titles_inside_the_figure(kind):
    rounds = _rounds()
    two_blocks = pd.concat([rounds, rounds.assign(dataset_label="a much longer dataset name "
                                                                "that would be cut")])
    if kind == "tradeoff":
        fig = plot_tradeoff(two_blocks[two_blocks["round"] == 2])
    else:
        fig = plot_learning_curves(two_blocks, metrics=["f1", "demographic_parity",
                                                         "equalized_odds"])
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    legends = fig.findobj(Legend)
    assert len(legends) == 2  # one a block, none inside an axes
    axes = fig.get_axes()
    assert all(ax.get_legend() is None for ax in axes)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in axes:
            assert not box.overlaps(ax.get_window_extent(renderer))
    # every title and label lies within the figure, nothing cut at its edge
    page = fig.bbox
    texts = [t for ax in axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
    texts += [f._suptitle for f in fig.findobj(FigureBase) if f._suptitle is not None]
    texts += [t for legend in legends for t in legend.get_texts()]
    texts = [t for t in texts if a_text(t)]
    assert any("longer dataset name" in t.get_text() for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, text.get_text()
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, text.get_text()
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_identical_strategies_are_found_exactly_and_drawn_once():
    rounds = _twin_rounds()
    found = identical_strategies(rounds, ["f1", "demographic_parity"])
    assert found == [(("g", "adult", "logreg"), ("random", "twin"))]
    assert identical_label(("random", "twin")) == "random = twin (identical)"
    fig = plot_learning_curves(rounds, metrics=["f1", "demographic_parity"])
    for ax in fig.get_axes():
        labels = [line.get_label() for line in ax.get_lines()]
        assert sorted(labels) == [r"\$fair\$ <b>", "random = twin (identical)"]
    assert ["random = twin (identical)", r"\$fair\$ <b>"] in [
        sorted(t, key=lambda s: s.startswith("\\")) for t in _legend_texts(fig)]
    final = rounds[rounds["round"] == 2]
    trade = plot_tradeoff(final, disparities=["demographic_parity"])
    assert {c.get_label() for c in trade.get_axes()[0].containers} == {
        r"\$fair\$ <b>", "random = twin (identical)"}


def test_nearly_equal_or_differently_run_strategies_are_not_identical():
    # one value 1e-12 apart: not identical, both drawn
    rounds = _twin_rounds(perturb=1e-12)
    assert identical_strategies(rounds, ["f1"]) == []
    fig = plot_learning_curves(rounds, metrics=["f1"])
    assert sorted(line.get_label() for line in fig.get_axes()[0].get_lines()) == [
        r"\$fair\$ <b>", "random", "twin"]
    # the perturbed metric not compared: identical on what is shown
    assert identical_strategies(rounds, ["demographic_parity"]) != []
    # the same values under another seed are not the same runs
    rounds = _twin_rounds()
    rounds.loc[rounds["strategy_label"] == "twin", "seed"] += 10
    assert identical_strategies(rounds, ["f1"]) == []
    # the same strategy pair in different blocks is not compared across blocks
    rounds = _twin_rounds()
    rounds.loc[rounds["strategy_label"] == "twin", "dataset_label"] = "compas"
    assert identical_strategies(rounds, ["f1"]) == []
    # no metric to compare: no claim
    assert identical_strategies(_twin_rounds(), ["ot_distance"]) == []
    # NaN equals NaN: an undefined metric in both is still identical
    rounds = _twin_rounds()
    rounds.loc[rounds["round"] == 1, "demographic_parity"] = np.nan
    assert identical_strategies(rounds, ["demographic_parity"]) == [
        (("g", "adult", "logreg"), ("random", "twin"))]


def test_saved_figures_are_cropped_to_what_is_drawn():
    fig = plot_learning_curves(_rounds(), metrics=["f1"])
    pixels = imread(io.BytesIO(figure_png(fig)))
    width_px, height_px = fig.get_size_inches() * 110
    # bbox_inches="tight": the image is the drawn area, not the nominal figure size
    assert pixels.shape[1] != round(width_px) or pixels.shape[0] != round(height_px)
