"""Small datasets and states shared by the active-learning tests."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from fairpool.datasets import Dataset


def make_dataset(n: int = 300, *, seed: int = 0, n_features: int = 6) -> Dataset:
    """Binary task with two groups; the group shifts feature 0 and the base rate."""
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=4,
        n_redundant=0,
        weights=[0.6, 0.4],
        flip_y=0.05,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    groups = (rng.random(n) < 0.35 + 0.3 * y).astype(np.int64)
    X[:, 0] += 0.8 * groups
    return Dataset(
        X=X.astype(np.float32),
        y=y,
        groups=groups,
        group_names=("female", "male"),
        feature_names=tuple(f"f{j}" for j in range(n_features)),
        name="synthetic",
        info={"sensitive": ["sex"]},
    )


def split_dict(ds: Dataset, *, n_test: int, n_validation: int, n_initial: int, seed: int = 0):
    """Random split into test / validation / initial / pool (dataset positions)."""
    perm = np.random.default_rng(seed).permutation(ds.n_samples)
    test = perm[:n_test]
    validation = perm[n_test : n_test + n_validation]
    rest = perm[n_test + n_validation :]
    initial = rest[:n_initial]
    return {"test": test, "validation": validation, "initial": initial, "pool": rest}


@pytest.fixture(scope="session")
def small_dataset() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="session")
def dataset_factory():
    """``make_dataset`` for tests that need their own size or seed."""
    return make_dataset


@pytest.fixture(scope="session")
def split_factory():
    """``split_dict`` for tests that need an explicit split."""
    return split_dict
