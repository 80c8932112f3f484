"""Split schemes: exact sizes, disjoint parts, stratification, and bad options."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError, UnknownNameError


def _assert_disjoint_and_stratified(ds: fp.datasets.Dataset, parts: fp.datasets.DatasetSplit):
    joined = np.concatenate([parts.indices[k] for k in parts.indices])
    assert np.unique(joined).size == joined.size
    strata = ds.groups * 2 + ds.y
    for name, idx in parts.indices.items():
        share = idx.size / ds.n_samples
        for s in np.unique(strata):
            # each stratum is split in proportion: floor or ceiling of its share
            assert abs((strata[idx] == s).sum() - share * (strata == s).sum()) < 1 + 1e-9, name


def test_falcon_exact_counts_on_compas_with_sex(compas_sex) -> None:
    parts = fp.datasets.split(compas_sex, "falcon", seed=0)
    assert parts.sizes == {"initial": 294, "pool": 2_356, "test": 1_178, "validation": 294}
    assert parts.names == ("initial", "pool", "test", "validation")
    joined = np.concatenate(list(parts.indices.values()))
    assert np.unique(joined).size == 4_122


def test_falcon_other_sizes_use_the_same_proportions() -> None:
    german = fp.datasets.load("german")
    parts = fp.datasets.split(german, "falcon")
    assert parts.sizes == {"initial": 71, "pool": 572, "test": 286, "validation": 71}
    _assert_disjoint_and_stratified(german, parts)
    whole = fp.datasets.split(fp.datasets.load("compas", sensitive="sex"), "falcon", total="all")
    assert sum(whole.sizes.values()) == 6_172
    tiny = german.subset(np.arange(40))
    with pytest.raises(InvalidInputError, match="falcon scheme needs at least"):
        fp.datasets.split(tiny, "falcon")


def test_panda(adult) -> None:
    parts = fp.datasets.split(adult, "panda", seed=3)
    n = adult.n_samples
    assert parts.sizes["initial"] == 100
    assert parts.sizes["meta_train"] == n // 2 == parts.sizes["initial"] + parts.sizes["validation"]
    assert parts.sizes["pool"] + parts.sizes["test"] == n - n // 2
    assert abs(parts.sizes["pool"] - parts.sizes["test"]) <= 1
    assert set(parts.indices) == {"initial", "validation", "pool", "test"}
    _assert_disjoint_and_stratified(adult, parts)
    meta = parts["meta_train"]
    assert meta.n_samples == n // 2


def test_facagen(genomes) -> None:
    parts = fp.datasets.split(genomes, "facagen", seed=0)
    assert parts.sizes == {"initial": 50, "pool": 1_953, "test": 501, "train": 2_003}
    np.testing.assert_array_equal(
        parts.positions("train"), np.sort(np.r_[parts.indices["initial"], parts.indices["pool"]])
    )
    _assert_disjoint_and_stratified(genomes, parts)


def test_random_scheme(adult) -> None:
    parts = fp.datasets.split(
        adult, "random", test_fraction=0.25, validation_fraction=0.1, pool_fraction=0.5,
        initial_size=200, seed=1,
    )
    n = adult.n_samples
    assert parts.sizes == {"pool": round(n * 0.5), "test": round(n * 0.25),
                           "validation": round(n * 0.1), "initial": 200}
    _assert_disjoint_and_stratified(adult, parts)
    default = fp.datasets.split(adult, "random")
    assert set(default.names) == {"pool", "test"}
    assert default.sizes["pool"] + default.sizes["test"] == n


def test_getitem_is_the_subset_and_indices_are_read_only(compas_sex) -> None:
    parts = fp.datasets.split(compas_sex, "facagen", seed=2)
    test = parts["test"]
    np.testing.assert_array_equal(test.X, compas_sex.X[parts.indices["test"]])
    np.testing.assert_array_equal(test.y, compas_sex.y[parts.indices["test"]])
    assert parts.dataset is compas_sex
    with pytest.raises(ValueError):
        parts.indices["pool"][0] = 0
    with pytest.raises(UnknownNameError, match="'nope'.*'pool'"):
        parts["nope"]


def test_split_is_seeded(compas_sex) -> None:
    a = fp.datasets.split(compas_sex, "falcon", seed=4)
    b = fp.datasets.split(compas_sex, "falcon", seed=4)
    c = fp.datasets.split(compas_sex, "falcon", seed=5)
    for name in a.indices:
        np.testing.assert_array_equal(a.indices[name], b.indices[name])
    assert not np.array_equal(a.indices["initial"], c.indices["initial"])


def test_regression_targets_stratify_by_group() -> None:
    rng = np.random.default_rng(0)
    import pandas as pd

    df = pd.DataFrame({"x": rng.normal(size=200), "g": rng.choice(["a", "b"], 200),
                       "y": rng.normal(size=200)})
    ds = fp.datasets.from_frame(df, target="y", sensitive="g")
    parts = fp.datasets.split(ds, "random", test_fraction=0.3)
    assert parts.sizes == {"pool": 140, "test": 60}


@pytest.mark.parametrize(
    "scheme, options, match",
    [
        ("random", {"test_fraction": 0.6, "validation_fraction": 0.3, "pool_fraction": 0.2},
         "must be <= 1"),
        ("random", {"test_fraction": 1.5}, "test_fraction"),
        ("facagen", {"seed_size": 10_000}, "seed_size"),
        ("panda", {"initial_size": 2_000}, "initial_size"),
        ("panda", {"budget": 3}, r"unknown option 'budget'.*initial_size"),
        ("falcon", {"total": 10_000}, "total"),
    ],
)
def test_bad_options(compas_sex, scheme: str, options: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        fp.datasets.split(compas_sex.subset(np.arange(3_000)), scheme, **options)


def test_unknown_scheme(compas_sex) -> None:
    with pytest.raises(UnknownNameError, match="'kfold'.*'facagen', 'falcon', 'panda', 'random'"):
        fp.datasets.split(compas_sex, "kfold")
