"""Clustered datasets in the runner's grids: the dataset options carry the clusters."""

from __future__ import annotations

import numpy as np
import pytest

from fairpool.bench import check_datasets, expand_grid, load_cell_dataset, parse_config, run_cell
from fairpool.errors import InvalidInputError

CONFIG = """
title = "clustered"
datasets = [
    { name = "hsb82", task = "classification", sensitive = "minority" },
    { name = "adult", clusters = "occupation", sensitive = "marital_status" },
]
split = { name = "random", test_fraction = 0.3 }
learners = ["logreg"]
strategies = ["random"]
budget = 40
batch_size = 20
subsample = 900
seeds = 1
metrics = ["accuracy", "f1"]
"""


def test_a_grid_over_clustered_datasets_runs() -> None:
    config = parse_config(CONFIG)
    check_datasets(config)
    cells = expand_grid(config)
    assert [c.dataset for c in cells] == ["hsb82", "adult"]
    hsb = load_cell_dataset(cells[0])
    assert hsb.clusters is not None and hsb.task == "classification"
    adult = load_cell_dataset(cells[1])
    names = np.asarray(adult.info["cluster_names"])
    assert "Prof-specialty" in names[adult.clusters]
    result = run_cell(cells[0], metrics=["accuracy"])
    assert result.frame["n_labelled"].iloc[-1] - result.frame["n_labelled"].iloc[0] == 40


def test_a_bad_clusters_option_names_the_key() -> None:
    bad = parse_config(CONFIG.replace('clusters = "occupation"', 'clusters = "education"'))
    with pytest.raises(InvalidInputError, match=r"datasets\[1\].*clusters"):
        check_datasets(bad)
