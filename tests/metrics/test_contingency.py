"""Group encoding and the one-pass contingency table, against pandas and brute-force loops."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fairpool.metrics as fpm
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
)
from fairpool.metrics import _contingency as contingency  # monkeypatches its chunk size


def _brute_confusion(y, p, g, n_groups, w=None):
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    out = np.zeros((n_groups, 2, 2))
    for i in range(len(y)):
        out[g[i], y[i], p[i]] += w[i]
    return out


# --- encode_groups --------------------------------------------------------------------------


def test_strings_sorted_like_fairlearn() -> None:
    codes, names = fpm.encode_groups(np.array(["b", "c", "a", "c"]))
    assert names == ("a", "b", "c")
    assert codes.tolist() == [1, 2, 0, 2]
    assert codes.dtype == np.int64


def test_compact_int64_codes_are_returned_without_a_copy() -> None:
    groups = np.array([0, 2, 1, 2], dtype=np.int64)
    codes, names = fpm.encode_groups(groups)
    assert codes is groups
    assert names == ("0", "1", "2")


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8, np.int32, np.uint64])
def test_small_integer_dtypes_give_int64_codes(dtype) -> None:
    codes, names = fpm.encode_groups(np.array([3, 5, 3, 9], dtype=dtype))
    assert codes.dtype == np.int64
    assert codes.tolist() == [0, 1, 0, 2]
    assert names == ("3", "5", "9")


def test_negative_and_sparse_integers() -> None:
    codes, names = fpm.encode_groups([-5, 7, -5, 100])
    assert names == ("-5", "7", "100")
    assert codes.tolist() == [0, 1, 0, 2]
    # a value range far wider than the rows takes the sorting path
    codes, names = fpm.encode_groups(np.array([10**12, -(10**12), 0]))
    assert names == (str(-(10**12)), "0", str(10**12))
    assert codes.tolist() == [2, 0, 1]


def test_bool_float_and_categorical() -> None:
    assert fpm.encode_groups(np.array([True, False, True]))[1] == ("False", "True")
    assert fpm.encode_groups(np.array([True, True]))[1] == ("True",)
    assert fpm.encode_groups([1.5, 0.5, 1.5])[1] == ("0.5", "1.5")
    cat = pd.Categorical(["lo", "hi", "lo"], categories=["lo", "mid", "hi"])
    codes, names = fpm.encode_groups(cat)
    assert names == ("lo", "hi")  # category order, unused "mid" dropped
    assert codes.tolist() == [0, 1, 0]
    codes, names = fpm.encode_groups(pd.Series(cat))
    assert names == ("lo", "hi")


@settings(max_examples=40, deadline=None)
@given(
    columns=st.integers(1, 3).flatmap(
        lambda k: st.lists(
            arrays(np.int64, 30, elements=st.integers(-2, 3)), min_size=k, max_size=k
        )
    )
)
def test_intersections_match_pandas_groupby(columns: list[np.ndarray]) -> None:
    frame = pd.DataFrame({f"c{j}": col for j, col in enumerate(columns)})
    codes, names = fpm.encode_groups(frame)
    groups = frame.groupby(list(frame.columns), sort=True).ngroup().to_numpy()
    assert codes.tolist() == groups.tolist()
    combinations = sorted(set(zip(*(c.tolist() for c in columns), strict=True)))
    assert list(names) == ["|".join(str(v) for v in combo) for combo in combinations]


def test_intersection_containers_and_feature_names() -> None:
    sex, race = ["F", "M", "F", "M"], ["b", "a", "a", "a"]
    expected = ([1, 2, 0, 2], ("F|a", "F|b", "M|a"))
    for sf in (pd.DataFrame({"sex": sex, "race": race}), {"sex": sex, "race": race},
               [sex, race], np.array([sex, race]).T):
        codes, names = fpm.encode_groups(sf)
        assert (codes.tolist(), names) == expected
    encoded = fpm.encode_sensitive_features({"sex": sex, "race": race})
    assert encoded.feature_names == ("sex", "race")
    assert encoded.label == "sex|race"
    assert fpm.encode_sensitive_features(np.array([sex, race]).T).feature_names == (
        "sensitive_feature_0", "sensitive_feature_1")


def test_many_combinations_take_the_sorting_path() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 400, 200), rng.integers(0, 400, 200)
    codes, names = fpm.encode_groups([a, b])
    assert len(names) == len(set(zip(a.tolist(), b.tolist(), strict=True)))
    pairs = sorted(set(zip(a.tolist(), b.tolist(), strict=True)))
    assert list(names) == [f"{x}|{y}" for x, y in pairs]
    assert [pairs[c] for c in codes] == list(zip(a.tolist(), b.tolist(), strict=True))


def test_mixed_unorderable_values_are_ordered_by_their_text() -> None:
    codes, names = fpm.encode_groups(np.array([2, "a", 2, "b"], dtype=object))
    assert names == ("2", "a", "b")
    assert codes.tolist() == [0, 1, 0, 2]


def test_encode_groups_errors_name_the_problem() -> None:
    with pytest.raises(InvalidInputError, match="sensitive_features is required"):
        fpm.encode_groups(None)
    with pytest.raises(EmptyInputError, match="sensitive_features is empty"):
        fpm.encode_groups([])
    with pytest.raises(MissingValueError, match="position 1"):
        fpm.encode_groups(["a", None, "b"])
    with pytest.raises(MissingValueError, match="position 2"):
        fpm.encode_groups([1.0, 2.0, np.nan])
    with pytest.raises(MissingValueError, match="column 'race' has a missing value"):
        fpm.encode_groups(pd.DataFrame({"sex": ["F", "M"], "race": ["a", None]}))
    with pytest.raises(MissingValueError, match="missing value at position 0"):
        fpm.encode_groups(pd.Categorical([None, "a"]))
    with pytest.raises(LengthMismatchError, match="'sex'\\] has 2.*'race'\\] has 3"):
        fpm.encode_groups({"sex": ["F", "M"], "race": ["a", "b", "c"]})
    with pytest.raises(InvalidInputError, match="1-D"):
        fpm.encode_groups(np.zeros((2, 2, 2)))
    with pytest.raises(InvalidInputError, match="no columns"):
        fpm.encode_groups(pd.DataFrame(index=range(3)))


# --- confusion_by_group --------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    data=st.integers(1, 80).flatmap(
        lambda n: st.tuples(
            arrays(np.int64, n, elements=st.integers(0, 1)),
            arrays(np.int64, n, elements=st.integers(0, 1)),
            arrays(np.int64, n, elements=st.integers(0, 4)),
            arrays(np.float64, n, elements=st.floats(0.01, 5)),
        )
    ),
    weighted=st.booleans(),
)
def test_confusion_by_group_equals_brute_force(data, weighted: bool) -> None:
    y, p, g, w = data
    w = w if weighted else None
    table = fpm.confusion_by_group(y, p, g, n_groups=5, sample_weight=w)
    assert table.shape == (5, 2, 2)
    assert table.dtype == (np.float64 if weighted else np.int64)
    np.testing.assert_allclose(table, _brute_confusion(y, p, g, 5, w), rtol=0, atol=1e-12)


def test_confusion_by_group_across_chunk_boundaries(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    n = 1000
    y, p = rng.integers(0, 2, n).astype(bool), rng.integers(0, 2, n).astype(np.int8)
    g, w = rng.integers(0, 7, n).astype(np.int32), rng.random(n)
    expected = _brute_confusion(y.astype(int), p, g, 7, w)
    for chunk in (1, 7, 64, 999, 1000, 5000):
        monkeypatch.setattr(contingency, "CHUNK_ROWS", chunk)
        got = fpm.confusion_by_group(y, p, g, n_groups=7, sample_weight=w)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-12)
        assert fpm.confusion_by_group(y, p, g, n_groups=7).sum() == n


def test_count_by_group_any_number_of_binary_columns() -> None:
    g = np.array([0, 1, 1, 0])
    a, b, c = np.array([0, 1, 1, 1]), np.array([1, 0, 1, 1]), np.array([0, 0, 1, 1])
    counts = fpm.count_by_group(g, 2, a, b, c)
    assert counts.shape == (2, 2, 2, 2)
    for i in range(4):
        assert counts[g[i], a[i], b[i], c[i]] >= 1
    assert counts.sum() == 4
    assert fpm.count_by_group(g, 3).tolist() == [2, 2, 0]


def test_confusion_by_group_rejects_bad_codes_and_labels() -> None:
    with pytest.raises(InvalidInputError, match="groups must hold codes in \\[0, 2\\), found 2"):
        fpm.confusion_by_group([0, 1], [0, 1], [0, 2], n_groups=2)
    with pytest.raises(InvalidInputError, match="found -1"):
        fpm.confusion_by_group([0, 1], [0, 1], [0, -1], n_groups=2)
    with pytest.raises(InvalidInputError, match="integer group codes"):
        fpm.confusion_by_group([0, 1], [0, 1], ["a", "b"], n_groups=2)
    with pytest.raises(InvalidInputError, match="n_groups must be a positive integer"):
        fpm.confusion_by_group([0, 1], [0, 1], [0, 1], n_groups=0)
    with pytest.raises(NonBinaryLabelError, match="y_true"):
        fpm.confusion_by_group([0, 5], [0, 1], [0, 1], n_groups=2)
    with pytest.raises(LengthMismatchError, match="groups has 3"):
        fpm.confusion_by_group([0, 1], [0, 1], [0, 1, 1], n_groups=2)


def test_every_intersection_code_is_present() -> None:
    for a, b in itertools.product([[0, 0, 1], [2, 2, 2]], [[5, 6, 5], [1, 1, 1]]):
        codes, names = fpm.encode_groups([a, b])
        assert sorted(set(codes.tolist())) == list(range(len(names)))
