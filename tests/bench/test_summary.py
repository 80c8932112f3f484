"""Final-budget summaries, checked against numpy on the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpool.bench import facagen_table, format_summary, print_summary, print_table, summarise
from fairpool.errors import InvalidInputError


def _final(rows):
    base = {"grid": "g", "dataset_label": "d", "learner_label": "xgb", "n_labelled": 60}
    return pd.DataFrame([{**base, **row} for row in rows])


FINAL = _final([
    {"strategy_label": "random", "strategy": "random", "seed": 0, "f1": 0.70, "accuracy": 0.8,
     "demographic_parity": 0.20, "equalized_odds": 0.30, "ot_distance": 1.0},
    {"strategy_label": "random", "strategy": "random", "seed": 1, "f1": 0.74, "accuracy": 0.9,
     "demographic_parity": 0.30, "equalized_odds": 0.10, "ot_distance": 1.2},
    {"strategy_label": "facagen", "strategy": "facagen", "seed": 0, "f1": 0.72,
     "accuracy": 0.85, "demographic_parity": 0.10, "equalized_odds": 0.20, "ot_distance": 0.5},
    {"strategy_label": "facagen", "strategy": "facagen", "seed": 1, "f1": 0.76,
     "accuracy": 0.86, "demographic_parity": 0.05, "equalized_odds": 0.10, "ot_distance": 0.7},
    {"strategy_label": "entropy", "strategy": "entropy", "seed": 0, "f1": 0.8,
     "accuracy": 0.9, "demographic_parity": np.nan, "equalized_odds": 0.4, "ot_distance": 0.9},
])


def test_summarise_matches_numpy_mean_and_sample_sd():
    summary = summarise(FINAL, ["f1", "demographic_parity", "error_rate_balance"])
    row = summary.set_index("strategy_label").loc["random"]
    assert row["seeds"] == 2 and row["n_labelled"] == 60
    assert row["f1_mean"] == pytest.approx(np.mean([0.70, 0.74]))
    assert row["f1_sd"] == pytest.approx(np.std([0.70, 0.74], ddof=1))
    # a metric absent from the table is left out rather than invented
    assert "error_rate_balance_mean" not in summary.columns
    entropy = summary.set_index("strategy_label").loc["entropy"]
    assert np.isnan(entropy["f1_sd"]) and np.isnan(entropy["demographic_parity_mean"])


def test_format_summary_writes_mean_plus_minus_sd():
    table = format_summary(summarise(FINAL, ["f1", "demographic_parity"]),
                           ["f1", "demographic_parity"], digits=2)
    assert list(table.columns) == ["dataset", "learner", "strategy", "seeds", "labels", "f1",
                                   "demographic_parity"]
    rows = table.set_index("strategy")
    assert rows.loc["random", "f1"] == "0.72 ± 0.03"
    assert rows.loc["entropy", "f1"] == "0.80"  # one seed: no sd
    assert rows.loc["entropy", "demographic_parity"] == "–"


def test_facagen_table_compares_with_random():
    table = facagen_table(FINAL).set_index("strategy")
    assert list(table.columns)[-2:] == ["DP vs random", "EO vs random"]
    # DP: facagen mean 0.075 against random's 0.25 -> -70%; EO: 0.15 vs 0.2 -> -25%
    assert table.loc["facagen", "DP vs random"] == "-70%"
    assert table.loc["facagen", "EO vs random"] == "-25%"
    assert table.loc["random", "DP vs random"] == "+0%"
    assert table.loc["facagen", "ot_distance"] == "0.600 ± 0.141"


def test_facagen_table_is_empty_without_facagen_runs():
    assert facagen_table(FINAL[FINAL["strategy"] != "facagen"]).empty


def test_summarise_needs_the_grouping_columns():
    with pytest.raises(InvalidInputError, match="lacks the columns"):
        summarise(FINAL.drop(columns="grid"))


def test_print_table_shows_markup_literally():
    from io import StringIO

    from rich.console import Console

    buffer = StringIO()
    print_table(pd.DataFrame({"strategy": ["[bold red]x[/]"]}), title="[t]",
                console=Console(file=buffer, width=80))
    assert "[bold red]x[/]" in buffer.getvalue()


def test_print_summary_fits_100_columns_with_six_metrics_and_keeps_the_numbers():
    from io import StringIO

    from rich.console import Console

    metrics = ["f1", "accuracy", "demographic_parity", "equalized_odds", "error_rate_balance",
               "ot_distance"]
    final = FINAL.assign(error_rate_balance=0.123456)
    buffer = StringIO()
    print_summary(summarise(final, metrics), metrics, title="t",
                  console=Console(file=buffer, width=100))
    text = buffer.getvalue()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    # what is constant goes to the title once; seeds vary (entropy ran one), so a column
    assert "g, d, xgb, 60 labels" in text and " seeds " in text
    random_row = next(line for line in text.splitlines() if line.strip().startswith("random"))
    # mean±sd of random's f1 (0.70, 0.74) and DP (0.20, 0.30), as format_summary gives them
    assert "0.720±0.028" in random_row and "0.250±0.071" in random_row
    assert "–" in next(line for line in text.splitlines() if line.strip().startswith("entropy"))
    assert "DP = demographic_parity" in text.replace("\n", " ")
