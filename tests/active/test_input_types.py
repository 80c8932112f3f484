"""ActiveLearner on sparse, polars and pyarrow features (issue 11, fault 6)."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError

sp = pytest.importorskip("scipy.sparse")
pl = pytest.importorskip("polars")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4))
X[X < 0.3] = 0.0  # mostly zeros, as sparse data is
Y = (X[:, 0] > 0.5).astype(int)
G = np.array(["a", "b"] * 20)


def _picks(X_fit, X_pool) -> np.ndarray:
    al = fp.active.ActiveLearner("entropy", "logreg", seed=0).fit(X_fit[:20], Y[:20], G[:20])
    return al.query(X_pool[20:], G[20:], 5)


@pytest.mark.parametrize("convert", [sp.csr_matrix, sp.csr_array, sp.csc_matrix,
                                     lambda a: pl.DataFrame(a)], ids=["csr", "csr_array", "csc",
                                                                      "polars"])
def test_other_feature_types_give_the_same_picks_as_dense(convert):
    np.testing.assert_array_equal(_picks(convert(X), convert(X)), _picks(X, X))


def test_a_sparse_matrix_too_large_to_densify_is_refused_with_the_fix(monkeypatch):
    import fairpool.active._learner as learner_module

    monkeypatch.setattr(learner_module, "MAX_DENSE_BYTES", 100)
    with pytest.raises(InvalidInputError, match="sparse csr_matrix of shape .*TruncatedSVD"):
        fp.active.ActiveLearner("entropy", "logreg", seed=0).fit(sp.csr_matrix(X), Y, G)
