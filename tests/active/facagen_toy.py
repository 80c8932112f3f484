"""A small genomes-like problem for the FACA-GEN tests (discrete SNPs, three ancestries)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from fairpool.active import LabelledSet, Pool, QueryState
from fairpool.datasets import Dataset

N_SNPS = 10
CAUSAL = ("rs0", "rs1", "rs2")


def genomes_like(n: int = 300, seed: int = 0) -> Dataset:
    """Dosages whose frequencies depend on ancestry; the label on rs0-rs2 plus a group bias."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 3, n)
    freq = rng.uniform(0.1, 0.9, (3, N_SNPS))
    dosage = (rng.random((n, N_SNPS)) < freq[groups]).astype(float) + (
        rng.random((n, N_SNPS)) < freq[groups]
    )
    liability = dosage[:, :3].sum(axis=1) - 3 * freq[groups, :3].mean(axis=1) * 2
    y = (liability + rng.normal(scale=0.7, size=n) > 0).astype(np.int64)
    y[(groups == 0) & (rng.random(n) < 0.4)] = 0  # under-recorded cases in group 0
    names = [f"rs{j}" for j in range(N_SNPS)]
    ancestry = [f"superpopulation={g}" for g in ("A", "B", "C")]
    return Dataset(
        X=np.hstack([dosage, np.eye(3)[groups]]).astype(np.float32),
        y=y,
        groups=groups,
        group_names=("A", "B", "C"),
        feature_names=tuple(names + ancestry),
        name="genomes1000",
        info={
            "dataset": "genomes1000",
            "sensitive": ["superpopulation"],
            "sensitive_columns": ancestry,
            "causal_features": list(CAUSAL),
        },
    )


def query_state(ds: Dataset, *, n_labelled: int = 60, n_validation: int = 60,
                model=None, seed: int = 0) -> QueryState:
    """A QueryState over ``ds``: a fitted model, a labelled set, a validation set, a pool."""
    order = np.random.default_rng(seed).permutation(ds.n_samples)
    lab, val, pool = (
        order[:n_labelled],
        order[n_labelled : n_labelled + n_validation],
        order[n_labelled + n_validation :],
    )
    template = LogisticRegression(max_iter=1000) if model is None else model
    fitted = clone(template).fit(ds.X[lab], ds.y[lab])
    return QueryState(
        model=fitted,
        labelled=LabelledSet(ds.X[lab], ds.y[lab], ds.groups[lab]),
        pool=Pool(ds.X[pool], ds.groups[pool]),
        validation=LabelledSet(ds.X[val], ds.y[val], ds.groups[val]),
        group_names=ds.group_names,
        feature_names=ds.feature_names,
        make_learner=lambda: clone(template),
        round=0,
        info=ds.info,
    )
