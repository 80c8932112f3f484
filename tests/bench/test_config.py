"""Config validation: every key checked, errors name the key and the allowed values."""

from __future__ import annotations

import pytest

from fairpool.bench import (
    METRICS,
    bundled_configs,
    check_datasets,
    load_config,
    parse_config,
)
from fairpool.errors import FairpoolError, InvalidInputError, UnknownNameError

from .fakes import SMALL_CONFIG

GRID = """
datasets = ["toy"]
learners = ["logreg"]
strategies = ["random"]
budget = 20
batch_size = 10
"""


def test_small_config_parses_into_one_grid(small_config):
    (grid,) = small_config.grids
    assert small_config.title == "small"
    assert grid.label == "toy grid"
    assert [d.name for d in grid.datasets] == ["toy"]
    assert grid.split.name == "random"
    assert [s.label for s in grid.strategies] == ["random", "entropy", "facagen"]
    assert grid.strategies[2].options == {"tuner": "ucb"}
    # top-level keys are defaults each [[grid]] inherits
    assert (grid.budget, grid.batch_size, grid.seeds) == (30, 10, (0, 1))
    assert grid.metrics == METRICS
    assert grid.initial is None and grid.subsample is None


def test_file_without_grid_tables_is_one_grid(registry):
    config = parse_config('title = "t"\n' + GRID, registry=registry)
    assert len(config.grids) == 1
    assert config.grids[0].label == "t"
    assert config.grids[0].seeds == (0,)


def test_grid_overrides_top_level_defaults(registry):
    text = GRID + '\n[[grid]]\nlabel = "a"\n[[grid]]\nlabel = "b"\nbudget = 40\nseeds = 3\n'
    config = parse_config(text, registry=registry)
    assert [g.budget for g in config.grids] == [20, 40]
    assert config.grids[1].seeds == (0, 1, 2)


def test_strategies_may_be_written_as_array_of_tables(registry):
    text = (GRID.replace('strategies = ["random"]\n', "")
            + '[[grid]]\nlabel = "g"\n[[grid.strategies]]\nname = "random"\n'
            + '[[grid.strategies]]\nname = "facagen"\ntuner = "ppo"\nbatch_size = 5\n')
    strategies = parse_config(text, registry=registry).grids[0].strategies
    assert [(s.name, s.options, s.batch_size) for s in strategies] == [
        ("random", {}, None), ("facagen", {"tuner": "ppo"}, 5)]


def test_same_strategy_twice_is_told_apart_by_options(registry):
    text = GRID.replace('strategies = ["random"]', 'strategies = [{name="facagen", tuner="ucb"},'
                        ' {name="facagen", tuner="ppo"}, {name="facagen", label="mine"}]')
    labels = [s.label for s in parse_config(text, registry=registry).grids[0].strategies]
    assert labels == ["facagen(tuner=ucb)", "facagen(tuner=ppo)", "mine"]


def test_a_strategy_may_override_the_batch_size(registry):
    text = GRID.replace('strategies = ["random"]',
                        'strategies = ["random", {name = "facagen", batch_size = 20}]')
    random, facagen = parse_config(text, registry=registry).grids[0].strategies
    assert (random.batch_size, facagen.batch_size, facagen.options) == (None, 20, {})
    too_big = text.replace("batch_size = 20}", "batch_size = 21}")
    with pytest.raises(InvalidInputError, match=r"strategies\[1\]\.batch_size = 21 is larger"):
        parse_config(too_big, registry=registry)
    with pytest.raises(InvalidInputError, match=r"strategies\[1\]\.batch_size must be a positive"):
        parse_config(text.replace("batch_size = 20}", "batch_size = 0}"), registry=registry)


def test_config_hash_follows_the_text(registry):
    a = parse_config(GRID, registry=registry)
    b = parse_config(GRID + "\n# a comment\n", registry=registry)
    assert a.config_hash == parse_config(GRID, registry=registry).config_hash
    assert a.config_hash != b.config_hash


@pytest.mark.parametrize(
    ("edit", "error", "fragments"),
    [
        # unknown keys name the key, where it is, and the allowed keys
        (("", "colour = 1\n"), InvalidInputError, ["'colour'", "top level", "allowed keys",
                                                   "strategies"]),
        (("", '[[grid]]\nlabel = "g"\nbugdet = 3\n'), InvalidInputError,
         ["'bugdet'", "grid[0]", "budget"]),
        (('datasets = ["toy"]\n', ""), InvalidInputError, ["missing required key 'datasets'"]),
        (("budget = 20", "budget = 0"), InvalidInputError, ["budget", "positive integer", "0"]),
        (("budget = 20", 'budget = "20"'), InvalidInputError, ["budget", "'20'"]),
        (("budget = 20", "budget = true"), InvalidInputError, ["budget", "True"]),
        (("batch_size = 10", "batch_size = 50"), InvalidInputError,
         ["batch_size = 50", "budget = 20", "1 <= batch_size <= budget"]),
        (("", "seeds = []\n"), InvalidInputError, ["seeds", "non-empty list"]),
        (("", "seeds = [1, 1]\n"), InvalidInputError, ["seeds", "repeat"]),
        (("", "seeds = [0, -1]\n"), InvalidInputError, ["seeds[1]", "non-negative"]),
        (("", "seeds = 0\n"), InvalidInputError, ["seeds", "positive count"]),
        (("", 'metrics = ["f1", "auc"]\n'), UnknownNameError,
         ["metrics[1]", "'auc'", "demographic_parity", "ot_distance"]),
        (('datasets = ["toy"]', 'datasets = ["adlt"]'), UnknownNameError,
         ["datasets[0]", "'adlt'", "allowed values: adult, toy"]),
        (('strategies = ["random"]', 'strategies = ["random", "entropi"]'), UnknownNameError,
         ["strategies[1]", "'entropi'", "allowed values: broken, entropy, facagen, random"]),
        (('learners = ["logreg"]', 'learners = ["svm"]'), UnknownNameError,
         ["learners[0]", "'svm'", "logreg"]),
        (("", 'split = "kfold"\n'), UnknownNameError,
         ["split", "'kfold'", "facagen, falcon, panda, random"]),
        (('strategies = ["random"]', "strategies = [{tuner = 1}]"), InvalidInputError,
         ["strategies[0]", "'name'"]),
        (('strategies = ["random"]', "strategies = [3]"), InvalidInputError,
         ["strategies[0]", "strategy name or a table"]),
        (('strategies = ["random"]', "strategies = []"), InvalidInputError,
         ["strategies", "non-empty list"]),
        (('strategies = ["random"]', 'strategies = [{name = "random", alpha = 1}]'),
         InvalidInputError, ["strategies[0]", "bad options for strategy 'random'", "'alpha'"]),
        (('strategies = ["random"]', 'strategies = [{name = "facagen", tuner = "grid"}]'),
         InvalidInputError, ["strategies[0]", "tuner must be one of fixed, ucb, ppo"]),
        (('learners = ["logreg"]', 'learners = [{name = "logreg", depth = 3}]'),
         InvalidInputError, ["learners[0]", "bad options for learner 'logreg'"]),
        (('strategies = ["random"]', 'strategies = ["random", {name = "random"}]'),
         InvalidInputError, ["strategies[1]", "duplicate strategy 'random'", "label"]),
        (("", "subsample = 1\n"), InvalidInputError, ["subsample", "at least 2"]),
        (("", "subsample = 2.5\n"), InvalidInputError, ["subsample", "positive integer"]),
        (("", "initial = -3\n"), InvalidInputError, ["initial", "non-negative integer"]),
        (('datasets = ["toy"]', "datasets = [{name = \"toy\", when = 1979-05-27}]"),
         InvalidInputError, ["datasets[0].when", "string, number, boolean"]),
        (("", "title = 3\n"), InvalidInputError, ["title", "non-empty string"]),
        (("", "grid = 3\n"), InvalidInputError, ["grid", "array of tables"]),
        (("", "budget = = 3\n"), InvalidInputError, ["not valid TOML"]),
    ],
)
def test_each_bad_key_is_named(registry, edit, error, fragments):
    old, new = edit
    text = GRID.replace(old, new) if old else new + GRID
    with pytest.raises(error) as info:
        parse_config(text, source="exp.toml", registry=registry)
    message = str(info.value)
    assert message.startswith("exp.toml: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_duplicate_grid_labels_are_refused(registry):
    text = GRID + '[[grid]]\nlabel = "x"\n[[grid]]\nlabel = "x"\n'
    with pytest.raises(InvalidInputError, match="grid labels must be unique"):
        parse_config(text, registry=registry)


def test_unknown_key_inside_a_grid_table_names_its_position(registry):
    text = GRID + '[[grid]]\nlabel = "a"\n[[grid]]\nlabel = "b"\ntitle = "no"\n'
    with pytest.raises(InvalidInputError, match=r"'title' at grid\[1\]"):
        parse_config(text, registry=registry)


def test_check_datasets_loads_each_dataset_with_its_options(registry):
    good = parse_config(GRID.replace('["toy"]', '[{name="toy", sensitive="sex"}]'),
                        registry=registry)
    check_datasets(good, registry=registry)
    bad = parse_config(GRID.replace('["toy"]', '[{name="toy", colour="red"}]'),
                       source="e.toml", registry=registry)
    with pytest.raises(InvalidInputError, match=r"datasets\[0\]: bad options for dataset 'toy'"):
        check_datasets(bad, registry=registry)


def test_check_datasets_refuses_a_subsample_larger_than_the_data(registry):
    config = parse_config("subsample = 500\n" + GRID, registry=registry)
    with pytest.raises(InvalidInputError,
                       match="subsample = 500 exceeds the 100 rows of dataset 'toy'"):
        check_datasets(config, registry=registry)


def test_check_datasets_splits_each_dataset_with_the_split_options(registry):
    good = parse_config('split = {name = "random", test_fraction = 0.3}\n' + GRID,
                        registry=registry)
    check_datasets(good, registry=registry)
    bad = parse_config('split = {name = "random", test_size = 0.3}\n' + GRID,
                       source="e.toml", registry=registry)
    with pytest.raises(InvalidInputError,
                       match="e.toml: split: split 'random' of dataset 'toy' fails: .*test_size"):
        check_datasets(bad, registry=registry)


def test_load_config_reads_a_file_and_names_missing_ones(tmp_path, registry):
    path = tmp_path / "exp.toml"
    path.write_text(SMALL_CONFIG, encoding="utf-8")
    config = load_config(path, registry=registry)
    assert config.path == str(path) and config.source == SMALL_CONFIG
    with pytest.raises(InvalidInputError, match="neither a file nor a bundled config"):
        load_config(tmp_path / "missing.toml", registry=registry)


def test_default_config_is_bundled_and_explicit(registry):
    assert "default" in bundled_configs()
    names = {"genomes1000", "adult", "random", "entropy", "margin", "group_random", "fal_fast",
             "falcon", "facagen", "fairlearn", "panda", "xgboost", "logreg"}
    permissive = type(registry)(
        datasets=lambda: sorted(names), strategies=lambda: sorted(names),
        learners=lambda: sorted(names), build_strategy=lambda n, **o: None,
        build_learner=lambda n, **o: None, load_dataset=registry.load_dataset,
        split_dataset=registry.split_dataset,
    )
    config = load_config(None, registry=permissive)
    genomes, adult = config.grids
    assert genomes.datasets[0].name == "genomes1000"
    assert genomes.datasets[0].options == {"n_samples": 999}
    assert (genomes.split.name, [x.name for x in genomes.learners]) == ("facagen", ["xgboost"])
    assert [s.name for s in genomes.strategies] == ["random", "entropy", "fal_fast", "falcon",
                                                     "facagen"]
    assert genomes.strategies[-1].options == {"tuner": "ucb"}
    assert (adult.split.name, [x.name for x in adult.learners]) == ("panda", ["logreg"])
    assert [s.name for s in adult.strategies] == ["random", "entropy", "margin", "group_random",
                                                   "fal_fast", "fairlearn", "panda"]


def test_default_config_against_the_real_registries():
    """Loads when every strategy it names is registered; otherwise names the missing one."""
    from fairpool.active import available_strategies

    wanted = {"random", "entropy", "margin", "group_random", "fal_fast", "falcon", "facagen",
              "fairlearn", "panda"}
    missing = sorted(wanted - set(available_strategies()))
    if missing:
        with pytest.raises(UnknownNameError, match=f"unknown strategy {missing[0]!r}"):
            load_config("default")
    else:
        assert len(load_config("default").grids) == 2


def test_errors_are_fairpool_errors(registry):
    with pytest.raises(FairpoolError):
        parse_config("budget = 1", registry=registry)
