"""How accurate and how slow ``fairpool.metrics.optimal_transport_distance`` is.

Two measurements, quoted by docs/metrics.md and docs/active-learning.md:

1. **Accuracy of the subsample estimate** (``ot_accuracy.csv``). Two Gaussian samples
   of ``--n`` points in ``d`` dimensions, the second shifted by 1 along the first
   axis; the exact Wasserstein-1 distance (network simplex on the full cost matrix)
   against ``method="subsample"`` with the default ``max_exact_pairs`` (seeds 0-4)
   and ``method="sliced"`` (seeds 0-2). One row per (d, method, seed): the value and
   the wall seconds of the call.
2. **Cost of one exact solve** (``ot_timing.csv``): the default exact size of
   ``method="auto"`` (1000 x 1000 points, 5-D Gaussians) and the distance the
   active-learning loop records each round (``ot_distance``: 500 labelled rows
   against 500 pool rows of Adult's features, standardised by the pool's mean and
   standard deviation, as ``fairpool.active.run`` does). Best of ``--repeats`` calls.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/ot_distance.py \\
        --out benchmarks/results/ot_distance

The exact W1 is the reference (Villani, *Optimal Transport*, 2009, Def. 6.1; POT's
``ot.emd2``); the shift-by-1 construction only fixes the scale (W1 >= 1 by Jensen).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

SHIFT = 1.0
DIMENSIONS = (2, 5)
SUBSAMPLE_SEEDS = (0, 1, 2, 3, 4)
SLICED_SEEDS = (0, 1, 2)
#: the rows ``fairpool.active.run`` caps each side of its per-round OT distance at
LOOP_ROWS = 500


def _timed(function, *args, **kwargs) -> tuple[float, float]:  # noqa: ANN001 - any callable
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return float(value), time.perf_counter() - start


def gaussian_pair(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two standard-normal samples of shape (n, d); the second shifted by ``SHIFT`` on axis 0."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d))
    b = rng.standard_normal((n, d))
    b[:, 0] += SHIFT
    return a, b


def accuracy(n: int) -> pd.DataFrame:
    """Exact, subsample and sliced W1 of the Gaussian pairs; columns d, n, method, seed,
    value, seconds."""
    from fairpool.metrics import optimal_transport_distance

    rows = []
    for d in DIMENSIONS:
        a, b = gaussian_pair(n, d)
        value, seconds = _timed(optimal_transport_distance, a, b, method="exact")
        rows.append({"d": d, "n": n, "method": "exact", "seed": -1, "value": value,
                     "seconds": seconds})
        for method, seeds in (("subsample", SUBSAMPLE_SEEDS), ("sliced", SLICED_SEEDS)):
            for seed in seeds:
                value, seconds = _timed(optimal_transport_distance, a, b, method=method,
                                        seed=seed)
                rows.append({"d": d, "n": n, "method": method, "seed": seed, "value": value,
                             "seconds": seconds})
    return pd.DataFrame(rows)


def timing(repeats: int) -> pd.DataFrame:
    """Best-of-``repeats`` seconds of one exact solve: the "auto" exact limit and the
    loop's per-round distance on Adult; columns case, n_a, n_b, d, seconds."""
    import fairpool as fp
    from fairpool.metrics import optimal_transport_distance

    cases = []
    a, b = gaussian_pair(1000, 5)
    cases.append(("default exact limit (Gaussian, 1000 x 1000)", a, b))
    ds = fp.datasets.load("adult", sensitive="sex")
    X = np.asarray(ds.X, dtype=np.float64)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - X.mean(axis=0)) / scale
    rng = np.random.default_rng(0)
    rows = rng.choice(Z.shape[0], 2 * LOOP_ROWS, replace=False)
    cases.append(("active-learning round (Adult, 500 x 500)", Z[rows[:LOOP_ROWS]],
                  Z[rows[LOOP_ROWS:]]))
    out = []
    for name, x, y in cases:
        best = min(_timed(optimal_transport_distance, x, y, method="exact")[1]
                   for _ in range(repeats))
        out.append({"case": name, "n_a": x.shape[0], "n_b": y.shape[0], "d": x.shape[1],
                    "seconds": best})
    return pd.DataFrame(out)


def main() -> None:
    """Command-line entry point: write ot_accuracy.csv and ot_timing.csv under --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=2000, help="points per Gaussian sample")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    timing(args.repeats).to_csv(args.out / "ot_timing.csv", index=False)
    accuracy(args.n).to_csv(args.out / "ot_accuracy.csv", index=False)
    print(f"wrote {args.out / 'ot_accuracy.csv'} and {args.out / 'ot_timing.csv'}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
