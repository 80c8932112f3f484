"""fairpool.audit.worst_slices (SliceLine with pruning) against a brute-force enumeration.

The reference enumerates every conjunction of up to ``max_depth`` column = value
predicates over the rows with pandas masks, scores each with the paper's formula
written out here, and keeps the top k; the search must return the same slices with
the same scores, and score fewer slices than the lattice holds when pruning bites.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from fairpool.audit import SLICE_METRICS, slice_score, worst_slices
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
    UnknownNameError,
)

# rows a rate is measured on, and a row's error there
DEFINITIONS = {
    "error_rate": (lambda y, p: np.ones_like(y, bool), lambda y, p: y != p),
    "accuracy": (lambda y, p: np.ones_like(y, bool), lambda y, p: y != p),
    "fpr": (lambda y, p: y == 0, lambda y, p: p == 1),
    "fnr": (lambda y, p: y == 1, lambda y, p: p == 0),
    "recall": (lambda y, p: y == 1, lambda y, p: p == 0),
    "precision": (lambda y, p: p == 1, lambda y, p: y == 0),
    "selection_rate": (lambda y, p: np.ones_like(y, bool), lambda y, p: p == 0),
    "base_rate": (lambda y, p: np.ones_like(y, bool), lambda y, p: y == 0),
}


def brute_force(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, *, metric: str,
                max_depth: int, k: int, min_support: int, alpha: float) -> list[tuple]:
    """Every slice scored over the rows; the top k (with ties at the k-th score)."""
    rows_of, error_of = DEFINITIONS[metric]
    rows = rows_of(y, p)
    data = frame[rows].astype(str).reset_index(drop=True)
    errors = error_of(y, p)[rows].astype(float)
    n, mean_error = len(data), errors.mean()
    found = []
    for depth in range(1, max_depth + 1):
        for cols in itertools.combinations(range(data.shape[1]), depth):
            for values, part in data.groupby([data.columns[c] for c in cols]):
                values = values if isinstance(values, tuple) else (values,)
                size, err = len(part), errors[part.index].sum()
                score = alpha * (err / size / mean_error - 1) - (1 - alpha) * (n / size - 1)
                if size >= min_support and score > 0:
                    key = tuple(zip(cols, map(str, values), strict=True))
                    found.append((-score, -size, depth, key, err))
    found.sort()
    if len(found) > k:
        cut = found[k - 1][0]
        found = [f for f in found if f[0] <= cut + 1e-12]
    return [(dict((data.columns[c], v) for c, v in f[3]), -f[0], -f[1], f[4]) for f in found]


def as_found(result: pd.DataFrame, columns: list[str]) -> list[tuple]:
    out = []
    for row in result.itertuples(index=False):
        slice_ = {c: getattr(row, c) for c in columns if getattr(row, c) is not None}
        out.append((slice_, row.score, row.support, row.errors))
    return out


def make_data(seed: int, n: int = 400) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "a": rng.choice(["x", "y"], n),
        "b": rng.choice(["p", "q", "r"], n),
        "c": rng.integers(0, 4, n),
        "d": rng.choice(["u", "v", "w"], n, p=[0.6, 0.3, 0.1]),
    })
    y = rng.integers(0, 2, n)
    bad = (frame["a"] == "x") & (frame["b"] == "q")
    flip = rng.random(n) < np.where(bad, 0.45, 0.12)
    return frame, y, np.where(flip, 1 - y, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("metric", ["error_rate", "fpr", "precision", "selection_rate"])
def test_search_equals_brute_force(seed, metric) -> None:
    frame, y, p = make_data(seed)
    settings = {"metric": metric, "max_depth": 3, "k": 6, "min_support": 8, "alpha": 0.9}
    result = worst_slices(y, p, features=frame, n_bins=None, **settings)
    expected = brute_force(frame, y, p, **settings)
    got = as_found(result, list(frame.columns))
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1] for g in got], [e[1] for e in expected], rtol=1e-10)
    assert [g[2:] for g in got] == [e[2:] for e in expected]


def test_pruning_scores_fewer_slices_than_the_lattice_and_keeps_the_answer() -> None:
    frame, y, p = make_data(4, n=3000)
    settings = {"metric": "error_rate", "max_depth": 4, "k": 3, "min_support": 20,
                "alpha": 0.95}
    result = worst_slices(y, p, features=frame, n_bins=None, **settings)
    assert result.attrs["evaluated"] < result.attrs["lattice"]
    assert result.attrs["lattice"] == sum(
        np.prod([frame[c].nunique() for c in cols])
        for r in range(1, 5) for cols in itertools.combinations(frame.columns, r))
    got = as_found(result, list(frame.columns))
    expected = brute_force(frame, y, p, **settings)
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert got[0][0] == {"a": "x", "b": "q"}  # the injected slice
    row = result.iloc[0]
    assert row["error_rate"] == pytest.approx(row["errors"] / row["support"])
    assert row["overall"] == pytest.approx(np.mean(y != p))
    assert row["score"] == pytest.approx(float(slice_score(
        row["errors"], row["support"], n=len(y), mean_error=float(np.mean(y != p)),
        alpha=0.95)))


def test_numeric_columns_are_cut_into_quantile_bins() -> None:
    frame, y, p = make_data(5, n=1000)
    frame["income"] = np.random.default_rng(1).lognormal(10, 1, len(frame))
    result = worst_slices(y, p, features=frame[["a", "c", "income"]], n_bins=4, min_support=5,
                          max_depth=2, k=50, alpha=1.0)
    _, edges = pd.qcut(frame["income"], 4, retbins=True)
    np.testing.assert_allclose(result.attrs["bins"]["income"], edges)
    assert "c" not in result.attrs["bins"]  # 4 values, 4 bins: kept as they are
    labels = set(result["income"].dropna())
    assert labels and all(lab[0] in "[(" and lab.endswith("]") for lab in labels)


def test_lower_is_worse_rates_report_the_rate_not_the_error() -> None:
    frame, y, p = make_data(6)
    result = worst_slices(y, p, features=frame, metric="accuracy", min_support=10)
    row = result.iloc[0]
    assert row["accuracy"] == pytest.approx(1 - row["errors"] / row["support"])
    assert row["gap"] < 0 and result.attrs["worse"] == "lower"


def test_agrees_with_the_sliceline_package_on_the_top_slices() -> None:
    sliceline = pytest.importorskip("sliceline")
    frame, y, p = make_data(7, n=2000)
    codes = np.column_stack([pd.factorize(frame[c].astype(str), sort=True)[0] + 1
                             for c in frame.columns])
    reference = sliceline.Slicefinder(alpha=0.95, k=3, max_l=3, min_sup=20,
                                      verbose=False).fit(codes, (y != p).astype(float))
    result = worst_slices(y, p, features=frame, max_depth=3, k=3, min_support=20,
                          alpha=0.95, n_bins=None)
    np.testing.assert_allclose(
        result["score"].to_numpy()[:len(reference.top_slices_statistics_)],
        [s["slice_score"] for s in reference.top_slices_statistics_], rtol=1e-9)


def test_no_error_anywhere_gives_no_slice() -> None:
    frame, y, _ = make_data(8)
    result = worst_slices(y, y, features=frame)
    assert result.empty and list(result.columns)[:4] == list(frame.columns)


def test_bad_inputs_raise_fairpool_errors() -> None:
    frame, y, p = make_data(9)
    with pytest.raises(UnknownNameError, match="metric"):
        worst_slices(y, p, features=frame, metric="auc")
    with pytest.raises(MissingValueError):
        worst_slices(y, p, features=frame.assign(a=frame["a"].where(frame.index != 3)))
    with pytest.raises(LengthMismatchError):
        worst_slices(y[:-1], p, features=frame)
    with pytest.raises(EmptyInputError):
        worst_slices([], [], features={"a": []})
    with pytest.raises(EmptyInputError, match="fpr"):
        worst_slices(np.ones_like(y), p, features=frame, metric="fpr")
    with pytest.raises(NonBinaryLabelError):
        worst_slices(y * 2, p, features=frame)
    for bad in ({"max_depth": 0}, {"k": 0}, {"min_support": 0}, {"alpha": 0}, {"n_bins": 1}):
        with pytest.raises(InvalidInputError):
            worst_slices(y, p, features=frame, **bad)
    assert set(SLICE_METRICS) == set(DEFINITIONS)
