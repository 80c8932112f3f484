"""from_frame: the one table-to-Dataset encoding, checked against pandas.get_dummies."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import fairpool as fp
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    UnknownColumnError,
)


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50.0, 10.0, n),
            "job": rng.choice(["clerk", "admin", "nurse"], n),
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["A", "B"], n),
            "smoker": rng.choice([True, False], n),
            "outcome": rng.choice(["no", "yes"], n),
        }
    )


def test_encoding_matches_get_dummies(table: pd.DataFrame) -> None:
    ds = fp.datasets.from_frame(table, target="outcome", sensitive="sex")
    reference = pd.get_dummies(
        table.drop(columns=["outcome", "sex"]), columns=["job", "race", "smoker"], prefix_sep="="
    ).astype(np.float32)
    # same columns; fairpool keeps each one-hot block where its column was
    assert sorted(ds.feature_names) == sorted(reference.columns)
    assert ds.feature_names[:2] == ("age", "income")
    np.testing.assert_array_equal(ds.X, reference[list(ds.feature_names)].to_numpy())
    # positive defaults to the last value in sorted order
    np.testing.assert_array_equal(ds.y, (table["outcome"] == "yes").to_numpy().astype(int))
    assert ds.group_names == ("F", "M")
    np.testing.assert_array_equal(ds.groups, (table["sex"] == "M").to_numpy().astype(int))
    assert ds.info["sensitive"] == ["sex"]
    assert ds.info["sensitive_columns"] == []
    assert ds.info["task"] == "classification"
    assert ds.info["classes"] == ["no", "yes"]


def test_sensitive_as_feature_and_intersections(table: pd.DataFrame) -> None:
    ds = fp.datasets.from_frame(
        table, target="outcome", sensitive=["sex", "race"], sensitive_as_feature=True
    )
    assert ds.info["sensitive_columns"] == ["sex=F", "sex=M", "race=A", "race=B"]
    assert ds.group_names == ("F|A", "F|B", "M|A", "M|B")
    code = {g: i for i, g in enumerate(ds.group_names)}
    expected = (table["sex"] + "|" + table["race"]).map(code)
    np.testing.assert_array_equal(ds.groups, expected.to_numpy())
    for name in ds.info["sensitive_columns"]:
        col, value = name.split("=")
        np.testing.assert_array_equal(ds.X[:, ds.feature_index(name)], table[col] == value)


def test_pandas_and_polars_agree(table: pd.DataFrame) -> None:
    kwargs = dict(target="outcome", sensitive=["sex"], sensitive_as_feature=True)
    a = fp.datasets.from_frame(table, **kwargs)
    b = fp.datasets.from_frame(pl.from_pandas(table), **kwargs)
    assert a.feature_names == b.feature_names
    assert a.group_names == b.group_names
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.groups, b.groups)


def test_positive_option_and_numeric_targets(table: pd.DataFrame) -> None:
    ds = fp.datasets.from_frame(table, target="outcome", sensitive="sex", positive="no")
    np.testing.assert_array_equal(ds.y, (table["outcome"] == "no").to_numpy().astype(int))
    assert ds.info["classes"] == ["yes", "no"]
    coded = table.assign(outcome=(table["outcome"] == "yes").astype(int) + 1)  # values 1, 2
    with pytest.raises(InvalidInputError, match=r"values \['1', '2'\]: pass positive="):
        fp.datasets.from_frame(coded, target="outcome", sensitive="sex")
    ds = fp.datasets.from_frame(coded, target="outcome", sensitive="sex", positive=2)
    np.testing.assert_array_equal(ds.y, (coded["outcome"] == 2).to_numpy().astype(int))
    with pytest.raises(InvalidInputError, match="positive='maybe'.*values are"):
        fp.datasets.from_frame(table, target="outcome", sensitive="sex", positive="maybe")


def test_the_positive_value_is_never_guessed(table: pd.DataFrame) -> None:
    # issue 11, fault 3: sorting would make 'denied' the positive class
    words = table.assign(outcome=table["outcome"].map({"yes": "approved", "no": "denied"}))
    with pytest.raises(InvalidInputError, match=r"\['approved', 'denied'\]: pass positive="):
        fp.datasets.from_frame(words, target="outcome", sensitive="sex")
    ds = fp.datasets.from_frame(words, target="outcome", sensitive="sex", positive="approved")
    np.testing.assert_array_equal(ds.y, (words["outcome"] == "approved").to_numpy().astype(int))
    for coding, positive in ((["No", "Yes"], "Yes"), ([False, True], True), (["0", "1"], "1")):
        mapping = dict(zip(["no", "yes"], coding, strict=True))
        coded = table.assign(outcome=table["outcome"].map(mapping))
        ds = fp.datasets.from_frame(coded, target="outcome", sensitive="sex")
        np.testing.assert_array_equal(ds.y, (coded["outcome"] == positive).to_numpy().astype(int))


def test_regression_and_multiclass_targets(table: pd.DataFrame) -> None:
    ds = fp.datasets.from_frame(table, target="income", sensitive="sex", drop=["outcome"])
    assert ds.info["task"] == "regression" and ds.y.dtype == np.float64
    np.testing.assert_allclose(ds.y, table["income"])
    ds = fp.datasets.from_frame(table, target="job", sensitive="sex", drop=["outcome"])
    assert ds.info["classes"] == ["admin", "clerk", "nurse"]
    np.testing.assert_array_equal(ds.y, table["job"].map({"admin": 0, "clerk": 1, "nurse": 2}))


def test_categorical_drop_and_standardize(table: pd.DataFrame) -> None:
    ds = fp.datasets.from_frame(
        table, target="outcome", sensitive="sex", categorical=["age"], drop=["job"],
        standardize=True,
    )
    assert not any(n.startswith("job") for n in ds.feature_names)
    assert sum(n.startswith("age=") for n in ds.feature_names) == table["age"].nunique()
    income = ds.X[:, ds.feature_index("income")]
    reference = (table["income"] - table["income"].mean()) / table["income"].std(ddof=0)
    np.testing.assert_allclose(income, reference, rtol=1e-5, atol=1e-5)


def test_missing_feature_values(table: pd.DataFrame) -> None:
    table = table.astype({"income": float})
    table.loc[[3, 7, 9], "income"] = np.nan
    with pytest.raises(MissingValueError, match=r"'income' has 3 missing"):
        fp.datasets.from_frame(table, target="outcome", sensitive="sex")
    ds = fp.datasets.from_frame(table, target="outcome", sensitive="sex", missing="drop")
    assert ds.n_samples == len(table) - 3
    assert ds.info["rows_dropped_missing"] == 3
    with pytest.raises(InvalidInputError, match="missing must be"):
        fp.datasets.from_frame(table, target="outcome", sensitive="sex", missing="mean")


@pytest.mark.parametrize("column, role", [("outcome", "target"), ("sex", "sensitive")])
def test_missing_target_or_sensitive_raises_with_count(
    table: pd.DataFrame, column: str, role: str
) -> None:
    table = table.copy()
    table[column] = table[column].astype(object)
    table.loc[[0, 5], column] = None
    with pytest.raises(MissingValueError, match=rf"{role} column '{column}' has 2 missing"):
        fp.datasets.from_frame(table, target="outcome", sensitive="sex", missing="drop")


@pytest.mark.parametrize("argument", ["target", "sensitive", "categorical", "drop"])
def test_unknown_column_is_named_with_the_columns(table: pd.DataFrame, argument: str) -> None:
    kwargs = {"target": "outcome", "sensitive": "sex", argument: "nope"}
    with pytest.raises(UnknownColumnError, match=r"'nope' is not in the table.*'age'"):
        fp.datasets.from_frame(table, **kwargs)


def test_empty_and_bad_tables(table: pd.DataFrame) -> None:
    with pytest.raises(EmptyInputError):
        fp.datasets.from_frame(table.iloc[:0], target="outcome", sensitive="sex")
    with pytest.raises(InvalidInputError, match="pandas or polars DataFrame"):
        fp.datasets.from_frame(table.to_numpy(), target="outcome", sensitive="sex")
    with pytest.raises(InvalidInputError, match="both the target and sensitive"):
        fp.datasets.from_frame(table, target="outcome", sensitive=["sex", "outcome"])
    with pytest.raises(InvalidInputError, match="dtype"):
        fp.datasets.from_frame(
            table.assign(when=pd.Timestamp("2020-01-01")), target="outcome", sensitive="sex"
        )
    with pytest.raises(InvalidInputError, match="at least one"):
        fp.datasets.from_frame(table, target="outcome", sensitive=[])


def test_single_group_is_allowed_and_recorded(table: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match="single group"):
        ds = fp.datasets.from_frame(table.assign(sex="F"), target="outcome", sensitive="sex")
    assert ds.group_names == ("F",) and ds.info["single_group"] is True


def test_single_class_target_is_allowed_with_a_warning(table: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match="single class"):
        ds = fp.datasets.from_frame(table.assign(outcome=1), target="outcome", sensitive="sex")
    assert (ds.y == 1).all()


def test_no_warning_for_ordinary_tables(table: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fp.datasets.from_frame(table, target="outcome", sensitive="sex")


def test_a_pyarrow_table_is_a_table_too(table: pd.DataFrame) -> None:
    pa = pytest.importorskip("pyarrow")
    ours = fp.datasets.from_frame(pa.Table.from_pandas(table, preserve_index=False),
                                  target="outcome", sensitive="sex")
    theirs = fp.datasets.from_frame(table, target="outcome", sensitive="sex")
    np.testing.assert_array_equal(ours.X, theirs.X)
    assert ours.group_names == theirs.group_names and ours.feature_names == theirs.feature_names
