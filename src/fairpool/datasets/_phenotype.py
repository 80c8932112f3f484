"""A simulated disease on real genotypes: known causal SNPs and a known labelling bias.

1000 Genomes has no phenotypes, so the genomics benchmark simulates one with a
liability-threshold model (Falconer 1965), the standard model of a binary
complex trait:

1. ``n_causal`` SNPs are drawn at random as causal; each gets an effect size
   drawn from N(0, 1).
2. The genetic score ``G = dosages[:, causal] @ effects`` is standardised to mean
   0 and variance 1 -- within each population group by default, over everyone
   otherwise.
3. Liability ``L = sqrt(h2) * G + sqrt(1 - h2) * e`` with ``e ~ N(0, 1)``, so the
   genetic score explains a share ``h2`` (the heritability) of its variance.
4. A person is a true case when their liability is among the top ``prevalence``
   share -- of their group by default (``equal_prevalence``), which makes the true
   prevalence equal across groups by construction, or of everyone.
5. The recorded label is the true one, except that true cases in the biased
   groups are recorded as controls with probability ``underdiagnosis``
   (under-diagnosis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fairpool.errors import InvalidInputError, LengthMismatchError

__all__ = ["SimulatedPhenotype", "simulate_phenotype"]


@dataclass(frozen=True, eq=False)
class SimulatedPhenotype:
    """The outcome of :func:`simulate_phenotype`.

    Attributes
    ----------
    y_true : ndarray of shape (n,), int64
        True disease status (1 = case).
    y_recorded : ndarray of shape (n,), int64
        Recorded status, with the under-diagnosis applied.
    liability : ndarray of shape (n,)
        The latent liability.
    genetic_score : ndarray of shape (n,)
        The standardised genetic score.
    causal : ndarray of shape (n_causal,), int64
        Column positions (in the genotype matrix) of the causal SNPs.
    effects : ndarray of shape (n_causal,)
        Effect size of each causal SNP (per copy of the counted allele).
    missed : ndarray of shape (n,), bool
        True cases recorded as controls.
    """

    y_true: np.ndarray
    y_recorded: np.ndarray
    liability: np.ndarray
    genetic_score: np.ndarray
    causal: np.ndarray
    effects: np.ndarray
    missed: np.ndarray


def _standardise_within(values: np.ndarray, strata: np.ndarray) -> np.ndarray:
    counts = np.bincount(strata).astype(np.float64)
    means = np.bincount(strata, weights=values) / np.maximum(counts, 1)
    centred = values - means[strata]
    variances = np.bincount(strata, weights=centred**2) / np.maximum(counts, 1)
    stds = np.sqrt(variances)
    stds[stds == 0] = 1.0  # a constant score stays 0 rather than dividing by zero
    return centred / stds[strata]


def _top_share_within(values: np.ndarray, strata: np.ndarray, share: float) -> np.ndarray:
    """Mark the ``round(share * n_s)`` largest values of each stratum ``s``."""
    counts = np.bincount(strata)
    n_top = np.rint(share * counts).astype(np.int64)
    order = np.lexsort((-values, strata))  # by stratum, largest value first
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.arange(values.size) - starts[strata[order]]
    return rank < n_top[strata]


def simulate_phenotype(
    dosages: np.ndarray,
    groups: Sequence[str] | np.ndarray,
    *,
    n_causal: int = 8,
    heritability: float = 0.5,
    prevalence: float = 0.3,
    biased_groups: Sequence[str] = ("AFR", "SAS"),
    underdiagnosis: float = 0.5,
    equal_prevalence: bool = True,
    seed: int | np.random.SeedSequence = 0,
) -> SimulatedPhenotype:
    """Simulate a binary trait on genotypes with a liability-threshold model.

    Parameters
    ----------
    dosages : ndarray of shape (n, m)
        Allele dosages (0, 1, 2) of ``m`` SNPs.
    groups : array-like of str, shape (n,)
        Population group of each person (the superpopulation).
    n_causal : int, default 8
        Number of causal SNPs, drawn without replacement.
    heritability : float in [0, 1], default 0.5
        Share of the liability's variance explained by the genetic score.
    prevalence : float in (0, 1), default 0.3
        Share of true cases (within each group when ``equal_prevalence``).
    biased_groups : sequence of str, default ("AFR", "SAS")
        Groups whose true cases may be recorded as controls.
    underdiagnosis : float in [0, 1], default 0.5
        Probability that a true case in a biased group is recorded as a control.
    equal_prevalence : bool, default True
        Standardise and threshold within each group (equal true prevalence by
        construction) instead of once over everyone.
    seed : int or numpy.random.SeedSequence, default 0
        Seed; causal SNPs, effects, noise and the labelling bias use independent
        streams spawned from it.

    Returns
    -------
    SimulatedPhenotype
    """
    dosages = np.asarray(dosages, dtype=np.float64)
    group_labels = np.asarray(groups).astype(str)
    if dosages.ndim != 2:
        raise InvalidInputError(f"dosages must be 2-D (n, m), got shape {dosages.shape}")
    n, m = dosages.shape
    if group_labels.shape != (n,):
        raise LengthMismatchError(f"groups has shape {group_labels.shape}, expected ({n},)")
    if not 1 <= n_causal <= m:
        raise InvalidInputError(
            f"n_causal must be in [1, {m}] (the number of SNPs), got {n_causal}"
        )
    if not 0.0 <= heritability <= 1.0:
        raise InvalidInputError(f"heritability must be in [0, 1], got {heritability}")
    if not 0.0 < prevalence < 1.0:
        raise InvalidInputError(f"prevalence must be in (0, 1), got {prevalence}")
    if not 0.0 <= underdiagnosis <= 1.0:
        raise InvalidInputError(f"underdiagnosis must be in [0, 1], got {underdiagnosis}")

    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    causal_rng, effect_rng, noise_rng, bias_rng = (np.random.default_rng(s) for s in seq.spawn(4))
    causal = np.sort(causal_rng.choice(m, size=n_causal, replace=False))
    effects = effect_rng.standard_normal(n_causal)
    noise = noise_rng.standard_normal(n)
    draws = bias_rng.random(n)

    _, strata = np.unique(group_labels, return_inverse=True)
    strata = strata.reshape(-1)
    if not equal_prevalence:
        strata = np.zeros(n, dtype=np.int64)
    raw_score = dosages[:, causal] @ effects
    score = _standardise_within(raw_score, strata)
    liability = np.sqrt(heritability) * score + np.sqrt(1.0 - heritability) * noise
    y_true = _top_share_within(liability, strata, prevalence).astype(np.int64)
    missed = (y_true == 1) & np.isin(group_labels, list(biased_groups)) & (draws < underdiagnosis)
    y_recorded = np.where(missed, 0, y_true)
    return SimulatedPhenotype(
        y_true=y_true,
        y_recorded=y_recorded,
        liability=liability,
        genetic_score=score,
        causal=causal,
        effects=effects,
        missed=missed,
    )
