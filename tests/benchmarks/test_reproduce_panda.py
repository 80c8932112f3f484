"""The pieces of benchmarks/reproduce_panda.py that are not Adult-sized.

The shared representation is checked against the policy's own encoder, the
summary against pandas' mean and sample standard deviation, and the policy files
against the names the script documents.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpool.active.strategies.panda import PandaStrategy
from fairpool.datasets import Dataset

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reproduce_panda.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("reproduce_panda", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


script = _load_script()


def _dataset(n: int = 300) -> Dataset:
    r = np.random.default_rng(0)
    g = r.integers(0, 2, n)
    X = np.c_[r.normal(size=n), g + 0.3 * r.normal(size=n), r.normal(size=n)]
    y = (X[:, 0] + 1.5 * g > 0.75).astype(int)
    return Dataset(X=X, y=y, groups=g, group_names=("a", "b"), feature_names=("x1", "x2", "x3"))


def test_policy_files_are_named_by_kind_seed_and_rho(tmp_path: Path) -> None:
    path = script.policy_file(tmp_path, "error_rate_balance", 3, 0.04)
    assert path == tmp_path / "panda_error_rate_balance_seed3_rho0.04.safetensors"


def test_panda_options_select_the_deployment_fraction() -> None:
    options = script.panda_options(60.0, 0.04, 12211, "error_rate_balance")
    config = PandaStrategy(**options).config
    assert config.constraint == "error_rate_balance" and config.max_seconds == 60.0
    assert config.episode_budget == round(400 * 1000 / 12211)  # 33 rows of 1,000
    assert config.context_size == 1000


def test_shared_representation_is_the_encoder_embedding() -> None:
    ds = _dataset()
    panda = PandaStrategy(**PandaStrategy.contract_test_options).fit(ds, np.random.default_rng(0))
    shared = script.shared_representation(ds, panda)
    np.testing.assert_allclose(shared.X, panda.representation(ds.X), rtol=1e-6)
    assert shared.X.shape == (ds.n_samples, panda.config.width)
    assert shared.feature_names == tuple(f"z{k}" for k in range(panda.config.width))
    np.testing.assert_array_equal(shared.y, ds.y)
    np.testing.assert_array_equal(shared.groups, ds.groups)


def test_summary_separates_the_shared_representation_rows(tmp_path: Path) -> None:
    final = pd.DataFrame({
        "strategy": ["random", "random", "panda", "panda", "random@repr"],
        "seed": [0, 1, 0, 1, 0],
        "f1": [0.5, 0.7, 0.4, 0.6, 0.9],
        "demographic_parity_to_overall": [0.2, 0.1, 0.05, 0.15, 0.3],
        "error_rate_balance": [0.1, 0.1, 0.1, 0.3, 0.2],
    })
    final.to_csv(tmp_path / "final.csv", index=False)
    text = script.summarise(tmp_path)
    main, shared = text.split("On PANDA's shared representation:")
    sd = pd.Series([0.5, 0.7]).std()  # sample sd, as the script reports
    assert f"| random | 2 | 0.600 ± {sd:.3f} |" in main
    assert "random@repr" not in main and "| random@repr | 1 | 0.900 | 0.300 |" in shared
    # sorted by F1, best first
    assert main.index("| random |") < main.index("| panda |")
    assert (tmp_path / "summary.md").read_text().startswith("| strategy |")
    # every disparity column names its reading (PANDA's Table 1)
    assert "| DP to overall (Table 1) | EB between groups (Table 1) |" in main


@pytest.mark.parametrize("kind", ["demographic_parity", "encoder"])
def test_train_panda_loads_a_saved_policy_instead_of_training(tmp_path: Path, kind: str) -> None:
    ds = _dataset()
    panda = PandaStrategy(**PandaStrategy.contract_test_options).fit(ds, np.random.default_rng(1))
    panda.save(script.policy_file(tmp_path, kind, 0, 0.04))
    args = type("Args", (), {"policy_dir": tmp_path, "out": tmp_path / "out", "rho": 0.04})()
    loaded = script.train_panda(ds, 0, args, kind)
    assert not (tmp_path / "out").exists()  # nothing trained, nothing written
    np.testing.assert_array_equal(loaded.representation(ds.X), panda.representation(ds.X))


def test_baselines_from_copies_that_seeds_adult_rounds(tmp_path: Path) -> None:
    source, out = tmp_path / "baselines", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    rows = []
    for dataset in ("adult", "compas"):
        for strategy in ("random", "fairlearn", "dfa2l"):
            for seed in (0, 1):
                for rnd in (0, 1):
                    rows.append({"dataset": dataset, "strategy": strategy, "seed": seed,
                                 "round": rnd, "n_labelled": 100 + 50 * rnd,
                                 "seconds_select": 0.1, "accuracy": 0.8,
                                 **{m: 0.01 * rnd + seed for m in script.METRICS}})
    pd.DataFrame(rows).to_csv(source / "curves.csv", index=False)
    found = script.baselines_from(source, 1, ["random", "fairlearn", "falcon"], out)
    assert found == ["fairlearn", "random"]  # falcon did not run there
    curves, final = pd.read_csv(out / "curves.csv"), pd.read_csv(out / "final.csv")
    assert len(curves) == 4 and set(curves["seed"]) == {1}
    assert final.set_index("strategy")["round"].to_dict() == {"fairlearn": 1, "random": 1}
    assert list(final.columns) == ["strategy", "seed", "round", "n_labelled",
                                   *script.METRICS, "seconds_select"]
