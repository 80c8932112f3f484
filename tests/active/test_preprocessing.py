"""Standardisation with the labelled set's statistics."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

from fairpool.active import LabelledScaler


def test_matches_sklearn_and_never_modifies_the_input():
    rng = np.random.default_rng(0)
    labelled = rng.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    labelled[:, 3] = 1.0  # constant column: centred, scale 1
    pool = rng.normal(size=(200, 4)).astype(np.float32)
    before = pool.copy()
    scaler = LabelledScaler().fit(labelled)
    reference = StandardScaler().fit(labelled)
    out = scaler.transform(pool)
    np.testing.assert_allclose(out, reference.transform(pool), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(pool, before)
    assert out.dtype == np.float32 and scaler.scale_[3] == 1.0
    rows = np.array([5, 0, 17])
    np.testing.assert_array_equal(scaler.transform(pool, rows), out[rows])


def test_disabled_passes_features_through_as_float32_copies():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    scaler = LabelledScaler(enabled=False).fit(X)
    out = scaler.transform(X)
    np.testing.assert_array_equal(out, X)
    assert out.dtype == np.float32 and scaler.mean_ is None
