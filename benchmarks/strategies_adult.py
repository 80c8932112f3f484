"""The uncertainty and group baselines on Adult, one campaign each (docs/active-learning.md).

Adult with the PANDA split (D0 = 100 labelled rows, a pool of 12,211 and a test set of
12,210; sensitive = sex), fairpool's ``logreg``, B = 400 in batches of 50, one seed,
for ``random``, ``entropy``, ``margin`` and ``group_random``, through
:func:`fairpool.active.run`. For each, the final round's test F1, accuracy,
demographic-parity gap and equalized-odds gap (max − min over the groups), how many of
the bought labels went to each group (summed over the rounds' ``picked_<group>``), and
the campaign's wall time.

Writes ``DIR/strategies_adult.csv`` (one row per strategy) with ``--out DIR``::

    nice -n 10 python benchmarks/strategies_adult.py --seed 0 --out DIR
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

import fairpool as fp  # noqa: E402

STRATEGIES = ("random", "entropy", "margin", "group_random")
METRICS = ["f1", "accuracy", "demographic_parity", "equalized_odds"]


def campaign(ds: fp.datasets.Dataset, strategy: str, seed: int) -> dict[str, object]:
    """One B = 400 campaign of ``strategy``: final test metrics, labels per group, seconds.

    Returns ``strategy``, ``seed``, ``n_labelled``, the four metrics of :data:`METRICS`
    at the final round, ``picked_<group>`` for every group (labels bought from it over
    the campaign) and ``seconds`` (wall time of :func:`fairpool.active.run`).
    """
    start = time.perf_counter()
    history = fp.active.run(ds, strategy=strategy, learner="logreg", budget=400,
                            batch_size=50, seed=seed, split="panda", metrics=METRICS)
    seconds = time.perf_counter() - start
    frame, final = history.frame, history.final
    row: dict[str, object] = {"strategy": strategy, "seed": seed,
                              "n_labelled": final["n_labelled"]}
    row.update({name: final[name] for name in METRICS})
    for group in ds.group_names:
        row[f"picked_{group}"] = int(frame[f"picked_{group}"].fillna(0).sum())
    row["seconds"] = seconds
    return row


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the four campaigns, print them and write them with ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write strategies_adult.csv there")
    args = parser.parse_args(argv)
    ds = fp.datasets.load("adult", sensitive="sex")
    frame = pd.DataFrame([campaign(ds, name, args.seed) for name in STRATEGIES])
    print(frame.round(3).to_string(index=False))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out / "strategies_adult.csv", index=False)
    return frame


if __name__ == "__main__":
    main()
