"""TableEncoder: one fitted schema for the labelled table, the pool and every later table.

The encodings of the bundled datasets and of from_frame are checked against checksums
recorded from the encoder they replaced (fairpool before issue 12), so `fairpool run`
sees the same arrays; the rest checks the schema's promises: same columns for tables
with different category subsets, pools without a target, unseen values reported or
refused, stable ids, and a JSON round trip that encodes bit for bit as the original.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import fairpool as fp
from fairpool.datasets import EncodedTable, TableEncoder
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
)


# -- the encodings the old encoder gave ------------------------------------------------
def _digest(ds: fp.datasets.Dataset) -> str:
    """SHA-256 of a Dataset's arrays (dtype, shape, bytes), names and info."""
    h = hashlib.sha256()
    for arr in (ds.X, ds.y, ds.groups, ds.clusters, ds.y_true):
        if arr is None:
            h.update(b"none")
        else:
            a = np.ascontiguousarray(arr)
            h.update(f"{a.dtype}{a.shape}".encode())
            h.update(a.tobytes())
    h.update(json.dumps([list(ds.feature_names), list(ds.group_names), ds.name]).encode())
    h.update(json.dumps(dict(ds.info), sort_keys=True, default=repr).encode())
    return h.hexdigest()[:24]


# Recorded with the hand-written encode_frame that TableEncoder replaced (commit 7b1b791),
# on x86-64 Linux with numpy 2.2: every option the bundled configs and examples use
# (adult and genomes1000 n_samples=999 are `fairpool run`'s), and the other options.
OLD_BUNDLED = {
    ("adult", "{}"): "894d53dddd4823578c37447d",
    ("adult", '{"sensitive": ["sex", "race"]}'): "aa239496026dd4a7a20dee56",
    ("adult", '{"sensitive": "age", "standardize": true}'): "9d1596d90110a295d74ee241",
    ("adult", '{"sensitive": "race", "sensitive_as_feature": false}'):
        "567156475ce4aa98b6e8d7bd",
    ("compas", "{}"): "84061d6a2dd542fabc15c1d7",
    ("compas", '{"sensitive": "sex"}'): "5307da45a94293b79576c275",
    ("compas", '{"include_scores": true, "races": "all", "sensitive": ["race", "sex"]}'):
        "b8d0dfa10694e16537a36cdd",
    ("compas", '{"sensitive_as_feature": false, "standardize": true}'):
        "4b3dc7f463074c872f29b592",
    ("german", "{}"): "519c57d8c5f596e56233368a",
    ("german", '{"sensitive": "sex"}'): "13cf0b1f2f053cfee0810ed6",
    ("german", '{"sensitive": ["age", "sex"], "sensitive_as_feature": false, '
               '"standardize": true}'): "d8a248b06753ef93f145e7c6",
    ("genomes1000", '{"n_samples": 999}'): "d6c89741b1acded9904a67bf",
    ("genomes1000", "{}"): "04c0e879f1445cc5ff6d696f",
    ("genomes1000", '{"ancestry_features": false, "panel": "both", "sensitive": "binary"}'):
        "6e0d23ae7ec3b7c76c470db0",
}

OLD_USER = {
    "plain": "3b8baed91ae63197835016bf",
    "intersectional": "fb851ad5e19fd3bcb40c243c",
    "standardized": "dc4a8de241bfaaa0134856e9",
    "positive": "477f78055cf764a9eccd9db7",
    "regression": "1503055ca6ad97b942f6bdaa",
    "multiclass": "a7719db6a86f569795d1704b",
    "single_class": "4a0fac4b3ba35ecfcb1abde5",
    "missing_drop": "003b7dd5d05feb081bca98e4",
}


def _user_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({
        "age": rng.integers(18, 80, n), "income": rng.normal(50.0, 10.0, n),
        "job": rng.choice(["clerk", "admin", "nurse"], n), "sex": rng.choice(["F", "M"], n),
        "race": rng.choice(["A", "B", "C"], n), "smoker": rng.choice([True, False], n),
        "grade": pd.Categorical(rng.choice(["lo", "mid", "hi"], n),
                                categories=["hi", "lo", "mid", "unused"]),
        "mixed": pd.Series([1, "a", 2.5, "b"] * (n // 4), dtype=object),
        "outcome": rng.choice(["no", "yes"], n),
    })


def _user_cases() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    t = _user_table()
    holes = t.astype({"income": float})
    holes.loc[[3, 7, 9], "income"] = np.nan
    return {
        "plain": (t, dict(target="outcome", sensitive="sex")),
        "intersectional": (t, dict(target="outcome", sensitive=["race", "sex"],
                                   sensitive_as_feature=True)),
        "standardized": (t, dict(target="outcome", sensitive="sex", categorical=["age"],
                                 standardize=True, drop=["job"])),
        "positive": (t, dict(target="outcome", sensitive="race", positive="no")),
        "regression": (t, dict(target="income", sensitive="sex", drop=["outcome"],
                               standardize=True)),
        "multiclass": (t, dict(target="job", sensitive=["grade", "sex"], drop=["outcome"])),
        "single_class": (t.assign(outcome=1), dict(target="outcome", sensitive="sex")),
        "missing_drop": (holes, dict(target="outcome", sensitive="mixed", missing="drop",
                                     standardize=True)),
    }


@pytest.mark.parametrize("name, options", sorted(OLD_BUNDLED), ids=lambda v: str(v))
def test_bundled_encodings_are_those_of_the_old_encoder(name: str, options: str) -> None:
    ds = fp.datasets.load(name, **json.loads(options))
    assert _digest(ds) == OLD_BUNDLED[(name, options)], (
        f"load({name!r}, **{options}) no longer encodes as before (X, y, groups, names or "
        "info changed); `fairpool run` would give different results"
    )


@pytest.mark.parametrize("case", sorted(OLD_USER))
def test_from_frame_encodings_are_those_of_the_old_encoder(case: str) -> None:
    table, kwargs = _user_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = fp.datasets.from_frame(table, **kwargs)
    assert _digest(ds) == OLD_USER[case]


def test_from_frame_is_fit_then_to_dataset() -> None:
    table, kwargs = _user_cases()["intersectional"]
    a = fp.datasets.from_frame(table, **kwargs, name="t")
    b = TableEncoder(**kwargs).fit(table).to_dataset(table, name="t")
    assert _digest(a) == _digest(b)


# -- a labelled table and a pool ---------------------------------------------------------
@pytest.fixture
def labelled() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [23, 35, 47, 51, 62, 29],
        "job": ["clerk", "nurse", "clerk", "nurse", "clerk", "nurse"],
        "sex": ["F", "M", "F", "M", "M", "F"],
        "y": ["no", "yes", "yes", "no", "yes", "no"],
    })


@pytest.fixture
def pool() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [31, 44, 58, 19],
        "job": ["admin", "nurse", "admin", "driver"],
        "sex": ["F", "F", "M", "M"],
    })


def test_labelled_and_pool_encode_into_the_same_columns(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    assert enc.feature_names_ == ("age", "job=admin", "job=clerk", "job=driver", "job=nurse")
    a, b = enc.transform(labelled), enc.transform(pool)
    assert a.feature_names == b.feature_names == enc.feature_names_
    assert a.group_names == b.group_names == ("F", "M")
    assert a.X.shape == (6, 5) and b.X.shape == (4, 5)
    assert a.y.tolist() == [0, 1, 1, 0, 1, 0] and b.y is None
    assert b.groups.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(b.X[:, 1:], [[1, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0],
                                               [0, 0, 1, 0]])
    assert b.unseen == {}


@pytest.mark.parametrize("standardize", [False, True])
def test_labelled_and_pool_encode_as_the_two_tables_concatenated(labelled, pool,
                                                                 standardize) -> None:
    # fit(labelled, also=[pool]) is the encoding of both tables at once (what
    # fp.active.run sees), bit for bit, standardisation included
    enc = TableEncoder(target="y", sensitive="sex", positive="yes", standardize=standardize)
    enc.fit(labelled, also=[pool])
    both = pd.concat([labelled, pool.assign(y="no")], ignore_index=True)
    ref = fp.datasets.from_frame(both, target="y", sensitive="sex", positive="yes",
                                 standardize=standardize)
    X = np.vstack([enc.transform(labelled).X, enc.transform(pool).X])
    assert X.tobytes() == ref.X.tobytes() and enc.feature_names_ == ref.feature_names
    groups = np.concatenate([enc.transform(labelled).groups, enc.transform(pool).groups])
    np.testing.assert_array_equal(groups, ref.groups)


def test_without_also_the_pool_categories_are_unseen(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled)
    assert enc.feature_names_ == ("age", "job=clerk", "job=nurse")
    with pytest.warns(UserWarning, match=r"'job': 'admin' \(2 rows\), 'driver' \(1 row\)"):
        encoded = enc.transform(pool)
    assert encoded.unseen == {"job": [("admin", 2), ("driver", 1)]}
    # OneHotEncoder(handle_unknown="ignore"): the unseen rows' job block is zero
    np.testing.assert_array_equal(encoded.X[:, 1:], [[0, 0], [0, 1], [0, 0], [0, 0]])
    np.testing.assert_array_equal(encoded.X[:, 0], pool["age"])


def test_a_pool_with_an_empty_target_column_is_unlabelled(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    assert enc.transform(pool.assign(y=np.nan)).y is None
    assert enc.transform(pool.assign(y=None)).y is None
    partly = pool.assign(y=["yes", None, None, "no"])
    with pytest.raises(MissingValueError, match=r"target column 'y' has 2 missing"):
        enc.transform(partly)
    with pytest.raises(UnknownColumnError, match=r"lacks the column\(s\) \['y'\]"):
        enc.to_dataset(pool)
    with pytest.raises(MissingValueError, match=r"target column 'y' has 4 missing"):
        enc.to_dataset(pool.assign(y=np.nan))
    # the pool's target column, even filled, is never read by fit
    fitted = TableEncoder(target="y", sensitive="sex", positive="yes")
    fitted.fit(labelled, also=[pool.assign(y="maybe")])
    assert fitted.classes_ == ["no", "yes"]


def test_an_unseen_group_is_refused(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    other = pool.assign(sex=["F", "X", "X", "Y"])
    with pytest.raises(InvalidInputError, match=r"'sex' holds value\(s\) not seen at fit: "
                                                r"'X' \(2 rows\), 'Y' \(1 row\)"):
        enc.transform(other)
    # a combination of seen values that was never observed is a new group too
    two = TableEncoder(target="y", sensitive=["sex", "job"], positive="yes").fit(labelled)
    assert two.group_names_ == ("F|clerk", "F|nurse", "M|clerk", "M|nurse")
    tiny = labelled.iloc[[0, 1]]
    one = TableEncoder(target="y", sensitive=["sex", "job"], positive="yes").fit(tiny)
    assert one.group_names_ == ("F|clerk", "M|nurse")
    with pytest.raises(InvalidInputError, match=r"group\(s\) not seen at fit: 'F\|nurse'"):
        one.transform(labelled)


def test_target_values_outside_the_classes_are_refused(labelled) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled)
    bad = labelled.assign(y=["no", "maybe", "yes", "perhaps", "maybe", "no"])
    with pytest.raises(InvalidInputError, match=r"outside the fitted classes \['no', 'yes'\]: "
                                                r"'maybe' \(2 rows\), 'perhaps' \(1 row\)"):
        enc.transform(bad)
    multi = labelled.assign(y=["a", "b", "c", "a", "b", "c"])
    enc = TableEncoder(target="y", sensitive="sex").fit(multi)
    assert enc.classes_ == ["a", "b", "c"]
    assert enc.transform(multi.iloc[::-1]).y.tolist() == [2, 1, 0, 2, 1, 0]
    with pytest.raises(InvalidInputError, match="'d'"):
        enc.transform(multi.assign(y="d"))


def test_labels_read_as_text_match_their_classes(labelled) -> None:
    coded = labelled.assign(y=(labelled["y"] == "yes").astype(int))
    enc = TableEncoder(target="y", sensitive="sex").fit(coded)
    assert enc.classes_ == ["0", "1"]
    as_text = coded.assign(y=coded["y"].astype(str).astype(object))
    assert enc.transform(as_text).y.tolist() == coded["y"].tolist()
    with pytest.raises(InvalidInputError, match=r"'2' \(1 row\)"):
        enc.transform(as_text.assign(y=["0", "1", "2", "1", "0", "1"]))


def test_regression_target_codes_any_number(labelled) -> None:
    table = labelled.assign(y=[0.5, 1.5, 2.5, 3.0, 4.25, 5.0])
    enc = TableEncoder(target="y", sensitive="sex").fit(table)
    assert enc.task_ == "regression" and enc.classes_ == []
    assert enc.transform(table.assign(y=99.5)).y.tolist() == [99.5] * 6


# -- ids ---------------------------------------------------------------------------------
def test_ids_from_the_id_column(labelled) -> None:
    table = labelled.assign(rid=[17, 3, 5, 8, 13, 21])
    enc = TableEncoder(target="y", sensitive="sex", positive="yes", id="rid").fit(table)
    assert "rid" not in enc.feature_names_
    assert enc.transform(table).ids.tolist() == ["17", "3", "5", "8", "13", "21"]
    # a file read as float (a missing value elsewhere) gives the same ids
    assert enc.transform(table.astype({"rid": float})).ids.tolist()[0] == "17"
    with pytest.raises(InvalidInputError, match=r"repeated id\(s\): \['3'\]"):
        enc.transform(table.assign(rid=[3, 3, 5, 8, 13, 21]))
    holes = table.astype({"rid": float})
    holes.loc[2, "rid"] = np.nan
    with pytest.raises(MissingValueError, match="id column 'rid' has 1 missing"):
        enc.transform(holes)
    with pytest.raises(UnknownColumnError, match="id column 'nope' is not in the table"):
        TableEncoder(target="y", sensitive="sex", id="nope").fit(table)


# The hash of the first row of the labelled fixture: SHA-256 of "23\x1fclerk\x1fF".
FIRST_ROW_HASH = hashlib.sha256(b"23\x1fclerk\x1fF").hexdigest()


def test_row_hashes_are_stable(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    ids = enc.transform(labelled).ids
    assert ids[0] == FIRST_ROW_HASH == (
        "dc5082a0435fe6579ce6d2abdede9af27744240a08a45b69c6e111f87879c484"
    )
    assert len(set(ids)) == len(ids)
    # not the row's position, the column order, the dtype nor the target change it
    shuffled = labelled.iloc[::-1][["y", "sex", "job", "age"]]
    assert enc.transform(shuffled).ids.tolist() == ids[::-1].tolist()
    assert enc.transform(labelled.astype({"age": float})).ids.tolist() == ids.tolist()
    assert enc.transform(labelled.drop(columns="y")).ids.tolist() == ids.tolist()
    assert enc.transform(labelled.assign(note="x")).ids.tolist() == ids.tolist()
    # identical rows get distinct ids
    twice = pd.concat([labelled.iloc[[0]], labelled.iloc[[0]], labelled.iloc[[0]]])
    assert enc.transform(twice).ids.tolist() == [ids[0], ids[0] + "-1", ids[0] + "-2"]
    assert enc.transform(pool, ids=False).ids is None


def test_missing_drop_keeps_the_ids_of_the_kept_rows(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes", missing="drop")
    enc.fit(labelled, also=[pool])
    full = enc.transform(pool)
    holes = pool.astype({"age": float})
    holes.loc[[1, 3], "age"] = np.nan
    encoded = enc.transform(holes)
    assert encoded.rows.tolist() == [0, 2] and encoded.n_dropped == 2
    assert encoded.ids.tolist() == [full.ids[0], full.ids[2]]
    np.testing.assert_array_equal(encoded.X, full.X[[0, 2]])
    nothing = enc.transform(holes.assign(age=np.nan))  # a pool of unusable rows: empty
    assert len(nothing) == 0 and nothing.n_dropped == 4 and nothing.rows.tolist() == []
    strict = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled)
    with pytest.raises(MissingValueError, match=r"feature column 'age' has 2 missing"):
        strict.transform(holes)
    with pytest.raises(MissingValueError, match=r"'age' of also\[0\] has 2 missing"):
        TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[holes])


# -- saving ------------------------------------------------------------------------------
@pytest.mark.parametrize("standardize", [False, True])
def test_save_and_load_encode_bit_for_bit(tmp_path, standardize) -> None:
    table, _ = _user_cases()["plain"]
    table = table.assign(rid=np.arange(len(table)), site=np.arange(len(table)) % 7)
    enc = TableEncoder(
        target="outcome", sensitive=["race", "sex"], id="rid", clusters="site",
        sensitive_as_feature=True, categorical=["age"], standardize=standardize,
        drop=["mixed"],
    ).fit(table.iloc[:150], also=[table.iloc[150:].drop(columns="outcome")])
    path = enc.save(tmp_path / "schema.json")
    saved = json.loads(path.read_text())  # plain JSON: no pickle anywhere
    assert saved["format"] == "fairpool.datasets.TableEncoder"
    assert saved["fairpool_version"] == fp.__version__
    loaded = TableEncoder.load(path)
    assert loaded.to_dict() == enc.to_dict() == saved
    assert loaded.get_params() == enc.get_params() | {"categorical": ["age"],
                                                      "sensitive": ["race", "sex"]}
    for rows in (slice(0, 150), slice(150, None)):
        a, b = enc.transform(table.iloc[rows]), loaded.transform(table.iloc[rows])
        assert a.X.tobytes() == b.X.tobytes()
        for field in ("groups", "y", "ids", "clusters", "rows"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert _digest(enc.to_dataset(table)) == _digest(loaded.to_dataset(table))
    assert enc.to_dataset(table).clusters.tolist() == (table["site"]).tolist()


def test_a_saved_schema_is_checked(tmp_path, labelled) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled)
    d = enc.to_dict()
    with pytest.raises(InvalidInputError, match="not a saved TableEncoder"):
        TableEncoder.from_dict({"x": 1})
    with pytest.raises(InvalidInputError, match="format version 99"):
        TableEncoder.from_dict({**d, "format_version": 99})
    with pytest.raises(InvalidInputError, match="inconsistent"):
        TableEncoder.from_dict({**d, "feature_names": ["x"]})
    dates = labelled.assign(when=pd.Categorical([pd.Timestamp("2020-01-01")] * 6))
    with pytest.raises(InvalidInputError, match="cannot hold"):
        TableEncoder(target="y", sensitive="sex", positive="yes").fit(dates).to_dict()


def test_typed_values_survive_the_round_trip(labelled) -> None:
    # int, float and bool categories, a mixed column ordered by text, a numeric group
    table = labelled.assign(
        level=[1, 2, 3, 1, 2, 3], ratio=[0.5, 0.25, 0.5, 0.25, 0.5, 0.5],
        flag=[True, False, True, True, False, False],
        mixed=pd.Series([1, "a", 2.5, 1, "a", 2.5], dtype=object), band=[10, 20, 10, 20, 10, 20],
    )
    enc = TableEncoder(target="y", sensitive=["sex", "band"], positive="yes",
                       categorical=["level", "ratio"]).fit(table)
    loaded = TableEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert loaded.categories_ == enc.categories_
    assert enc.categories_["mixed"] == [1, 2.5, "a"]  # pandas orders numbers first
    assert enc.group_names_ == ("F|10", "F|20", "M|10", "M|20")
    a, b = enc.transform(table), loaded.transform(table)
    assert a.X.tobytes() == b.X.tobytes() and a.groups.tolist() == b.groups.tolist()
    assert a.unseen == b.unseen == {}


# -- the rules, against pandas -------------------------------------------------------------
def test_encoding_matches_get_dummies_on_the_union_vocabulary() -> None:
    rng = np.random.default_rng(1)
    labelled = pd.DataFrame({
        "x": rng.normal(size=30), "color": rng.choice(["red", "blue"], 30),
        "size": rng.choice([1, 2, 3], 30), "sex": rng.choice(["F", "M"], 30),
        "y": rng.choice([0, 1], 30),
    })
    pool = pd.DataFrame({
        "x": rng.normal(size=20), "color": rng.choice(["green", "red"], 20),
        "size": rng.choice([3, 4], 20), "sex": rng.choice(["F", "M"], 20),
    })
    enc = TableEncoder(target="y", sensitive="sex", categorical=["size"])
    enc.fit(labelled, also=[pool])
    both = pd.concat([labelled.drop(columns="y"), pool], ignore_index=True)
    reference = pd.get_dummies(both.drop(columns="sex"), columns=["color", "size"],
                               prefix_sep="=", dtype=np.float32)
    assert enc.feature_names_ == tuple(reference.columns)
    X = np.vstack([enc.transform(labelled).X, enc.transform(pool).X])
    np.testing.assert_array_equal(X, reference.to_numpy(dtype=np.float32))


def test_polars_and_pyarrow_tables(labelled, pool) -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    ref = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    for convert in (pl.from_pandas, lambda t: pa.Table.from_pandas(t, preserve_index=False)):
        enc = TableEncoder(target="y", sensitive="sex", positive="yes")
        enc.fit(convert(labelled), also=[convert(pool)])
        assert enc.to_dict() == ref.to_dict()
        ours, theirs = enc.transform(convert(pool)), ref.transform(pool)
        assert ours.X.tobytes() == theirs.X.tobytes()
        assert ours.ids.tolist() == theirs.ids.tolist()
        assert enc.transform(convert(labelled)).y.tolist() == ref.transform(labelled).y.tolist()


def test_no_encoding_holds_a_signed_zero(labelled) -> None:
    # the sparse stacking of one-hot blocks drops the sign of a zero; numeric columns
    # are unsigned first, so a table encodes alike with and without one-hot columns
    table = labelled.assign(age=[-0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    for frame in (table, table.drop(columns="job")):
        X = TableEncoder(target="y", sensitive="sex", positive="yes").fit_transform(frame).X
        assert not np.signbit(X[X == 0]).any()


def test_a_categorical_dtype_keeps_its_order(labelled) -> None:
    table = labelled.assign(level=pd.Categorical(["hi", "lo", "hi", "mid", "lo", "hi"],
                                                 categories=["lo", "mid", "hi", "unused"]))
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(table)
    assert [n for n in enc.feature_names_ if n.startswith("level")] == [
        "level=lo", "level=mid", "level=hi"]
    # a later table read from a file (plain strings) matches by value
    encoded = enc.transform(table.astype({"level": str}))
    assert encoded.X.tobytes() == enc.transform(table).X.tobytes()


# -- arguments ---------------------------------------------------------------------------
def test_parameters_are_stored_unchanged_and_checked_by_fit(labelled) -> None:
    enc = TableEncoder(target="y", sensitive=("sex",), drop=("job",), missing="mean")
    assert enc.sensitive == ("sex",) and enc.drop == ("job",) and enc.missing == "mean"
    assert clone(enc).get_params() == enc.get_params()
    with pytest.raises(InvalidInputError, match="missing must be"):
        enc.fit(labelled)
    with pytest.raises(InvalidInputError, match="not fitted"):
        TableEncoder(target="y", sensitive="sex").transform(labelled)


@pytest.mark.parametrize("argument", ["target", "sensitive", "categorical", "drop", "id",
                                      "clusters"])
def test_unknown_columns_are_named_with_the_columns(labelled, argument) -> None:
    kwargs = {"target": "y", "sensitive": "sex", argument: "nope"}
    with pytest.raises(UnknownColumnError, match=r"'nope' is not in the table.*'age'"):
        TableEncoder(**kwargs).fit(labelled)


def test_bad_tables_and_roles(labelled, pool) -> None:
    kw = dict(target="y", sensitive="sex", positive="yes")
    with pytest.raises(EmptyInputError):
        TableEncoder(**kw).fit(labelled.iloc[:0])
    with pytest.raises(InvalidInputError, match="both the target and sensitive"):
        TableEncoder(target="y", sensitive=["sex", "y"]).fit(labelled)
    with pytest.raises(InvalidInputError, match="duplicate column names"):
        TableEncoder(**kw).fit(pd.concat([labelled, labelled[["age"]]], axis=1))
    with pytest.raises(InvalidInputError, match="cannot be the id column"):
        TableEncoder(**kw, id="sex").fit(labelled)
    with pytest.raises(UnknownColumnError, match=r"also\[0\] lacks the column\(s\) \['job'\]"):
        TableEncoder(**kw).fit(labelled, also=[pool.drop(columns="job")])
    with pytest.raises(MissingValueError, match=r"'sex' of also\[0\] has 1 missing"):
        TableEncoder(**kw).fit(labelled, also=[pool.assign(sex=["F", None, "M", "M"])])
    enc = TableEncoder(**kw).fit(labelled)
    with pytest.raises(InvalidInputError, match="not numbers"):
        enc.transform(labelled.assign(age="old"))
    with pytest.raises(InvalidInputError, match="pandas or polars DataFrame"):
        enc.transform(labelled.to_numpy())


def test_a_schema_without_a_target(labelled, pool) -> None:
    enc = TableEncoder(sensitive="sex").fit(pool, also=[labelled])
    assert enc.task_ is None and enc.classes_ == []
    # the columns are the fitted table's: the labelled table's y is not one of them
    assert enc.feature_names_ == ("age", "job=admin", "job=clerk", "job=driver", "job=nurse")
    encoded = enc.transform(labelled)
    assert isinstance(encoded, EncodedTable) and encoded.y is None and len(encoded) == 6
    with pytest.raises(InvalidInputError, match="needs a target"):
        enc.to_dataset(labelled)


def test_an_empty_table_encodes_to_no_rows(labelled, pool) -> None:
    enc = TableEncoder(target="y", sensitive="sex", positive="yes").fit(labelled, also=[pool])
    encoded = enc.transform(pool.iloc[:0])
    assert encoded.X.shape == (0, 5) and encoded.groups.shape == (0,) and encoded.y is None
    assert encoded.ids.shape == (0,)


@pytest.mark.slow
def test_a_million_rows_encode_in_seconds() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    table = pd.DataFrame({
        **{f"c{i}": rng.choice([f"v{j}" for j in range(5 + 3 * i)], n) for i in range(7)},
        **{f"n{i}": rng.normal(size=n) for i in range(6)},
        "sex": rng.choice(["F", "M"], n), "race": rng.choice(["A", "B", "C"], n),
        "rid": np.arange(n),
    })
    labelled = table.iloc[:5000].assign(y=rng.integers(0, 2, 5000))
    enc = TableEncoder(target="y", sensitive=["sex", "race"], id="rid", standardize=True)
    enc.fit(labelled, also=[table])
    start = time.perf_counter()
    encoded = enc.transform(table)
    seconds = time.perf_counter() - start
    assert encoded.X.shape == (n, 98 + 6)
    assert seconds < 15, f"transform of 10^6 x 15 took {seconds:.1f} s"


def test_the_docstring_example_runs() -> None:
    import doctest

    import fairpool.datasets._table_encoder as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted and result.failed == 0


def test_positive_given_as_text_names_a_numeric_or_boolean_class():
    """A command line gives positive="1" for a 0/1 column: the text names the value."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": list("abab"),
                          "y": [0, 1, 1, 0], "ok": [True, False, True, False]})
    as_text = fp.datasets.TableEncoder(target="y", sensitive="g", positive="0").fit(frame)
    assert as_text.transform(frame).y.tolist() == [1, 0, 0, 1]  # 0 is the positive class
    flags = fp.datasets.TableEncoder(target="ok", sensitive="g", positive="False").fit(frame)
    assert flags.transform(frame).y.tolist() == [0, 1, 0, 1]
    with pytest.raises(InvalidInputError, match=r"positive='2' is not a value"):
        fp.datasets.TableEncoder(target="y", sensitive="g", positive="2").fit(frame)


def _people(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"ref": [f"A{i:04d}" for i in range(n)],
                         "age": rng.integers(18, 70, n), "g": rng.choice(["f", "m"], n),
                         "y": rng.choice([0, 1], n)})


def test_a_numeric_column_with_text_in_the_pool_is_refused_naming_table_and_values():
    """Concatenating would make 'age' text categories (age=18, ..., age=unknown) silently."""
    people = _people()
    lab, pool = people.iloc[:30], people.iloc[30:].drop(columns="y")
    pool = pool.assign(age=pool["age"].astype(object))
    pool.loc[pool.index[2], "age"] = "unknown"
    encoder = fp.datasets.TableEncoder(target="y", sensitive="g", id="ref")
    with pytest.raises(InvalidInputError, match=r"'age' is numeric in the labelled table but "
                       r"the pool holds values that are not numbers \(e\.g\. \['unknown'\]\)"):
        encoder.fit(lab, also={"the pool": pool})
    with pytest.raises(InvalidInputError, match=r"but also\[0\] holds"):
        encoder.fit(lab, also=[pool])
    # Declared categorical, it is categories everywhere (the user's explicit choice).
    fitted = fp.datasets.TableEncoder(target="y", sensitive="g", id="ref",
                                      categorical=["age"]).fit(lab, also=[pool])
    assert "age=unknown" in fitted.feature_names_


def test_a_text_column_unique_in_every_row_warns_that_it_looks_like_an_id():
    people = _people()
    with pytest.warns(UserWarning, match=r"'ref' has a different value in each of its 60 "
                      r"rows: it looks like an identifier.*pass id='ref'"):
        fp.datasets.TableEncoder(target="y", sensitive="g").fit(people)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fp.datasets.TableEncoder(target="y", sensitive="g", id="ref").fit(people)
        fp.datasets.TableEncoder(target="y", sensitive="g").fit(people.iloc[:10])  # too few
