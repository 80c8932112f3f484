"""MEDLRegressor on HSB82 against statsmodels' MixedLM (slow: a 7 185-row fit).

The reference is the random-intercept model of Raudenbush & Bryk's High School and
Beyond extract: ``mathach ~ ses + minority + female + (1 | school)``, fitted by
statsmodels (REML); its BLUPs are the schools' intercepts. MEDL's posterior means must
rank the 160 schools alike (Spearman) and have the same spread up to the BLUPs'
shrinkage: with ARMED's weak prior (``kl_weight=1e-3``) MEDL hardly shrinks, and the
BLUPs shrink each school by ``tau^2 / (tau^2 + sigma^2 / n_j)`` (about 0.82 here), so
the ratio of spreads lies between 1 and the inverse of that factor, with room for noise.
Student-level features only: with the school-level ``meanses`` and ``sector`` the FE
net, kept cluster-invariant by its adversary, leaves school-level variation to the
random effects, a different model from MixedLM's (measured Spearman 0.94, spread ratio
1.6). The cluster adversary is weak here (weight 0.1): ``ses`` differs between schools,
so the default weight (1.0) makes the FE net give up part of the ``ses`` effect and the
intercepts absorb it (measured Spearman 0.86 against the BLUPs).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from scipy.stats import spearmanr

import fairpool as fp


@pytest.mark.slow
def test_hsb82_random_intercepts_agree_with_mixedlm():
    torch.set_num_threads(1)
    ds = fp.datasets.load("hsb82")
    names = list(ds.feature_names)
    X = ds.X[:, [names.index(c) for c in ("ses", "minority=Yes", "sex=Female")]]
    X = X.astype(np.float64)
    mixed = sm.MixedLM(ds.y, sm.add_constant(X), groups=ds.clusters).fit()
    blup = pd.Series({k: np.asarray(v)[0] for k, v in mixed.random_effects.items()})
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    model = fp.learners.MEDLRegressor(random_slopes=False, cluster_adversary_weight=0.1,
                                      kl_weight=1e-3, device="cpu").fit(
        Xs, ds.y, clusters=ds.clusters)
    estimate = pd.Series(model.random_intercepts_, index=model.cluster_names_)[blup.index]
    assert spearmanr(estimate, blup)[0] > 0.95
    tau2, sigma2 = float(np.asarray(mixed.cov_re)[0, 0]), float(mixed.scale)
    sizes = pd.Series(ds.clusters).value_counts()[blup.index].to_numpy()
    shrink = np.mean(tau2 / (tau2 + sigma2 / sizes))
    ratio = estimate.std() / blup.std()
    assert 0.9 < ratio < 1.15 / shrink
