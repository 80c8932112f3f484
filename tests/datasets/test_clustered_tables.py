"""A user's clustered table: from_frame(..., clusters=), the task option, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    UnknownColumnError,
)


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame({
        "hospital": rng.choice(["north", "south", "east"], size=n),
        "sex": rng.choice(["F", "M"], size=n),
        "age": rng.integers(20, 80, size=n),
        "days": rng.integers(0, 30, size=n),   # an integer score: regression only by option
        "cost": rng.normal(1000, 200, size=n),  # a float score: regression by inference
    })


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_clusters_from_a_file(tmp_path, suffix) -> None:
    df = _table()
    path = tmp_path / f"stays.{suffix}"
    if suffix == "csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    read = fp.datasets.read_table(path)
    ds = fp.datasets.from_frame(read, target="cost", sensitive="sex", clusters="hospital",
                                drop=["days"])
    assert ds.task == "regression"
    assert ds.info["cluster_names"] == ["east", "north", "south"]  # sorted
    names = np.asarray(ds.info["cluster_names"])
    assert names[ds.clusters].tolist() == df["hospital"].tolist()
    assert ds.n_clusters == 3 and ds.info["clusters_column"] == "hospital"
    assert "hospital" not in " ".join(ds.feature_names)  # not a feature
    np.testing.assert_allclose(ds.y, df["cost"], rtol=1e-12)


def test_integer_score_needs_task_regression() -> None:
    df = _table()
    inferred = fp.datasets.from_frame(df, target="days", sensitive="sex", drop=["cost"])
    assert inferred.task == "classification"  # integer values read as classes
    ds = fp.datasets.from_frame(df, target="days", sensitive="sex", drop=["cost"],
                                task="regression", clusters="hospital")
    assert ds.task == "regression" and ds.y.dtype == np.float64
    np.testing.assert_array_equal(ds.y, df["days"].to_numpy(dtype=float))
    forced = fp.datasets.from_frame(df.assign(cost=df["cost"].round(-2)), target="cost",
                                    sensitive="sex", task="classification")
    assert forced.task == "classification"
    assert forced.info["classes"] == [str(v) for v in sorted(df["cost"].round(-2).unique())]


def test_non_numeric_score_for_regression_names_the_values() -> None:
    df = _table().astype({"days": object})
    df.loc[[3, 7], "days"] = "unknown"
    with pytest.raises(InvalidInputError, match=r"'days'.*2 value\(s\) are not numbers.*unknown"):
        fp.datasets.from_frame(df, target="days", sensitive="sex", task="regression")
    with pytest.raises(InvalidInputError, match="boolean"):
        fp.datasets.from_frame(df.assign(flag=df["age"] > 50), target="flag",
                               sensitive="sex", task="regression")
    with pytest.raises(InvalidInputError, match="positive"):
        fp.datasets.from_frame(_table(), target="cost", sensitive="sex",
                               task="regression", positive=1)
    with pytest.raises(InvalidInputError, match="task="):
        fp.datasets.from_frame(_table(), target="cost", sensitive="sex", task="ordinal")


def test_text_numbers_are_a_regression_target() -> None:
    df = _table().assign(days=lambda d: d["days"].astype(str))
    ds = fp.datasets.from_frame(df, target="days", sensitive="sex", task="regression")
    np.testing.assert_array_equal(ds.y, _table()["days"].to_numpy(dtype=float))


def test_task_survives_a_saved_encoder(tmp_path) -> None:
    df = _table()
    enc = fp.datasets.TableEncoder(target="days", sensitive="sex", clusters="hospital",
                                   task="regression").fit(df)
    again = fp.datasets.TableEncoder.load(enc.save(tmp_path / "schema.json"))
    assert again.task_ == "regression" and again.task == "regression"
    np.testing.assert_array_equal(again.transform(df).y, df["days"].to_numpy(dtype=float))
    np.testing.assert_array_equal(again.transform(df).clusters, enc.transform(df).clusters)


def test_unknown_cluster_column_lists_the_columns() -> None:
    with pytest.raises(UnknownColumnError, match=r"ward.*hospital"):
        fp.datasets.from_frame(_table(), target="cost", sensitive="sex", clusters="ward")


def test_nan_cluster_ids_name_the_column_and_count() -> None:
    df = _table()
    df.loc[[0, 5, 9], "hospital"] = np.nan
    with pytest.raises(MissingValueError, match=r"clusters column 'hospital' has 3 missing"):
        fp.datasets.from_frame(df, target="cost", sensitive="sex", clusters="hospital")
    # missing="drop" drops rows with missing *features* only; a cluster id is never guessed
    with pytest.raises(MissingValueError, match="hospital"):
        fp.datasets.from_frame(df, target="cost", sensitive="sex", clusters="hospital",
                               missing="drop")


def test_a_cluster_with_one_row_is_kept_and_counted() -> None:
    df = _table()
    df.loc[11, "hospital"] = "west"
    ds = fp.datasets.from_frame(df, target="cost", sensitive="sex", clusters="hospital")
    assert ds.info["singleton_clusters"] == 1
    west = ds.info["cluster_names"].index("west")
    assert (ds.clusters == west).sum() == 1 and ds.clusters[11] == west


def test_dataset_refuses_bad_cluster_codes() -> None:
    base = dict(X=np.zeros((4, 1)), y=np.array([0, 1, 0, 1]), groups=np.array([0, 0, 1, 1]),
                group_names=("a", "b"), feature_names=("x",))
    with pytest.raises(MissingValueError, match=r"clusters has 2 missing"):
        fp.datasets.Dataset(**base, clusters=np.array([0.0, np.nan, 1.0, np.nan]))
    with pytest.raises(InvalidInputError, match="integer codes"):
        fp.datasets.Dataset(**base, clusters=np.array(["a", "b", "a", "b"]))
    with pytest.raises(InvalidInputError, match="non-negative"):
        fp.datasets.Dataset(**base, clusters=np.array([0, -1, 0, 1]))
    with pytest.raises(LengthMismatchError, match="clusters"):
        fp.datasets.Dataset(**base, clusters=np.array([0, 1]))
    with pytest.raises(InvalidInputError, match="task"):
        fp.datasets.Dataset(**base, info={"task": "ranking"})
    ok = fp.datasets.Dataset(**base, clusters=np.array([0.0, 1.0, 1.0, 2.0]))
    assert ok.clusters.dtype == np.int64 and ok.n_clusters == 3
    assert fp.datasets.Dataset(**base).n_clusters is None


def test_task_is_inferred_without_info() -> None:
    base = dict(X=np.zeros((3, 1)), groups=np.zeros(3, dtype=int), group_names=("a",),
                feature_names=("x",))
    assert fp.datasets.Dataset(y=np.array([0.5, 1.0, 2.0]), **base).task == "regression"
    assert fp.datasets.Dataset(y=np.array([0.0, 1.0, 1.0]), **base).task == "classification"
    assert fp.datasets.Dataset(y=np.array([0, 1, 1]), **base).task == "classification"


def test_clusters_travel_with_subsets_and_splits() -> None:
    ds = fp.datasets.load("hsb82")
    parts = fp.datasets.split(ds, "random", seed=3, test_fraction=0.25, initial_size=50)
    seen = np.zeros(ds.n_samples, dtype=bool)
    for name in parts.names:
        part = parts[name]
        rows = parts.positions(name)
        np.testing.assert_array_equal(part.clusters, ds.clusters[rows])
        np.testing.assert_array_equal(part.y, ds.y[rows])
        assert part.info["cluster_names"] == ds.info["cluster_names"]
        assert part.task == "regression"
        seen[rows] = True
    assert seen.all()
    mask = ds.clusters == 0
    np.testing.assert_array_equal(ds.subset(mask).clusters, np.zeros(mask.sum()))
    sub = fp.datasets.subsample(ds, 100, seed=0)
    assert sub.clusters is not None and sub.clusters.shape == (100,)


def test_cluster_holdout_keeps_whole_clusters_out() -> None:
    ds = fp.datasets.load("hsb82", task="classification")
    parts = fp.datasets.split(ds, "cluster_holdout", seed=4, unseen_fraction=0.25,
                              test_fraction=0.2, initial_size=30)
    assert set(parts.names) >= {"unseen", "pool", "test", "initial"}
    unseen = set(ds.clusters[parts.positions("unseen")].tolist())
    assert len(unseen) == 40  # round(0.25 * 160)
    seen_rows = np.concatenate([parts.positions(p) for p in ("pool", "test", "initial")])
    assert not unseen & set(ds.clusters[seen_rows].tolist())
    # every row of an unseen cluster is in "unseen" (a brute-force check over the rows)
    in_unseen = set(parts.positions("unseen").tolist())
    assert all((i in in_unseen) == (c in unseen) for i, c in enumerate(ds.clusters.tolist()))
    assert len(in_unseen) + seen_rows.size == ds.n_samples
    assert parts.sizes["test"] == round(0.2 * seen_rows.size)
    again = fp.datasets.split(ds, "cluster_holdout", seed=4, unseen_fraction=0.25,
                              test_fraction=0.2, initial_size=30)
    np.testing.assert_array_equal(again.positions("unseen"), parts.positions("unseen"))
    # the active-learning loop runs on it: "unseen" is simply not used
    hist = fp.active.run(ds, "random", "logreg", budget=20, batch_size=10, split=parts,
                         metrics=["accuracy"])
    assert len(hist) == 3


def test_cluster_holdout_bad_input() -> None:
    plain = fp.datasets.load("hsb82", clusters=None)
    with pytest.raises(InvalidInputError, match="needs clusters"):
        fp.datasets.split(plain, "cluster_holdout")
    ds = fp.datasets.load("hsb82")
    with pytest.raises(InvalidInputError, match="holds out 0 of the 160"):
        fp.datasets.split(ds, "cluster_holdout", unseen_fraction=0.001)
    with pytest.raises(InvalidInputError, match="unseen_fraction"):
        fp.datasets.split(ds, "cluster_holdout", unseen_fraction=1.5)
    regression = fp.datasets.split(ds, "cluster_holdout", seed=0)  # strata: groups only
    assert regression.sizes["unseen"] > 0
