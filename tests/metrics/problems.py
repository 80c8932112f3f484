"""Random binary-classification problems (hypothesis strategies) and brute-force references.

The references loop over groups in plain Python with boolean masks: slow,
obviously right, and independent of the contingency-table code under test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

FAIRLEARN_VERSION = "0.15.0"


def reference_fairlearn_metrics() -> Any:
    """``fairlearn.metrics``, or skip the calling test module when fairlearn is absent or
    not :data:`FAIRLEARN_VERSION` (the reference values are that version's)."""
    import pytest

    fairlearn = pytest.importorskip("fairlearn")
    if fairlearn.__version__ != FAIRLEARN_VERSION:
        pytest.skip(
            f"the reference values are fairlearn {FAIRLEARN_VERSION}'s; "
            f"fairlearn {fairlearn.__version__} is installed",
            allow_module_level=True,
        )
    import fairlearn.metrics

    return fairlearn.metrics

_COMBOS = list(itertools.product(["F", "M", "X"], [20, 40, 60]))


@dataclass
class Problem:
    """One random problem: labels, predictions, groups as given to metrics, and the group id."""

    y_true: np.ndarray
    y_pred: np.ndarray
    sensitive_features: Any
    group_id: np.ndarray  # the group of each row as an int, for brute-force loops
    sample_weight: np.ndarray | None


@st.composite
def problems(
    draw: Any,
    *,
    max_groups: int = 4,
    weighted: bool | None = None,
    intersectional: bool | None = None,
    both_labels_per_group: bool = True,
    max_extra_rows: int = 40,
) -> Problem:
    """A binary problem where (by default) every group has a positive and a negative row."""
    k = draw(st.integers(2, max_groups))
    extra = draw(st.integers(0, max_extra_rows))
    if both_labels_per_group:
        base_groups, base_y = np.repeat(np.arange(k), 2), np.tile([0, 1], k)
    else:
        base_groups, base_y = np.arange(k), draw(arrays(np.int64, k, elements=st.integers(0, 1)))
    extra_groups = draw(arrays(np.int64, extra, elements=st.integers(0, k - 1)))
    extra_y = draw(arrays(np.int64, extra, elements=st.integers(0, 1)))
    group_id = np.concatenate([base_groups, extra_groups])
    y_true = np.concatenate([base_y, extra_y])
    n = group_id.shape[0]
    order = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    group_id, y_true = group_id[order], y_true[order]
    y_pred = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    if weighted is None:
        weighted = draw(st.booleans())
    weights = (
        draw(arrays(np.float64, n, elements=st.floats(0.1, 10.0, allow_nan=False)))
        if weighted else None
    )
    if intersectional is None:
        intersectional = draw(st.booleans())
    if intersectional:
        combos = draw(st.permutations(_COMBOS))[:k]
        sf: Any = pd.DataFrame({
            "sex": [combos[i][0] for i in group_id],
            "age": [combos[i][1] for i in group_id],
        })
    else:
        labels = draw(st.sampled_from(["strings", "ints", "categorical"]))
        if labels == "strings":
            sf = np.array([f"g{i}" for i in group_id])
        elif labels == "ints":
            sf = group_id * 7 + 3
        else:
            sf = pd.Series(pd.Categorical([f"c{i}" for i in group_id]))
    return Problem(y_true, y_pred, sf, group_id, weights)


def group_key(problem: Problem) -> np.ndarray:
    """Each row's group name as fairpool spells it (for matching brute-force results)."""
    sf = problem.sensitive_features
    if isinstance(sf, pd.DataFrame):
        return sf.astype(str).agg("|".join, axis=1).to_numpy()
    return np.asarray(pd.Series(sf).astype(str))


def brute_rates(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> dict[str, float]:
    """Every rate of one group by direct sums; NaN where the denominator is zero."""
    w = np.ones(y.shape[0]) if w is None else w

    def share(numerator_mask: np.ndarray, denominator_mask: np.ndarray) -> float:
        den = w[denominator_mask].sum()
        return float(w[numerator_mask & denominator_mask].sum() / den) if den > 0 else np.nan

    everyone = np.ones(y.shape[0], dtype=bool)
    tp = w[(y == 1) & (p == 1)].sum()
    fp = w[(y == 0) & (p == 1)].sum()
    fn = w[(y == 1) & (p == 0)].sum()
    return {
        "selection_rate": share(p == 1, everyone),
        "tpr": share(p == 1, y == 1),
        "fpr": share(p == 1, y == 0),
        "fnr": share(p == 0, y == 1),
        "error_rate": share(p != y, everyone),
        "accuracy": share(p == y, everyone),
        "precision": share(y == 1, p == 1),
        "recall": share(p == 1, y == 1),
        "f1": float(2 * tp / (2 * tp + fp + fn)) if 2 * tp + fp + fn > 0 else np.nan,
    }


def brute_by_group(problem: Problem) -> dict[str, dict[str, float]]:
    """``brute_rates`` of every group, keyed by fairpool's group name."""
    keys = group_key(problem)
    out = {}
    for key in sorted(set(keys.tolist())):
        mask = keys == key
        w = None if problem.sample_weight is None else problem.sample_weight[mask]
        out[key] = brute_rates(problem.y_true[mask], problem.y_pred[mask], w)
    return out
