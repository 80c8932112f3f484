"""The bare group means and spreads (numpy and torch twins) and the disparity vocabulary."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairpool.metrics as fpm
from fairpool.errors import InvalidInputError

torch = pytest.importorskip("torch")


def _rows(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random(n), rng.integers(0, 2, n), rng.integers(0, k, n)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_group_means_match_a_loop_and_the_torch_twin(n, k, seed):
    values, _, groups = _rows(n, k, seed)
    means, present = fpm.group_means(values, groups, k)
    for g in range(k):
        rows = values[groups == g]
        assert present[g] == (rows.size > 0)
        assert (math.isnan(means[g]) if rows.size == 0 else math.isclose(means[g], rows.mean()))
    t_means, t_present = fpm.group_means_torch(
        torch.as_tensor(values), torch.ones(n, dtype=torch.bool), torch.as_tensor(groups), k
    )
    np.testing.assert_array_equal(t_present.numpy(), present)
    np.testing.assert_allclose(t_means.numpy()[present], means[present], rtol=0, atol=1e-12)
    spread, lo, hi = fpm.group_spread(means)
    t_spread = float(fpm.group_spread_torch(t_means, t_present))
    if present.sum() < 2:
        assert math.isnan(spread) and (lo, hi) == (-1, -1) and t_spread == 0.0
    else:
        assert spread == pytest.approx(np.nanmax(means) - np.nanmin(means), abs=1e-12)
        assert means[lo] == np.nanmin(means) and means[hi] == np.nanmax(means)
        assert t_spread == pytest.approx(spread, abs=1e-12)


def test_spread_of_selection_rates_is_the_public_demographic_parity_difference():
    _, y_pred, groups = _rows(500, 3, 7)
    means, _ = fpm.group_means(y_pred.astype(float), groups, 3)
    expected = fpm.demographic_parity_difference(y_pred, y_pred, sensitive_features=groups)
    assert fpm.group_spread(means)[0] == pytest.approx(expected, abs=1e-12)


def test_torch_spread_is_differentiable_with_a_mask():
    values = torch.tensor([0.2, 0.9, 0.4, 0.1], dtype=torch.float64, requires_grad=True)
    groups = torch.tensor([0, 0, 1, 1])
    mask = torch.tensor([True, True, True, False])
    means, present = fpm.group_means_torch(values, mask, groups, 2)
    gap = fpm.group_spread_torch(means, present)
    gap.backward()
    assert gap.item() == pytest.approx(0.55 - 0.4)
    np.testing.assert_allclose(values.grad.numpy(), [0.5, 0.5, -1.0, 0.0])


def test_vocabulary_accepts_supported_names_and_aliases():
    assert fpm.check_disparity_name("equalized_odds") == "equalized_odds"
    assert fpm.check_disparity_name("error_rate", ("error_rate_parity",)) == "error_rate"
    assert fpm.check_disparity_name(
        "error_rate", ("error_rate_parity",), canonical=True
    ) == "error_rate_parity"
    assert set(fpm.DISPARITY_ALIASES.values()) <= set(fpm.DISPARITY_NAMES)


@pytest.mark.parametrize("bad", ["dp", "Demographic_Parity", None, 3])
def test_vocabulary_rejects_other_names_listing_the_supported_ones(bad):
    with pytest.raises(InvalidInputError, match=r"constraint must be one of 'demographic_parity', "
                                                 r"'error_rate_balance', got"):
        fpm.check_disparity_name(bad, ("demographic_parity", "error_rate_balance"),
                                 argument="constraint")


def test_every_fair_part_of_fairpool_speaks_the_vocabulary():
    from fairpool.active.strategies import FalconSampling, FastFairActiveLearning, PandaConfig
    from fairpool.learners import FAIRNESS_CONSTRAINTS

    assert set(FAIRNESS_CONSTRAINTS) <= set(fpm.DISPARITY_NAMES)
    for build in (
        lambda: FastFairActiveLearning(fairness="dp").select(None, 1, None),
        lambda: FalconSampling(fairness="dp").select(None, 1, None),
        lambda: PandaConfig(constraint="dp"),
    ):
        with pytest.raises(InvalidInputError, match="must be one of 'demographic_parity'"):
            build()
