"""How close fal_fast's Newton refit comes to the true refit, by number of steps, on Adult.

docs/fal.md quotes this. One labelled set of ``--n-labelled`` seeded Adult rows
(features standardised by the labelled rows' mean and sd), a tight scikit-learn
``LogisticRegression`` (C = 1, tol 1e-10) fitted on it, and ``--n-candidates`` seeded
pool rows, each added with label 0 and with label 1. For every (candidate, label) pair
the true parameter change is a refit of the same model with the row added; the
estimates are

- ``influence``: the first-order influence function ``-H⁻¹x̃ (p - y)``;
- ``newton_1x``: the one-step Newton update of the new objective, with the new row's
  curvature (Sherman-Morrison), ``-(H + u x̃x̃ᵀ)⁻¹(g + (p - y) x̃)``, ``u = p(1 - p)``;
- ``steps_k``: ``fairpool.active.strategies.NewtonRefit(state, steps=k)``, whose
  step 1 solves the new row's scalar equation exactly and whose later steps refine.

Written per pair: the relative error ``||Δ_est − Δ_true|| / ||Δ_true||`` (Euclidean
norm over weights and intercept) of each estimate, with the model's probability ``p``
of the label given (a "surprising" label has ``p`` far below 0.5). Koh and Liang
(ICML 2017) for the influence function; the refit equations are NewtonRefit's
docstring.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/newton_steps.py \\
        --out benchmarks/results/newton_steps
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

STEPS = (1, 2, 3, 5)


def _learner():  # noqa: ANN202 - a scikit-learn estimator
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000)


def measure(n_labelled: int, n_candidates: int, seed: int) -> pd.DataFrame:
    """One row per (candidate, label): the label's model probability and each estimate's
    relative error against the sklearn refit."""
    from scipy.special import expit

    import fairpool as fp
    from fairpool.active import LabelledSet, Pool, QueryState
    from fairpool.active.strategies import NewtonRefit

    ds = fp.datasets.load("adult", sensitive="sex")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(ds.y), n_labelled + n_candidates + 500, replace=False)
    X = np.asarray(ds.X, dtype=np.float64)[rows]
    y = np.asarray(ds.y).astype(np.int64)[rows]
    g = np.asarray(ds.groups)[rows]
    lab = slice(0, n_labelled)
    cand = slice(n_labelled, n_labelled + n_candidates)
    ref = slice(n_labelled + n_candidates, None)
    mean, scale = X[lab].mean(axis=0), X[lab].std(axis=0)
    scale[scale == 0] = 1.0
    X = (X - mean) / scale
    model = _learner().fit(X[lab], y[lab])
    state = QueryState(
        model=model, labelled=LabelledSet(X[lab], y[lab], g[lab]),
        pool=Pool(X[cand], g[cand]), validation=LabelledSet(X[ref], y[ref], g[ref]),
        group_names=tuple(str(n) for n in ds.group_names),
        feature_names=tuple(f"x{i}" for i in range(X.shape[1])), make_learner=_learner,
    )
    theta = np.append(model.coef_[0], model.intercept_[0])
    refits = {k: NewtonRefit(state, steps=k) for k in STEPS}
    h_inv = refits[1]._h_inv  # H⁻¹ of the objective with one more row (C = 1: same H)
    H = np.linalg.inv(h_inv)
    X_lab = np.column_stack([X[lab], np.ones(n_labelled)])
    p_lab = expit(X_lab @ theta)
    mask = np.append(np.ones(X.shape[1]), 0.0)  # the intercept is not penalised
    gradient = X_lab.T @ (p_lab - y[lab]) + mask * theta  # of J = sum l + ||w||²/2 (C = 1)
    out = []
    for label in (0, 1):
        estimates = {k: r.parameter_shift(X[cand], label) for k, r in refits.items()}
        for i, row in enumerate(range(cand.start, cand.stop)):
            x = np.append(X[row], 1.0)
            p = float(expit(x @ theta))
            refit = _learner().fit(np.vstack([X[lab], X[row]]), np.append(y[lab], label))
            true = np.append(refit.coef_[0], refit.intercept_[0]) - theta
            norm = np.linalg.norm(true)
            influence = -h_inv @ x * (p - label)
            newton = -np.linalg.solve(H + p * (1 - p) * np.outer(x, x),
                                      gradient + (p - label) * x)
            record = {"candidate": i, "label": label,
                      "p_label": p if label == 1 else 1.0 - p,
                      "true_norm": norm,
                      "influence": np.linalg.norm(influence - true) / norm,
                      "newton_1x": np.linalg.norm(newton - true) / norm}
            for k in STEPS:
                record[f"steps_{k}"] = np.linalg.norm(estimates[k][i] - true) / norm
            out.append(record)
    frame = pd.DataFrame(out)
    frame.insert(0, "n_labelled", n_labelled)
    frame.insert(1, "n_features", X.shape[1])
    frame.insert(2, "seed", seed)
    return frame


def main() -> None:
    """Command-line entry point: write newton_steps.csv under --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n-labelled", type=int, default=200)
    parser.add_argument("--n-candidates", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    frame = measure(args.n_labelled, args.n_candidates, args.seed)
    frame.to_csv(args.out / "newton_steps.csv", index=False)
    print(frame.drop(columns=["n_labelled", "n_features", "seed"]).round(4).to_string())


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
