"""The facade: available, load (options, errors, cache) and catalog."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError, UnknownNameError


def test_available() -> None:
    assert fp.datasets.available() == ["adult", "compas", "genomes1000", "german", "hsb82", "star"]


def test_facade_exports() -> None:
    for name in ("load", "available", "from_frame", "split", "inject_bias", "catalog",
                 "Dataset", "DatasetSplit"):
        assert hasattr(fp.datasets, name)


def test_unknown_name_lists_the_datasets() -> None:
    with pytest.raises(UnknownNameError, match=r"'mnist'.*\['adult', 'compas', 'genomes1000'"):
        fp.datasets.load("mnist")


def test_unknown_option_names_it_and_the_allowed_ones() -> None:
    with pytest.raises(InvalidInputError, match=r"unknown option 'sensitve'.*'sensitive'"):
        fp.datasets.load("adult", sensitve="race")


def test_cache_returns_equal_independent_copies() -> None:
    from fairpool.datasets._loading import _load_cached

    first = fp.datasets.load("german", sensitive="sex")
    hits = _load_cached.cache_info().hits
    second = fp.datasets.load("german", sensitive="sex")
    assert _load_cached.cache_info().hits == hits + 1  # served from the cache, not re-read
    np.testing.assert_array_equal(first.X, second.X)
    first.X[0, 0] = -1.0
    assert fp.datasets.load("german", sensitive="sex").X[0, 0] != -1.0


def test_every_dataset_has_the_common_info(adult, compas_sex, genomes) -> None:
    for ds in (adult, compas_sex, genomes, fp.datasets.load("german")):
        for key in ("source", "licence", "sensitive", "sensitive_columns", "label"):
            assert key in ds.info, (ds.name, key)
        assert ds.info["task"] == "classification"
        assert isinstance(ds.info["sensitive"], list)
        assert set(ds.info["sensitive_columns"]) <= set(ds.feature_names)
        assert ds.n_groups >= 2


def test_catalog(adult) -> None:
    table = fp.datasets.catalog()
    assert list(table.columns) == ["name", "rows", "features", "sensitive", "label", "source",
                                   "licence"]
    assert table["name"].tolist() == fp.datasets.available()
    row = table.set_index("name").loc["adult"]
    assert row["rows"] == adult.n_samples and row["features"] == adult.n_features
    assert table.set_index("name").loc["compas", "rows"] == 5_278
    assert (table["licence"].str.len() > 0).all()


# -- raw tables --------------------------------------------------------------------------
def test_raw_adult_table_encodes_to_the_bundled_dataset():
    """The raw table is what load() encodes: from_frame on it gives load's arrays exactly."""
    raw = fp.datasets.raw_table("adult")
    assert raw.shape == (48842, 15) and set(raw["income"]) == {"<=50K", ">50K"}
    ds = fp.datasets.load("adult")
    mine = fp.datasets.from_frame(raw, target="income", sensitive="sex",
                                  sensitive_as_feature=True, positive=">50K")
    assert np.array_equal(mine.X, ds.X) and np.array_equal(mine.y, ds.y)
    assert mine.feature_names == ds.feature_names and mine.group_names == ds.group_names


def test_raw_tables_are_fresh_copies_and_genomes_is_refused():
    first = fp.datasets.raw_table("german")
    first["duration_months"] = -1
    assert fp.datasets.raw_table("german").shape == (1000, first.shape[1])
    assert not fp.datasets.raw_table("german").equals(first)
    assert len(fp.datasets.raw_table("compas")) == 7214
    with pytest.raises(UnknownNameError, match="not one raw table"):
        fp.datasets.raw_table("genomes1000")
    with pytest.raises(UnknownNameError, match="unknown dataset 'adults'"):
        fp.datasets.raw_table("adults")
