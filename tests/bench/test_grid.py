"""Grid expansion: the full product, in a stable order, keyed by what each cell computes."""

from __future__ import annotations

import itertools

from fairpool.bench import Cell, expand_grid, parse_config

from .fakes import SMALL_CONFIG

TWO_GRIDS = """
budget = 20
batch_size = 10
learners = ["logreg", {name = "logreg", C = 0.1}]
[[grid]]
label = "first"
datasets = ["toy", {name = "adult", sensitive = "race"}]
strategies = ["random", "entropy", "facagen"]
seeds = 3
[[grid]]
label = "second"
datasets = ["toy"]
strategies = ["random"]
seeds = [2, 7]
"""


def test_expansion_is_the_product_in_grid_dataset_learner_strategy_seed_order(registry):
    config = parse_config(TWO_GRIDS, registry=registry)
    cells = expand_grid(config)
    first = [c for c in cells if c.grid == "first"]
    expected = list(itertools.product(["toy", "adult"], ["logreg", "logreg(C=0.1)"],
                                      ["random", "entropy", "facagen"], [0, 1, 2]))
    assert [(c.dataset, c.learner_label, c.strategy, c.seed) for c in first] == expected
    # the second grid's (toy, logreg, random, seed 2) cell is the first grid's: kept once
    second = [(c.dataset, c.learner_label, c.strategy, c.seed) for c in cells if c.grid == "second"]
    assert second == [("toy", "logreg", "random", 7), ("toy", "logreg(C=0.1)", "random", 7)]
    assert len(cells) == 2 * 2 * 3 * 3 + 2
    assert len({c.key for c in cells}) == len(cells)


def test_cells_carry_every_option(registry):
    config = parse_config(TWO_GRIDS, registry=registry)
    cell = next(c for c in expand_grid(config) if c.dataset == "adult" and c.learner_options)
    assert cell.dataset_options == {"sensitive": "race"}
    assert cell.learner_options == {"C": 0.1}
    assert (cell.budget, cell.batch_size, cell.split, cell.initial) == (20, 10, "random", None)
    assert cell.describe() == "adult/logreg(C=0.1)/random/seed=0"


def test_a_strategy_batch_size_overrides_the_grid(registry):
    text = TWO_GRIDS.replace('strategies = ["random", "entropy", "facagen"]',
                             'strategies = ["random", {name = "facagen", batch_size = 20}]')
    cells = expand_grid(parse_config(text, registry=registry))
    sizes = {(c.strategy, c.batch_size) for c in cells if c.grid == "first"}
    assert sizes == {("random", 10), ("facagen", 20)}


def test_key_is_stable_and_ignores_labels(small_config, registry):
    keys = [c.key for c in expand_grid(small_config)]
    again = [c.key for c in expand_grid(parse_config(SMALL_CONFIG, registry=registry))]
    assert keys == again
    relabelled = SMALL_CONFIG.replace('tuner = "ucb" }', 'tuner = "ucb", label = "FACA" }')
    relabelled = relabelled.replace('label = "toy grid"', 'label = "renamed"')
    assert [c.key for c in expand_grid(parse_config(relabelled, registry=registry))] == keys


def _cell(**changes):
    base = dict(grid="g", dataset="toy", dataset_label="toy", dataset_options={},
                subsample=None, split="random", split_options={}, learner="logreg",
                learner_label="logreg", learner_options={}, strategy="random",
                strategy_label="random", strategy_params={}, seed=0, budget=20, batch_size=10)
    base.update(changes)
    return Cell(**base)


def test_key_changes_with_anything_the_cell_computes():
    base = _cell().key
    for change in [dict(seed=1), dict(budget=30), dict(batch_size=5), dict(subsample=50),
                   dict(initial=4), dict(split="panda"), dict(split_options={"test": 0.3}),
                   dict(dataset_options={"sensitive": "race"}), dict(learner_options={"C": 1}),
                   dict(strategy_params={"alpha": 0.5}), dict(strategy="entropy")]:
        assert _cell(**change).key != base, change
    # option order does not matter: the key hashes canonical JSON
    assert (_cell(strategy_params={"a": 1, "b": 2}).key
            == _cell(strategy_params={"b": 2, "a": 1}).key)
