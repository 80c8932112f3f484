"""How far does fairlearn's reduction lower COMPAS's demographic parity after 50 labels?

The experiment of ``tests/active/test_fairlearn_al.py`` over several seeds: COMPAS
(sensitive = sex), rows permuted by ``numpy.random.default_rng(seed)``; the first 400
are labelled, the next 1,000 are the pool, the next 3,000 the test set. Each learner
(:class:`fairpool.active.ActiveLearner` with fairpool's ``logreg``, ``seed``) is fitted
on the 400 rows, asks for one batch of 50 from the pool, is taught their labels and
predicts the test rows. Two pairs, each a plain strategy beside its fair counterpart:
``random`` / ``fairlearn`` (random picks, model replaced by fairlearn's
exponentiated-gradient reduction, ε = 0.05 by default) and ``margin`` / ``fairlearn_al``
(docs/strategies-fair-baselines.md).

Writes ``DIR/fair_reduction.csv`` with ``--out DIR``: one row per seed and strategy, the
test demographic-parity gap (max − min selection rate over the groups,
``fairpool.metrics.demographic_parity_difference``) and accuracy::

    nice -n 10 python benchmarks/fair_reduction_compas.py --seeds 5 --out DIR
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import fairpool as fp  # noqa: E402

#: (plain strategy, its fair counterpart)
PAIRS = (("random", "fairlearn"), ("margin", "fairlearn_al"))
N_INITIAL, N_POOL, N_TEST, BATCH = 400, 1000, 3000, 50


def one_seed(seed: int) -> list[dict[str, object]]:
    """Test DP gap and accuracy of each strategy after one batch of 50, for ``seed``.

    Returns one dict per strategy: ``seed``, ``strategy``, ``pair`` (the fair strategy
    of its pair), ``n_labelled`` (450), ``demographic_parity`` and ``accuracy`` on the
    3,000 test rows.
    """
    ds = fp.datasets.load("compas", sensitive="sex")
    perm = np.random.default_rng(seed).permutation(ds.n_samples)
    initial = perm[:N_INITIAL]
    pool = perm[N_INITIAL:N_INITIAL + N_POOL]
    test = perm[N_INITIAL + N_POOL:N_INITIAL + N_POOL + N_TEST]
    rows = []
    for plain, fair in PAIRS:
        for name in (plain, fair):
            learner = fp.active.ActiveLearner(name, "logreg", seed=seed)
            learner.fit(ds.X[initial], ds.y[initial], ds.groups[initial])
            picks = learner.query(ds.X[pool], ds.groups[pool], BATCH)
            learner.teach(picks, ds.y[pool][picks])
            pred = learner.predict(ds.X[test])
            rows.append({
                "seed": seed, "strategy": name, "pair": fair,
                "n_labelled": N_INITIAL + BATCH,
                "demographic_parity": fp.metrics.demographic_parity_difference(
                    ds.y[test], pred, sensitive_features=ds.groups[test]),
                "accuracy": float(np.mean(pred == ds.y[test])),
            })
    return rows


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the seeds, print the per-seed table and write it with ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    parser.add_argument("--out", type=Path, help="write fair_reduction.csv there")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # fairlearn's pandas notices
        frame = pd.DataFrame([row for seed in range(args.seeds) for row in one_seed(seed)])
    print(frame.pivot(index="seed", columns="strategy",
                      values="demographic_parity").round(3).to_string())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out / "fair_reduction.csv", index=False)
    return frame


if __name__ == "__main__":
    main()
