"""The liability-threshold phenotype, on synthetic genotypes with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from fairpool.datasets import simulate_phenotype
from fairpool.errors import InvalidInputError


@pytest.fixture(scope="module")
def genotypes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    groups = np.repeat(np.array(["AFR", "EUR", "SAS"]), [4000, 3000, 3000])
    freqs = rng.uniform(0.1, 0.5, size=(3, 30))
    codes = np.repeat(np.arange(3), [4000, 3000, 3000])
    dosages = rng.binomial(2, freqs[codes])
    return dosages, groups


def test_full_heritability_is_the_standardised_score(genotypes) -> None:
    dosages, groups = genotypes
    ph = simulate_phenotype(dosages, groups, heritability=1.0, underdiagnosis=0.0, seed=3)
    raw = dosages[:, ph.causal] @ ph.effects
    for g in np.unique(groups):
        m = groups == g
        expected = (raw[m] - raw[m].mean()) / raw[m].std()
        np.testing.assert_allclose(ph.liability[m], expected, atol=1e-10)
        # cases are exactly the top 30% of each group's liability (ties broken arbitrarily)
        assert ph.y_true[m].sum() == round(0.3 * m.sum())
        cases, controls = ph.liability[m][ph.y_true[m] == 1], ph.liability[m][ph.y_true[m] == 0]
        assert cases.min() >= controls.max()
    np.testing.assert_array_equal(ph.y_true, ph.y_recorded)


def test_heritability_is_the_explained_variance(genotypes) -> None:
    dosages, groups = genotypes
    ph = simulate_phenotype(dosages, groups, heritability=0.5, seed=0)
    r = np.corrcoef(ph.liability, ph.genetic_score)[0, 1]
    assert r**2 == pytest.approx(0.5, abs=0.03)


def test_underdiagnosis_only_in_biased_groups(genotypes) -> None:
    dosages, groups = genotypes
    ph = simulate_phenotype(dosages, groups, underdiagnosis=1.0, biased_groups=("AFR",), seed=0)
    afr = groups == "AFR"
    assert ph.y_recorded[afr].sum() == 0
    np.testing.assert_array_equal(ph.y_recorded[~afr], ph.y_true[~afr])
    np.testing.assert_array_equal(ph.missed, afr & (ph.y_true == 1))
    half = simulate_phenotype(dosages, groups, underdiagnosis=0.5, biased_groups=("AFR",), seed=0)
    kept = half.y_recorded[afr].sum() / half.y_true[afr].sum()
    assert kept == pytest.approx(0.5, abs=0.05)


def test_global_threshold(genotypes) -> None:
    dosages, groups = genotypes
    ph = simulate_phenotype(dosages, groups, equal_prevalence=False, seed=0)
    assert ph.y_true.sum() == round(0.3 * groups.size)
    assert ph.genetic_score.mean() == pytest.approx(0.0, abs=1e-12)


def test_seeded(genotypes) -> None:
    dosages, groups = genotypes
    a = simulate_phenotype(dosages, groups, seed=5)
    b = simulate_phenotype(dosages, groups, seed=5)
    c = simulate_phenotype(dosages, groups, seed=6)
    np.testing.assert_array_equal(a.y_recorded, b.y_recorded)
    np.testing.assert_array_equal(a.causal, b.causal)
    assert not np.array_equal(a.liability, c.liability)


@pytest.mark.parametrize(
    "option, value",
    [("n_causal", 0), ("n_causal", 31), ("heritability", 1.5), ("prevalence", 0.0),
     ("underdiagnosis", -0.1)],
)
def test_bad_options(genotypes, option: str, value: float) -> None:
    dosages, groups = genotypes
    with pytest.raises(InvalidInputError, match=option):
        simulate_phenotype(dosages, groups, **{option: value})
