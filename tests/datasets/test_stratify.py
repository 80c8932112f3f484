"""Controlled rounding of strata into parts, checked by brute-force margins."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpool.datasets import allocate, stratified_partition


@settings(max_examples=100, deadline=None)
@given(
    strata=st.lists(st.integers(0, 40), min_size=1, max_size=8),
    weights=st.lists(st.integers(0, 10), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_allocation_margins_and_rounding(strata: list[int], weights: list[int], seed: int) -> None:
    sizes = np.array(strata)
    n = int(sizes.sum())
    w = np.array(weights, dtype=float)
    if w.sum() == 0:
        w[0] = 1
    parts = np.floor(n * w / w.sum()).astype(int)
    parts[0] += n - parts.sum()
    counts = allocate(sizes, parts, np.random.default_rng(seed))
    np.testing.assert_array_equal(counts.sum(axis=1), sizes)
    np.testing.assert_array_equal(counts.sum(axis=0), parts)
    if n:
        expected = np.outer(sizes, parts) / n
        assert (counts >= np.floor(expected - 1e-9)).all()
        assert (counts <= np.ceil(expected + 1e-9)).all()


def test_partition_is_disjoint_exact_and_stratified() -> None:
    rng = np.random.default_rng(0)
    strata = rng.choice(6, size=1_000, p=[0.4, 0.3, 0.2, 0.05, 0.04, 0.01])
    parts = stratified_partition(strata, [100, 300, 500], np.random.default_rng(1))
    assert [p.size for p in parts] == [100, 300, 500]
    joined = np.concatenate(parts)
    assert np.unique(joined).size == joined.size
    for part in parts:
        share = part.size / 1_000
        for s in range(6):
            assert abs((strata[part] == s).sum() - share * (strata == s).sum()) <= 1


def test_partition_is_seeded() -> None:
    strata = np.arange(50) % 3
    a = stratified_partition(strata, [10, 20], np.random.default_rng(7))
    b = stratified_partition(strata, [10, 20], np.random.default_rng(7))
    c = stratified_partition(strata, [10, 20], np.random.default_rng(8))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
