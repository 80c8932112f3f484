"""The PANDA strategy: registration, selection, persistence and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import fairpool as fp
from fairpool.active import LabelledSet, Pool, QueryState
from fairpool.active.strategies.panda import PandaStrategy
from fairpool.datasets import Dataset
from fairpool.errors import (
    BudgetError,
    InvalidInputError,
    LengthMismatchError,
    SingleGroupError,
)

FAST = dict(PandaStrategy.contract_test_options)


def _dataset(n: int = 400, seed: int = 0, n_groups: int = 2) -> Dataset:
    r = np.random.default_rng(seed)
    g = r.integers(0, n_groups, n)
    X = np.c_[r.normal(size=n), g + 0.3 * r.normal(size=n), r.normal(size=n)]
    y = (X[:, 0] + 1.5 * g + 0.5 * r.normal(size=n) > 0.75).astype(int)
    return Dataset(X=X, y=y, groups=g, group_names=tuple(f"g{k}" for k in range(n_groups)),
                   feature_names=("x1", "x2", "x3"))


def _state(ds: Dataset, n_labelled: int = 30) -> QueryState:
    lab = ds.subset(np.arange(n_labelled))
    pool = ds.subset(np.arange(n_labelled, ds.n_samples))
    return QueryState(
        model=None, labelled=LabelledSet(lab.X, lab.y, lab.groups),
        pool=Pool(pool.X, pool.groups), validation=LabelledSet(lab.X, lab.y, lab.groups),
        group_names=ds.group_names, feature_names=ds.feature_names, make_learner=lambda: None,
    )


@pytest.fixture(scope="module")
def trained() -> PandaStrategy:
    return PandaStrategy(**FAST).fit(_dataset(), np.random.default_rng(0))


def test_panda_is_registered_with_its_contract_flags() -> None:
    assert "panda" in fp.active.available_strategies()
    strategy = fp.active.make_strategy("panda", rho=0.1, budget=5, episode_pool_size=30)
    assert isinstance(strategy, PandaStrategy)
    assert strategy.requires_fit and strategy.needs_groups
    assert strategy.config.rho == 0.1
    assert "rho=0.1" in repr(strategy)


def test_deterministic_select_returns_the_top_k_policy_logits(trained: PandaStrategy) -> None:
    state = _state(_dataset(200, seed=1))
    trained.stochastic = False
    try:
        picks = trained.select(state, 7, np.random.default_rng(0))
        again = trained.select(state, 7, np.random.default_rng(99))
    finally:
        trained.stochastic = True
    assert picks.shape == (7,) and np.unique(picks).size == 7
    assert picks.min() >= 0 and picks.max() < len(state.pool)
    scores = trained.scores(state)
    np.testing.assert_array_equal(np.sort(picks), np.sort(np.argsort(-scores)[:7]))
    # deterministic mode ignores the rng (no exact ties among float logits)
    np.testing.assert_array_equal(np.sort(picks), np.sort(again))
    assert trained.last_info["seconds_forward"] >= 0


def test_stochastic_select_is_reproducible_under_a_seed(trained: PandaStrategy) -> None:
    state = _state(_dataset(200, seed=1))
    assert trained.stochastic  # the default: sample the batch as in meta-training
    a = trained.select(state, 7, np.random.default_rng(5))
    b = trained.select(state, 7, np.random.default_rng(5))
    c = trained.select(state, 7, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.sort(a), np.sort(c))


def test_selection_is_the_same_after_restandardising_the_pool(trained: PandaStrategy) -> None:
    # The loop hands over features already standardised on the labelled set;
    # PANDA re-standardises on the labelled set, which is then the identity.
    ds = _dataset(200, seed=2)
    raw = _state(ds)
    mean, std = raw.labelled.X.mean(0), raw.labelled.X.std(0)
    z = Dataset(X=(ds.X - mean) / std, y=ds.y, groups=ds.groups, group_names=ds.group_names,
                feature_names=ds.feature_names)
    np.testing.assert_allclose(trained.scores(_state(z)), trained.scores(raw), atol=1e-4)


def test_save_and_load_round_trip_gives_identical_selections(trained, tmp_path) -> None:
    path = trained.save(tmp_path / "panda.safetensors")
    loaded = PandaStrategy.load(path)
    assert loaded.config == trained.config
    state = _state(_dataset(200, seed=3))
    np.testing.assert_array_equal(
        loaded.select(state, 9, np.random.default_rng(0)),
        trained.select(state, 9, np.random.default_rng(0)),
    )
    np.testing.assert_array_equal(loaded.representation(state.pool.X),
                                  trained.representation(state.pool.X))
    # the file is plain safetensors: tensors only, config as JSON metadata
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        assert "config" in handle.metadata()


def test_load_refuses_files_that_are_not_panda_policies(tmp_path) -> None:
    with pytest.raises(InvalidInputError, match="no PANDA policy file"):
        PandaStrategy.load(tmp_path / "missing.safetensors")
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_bytes(b"not a safetensors file at all")
    with pytest.raises(InvalidInputError, match="not a PANDA"):
        PandaStrategy.load(bogus)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(other))
    with pytest.raises(InvalidInputError, match="not a PANDA policy"):
        PandaStrategy.load(other)


def test_representation_is_row_wise(trained: PandaStrategy) -> None:
    X = _dataset(50, seed=4).X
    full = trained.representation(X)
    assert full.shape == (50, trained.config.width) and full.dtype == np.float32
    np.testing.assert_allclose(trained.representation(X[10:20]), full[10:20], atol=1e-6)
    with pytest.raises(LengthMismatchError):
        trained.representation(X[:, :2])


def test_bad_input_raises_fairpool_errors(trained: PandaStrategy) -> None:
    state = _state(_dataset(60, seed=5))
    with pytest.raises(BudgetError, match="larger than the pool"):
        trained.select(state, len(state.pool) + 1, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="rho"):
        PandaStrategy(rho=0.0).select(state, 3, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="rho"):
        fp.active.make_strategy("panda", rho=0.0)
    with pytest.raises(InvalidInputError, match="unknown PANDA options"):
        PandaStrategy(colour="red").fit(_dataset(300), np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="fit"):
        PandaStrategy(**FAST).select(state, 3, np.random.default_rng(0))
    one_group = _dataset(300, n_groups=1)
    with pytest.raises(SingleGroupError):
        PandaStrategy(**FAST).fit(one_group, np.random.default_rng(0))
    three = _dataset(100, seed=6, n_groups=3)
    with pytest.raises(InvalidInputError, match="groups"):
        trained.select(_state(three), 3, np.random.default_rng(0))
    with pytest.raises(BudgetError, match="labelled rows"):
        PandaStrategy(**FAST).fit(_dataset(20), np.random.default_rng(0))


def test_fit_is_deterministic_under_a_seed() -> None:
    ds = _dataset()
    a = PandaStrategy(**FAST).fit(ds, np.random.default_rng(3))
    b = PandaStrategy(**FAST).fit(ds, np.random.default_rng(3))
    state = _state(_dataset(200, seed=7))
    np.testing.assert_array_equal(a.scores(state), b.scores(state))


def test_with_config_shares_the_policy_and_refuses_shape_changes(trained: PandaStrategy) -> None:
    twin = trained.with_config(budget=7)
    assert twin.policy_ is trained.policy_ and twin.config.budget == 7
    state = _state(_dataset(200, seed=1))
    np.testing.assert_array_equal(twin.scores(state), trained.scores(state))
    assert trained.with_config(attention_context="full").config.context_size is None
    assert trained.config.attention_context == "episode"  # the original is unchanged
    with pytest.raises(InvalidInputError, match="shape"):
        trained.with_config(width=64)
    with pytest.raises(InvalidInputError, match="unknown"):
        trained.with_config(colour="red")


def test_a_pool_larger_than_the_context_is_read_with_a_seeded_subsample(
    trained: PandaStrategy,
) -> None:
    state = _state(_dataset(200, seed=1))  # 170 pool rows; the context is 30 rows
    assert trained.config.context_size == 30
    a = trained.scores(state, rng=np.random.default_rng(1))
    b = trained.scores(state, rng=np.random.default_rng(1))
    c = trained.scores(state, rng=np.random.default_rng(2))
    full = trained.with_config(attention_context="full").scores(state)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.corrcoef(a, full)[0, 1] > 0.9


def _same_rounds(a, b) -> None:
    """Every round's metrics equal (the timing columns aside)."""
    keep = [c for c in a.frame.columns if "second" not in c]
    pd.testing.assert_frame_equal(a.frame[keep], b.frame[keep])


def test_run_loads_a_saved_policy_per_seed_instead_of_training(trained, tmp_path) -> None:
    ds = _dataset(600, seed=3)
    for seed in (0, 1):
        trained.save(tmp_path / f"policy_seed{seed}.safetensors")
    options = {"budget": 20, "batch_size": 20, "split": "random",
               "split_options": {"initial_size": 30}}
    for seed in (0, 1):
        # the reference: the same policy object, loaded by hand, given to the loop
        direct = fp.active.run(ds, PandaStrategy.load(tmp_path / f"policy_seed{seed}.safetensors"),
                               seed=seed, **options)
        by_file = fp.active.run(
            ds, "panda", seed=seed, **options,
            strategy_options={"policy_file": str(tmp_path / "policy_seed{seed}.safetensors")})
        _same_rounds(by_file, direct)
    deterministic = fp.active.run(
        ds, "panda", seed=0, **options,
        strategy_options={"policy_file": str(tmp_path / "policy_seed0.safetensors"),
                          "stochastic": False})
    loaded = PandaStrategy.load(tmp_path / "policy_seed0.safetensors").set_params(
        stochastic=False)
    _same_rounds(deterministic, fp.active.run(ds, loaded, seed=0, **options))


def test_policy_file_bad_uses_are_clear_errors(trained, tmp_path) -> None:
    ds = _dataset(600, seed=3)
    path = str(trained.save(tmp_path / "p.safetensors"))
    common = {"budget": 20, "batch_size": 20, "split": "random",
              "split_options": {"initial_size": 30}}
    with pytest.raises(InvalidInputError, match=r"rho=0.1 \(the file's: 0.04\)"):
        fp.active.run(ds, "panda", **common,
                      strategy_options={"policy_file": path, "rho": 0.1})
    # an option equal to the saved policy's setting is accepted
    fp.active.run(ds, "panda", **common,
                  strategy_options={"policy_file": path, "rho": trained.get_params()["rho"]})
    with pytest.raises(InvalidInputError, match="not 'entropy'"):
        fp.active.run(ds, "entropy", **common, strategy_options={"policy_file": path})
    with pytest.raises(InvalidInputError, match="no PANDA policy file"):
        fp.active.run(ds, "panda", **common,
                      strategy_options={"policy_file": str(tmp_path / "missing_{seed}.st")})
    with pytest.raises(InvalidInputError, match="only {seed}"):
        fp.active.run(ds, "panda", **common,
                      strategy_options={"policy_file": str(tmp_path / "{fold}.st")})
